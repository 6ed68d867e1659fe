"""Runtime faults and signals: broken state files in a film folder, a broken catalogue database,
an LLM server that answers wrongly or never, signals to a run, workers that die or outlive their
parent, broken plug-ins. Each ends in one line and a non-zero exit (or a repaired run), never a
traceback, a hang or an orphan process."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from storyagent.run import film
from tests.helpers.cli import storyagent
from tests.helpers.examples import SOUTH
from tests.test_graph import Recorder

PREMISE = "polar bear visits penguins"


def one_line_error(result, *words: str) -> None:
    """The run failed with one red line that names `words`, and no traceback."""
    assert result.returncode not in (0, None), result.stdout[-500:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]


def storyboard_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    folder.mkdir()
    shutil.copy(SOUTH, folder / "storyboard.json")
    return folder


# -- the run's own state files ----------------------------------------------------------------


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def cut_short(path: Path) -> None:
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 3)


def rows_that_do_not_decode(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = ?", (b"\xc1\xff" * 50,))


def rows_of_something_else(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = ?", (b"\x2a",))  # msgpack for 42


def tables_of_another_version(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript("DROP TABLE writes; CREATE TABLE writes (x)")


@pytest.mark.parametrize("corrupt", [garbage, cut_short, rows_that_do_not_decode, rows_of_something_else,
                                     tables_of_another_version])
def test_an_unreadable_checkpoint_file_is_set_aside_and_the_run_starts_afresh(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corrupt) -> None:
    rec = Recorder(monkeypatch, fail_once="edit")
    with pytest.raises(Exception):
        film.make(PREMISE, tmp_path / "f")
    checkpoints = tmp_path / "f" / ".storyagent" / "checkpoints.sqlite"
    corrupt(checkpoints)
    events: list[dict] = []
    result = film.make(PREMISE, tmp_path / "f", progress=events.append)
    assert result.film is not None and "export" in rec.calls
    notices = [e["message"] for e in events if e.get("event") == "notice"]
    assert len(notices) == 1 and "checkpoints.sqlite" in notices[0] and "afresh" in notices[0]
    assert (checkpoints.parent / "checkpoints.sqlite.broken").is_file(), "the unreadable file was not kept"
    rec.calls.clear()
    film.make(PREMISE, tmp_path / "f")
    assert rec.calls == [], "the fresh checkpoints did not record the finished run"


def test_an_unreadable_catalogue_is_set_aside_by_a_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    Recorder(monkeypatch)
    (tmp_path / "f" / ".storyagent").mkdir(parents=True)
    garbage(tmp_path / "f" / ".storyagent" / "catalogue.sqlite")
    events: list[dict] = []
    film.make(PREMISE, tmp_path / "f", progress=events.append)
    assert any("catalogue.sqlite" in e.get("message", "") for e in events)
    assert (tmp_path / "f" / ".storyagent" / "catalogue.sqlite.broken").read_bytes().startswith(b"this is not")
    from storyagent.run import catalogue

    assert [run.status for run in catalogue.runs(tmp_path / "f")] == ["done"]


@pytest.mark.parametrize("command", ["status", "history"])
def test_status_and_history_of_an_unreadable_catalogue_are_one_line(tmp_path: Path, command: str) -> None:
    folder = storyboard_folder(tmp_path)
    (folder / ".storyagent").mkdir()
    garbage(folder / ".storyagent" / "catalogue.sqlite")
    one_line_error(storyagent(command, str(folder)), "catalogue.sqlite", "not a database")
    assert (folder / ".storyagent" / "catalogue.sqlite").read_bytes().startswith(b"this is not"), "a look changed it"


@pytest.mark.parametrize("content", [b'{"fps": 24', b"[]", b"\xff\xfe" * 100, b'{"fps": 24}'])
def test_status_with_an_unreadable_timeline_is_one_line(tmp_path: Path, content: bytes) -> None:
    folder = storyboard_folder(tmp_path)
    (folder / "timeline.json").write_bytes(content)
    one_line_error(storyagent("status", str(folder)), "timeline.json", "storyagent render")


@pytest.mark.parametrize(("url", "words"), [
    ("garbage", ["STORYAGENT_DATABASE_URL", "not a database URL"]),
    ("postgresql+psycopg://user:secret@localhost/films", ["postgresql", "driver is not installed"]),
    ("mysql+nosuchdriver://user@localhost/films", ["STORYAGENT_DATABASE_URL"]),
    ("sqlite:////nonexistent-folder/films.db", ["unable to open"]),
])
def test_a_wrong_database_url_is_one_line(tmp_path: Path, url: str, words: list[str]) -> None:
    folder = storyboard_folder(tmp_path)
    for command in ("history", "status"):
        result = storyagent(command, str(folder), env={"STORYAGENT_DATABASE_URL": url})
        one_line_error(result, *words)
        assert "secret" not in result.stderr


def test_a_run_with_a_wrong_database_url_stops_before_any_work(tmp_path: Path) -> None:
    folder = storyboard_folder(tmp_path)
    result = storyagent("render", str(folder / "storyboard.json"), env={"STORYAGENT_DATABASE_URL": "garbage"})
    one_line_error(result, "STORYAGENT_DATABASE_URL")
    assert not (folder / "voice").exists() and not (folder / "cast").exists()
