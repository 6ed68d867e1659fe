"""`--renderer veo`: Google's Veo draws the film from the pre-vis. The real google-genai SDK talks to a
loopback Agent Platform (tests/helpers/fake_veo.py) that serves small real MP4s and misbehaves on cue."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image

from storyagent.errors import BackendError
from storyagent.media.video import probe
from storyagent.renderers.base import RENDERERS
from storyagent.renderers.hosted.base import Clip, Rejected, Transient
from storyagent.renderers.hosted.jobs import RemoteJob, RemoteState, jobs_of
from storyagent.run.film import FilmResult, render
from tests.helpers.fake_veo import SAFETY_MESSAGE, FakeVeo, busy, google_error, server_error
from tests.helpers.hosted import SECRET, three_shot_board, wait_for, write_board

QUICK = {"poll_seconds": 0.05, "retry_seconds": 0.01}
SMALL = {"width": 256, "height": 144, "fps": 12, "jobs": 1}
KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_VERTEX_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI",
                 "GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION")


@dataclass
class Made:
    fake: FakeVeo
    result: FilmResult

    def jobs(self, shot_id: str) -> list[RemoteJob]:
        return [job for job in jobs_of(self.result.film_dir) if job.shot_id == shot_id]


@pytest.fixture(scope="module")
def veo_key() -> Iterator[None]:
    """The fake key in GOOGLE_API_KEY, and no Google setting of the developer's shell (the shot workers inherit it)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in KEY_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("GOOGLE_API_KEY", SECRET)
        yield


def _film(folder: Path, board: dict, fake: FakeVeo) -> FilmResult:
    return render(write_board(folder, board), progress=None, renderer="veo",
                  renderer_options=QUICK | {"base_url": fake.url}, **SMALL)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, veo_key: None) -> Iterator[Made]:
    """A three-shot film Veo draws without a hitch."""
    fake = FakeVeo(SECRET)
    yield Made(fake, _film(tmp_path_factory.mktemp("clean"), three_shot_board("veo"), fake))
    fake.close()


@pytest.fixture(scope="module")
def troubled(tmp_path_factory: pytest.TempPathFactory, veo_key: None) -> Iterator[Made]:
    """A three-shot film whose first shot (7.5 s) meets a busy server and comes back 3 s long, whose
    second meets two server errors, and whose third Veo's safety filters refuse."""
    board = three_shot_board("veo")
    board["scenes"][0]["shots"][0]["camera"]["duration"] = 7.5
    fake = FakeVeo(SECRET)
    fake.trouble("walks across", busy(retry_after="0"))
    fake.clip_seconds["walks across"] = 3
    fake.trouble("waves a flipper", server_error(), server_error())
    fake.outcomes[", hug,"] = "filtered"
    yield Made(fake, _film(tmp_path_factory.mktemp("troubled"), board, fake))
    fake.close()


