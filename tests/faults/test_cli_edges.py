"""The command line at its edges: inputs that are not files, folders that hold no film, output cut short."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import storyagent
from tests.helpers.examples import SOUTH


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode not in (0, None) and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-2000:]
    assert all(word in lines[0] for word in words), lines[0]


@pytest.mark.parametrize("command", ["validate", "lint", "render"])
def test_a_pipe_given_as_a_storyboard_is_refused_at_once(command: str, tmp_path: Path) -> None:
    pipe = tmp_path / "storyboard.json"
    os.mkfifo(pipe)
    one_line_error(storyagent(command, str(pipe), timeout=30), "not a regular file")


@pytest.mark.parametrize("command", ["status", "history"])
def test_a_folder_without_a_film_is_named(command: str, tmp_path: Path) -> None:
    one_line_error(storyagent(command, str(tmp_path / "nowhere")), "nowhere")
    one_line_error(storyagent(command, str(tmp_path)), "no storyboard.json")


def test_render_shot_names_an_unknown_shot_and_the_nearest(tmp_path: Path) -> None:
    one_line_error(storyagent("render-shot", str(SOUTH), "nort-2", "-o", str(tmp_path / "x.mp4")),
                   "unknown shot 'nort-2'", "north-2")


def test_output_cut_short_by_a_closed_pipe_is_no_traceback() -> None:
    reader = subprocess.Popen([sys.executable, "-m", "storyagent", "schema"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    reader.stdout.read(10)
    reader.stdout.close()
    _, err = reader.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()[-2000:]
