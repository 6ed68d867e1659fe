"""--renderer fal: shots drawn by a model on fal.ai's queue, told against a loopback fal (the real
fal-client talks to it through the renderer's --base-url).

One film is made for most of these checks (a module fixture): three shots with Kling, the table's
default, while fal answers one submission with 429 + Retry-After, one status poll with 500 twice,
refuses one shot's content and sends one clip shorter than asked. The same film is then made again with a
model a user added in their own JSON file, then a third time with nothing changed."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyagent.errors import BackendError
from storyagent.media.video import probe
from storyagent.renderers.hosted.base import Clip, HostedOptions, Rejected, Transient
from storyagent.renderers.hosted.fal import FalProvider, FalRenderer, fal_model
from storyagent.renderers.hosted.jobs import Ledger, RemoteState, jobs_of
from storyagent.run.film import render
from tests.helpers.fake_fal import FakeFal
from tests.helpers.hosted import SECRET, Reply, mp4, three_shot_board, wait_for, write_board

KLING = "fal-ai/kling-video/v2.1/standard/image-to-video"
USER_MODEL = "acme/storybook-video/image-to-video"
# A model the table does not know, named the way its maker names its inputs.
USER_TABLE = {USER_MODEL: {
    "source": "https://example.com/acme/storybook-video/api",
    "prompt": "text", "image": "start_image", "end_image": "last_image",
    "duration": {"key": "duration", "values": {"3": 3, "6": 6}},
    "aspect_ratio": {"key": "ratio", "values": ["16:9", "1:1", "9:16"]},
    "short_side": 720, "seed": "noise_seed", "fixed": {"quality": "draft"},
}}
FAST = {"poll_seconds": 0.01, "retry_seconds": 0.01}


@pytest.fixture(scope="module")
def fal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeFal]:
    fake = FakeFal()
    env = pytest.MonkeyPatch()
    env.setenv("FAL_KEY", SECRET)
    env.setenv("STORYAGENT_FAL_MODELS", str(_user_table(tmp_path_factory.mktemp("models"))))
    yield fake
    env.undo()
    fake.close()


def _user_table(folder: Path) -> Path:
    path = folder / "my-fal-models.json"
    path.write_text(json.dumps(USER_TABLE), encoding="utf-8")
    return path


def _render(board: Path, fake: FakeFal, **options: Any):
    return render(board, progress=None, renderer="fal", renderer_options={"base_url": fake.url, **FAST, **options},
                  width=256, height=144, fps=12, jobs=1)


@pytest.fixture(scope="module")
def films(fal: FakeFal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The film made three times: with Kling through fal's faults, with the user's model, unchanged."""
    board = write_board(tmp_path_factory.mktemp("film"), three_shot_board("fal"))
    fal.misbehave("submit", Reply(429, {"detail": "Too many concurrent requests"}, headers={"Retry-After": "1"}))
    fal.misbehave("status", Reply(500, {"detail": "Internal Server Error"}), Reply(500, {"detail": "Internal Server Error"}))
    fal.refuse = "hug"
    fal.short = ("waves a flipper", 3.0)
    first = _render(board, fal)
    after_first = {"count": dict(fal.count), "jobs": jobs_of(board.parent), "submitted": fal.submitted(),
                   "replies": list(fal.replies)}
    fal.refuse, fal.short = None, None
    _render(board, fal, model=USER_MODEL)
    after_second = {"count": dict(fal.count), "submitted": fal.submitted()[len(after_first["submitted"]):]}
    _render(board, fal, model=USER_MODEL)
    return {"board": board, "film": first.film, "first": after_first, "second": after_second,
            "third": dict(fal.count)}


# -- the film ---------------------------------------------------------------------------


def test_three_shots_make_a_film_of_the_shots_length_and_size(films: dict[str, Any]) -> None:
    info = probe(films["film"])
    timeline = json.loads((films["board"].parent / "timeline.json").read_text(encoding="utf-8"))
    assert (info.width, info.height) == (256, 144)
    assert info.duration == pytest.approx(timeline["duration"], abs=0.1)  # the shots, their lines and the cards
    done = {job.shot_id: job.state for job in films["first"]["jobs"]}
    assert done == {"walk": RemoteState.DONE, "wave": RemoteState.DONE, "hug": RemoteState.REJECTED}


def test_a_429_is_waited_out_for_its_retry_after_then_sent_again(films: dict[str, Any], fal: FakeFal) -> None:
    submits = [at for route, at in fal.times if route == "submit"]
    assert films["first"]["count"]["submit"] == 4  # three shots, one sent twice
    assert submits[1] - submits[0] >= 1.0  # Retry-After: 1, though --retry-seconds is 0.01
    assert films["first"]["count"]["initiate"] == 3  # the keyframe went up once, not once per try