def _png(data: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.format == "PNG"
    return image


# -- a film made by Veo ------------------------------------------------------------------


def test_a_three_shot_film_is_made_at_the_films_size_and_length(clean: Made) -> None:
    timeline = json.loads((clean.result.film_dir / "timeline.json").read_text(encoding="utf-8"))
    film = probe(clean.result.film)
    video = next(stream for stream in film.streams if stream.kind == "video")
    assert (video.width, video.height, video.fps) == (256, 144, 12)
    assert video.frames == round(timeline["duration"] * 12)
    assert [shot["shot_id"] for shot in timeline["shots"]] == ["walk", "wave", "hug"]
    assert clean.fake.count["create"] == 3
    assert [job.state for job in jobs_of(clean.result.film_dir)] == [RemoteState.DONE] * 3


def test_each_shot_is_asked_for_with_its_prompt_keyframes_and_length(clean: Made) -> None:
    """What goes over the wire: the prompt, the first and last keyframes as 720p PNGs, the shortest
    length covering the 2 s shot, 16:9, the shot's seed, no soundtrack, and never the cast's sheets."""
    by_prompt = {body["instances"][0]["prompt"]: body for body in clean.fake.created}
    walk = next(body for prompt, body in by_prompt.items() if "Nanuk" in prompt and "walks across the ice" in prompt)
    for body in clean.fake.created:
        instance, parameters = body["instances"][0], body["parameters"]
        assert _png(instance["image"]["bytesBase64Encoded"]).size == (1280, 720)
        assert instance["image"]["mimeType"] == "image/png"
        assert _png(instance["lastFrame"]["bytesBase64Encoded"]).size == (1280, 720)
        assert "referenceImages" not in instance
        assert parameters == {"sampleCount": 1, "durationSeconds": 4, "seed": parameters["seed"], "aspectRatio": "16:9",
                              "resolution": "720p", "generateAudio": False}
        assert isinstance(parameters["seed"], int)
    assert "soft watercolour storybook" in walk["instances"][0]["prompt"]
    assert {path for _, path, _, _ in clean.fake.seen if path.endswith(":predictLongRunning")} == {
        "/v1beta1/publishers/google/models/veo-3.1-fast-generate-001:predictLongRunning"}
    assert {headers["x-goog-api-key"] for _, _, headers, _ in clean.fake.seen} == {SECRET}


def test_the_ledger_prices_each_request_at_the_tables_price(clean: Made) -> None:
    assert [(job.seconds, job.usd) for job in jobs_of(clean.result.film_dir)] == [(4.0, 0.4)] * 3


def test_no_key_is_written_anywhere_in_the_film_folder(clean: Made, troubled: Made) -> None:
    for made in (clean, troubled):
        leaked = [path for path in made.result.film_dir.rglob("*")
                  if path.is_file() and SECRET.encode() in path.read_bytes()]
        assert leaked == []


# -- faults ---------------------------------------------------------------------------


def test_a_busy_server_is_waited_out_and_asked_once_more(troubled: Made) -> None:
    asked = [prompt for prompt in troubled.fake.asked if "walks across" in prompt]
    assert len(asked) == 2  # the 429, then the request it accepted
    assert [job.state for job in troubled.jobs("walk")] == [RemoteState.DONE]


def test_two_server_errors_then_success_make_three_posts_and_one_job(troubled: Made) -> None:
    asked = [prompt for prompt in troubled.fake.asked if "waves a flipper" in prompt]
    assert len(asked) == 3
    assert len([body for body in troubled.fake.created if "waves a flipper" in body["instances"][0]["prompt"]]) == 1
    assert [job.state for job in troubled.jobs("wave")] == [RemoteState.DONE]


def test_a_shot_vetos_safety_filters_refuse_keeps_its_animatic(troubled: Made) -> None:
    [job] = troubled.jobs("hug")
    assert job.state == RemoteState.REJECTED
    assert "Responsible AI" in job.detail
    assert troubled.result.film.is_file()


def test_a_clip_shorter_than_asked_is_fitted_to_the_shot_with_a_warning(troubled: Made) -> None:
    """Veo gave 3 s for the 8 s asked for a 7.5 s shot: the film keeps the shot's length."""
    timeline = json.loads((troubled.result.film_dir / "timeline.json").read_text(encoding="utf-8"))
    assert next(shot["duration"] for shot in timeline["shots"] if shot["shot_id"] == "walk") == 7.5
    assert [body["parameters"]["durationSeconds"] for body in troubled.fake.created
            if "walks across" in body["instances"][0]["prompt"]] == [8]
    video = next(stream for stream in probe(troubled.result.film).streams if stream.kind == "video")
    assert video.frames == round(timeline["duration"] * 12)
    [job] = troubled.jobs("walk")
    assert "3.0 s, not the 8 s asked for" in job.detail


# -- the provider on its own ---------------------------------------------------------------


@pytest.fixture
def provider(veo_key: None) -> Iterator[tuple[FakeVeo, object]]:
    fake = FakeVeo(SECRET)
    renderer = RENDERERS.get("veo")(RENDERERS.options("veo", {"base_url": fake.url} | QUICK))
    yield fake, renderer.provider()
    fake.close()


def _clip(model: str = "veo-3.1-fast-generate-001") -> Clip:
    return Clip(shot_id="s", model=model, prompt="a bear walks", seconds=(4,), width=1280, height=720, seed=7,
                first=_blank_png())


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1280, 720)).save(out, format="PNG")
    return out.getvalue()


def test_a_prompt_refused_by_the_usage_guidelines_is_a_refusal(provider: tuple[FakeVeo, object]) -> None:
    fake, veo = provider
    fake.trouble("bear", google_error(400, "INVALID_ARGUMENT", SAFETY_MESSAGE))
    with pytest.raises(Rejected, match="usage guidelines"):
        veo.create(_clip())


def test_a_failed_operation_fails_and_a_filtered_one_is_refused(provider: tuple[FakeVeo, object]) -> None:
    fake, veo = provider
    fake.outcome = "error"
    assert veo.status(veo.create(_clip())).state == RemoteState.FAILED
    fake.outcome = "filtered"
    assert veo.status(veo.create(_clip())).state == RemoteState.REJECTED


