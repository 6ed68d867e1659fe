"""The pipeline's wiring: stages run in the order of the data flow, shots fan
out and join before the edit, a crashed run resumes without redoing finished
stages, and a folder is never used by two runs at once. The stage functions
are replaced by recorders here; the end-to-end test runs the real ones."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storyagent.errors import BusyError, PremiseError, RenderError
from storyagent.run import film, stages
from storyagent.storyboard import Storyboard
from storyagent.timeline import build_timeline
from tests.helpers.examples import SOUTH


class Recorder:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_once: str | None = None) -> None:
        self.calls: list[str] = []
        self.ever: set[str] = set()
        self.fail_once = fail_once
        self.lock = threading.Lock()
        board = Storyboard.load(SOUTH)
        patches = {
            "plan_stage": lambda premise, options: self.record("plan", board),
            "cast_stage": lambda b, d, o: self.record("cast", b, save=d),
            "voice_stage": lambda b, d, o, run_id=None: self.record("voice", []),
            "time_stage": lambda b, spoken, d, o: self.record("time", build_timeline(b, spoken)),
            "render_stage": lambda b, t, shot_id, d, o, run_id=None: self.record(f"render:{shot_id}", (d / f"{shot_id}.mp4", 0.0)),
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
        (film_dir / "film.mp4").write_bytes(b"")
        return film_dir / "film.mp4"


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
    assert film.free_folder(tmp_path / "x", "a premise") == tmp_path / "x-2"