def test_a_status_answered_500_twice_is_asked_again(films: dict[str, Any]) -> None:
    polls = [status for route, status in films["first"]["replies"] if route == "status"]
    assert polls[:2] == [500, 500] and set(polls[2:]) <= {200, 202}


def test_a_refused_shot_keeps_its_animatic_and_the_film_is_made(films: dict[str, Any]) -> None:
    refused = next(job for job in films["first"]["jobs"] if job.shot_id == "hug")
    assert "content checker" in refused.detail
    assert films["film"].is_file()


def test_a_clip_shorter_than_asked_is_fitted_with_a_warning(films: dict[str, Any]) -> None:
    wave = next(job for job in films["first"]["jobs"] if job.shot_id == "wave")
    assert "3.0 s, not the 5 s asked for" in wave.detail and "fitted" in wave.detail


def test_kling_is_asked_in_its_own_input_names(films: dict[str, Any], fal: FakeFal) -> None:
    sent = films["first"]["submitted"]
    assert [set(arguments) for arguments in sent] == [{"prompt", "image_url", "duration", "negative_prompt"}] * 3
    assert {arguments["duration"] for arguments in sent} == {"5"}  # Kling's lengths are strings
    walk = next(arguments for arguments in sent if "walks across the ice" in arguments["prompt"])
    assert "Nanuk" in walk["prompt"] and "watercolour" in walk["prompt"]
    upload = fal.uploads[walk["image_url"].rsplit("/", 1)[-1]]
    assert upload.content_type == "image/png"
    with Image.open(io.BytesIO(upload.data)) as keyframe:
        assert keyframe.size == (1280, 720)  # the film's shape at Kling's 720p


def test_a_model_from_the_users_file_renders_in_its_own_input_names(films: dict[str, Any]) -> None:
    sent = films["second"]["submitted"]
    assert len(sent) == 3
    for arguments in sent:
        assert set(arguments) == {"text", "start_image", "last_image", "duration", "ratio", "noise_seed", "quality"}
        assert arguments["duration"] == 3 and arguments["ratio"] == "16:9" and arguments["quality"] == "draft"
        assert arguments["start_image"] != arguments["last_image"]


def test_each_keyframe_goes_up_once_per_film(films: dict[str, Any]) -> None:
    first, second = films["first"]["count"], films["second"]["count"]
    # The user's model takes the same first keyframes (already up) and, new, the last ones.
    assert second["initiate"] - first["initiate"] == 3
    assert films["third"] == second  # nothing changed: nothing asked, nothing sent


def test_no_key_in_the_film_folder(films: dict[str, Any]) -> None:
    for path in films["board"].parent.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


# -- the table ----------------------------------------------------------------------------


def test_an_unknown_model_is_one_line_naming_the_file_to_add_it_to(fal: FakeFal) -> None:
    problem = FalRenderer.preflight(HostedOptions(model="acme/never-heard-of-it"))
    assert problem is not None and "\n" not in problem
    assert "STORYAGENT_FAL_MODELS" in problem and "fal_models.json" in problem


def test_a_broken_user_file_is_one_line_naming_it_and_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"acme/x": {"source": "me", "duration": {"key": "d", "values": {"five": 5}},
                                           "short_side": 720}}), encoding="utf-8")
    monkeypatch.setenv("STORYAGENT_FAL_MODELS", str(path))
    monkeypatch.setenv("FAL_KEY", SECRET)
    problem = FalRenderer.preflight(HostedOptions(model=KLING))
    assert problem is not None and "\n" not in problem
    assert str(path) in problem and "acme/x.duration.values" in problem


def test_sizes_lengths_and_prices_follow_the_table() -> None:
    assert FalRenderer.size(KLING, 256, 144) == (1280, 720)
    assert FalRenderer.size(KLING, 1080, 1920) == (720, 1280)
    seedance = "fal-ai/bytedance/seedance/v1/pro/image-to-video"
    assert FalRenderer.size(seedance, 1000, 1000) == (720, 720)
    assert FalRenderer.size(seedance, 2400, 1000) == (1680, 720)  # 21:9 is nearer than 16:9
    assert FalRenderer.lengths(KLING).extend == ()  # fal cannot extend: a long shot gets the longest clip
    assert FalRenderer.price(HostedOptions(model=KLING), 5.6).usd == pytest.approx(0.56)
    assert FalRenderer.price(HostedOptions(model=KLING), 14.0).seconds == 10
    assert FalRenderer.takes_last_frame("fal-ai/minimax/hailuo-02/standard/image-to-video")
    assert not FalRenderer.takes_last_frame(KLING)
    wan = fal_model("fal-ai/wan/v2.2-a14b/image-to-video")
    assert wan.duration.values["3"] == 49  # frames at 16 fps


# -- fal's answers, sorted -------------------------------------------------------------------


def _provider(fal: FakeFal, key: str = SECRET) -> FalProvider:
    return FalProvider(key, KLING, fal_model(KLING), fal.url)