def test_a_held_operation_is_running_until_released(provider: tuple[FakeVeo, object], tmp_path: Path) -> None:
    fake, veo = provider
    fake.hold = True
    job = veo.create(_clip())
    assert veo.status(job).state == RemoteState.RUNNING
    fake.release()
    veo.download(job, tmp_path / "clip.mp4")  # a job found done by an earlier run: the download asks again
    assert probe(tmp_path / "clip.mp4").duration == pytest.approx(4, abs=0.1)


def test_a_model_without_a_last_frame_is_sent_the_first_only(provider: tuple[FakeVeo, object]) -> None:
    fake, veo = provider
    veo.create(replace(_clip("veo-3.1-lite-generate-001"), seconds=(6,), last=_blank_png()))
    [body] = fake.created
    assert body["parameters"]["durationSeconds"] == 6
    assert "image" in body["instances"][0] and "lastFrame" not in body["instances"][0]


def test_a_refused_key_is_a_one_line_error_that_never_shows_the_key(veo_key: None) -> None:
    fake = FakeVeo("another key")
    try:
        veo = RENDERERS.get("veo")(RENDERERS.options("veo", {"base_url": fake.url})).provider()
        with pytest.raises(BackendError, match="HTTP 401") as refused:
            veo.create(_clip())
        assert SECRET not in str(refused.value) and "\n" not in str(refused.value)
    finally:
        fake.close()


def test_an_unreachable_server_is_worth_another_try(veo_key: None) -> None:
    fake = FakeVeo(SECRET)
    url = fake.url
    fake.close()
    veo = RENDERERS.get("veo")(RENDERERS.options("veo", {"base_url": url})).provider()
    with pytest.raises(Transient):
        veo.create(_clip())


def test_models_lengths_and_the_price_of_a_shot(veo_key: None) -> None:
    veo = RENDERERS.get("veo")
    options = RENDERERS.options("veo", {})
    assert veo.model_of(options) == "veo-3.1-fast-generate-001"
    assert veo.lengths("veo-3.1-lite-generate-001").create == (4, 6, 8)
    assert veo.lengths("veo-3.1-generate-001").extend == ()
    assert veo.price(options, 5.6).model_dump() == {"seconds": 6, "requests": 1, "usd": 0.6}
    assert veo.price(options, 11.0).model_dump() == {"seconds": 8, "requests": 1, "usd": 0.8}  # no extension: fitted
    assert veo.size("veo-3.1-generate-001", 256, 144) == (1280, 720)
    assert veo.size("veo-3.1-generate-001", 144, 256) == (720, 1280)
    assert veo.takes_last_frame("veo-3.1-generate-001") and not veo.takes_last_frame("veo-3.1-lite-generate-001")
    assert "does not know the model" in veo.preflight(RENDERERS.options("veo", {"model": "veo-2.0-generate-001"}))


# -- runs killed and edited (slow) ---------------------------------------------------------


def _cli(board: Path, fake: FakeVeo) -> list[str]:
    return [sys.executable, "-m", "storyagent", "render", str(board), "--renderer", "veo", "--base-url", fake.url,
            "--poll-seconds", "0.05", "--retry-seconds", "0.01", "--resolution", "256x144", "--fps", "12", "--jobs", "1"]


@pytest.mark.slow
def test_a_run_killed_while_polling_resumes_the_same_operation(tmp_path: Path, veo_key: None) -> None:
    fake = FakeVeo(SECRET)
    fake.hold = True
    board = write_board(tmp_path / "film", three_shot_board("veo"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    try:
        run = subprocess.Popen(_cli(board, fake), env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for(lambda: fake.count["poll"] >= 3, seconds=120)
        os.killpg(run.pid, signal.SIGKILL)  # the CLI and its shot workers, mid-poll
        run.wait()
        assert fake.count["create"] == 1
        fake.hold = False
        fake.release()
        again = subprocess.run(_cli(board, fake), env=env, capture_output=True, text=True, timeout=600,
                               check=False)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert fake.count["create"] == 3  # the killed run's operation was polled again, not asked for anew
        assert len({body["instances"][0]["prompt"] for body in fake.created}) == 3
        assert SECRET not in again.stdout + again.stderr
    finally:
        fake.close()


@pytest.mark.slow
def test_an_edit_of_one_shots_action_asks_veo_for_that_shot_only(tmp_path: Path, veo_key: None) -> None:
    fake = FakeVeo(SECRET)
    try:
        board = three_shot_board("veo")
        _film(tmp_path / "film", board, fake)
        board["scenes"][0]["shots"][1]["characters"][0]["action"] = "slides on its belly"
        _film(tmp_path / "film", board, fake)
        assert fake.count["create"] == 4
        assert "slides on its belly" in fake.created[-1]["instances"][0]["prompt"]
    finally:
        fake.close()
