"""`--renderer sora` against a loopback copy of OpenAI's videos API, through the real openai SDK.

What a director would notice: the film is made from Sora's clips at the film's size and length, a
long shot is one clip continued, each character is registered once per film and named in every
request it is in, a busy or failing server costs time but not the film, a refused shot keeps its
animatic, an edit asks again for that shot only, a run killed while it waits never pays twice, and
the API key is written nowhere."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from PIL import Image

from storyagent.errors import BackendError
from storyagent.media.video import probe
from storyagent.renderers.hosted.base import Clip, Rejected, Transient, plan_lengths
from storyagent.renderers.hosted.jobs import Ledger, RemoteState, jobs_of
from storyagent.renderers.hosted.sora import SoraRenderer
from storyagent.run.film import render
from tests.helpers.cli import storyagent
from tests.helpers.fake_sora import FakeSora, error, server_error, too_many
from tests.helpers.hosted import SECRET, three_shot_board, wait_for, write_board

# The SDK marks every videos call deprecated (OpenAI's shutdown notice); the README says so once.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")
FAST = {"poll_seconds": 0.01, "retry_seconds": 0.01}
SIZE = {"width": 256, "height": 144, "fps": 12, "jobs": 1}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    server = FakeSora()
    yield server
    server.close()


def film(folder: Path, fake: FakeSora, board: dict | None = None, **options) -> Path:
    """Render `board` (else the folder's storyboard, else the three-shot one) with Sora at 256x144."""
    if board is not None or not (folder / "storyboard.json").exists():
        write_board(folder, board or three_shot_board("sora"))
    return render(folder / "storyboard.json", progress=None, renderer="sora",
                  renderer_options={"base_url": fake.base_url, **FAST, **options}, **SIZE).film


def assert_no_key(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the API key is written in {path}"


def by_shot(folder: Path) -> dict[str, list]:
    rows: dict[str, list] = {}
    for row in jobs_of(folder):
        rows.setdefault(row.shot_id, []).append(row)
    return rows


# -- the film -----------------------------------------------------------------------------


def test_a_film_from_sora_clips_a_long_shot_continued_characters_registered_once_and_an_edit_asked_again(fake, tmp_path):
    board = three_shot_board("sora")
    board["scenes"][0]["shots"][2]["camera"]["duration"] = 14.0  # longer than one request's 12 s
    made = film(tmp_path, fake, board)

    info = probe(made)
    timeline = json.loads((tmp_path / "timeline.json").read_text())
    assert (info.width, info.height) == (256, 144)
    assert info.duration == pytest.approx(timeline["duration"], abs=0.15)
    assert fake.count["create"] == 3 and fake.count["extend"] == 1
    rows = by_shot(tmp_path)
    assert [(row.step, row.seconds, row.state) for row in rows["hug"]] == [(0, 12, "done"), (1, 4, "done")]
    assert [row.state for row in rows["walk"] + rows["wave"]] == ["done", "done"]

    # What went over the wire, as OpenAI's API takes it.
    characters = {one["name"]: one for one in fake.sent if one["route"] == "character"}
    assert sorted(characters) == ["Nanuk", "Pip"], "each character is registered once"
    assert all(one["video"]["content_type"] == "video/mp4" for one in characters.values())
    ids = {c["name"]: cid for cid, c in fake.characters.items()}
    for create in (one for one in fake.sent if one["route"] == "create"):
        assert (create["model"], create["size"]) == ("sora-2", "1280x720")
        reference = create["input_reference"]
        assert (reference["filename"], reference["content_type"]) == ("keyframe.png", "image/png")
        assert Image.open(io.BytesIO(reference["data"])).size == (1280, 720)
        named = sorted((name for name in ids if name in create["prompt"]), key=create["prompt"].index)
        assert named and create["characters"] == [ids[name] for name in named], "a request names its characters"
    hug = next(one for one in fake.sent if one["route"] == "create" and "hug" in one["prompt"])
    assert hug["seconds"] == "12" and "Nanuk" in hug["prompt"] and "Pip" in hug["prompt"]
    assert {one["seconds"] for one in fake.sent if one["route"] == "create" and one is not hug} == {"4"}
    extension = next(one for one in fake.sent if one["route"] == "extend")
    assert (extension["video"], extension["seconds"], extension["prompt"]) == (rows["hug"][0].job_id, "4", hug["prompt"])
    assert_no_key(tmp_path)

    # The director changes what Pip does: that shot, and no other, is asked for again.
    edited = json.loads((tmp_path / "storyboard.json").read_text())
    edited["scenes"][0]["shots"][1]["characters"][0]["action"] = "slides on its belly"
    (tmp_path / "storyboard.json").write_text(json.dumps(edited, indent=2))
    film(tmp_path, fake)
    assert fake.creates("slides on its belly") == 1
    assert (fake.count["create"], fake.count["extend"]) == (4, 1), "only the edited shot was asked for again"
    assert fake.creates("walks across the ice") == fake.creates("waves a flipper") == fake.creates("hug") == 1
    assert fake.count["character"] == 2, "a character was registered again"


def test_a_busy_server_a_short_clip_and_refused_shots_still_make_the_film(fake, tmp_path):
    fake.misbehave("create", too_many(retry_after="1"))  # 429: wait as told, then again
    fake.misbehave("retrieve", server_error(), server_error())  # 500 twice, then the answer
    fake.short_by = 1.0  # every clip a second short of what was asked
    fake.refuse = {"waves a flipper": "job", "hug": "create"}  # moderation fails the job / refuses the request
    made = film(tmp_path, fake)

    assert made.is_file()
    timeline = json.loads((tmp_path / "timeline.json").read_text())
    assert probe(made).duration == pytest.approx(timeline["duration"], abs=0.15)
    first, second = fake.times["create"][:2]
    assert second - first >= 1.0, "Retry-After was not honoured"
    assert fake.count["create"] == 4, "three shots and one 429"
    rows = by_shot(tmp_path)
    assert {shot: [row.state for row in shot_rows] for shot, shot_rows in rows.items()} == {
        "walk": ["done"], "wave": ["rejected"], "hug": ["rejected"]}, "a refused shot keeps its animatic"
    assert "moderation" in rows["wave"][0].detail and "moderation" in rows["hug"][0].detail
    assert "fitted to the shot" in rows["walk"][0].detail, "the short clip was not noted"
    assert_no_key(tmp_path)


def test_max_cost_under_the_estimate_refuses_before_any_request(fake, tmp_path):
    with pytest.raises(BackendError, match=r"would cost \$1\.20 \(3 shots to ask sora for\), over --max-cost \$1\.00"):
        film(tmp_path, fake, max_cost=1.0)  # 3 shots of 4 s of sora-2: $1.20
    assert sum(fake.count.values()) == 0, "a request (or a character) was sent over the budget"
    assert not (tmp_path / "film.mp4").exists()


def test_the_request_that_would_cross_the_budget_is_not_sent(fake, tmp_path):
    """The estimate fits, but the shots came out longer than planned: the ledger stops the crossing request."""
    write_board(tmp_path, three_shot_board("sora"))
    Ledger(tmp_path).open_budget(0.05)  # the first request (4 s of sora-2) costs $0.40
    from storyagent.renderers.base import ShotJob
    from storyagent.renderers.hosted.base import HostedOptions
    from storyagent.renderers.hosted.sora import SoraRenderer
    from storyagent.storyboard import Storyboard

    board = Storyboard.load(tmp_path / "storyboard.json")
    job = ShotJob(board=board, shot_id="walk", frames=24, width=256, height=144, fps=12, film_dir=tmp_path,
                  cast_dir=tmp_path / "cast", key="k")
    with pytest.raises(BackendError, match="max-cost"):
        list(SoraRenderer(HostedOptions(base_url=fake.base_url, **FAST)).frames(job))
    assert fake.count["create"] == 0


# -- the provider's calls, one by one --------------------------------------------------------


def clip(**changes: object) -> Clip:
    png = io.BytesIO()
    Image.new("RGB", (1280, 720), "skyblue").save(png, format="PNG")
    fields = {"shot_id": "s1", "model": "sora-2", "prompt": "Nanuk walks.", "seconds": (4,), "width": 1280,
              "height": 720, "seed": 1, "first": png.getvalue()}
    return Clip(**{**fields, **changes})


def test_the_provider_sorts_the_apis_errors(fake):
    api = SoraRenderer(SoraRenderer.Options(base_url=fake.base_url)).connect(SECRET)
    fake.misbehave("create", too_many(retry_after="7"))
    with pytest.raises(Transient) as busy:
        api.create(clip())
    assert busy.value.retry_after == 7
    fake.misbehave("create", error(429, "Slow down.", "requests", "rate_limit_exceeded", headers={"Retry-After-Ms": "1500"}))
    with pytest.raises(Transient) as busy:
        api.create(clip())
    assert busy.value.retry_after == 1.5
    fake.misbehave("create", server_error())
    with pytest.raises(Transient):
        api.create(clip())
    fake.refuse = {"walks": "create"}
    with pytest.raises(Rejected, match="moderation"):
        api.create(clip())
    with pytest.raises(BackendError, match="seconds"):
        api.create(clip(seconds=(5,), prompt="Pip waves."))
    fake.misbehave("create", error(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"))
    with pytest.raises(BackendError, match="quota"):
        api.create(clip(prompt="Pip waves."))
    assert api.status("video_404").state == RemoteState.FAILED, "a video gone is asked for anew"


def test_a_refused_key_is_one_line_that_never_shows_the_key(fake):
    api = SoraRenderer(SoraRenderer.Options(base_url=fake.base_url)).connect("sk-wrong-" + SECRET)
    with pytest.raises(BackendError) as refused:
        api.create(clip())
    message = str(refused.value)
    assert "OPENAI_API_KEY was refused (401 invalid_api_key)" in message and "\n" not in message
    assert SECRET not in message


def test_sizes_and_lengths():
    assert SoraRenderer.size("sora-2", 1920, 1080) == (1280, 720)
    assert SoraRenderer.size("sora-2-pro", 640, 480) == (1280, 720)
    assert SoraRenderer.size("sora-2", 1080, 1920) == (720, 1280)
    lengths = SoraRenderer.lengths("sora-2-pro")
    assert [plan_lengths(lengths, s) for s in (2.0, 5.6, 12.0, 14.0, 30.0)] == [(4,), (8,), (12,), (12, 4), (12, 20)]
    with pytest.raises(BackendError, match="sora-2 or sora-2-pro"):
        SoraRenderer.lengths("sora-1")
    assert SoraRenderer.price(SoraRenderer.Options(), 5.6).usd == pytest.approx(0.8)
    assert SoraRenderer.price(SoraRenderer.Options(model="sora-2-pro"), 14.0).usd == pytest.approx(4.8)


# -- a run killed while it waits -----------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_while_polling_resumes_the_same_jobs_and_pays_for_nothing_twice(fake, tmp_path):
    board = write_board(tmp_path, three_shot_board("sora"))
    args = ["render", str(board), "--renderer", "sora", "--base-url", fake.base_url, "--poll-seconds", "0.05",
            "--retry-seconds", "0.01", "--resolution", "256x144", "--fps", "12", "--jobs", "3", "--log-json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"OPENAI_API_KEY": SECRET}
    fake.hold()  # every job stays in_progress
    with open(tmp_path / "first.log", "wb") as log:
        run = subprocess.Popen([sys.executable, "-m", "storyagent", *args], env=env, stdout=log, stderr=log)

        def waiting_on_every_shot() -> bool:
            assert run.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            return fake.count["create"] == 3 and len(fake.polls) == 3

        try:
            wait_for(waiting_on_every_shot, seconds=120)
        finally:
            workers = psutil.Process(run.pid).children(recursive=True)
            os.kill(run.pid, signal.SIGKILL)
            run.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)  # the shot workers see their run gone and stop
    assert not alive, "a shot worker outlived its killed run"
    assert fake.count["create"] == 3 and fake.count["character"] == 2
    assert sorted(row.job_id for row in jobs_of(tmp_path)) == sorted(fake.polls), "a job id was not kept"
    fake.release()

    again = storyagent(*args, env={"OPENAI_API_KEY": SECRET}, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (tmp_path / "film.mp4").is_file()
    assert fake.count["create"] == 3, "a job was created again after the kill"
    assert fake.count["character"] == 2, "a character was registered again after the kill"
    assert [row.state for row in jobs_of(tmp_path)] == ["done"] * 3
    assert SECRET not in again.stdout + again.stderr
    assert SECRET.encode() not in (tmp_path / "first.log").read_bytes()
    assert_no_key(tmp_path)