def _clip(prompt: str = "a polar bear walks") -> Clip:
    return Clip(shot_id="s1", model=KLING, prompt=prompt, seconds=(5,), width=1280, height=720, seed=7,
                first=_png(1280, 720))


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_429_is_transient_with_its_retry_after(fal: FakeFal) -> None:
    fal.misbehave("submit", Reply(429, {"detail": "Too many requests"}, headers={"Retry-After": "7"}))
    with pytest.raises(Transient) as busy:
        _provider(fal).create(_clip())
    assert busy.value.retry_after == 7


def test_a_5xx_and_a_dropped_connection_are_transient(fal: FakeFal) -> None:
    fal.misbehave("submit", Reply(503, {"detail": "no runner", "error_type": "runner_scheduling_failure"}))
    with pytest.raises(Transient):
        _provider(fal).create(_clip())
    closed = FalProvider(SECRET, KLING, fal_model(KLING), "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(Transient):
        closed.status("some-request")


def test_a_bad_key_is_one_line_without_the_key(fal: FakeFal) -> None:
    with pytest.raises(BackendError) as refused:
        _provider(fal, key="sk-wrong-key-123").create(_clip())
    assert "FAL_KEY" in str(refused.value) and "sk-wrong" not in str(refused.value) and "\n" not in str(refused.value)


def test_content_refused_at_submission_is_a_rejection(fal: FakeFal) -> None:
    from tests.helpers.fake_fal import POLICY_ERROR

    fal.misbehave("submit", Reply(422, POLICY_ERROR))
    with pytest.raises(Rejected, match="content checker"):
        _provider(fal).create(_clip())


def test_a_bad_input_names_the_input(fal: FakeFal) -> None:
    fal.misbehave("submit", Reply(422, {"detail": [{"loc": ["body", "duration"], "msg": "unexpected value; permitted: '5', '10'",
                                                    "type": "literal_error"}]}))
    with pytest.raises(BackendError, match="duration: unexpected value"):
        _provider(fal).create(_clip())


def test_a_request_fal_completes_with_an_error_has_failed(fal: FakeFal) -> None:
    fal.fail = "crashes the runner"
    try:
        provider = _provider(fal)
        job = provider.create(_clip("a bear crashes the runner"))
        states = [provider.status(job).state for _ in range(3)]
    finally:
        fal.fail = None
    assert states == [RemoteState.QUEUED, RemoteState.RUNNING, RemoteState.FAILED]


def test_a_finished_clip_is_downloaded_whole(fal: FakeFal, tmp_path: Path) -> None:
    provider = _provider(fal)
    job = provider.create(_clip())
    wait_for(lambda: provider.status(job).state == RemoteState.DONE, seconds=10)
    provider.download(job, tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == mp4(5.0, 1280, 720, fal.fps)


def test_a_worker_finds_the_films_uploads_in_its_ledger(fal: FakeFal, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    before = fal.count["initiate"]
    urls = {_provider(fal).arguments(_clip(), ledger)["image_url"] for _ in range(3)}  # three workers, one film
    assert len(urls) == 1 and fal.count["initiate"] - before == 1


# -- a run killed while polling -----------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_while_polling_resumes_the_same_job(fal: FakeFal, tmp_path: Path) -> None:
    board = write_board(tmp_path / "film", three_shot_board("fal"))
    before, polled = fal.count["submit"], fal.count["status"]
    command = [sys.executable, "-m", "storyagent", "render", str(board), "--renderer", "fal", "--base-url", fal.url,
               "--poll-seconds", "0.05", "--retry-seconds", "0.01", "--resolution", "256x144", "--fps", "12",
               "--jobs", "1", "--log-json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    fal.hold()
    try:
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        wait_for(lambda: fal.count["submit"] > before and fal.count["status"] > polled, seconds=240)
        time.sleep(0.3)  # polling
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        fal.release()
    sent = fal.count["submit"] - before
    again = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert fal.count["submit"] - before == sent + 2  # the killed shot's job was polled, not asked again
    assert SECRET not in again.stdout + again.stderr
    assert {job.state for job in jobs_of(board.parent)} == {RemoteState.DONE}
    assert len(jobs_of(board.parent)) == 3


@pytest.mark.slow
def test_an_edited_action_asks_again_for_that_shot_only(fal: FakeFal, tmp_path: Path) -> None:
    board_dict = three_shot_board("fal")
    board = write_board(tmp_path / "film", board_dict)
    _render(board, fal)
    before = fal.count["submit"]
    board_dict["scenes"][0]["shots"][1]["characters"][0]["action"] = "waves both flippers"
    write_board(tmp_path / "film", board_dict)
    _render(board, fal)
    assert fal.count["submit"] - before == 1
    assert "waves both flippers" in fal.submitted()[-1]["prompt"]
