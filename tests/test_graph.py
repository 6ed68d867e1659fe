"""The pipeline's wiring: stages run in the order of the data flow, shots fan
out and join before the edit, a crashed run resumes without redoing finished
stages, and a folder is never used by two runs at once. The stage functions
are replaced by recorders here; the end-to-end test runs the real ones."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storyagent import cache
from storyagent.errors import BusyError, PremiseError, RenderError
from storyagent.run import film, stages
from storyagent.storyboard import Storyboard
from storyagent.timeline import build_timeline
from tests.helpers.examples import SOUTH


def made(path: Path) -> Path:
    """A stand-in artifact, sealed as a finished one is."""
    path.write_bytes(b"made")
    cache.seal(path)
    return path


class Recorder:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_once: str | None = None) -> None:
        self.calls: list[str] = []
        self.ever: set[str] = set()
        self.fail_once = fail_once
        self.lock = threading.Lock()
        board = Storyboard.load(SOUTH)
        patches = {
            "plan_stage": lambda premise, options: self.record("plan", board),
            "cast_stage": lambda b, d, o, seen=None: self.record("cast", b, save=d),
            "voice_stage": lambda b, d, o, run_id=None: self.record("voice", []),
            "time_stage": lambda b, spoken, d, o: self.record("time", build_timeline(b, spoken)),
            "render_stage": lambda b, t, shot_id, d, o, run_id=None, report=None: self.record(f"render:{shot_id}", (made(d / f"{shot_id}.mp4"), 0.0)),
            "sound_stage": lambda b, t, d, o: self.record("sound", {"mix": d / "mix.wav"}),
            "edit_stage": lambda b, t, clips, mix, d, o, progress=None: self.record("edit", self.check_edit(clips, t, d)),
            "export_stage": lambda b, t, state, d, o: self.record("export", {}),
        }
        for name, fn in patches.items():
            monkeypatch.setattr(stages, name, fn)

    def record(self, name: str, result, save: Path | None = None):
        with self.lock:
            self.calls.append(name)
            self.ever.add(name)
        if name == self.fail_once:
            self.fail_once = None
            raise RenderError(f"{name} failed")
        if save is not None:
            stages.save_storyboard(result, save)
        return result

    def check_edit(self, clips: dict, timeline, film_dir: Path) -> Path:
        assert set(clips) == {s.shot_id for s in timeline.shots}, "edit ran before every shot was rendered"
        assert "sound" in self.ever, "edit ran before the mix"
        return made(film_dir / "film.mp4")


def test_stages_run_in_data_flow_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rec = Recorder(monkeypatch)
    result = film.make("polar bear visits penguins", tmp_path / "f")
    assert rec.calls[:4] == ["plan", "cast", "voice", "time"]
    middle = rec.calls[4:-2]
    assert sorted(middle) == sorted(["sound", *[f"render:{s.id}" for s in Storyboard.load(SOUTH).shots()]])
    assert rec.calls[-2:] == ["edit", "export"]
    assert result.film == (tmp_path / "f" / "film.mp4").resolve()
    assert (tmp_path / "f" / "storyboard.json").is_file()


def test_a_crashed_run_resumes_where_it_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rec = Recorder(monkeypatch, fail_once="edit")
    with pytest.raises(RenderError):
        film.make("polar bear visits penguins", tmp_path / "f")
    first = list(rec.calls)
    rec.calls.clear()
    film.make("polar bear visits penguins", tmp_path / "f")
    assert rec.calls == ["edit", "export"], f"finished stages ran again: {rec.calls} after {first}"


def test_a_resumed_run_counts_the_shots_it_still_has_to_render(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    failing = Storyboard.load(SOUTH).shots()[0].id
    Recorder(monkeypatch, fail_once=f"render:{failing}")
    with pytest.raises(RenderError):
        film.make("polar bear visits penguins", tmp_path / "f", jobs=1)
    events: list[dict] = []
    film.make("polar bear visits penguins", tmp_path / "f", jobs=1, progress=events.append)
    totals = [event["total"] for event in events if event.get("stage") == "render" and event.get("event") == "total"]
    shots = [event for event in events if event.get("stage") == "render" and event.get("event") == "shot"]
    assert totals == [len(shots)] and shots, f"the bar counts {totals} for {len(shots)} shots rendered on resume"


def test_an_unchanged_finished_film_is_not_made_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rec = Recorder(monkeypatch)
    film.make("polar bear visits penguins", tmp_path / "f")
    rec.calls.clear()
    film.make("polar bear visits penguins", tmp_path / "f", jobs=1)
    assert rec.calls == []


def test_review_stops_before_the_voices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rec = Recorder(monkeypatch)
    result = film.make("polar bear visits penguins", tmp_path / "f", review=True)
    assert result.stopped_for_review and result.film is None
    assert rec.calls == ["plan", "cast"]


def test_render_after_an_edit_keeps_the_previous_storyboard(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    Recorder(monkeypatch)
    film.make("polar bear visits penguins", tmp_path / "f")
    path = tmp_path / "f" / "storyboard.json"
    board = Storyboard.load(path)
    original = path.read_text(encoding="utf-8")
    board.scenes[0].shots[0].lines[0].text = "Far, far in the north lived a bear."
    board.save(path)
    film.render(path)
    assert (tmp_path / "f" / "storyboard.json").read_text(encoding="utf-8") == board.to_json()
    kept = tmp_path / "f" / "storyboard.v1.json"
    assert not kept.exists() or kept.read_text(encoding="utf-8") == original


def test_a_busy_folder_is_refused(tmp_path: Path) -> None:
    with film._locked(tmp_path):
        with pytest.raises(BusyError, match="another storyagent run"):
            with film._locked(tmp_path):
                pass


def test_empty_premise_is_refused() -> None:
    with pytest.raises(PremiseError):
        film.make("  \n ")


def test_folder_names_come_from_titles(tmp_path: Path) -> None:
    assert film.slug("All the Way South!") == "all-the-way-south"
    assert film.slug("一路向南") == "一路向南"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "other").write_text("")
    assert film.free_folder(tmp_path / "x") == tmp_path / "x-2"
    (tmp_path / "y").mkdir()
    assert film.free_folder(tmp_path / "y") == tmp_path / "y"


def test_a_make_without_a_folder_killed_after_planning_resumes_without_planning_again(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    rec = Recorder(monkeypatch, fail_once="cast")
    with pytest.raises(RenderError):
        film.make("polar bear visits penguins")
    assert rec.calls == ["plan", "cast"]
    rec.calls.clear()
    result = film.make("polar bear visits penguins")
    assert "plan" not in rec.calls and rec.calls[0] == "cast"
    assert result.film_dir == tmp_path / film.slug(Storyboard.load(SOUTH).title)
    assert result.film == result.film_dir / "film.mp4" and result.film.exists()
    assert [p.name for p in tmp_path.iterdir()] == [result.film_dir.name], "the planning folder was left behind"


def test_a_finished_make_without_a_folder_is_found_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    rec = Recorder(monkeypatch)
    first = film.make("polar bear visits penguins")
    rec.calls.clear()
    assert film.make("polar bear visits penguins").film_dir == first.film_dir
    assert rec.calls == []
    other = film.make("polar bear visits penguins", seed=7)  # another film with the same title: beside it, not over it
    assert other.film_dir == first.film_dir.with_name(first.film_dir.name + "-2")


def test_the_clean_up_after_a_crash_keeps_the_users_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 12 L1: files that only look like leftovers survive a run in their folder."""
    Recorder(monkeypatch)
    folder = tmp_path / "d"
    (folder / "notes").mkdir(parents=True)
    (folder / ".mix-old").mkdir()
    (folder / "notes" / ".thesis.partial.txt").write_text("x")
    (folder / ".mix-old" / "take.wav").write_text("x")
    film.make("a fox looks for its lost kite", folder)
    assert (folder / "notes" / ".thesis.partial.txt").read_text() == "x"
    assert (folder / ".mix-old" / "take.wav").read_text() == "x"


