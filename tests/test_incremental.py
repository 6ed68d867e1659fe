"""Directors iterate: an edit re-renders only what it touched, a run killed
with SIGKILL finishes on the next try with the same film, and two runs never
share a folder."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyagent import cache
from storyagent.media.video import probe
from storyagent.run import catalogue
from storyagent.run.film import slug
from storyagent.storyboard import Storyboard
from tests.helpers.cli import storyagent

PREMISE = "a penguin meets a seal"
SMALL = ["--resolution", "320x180", "--fps", "12", "--jobs", "2"]


def film_digest(film: Path) -> tuple[str, str]:
    """Hashes of the decoded picture and sound: equal films look and sound the same."""
    from imageio_ffmpeg import get_ffmpeg_exe

    def decoded(*args: str) -> str:
        raw = subprocess.run([get_ffmpeg_exe(), "-v", "error", "-i", str(film), *args, "-"],
                             capture_output=True, check=True).stdout
        return hashlib.sha256(raw).hexdigest()

    return decoded("-map", "0:v", "-f", "rawvideo", "-pix_fmt", "rgb24"), decoded("-map", "0:a", "-f", "s16le")


def built(film_dir: Path, kind: str) -> set[str]:
    """Names of the artifacts of `kind` the latest run built (not reused)."""
    last = catalogue.runs(film_dir)[-1]
    return {a.name for a in catalogue.artifacts(film_dir, last.id) if a.kind == kind and a.action == "built"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "film"
    result = storyagent("make", PREMISE, "-o", str(out), "--duration", "12", *SMALL, "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_editing_one_line_rebuilds_only_that_line_and_what_follows(reference: Path, tmp_path: Path) -> None:
    film_dir = tmp_path / "film"
    subprocess.run(["cp", "-a", str(reference), str(film_dir)], check=True)
    path = film_dir / "storyboard.json"
    board = Storyboard.load(path)
    shot = next(s for s in board.shots() if s.lines)
    shot.lines[0].text = "Nobody expected what happened next."
    board.save(path)

    result = storyagent("render", str(path), *SMALL, "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    assert built(film_dir, "voice") == {f"{shot.id}:0"}
    assert built(film_dir, "shot") <= {shot.id}, "shots whose picture did not change were rendered again"
    assert (film_dir / "storyboard.v1.json").exists() is False  # the director's save is the current file


def test_invalid_edit_changes_nothing(reference: Path, tmp_path: Path) -> None:
    film_dir = tmp_path / "film"
    subprocess.run(["cp", "-a", str(reference), str(film_dir)], check=True)
    path = film_dir / "storyboard.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["scenes"][0]["shots"][0]["camera"]["size"] = "enormous"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in film_dir.rglob("*") if p.is_file()}
    result = storyagent("render", str(path), *SMALL)
    assert result.returncode == 2 and "camera.size" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.stat().st_mtime_ns for p in film_dir.rglob("*") if p.is_file()} == before


def kill_when(out: Path | None, stage_event: tuple[str, str], extra: list[str], cwd: Path | None = None) -> None:
    """Start a make (into `out`, or a folder named after the title) and SIGKILL it when the
    given (stage, event) shows in its JSON log."""
    process = subprocess.Popen(
        [sys.executable, "-m", "storyagent", "make", PREMISE, *(["-o", str(out)] if out else []), "--duration", "12",
         *SMALL, "--log-json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True, cwd=cwd,
    )
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if (event.get("stage"), event.get("event")) == stage_event:
            time.sleep(0.3)  # let the stage get properly under way
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"


@pytest.mark.parametrize(
    "stage_event",
    [
        ("render", "shot"),
        pytest.param(("sound", "start"), marks=pytest.mark.slow),
        pytest.param(("edit", "start"), marks=pytest.mark.slow),
    ],
    ids=lambda e: f"{e[0]}-{e[1]}",
)
def test_a_killed_run_resumes_to_the_same_film(reference: Path, tmp_path: Path, stage_event: tuple[str, str]) -> None:
    out = tmp_path / "film"
    kill_when(out, stage_event, ["--jobs", "1"])
    assert not (out / "film.mp4").exists()
    finished_before = {p.name for p in (out / "shots").glob("*.mp4")}

    result = storyagent("make", PREMISE, "-o", str(out), "--duration", "12", *SMALL, "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    assert film_digest(out / "film.mp4") == film_digest(reference / "film.mp4")
    runs = catalogue.runs(out)
    rebuilt = {Path(a.path).name for a in catalogue.artifacts(out, runs[-1].id) if a.kind == "shot" and a.action == "built"}
    assert rebuilt.isdisjoint(finished_before), f"finished shots rendered again: {rebuilt & finished_before}"
    assert not [p for p in out.rglob("*") if cache.is_partial(p)], "the killed run's half-written files were not cleared"
    assert not (out / ".storyagent" / "scratch").exists()
    for clip in (out / "shots").glob("*.mp4"):
        assert probe(clip).video.frames, f"{clip.name} is not a whole clip"


def test_a_second_run_on_the_same_folder_is_refused(reference: Path, tmp_path: Path) -> None:
    from storyagent.run.film import _locked

    with _locked(reference):
        result = storyagent("render", str(reference / "storyboard.json"), *SMALL)
    assert result.returncode != 0 and "another storyagent run" in result.stderr


def test_a_make_without_a_folder_killed_after_planning_resumes_without_planning_again(
        reference: Path, tmp_path: Path) -> None:
    kill_when(None, ("cast", "start"), [], cwd=tmp_path)
    [film_dir] = [p for p in tmp_path.iterdir()]
    assert film_dir.name == slug(Storyboard.load(reference / "storyboard.json").title)

    result = storyagent("make", PREMISE, "--duration", "12", *SMALL, "--log-json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert not [e for e in events if e.get("stage") == "plan"], "the plan was made again"
    assert [p.name for p in tmp_path.iterdir()] == [film_dir.name]
    assert film_digest(film_dir / "film.mp4") == film_digest(reference / "film.mp4")


def test_a_moved_and_a_copied_folder_render_where_they_are_now(reference: Path, tmp_path: Path) -> None:
    """Issue 12 O1 and O2: nothing is written to the old place, and nothing is rendered twice."""
    subprocess.run(["cp", "-a", str(reference), str(tmp_path / "a")], check=True)
    subprocess.run(["mv", str(tmp_path / "a"), str(tmp_path / "b")], check=True)
    subprocess.run(["cp", "-a", str(tmp_path / "b"), str(tmp_path / "c")], check=True)
    (tmp_path / "c" / "film.mp4").unlink()
    for name in ("b", "c"):
        board = tmp_path / name / "storyboard.json"
        result = storyagent("render", str(board), "--log-json")  # no options: the film's own (320x180, 12 fps)
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout.splitlines()[-1])["film"] == str(tmp_path / name / "film.mp4")
        assert built(tmp_path / name, "shot") == set() and built(tmp_path / name, "voice") == set()
        assert film_digest(tmp_path / name / "film.mp4") == film_digest(reference / "film.mp4")
    assert not (tmp_path / "a").exists()


def test_status_shows_a_film_made_with_other_options_as_current(reference: Path) -> None:
    result = storyagent("status", str(reference))
    assert result.returncode == 0 and "stale" not in result.stdout and "not rendered" not in result.stdout
