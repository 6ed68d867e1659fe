"""Fixtures shared by several test modules."""

from __future__ import annotations

import json
import shutil

import pytest

from storyagent.storyboard import Storyboard
from tests.helpers.examples import SOUTH


@pytest.fixture
def example_board() -> Storyboard:
    """The English example storyboard, fresh for each test (tests may edit it)."""
    return Storyboard.load(SOUTH)


@pytest.fixture
def no_ffprobe(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ffprobe` is not on PATH, as for a user who installed with pip only."""
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda cmd, *args, **kwargs: None if cmd == "ffprobe" else which(cmd, *args, **kwargs))


@pytest.fixture
def example() -> dict:
    """The English example storyboard as the JSON a user edits, fresh for each test."""
    return json.loads(SOUTH.read_text(encoding="utf-8"))