def test_a_moved_folder_carries_on_where_it_is_now(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 12 O1: the checkpoint holds no absolute path, so the run never goes back to the old place."""
    rec = Recorder(monkeypatch, fail_once="edit")
    with pytest.raises(RenderError):
        film.make("polar bear visits penguins", tmp_path / "a")
    (tmp_path / "a").rename(tmp_path / "b")
    rec.calls.clear()
    result = film.make("polar bear visits penguins", tmp_path / "b")
    assert rec.calls == ["edit", "export"]
    assert result.film == tmp_path / "b" / "film.mp4" and result.film.exists()
    assert not (tmp_path / "a").exists()


def test_a_copied_folder_makes_its_own_film(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 12 O2: a copy without its film.mp4 gets one of its own, not a pointer to the original's."""
    import shutil

    rec = Recorder(monkeypatch)
    film.render(SOUTH, tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b", symlinks=True)
    (tmp_path / "b" / "film.mp4").unlink()
    rec.calls.clear()
    result = film.render(tmp_path / "b" / "storyboard.json")
    assert result.film == tmp_path / "b" / "film.mp4" and result.film.exists()
    assert "edit" in rec.calls


def test_a_render_keeps_the_options_the_film_was_made_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[int | None, int]] = []
    Recorder(monkeypatch)
    recorded_time = stages.time_stage
    monkeypatch.setattr(stages, "time_stage", lambda b, spoken, d, o: (seen.append((o.fps, o.seed)),
                                                                      recorded_time(b, spoken, d, o))[1])
    film.make("polar bear visits penguins", tmp_path / "f", fps=12, seed=3, jobs=1)
    film.render(tmp_path / "f" / "storyboard.json")  # no options: the film's own
    film.render(tmp_path / "f" / "storyboard.json", fps=15)  # a new option replaces the stored one, and is kept
    assert seen == [(12, 3), (12, 3), (15, 3)]
    seen.clear()
    film.render(tmp_path / "f" / "storyboard.json")  # made at 15 now: up to date
    assert seen == [] and film.stored_options(tmp_path / "f")["fps"] == 15


def test_status_computes_keys_with_the_films_own_options(tmp_path: Path) -> None:
    from storyagent.run.options import RunOptions
    from storyagent.run.status import shot_statuses

    board = Storyboard.load(SOUTH)
    timeline = build_timeline(board, [])
    stages.save_storyboard(board, tmp_path)
    (tmp_path / "timeline.json").write_text(timeline.model_dump_json())
    made_with = RunOptions(renderer="dit", renderer_options={"model": "/models/wan", "steps": 3}, fps=12)
    (tmp_path / ".storyagent").mkdir()
    (tmp_path / ".storyagent" / "options.json").write_text(made_with.model_dump_json())
    (tmp_path / "shots").mkdir()
    for shot in board.shots():
        made(tmp_path / "shots" / f"{shot.id}.{stages.shot_key(board, timeline, shot.id, made_with, tmp_path)}.mp4")
    assert {item.state for item in shot_statuses(tmp_path)} == {"current"}
