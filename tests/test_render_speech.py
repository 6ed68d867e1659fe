"""The speech track: the render stage reads each character's line from the voice stage's WAV and hands the
renderer its loudness, placed where the line starts in the shot; the clip's key holds it."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pytest

from storyagent.edit.assemble import ShotParts
from storyagent.renderers.base import RenderJob
from storyagent.renderers.speech import RATE, loudness, shot_speech
from storyagent.run import stages
from storyagent.run.options import RunOptions
from storyagent.timeline import build_timeline
from storyagent.voice import cast_voices
from storyagent.voice.speak import speak_lines
from tests.helpers.sound_boards import small_board


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("film")
    board = cast_voices(small_board("en"), "espeak")
    return out, board, speak_lines(board, out)


def test_each_characters_line_is_tracked_from_its_wav(film) -> None:
    out, board, spoken = film
    timeline = build_timeline(board, spoken)
    line = next(line for line in spoken if line.shot_id == "a2")  # Nanuk: "One day, I will meet them."
    [speech] = shot_speech(timeline, "a2", out)
    placed = next(placed for placed in timeline.voice if placed.line == line)
    assert speech.character == "nanuk"
    assert speech.start == pytest.approx(placed.start - timeline.shot("a2").start, abs=1e-3)
    assert len(speech.levels) == pytest.approx(line.duration * RATE, abs=1)
    levels = np.array(speech.levels)
    assert levels.max() == 1.0 and (levels < 0.3).sum() >= 2  # loud syllables, and the mouth shuts between some
    assert speech.level(speech.start - 0.1) == 0.0 and speech.level(speech.start + line.duration + 0.1) == 0.0
    assert shot_speech(timeline, "a1", out) == []  # the narrator has no mouth on screen


def test_loudness_follows_the_voice() -> None:
    sr = 16000
    t = np.arange(2 * sr) / sr
    voice = np.sin(2 * np.pi * 220 * t) * np.where(t < 1.0, 0.5, 0.05)  # loud, then 20 dB quieter
    levels = loudness(voice.astype(np.float32), sr)
    assert len(levels) == 2 * RATE
    assert min(levels[:RATE]) > 0.97
    assert all(abs(v - (1 - 20 / 24)) < 0.02 for v in levels[RATE:])


def test_the_render_stage_hands_the_track_to_the_renderer(film, monkeypatch: pytest.MonkeyPatch) -> None:
    out, board, spoken = film
    timeline = build_timeline(board, spoken)
    jobs = []

    class Capture:
        def submit(self, render, job: str) -> Future:
            jobs.append(RenderJob.model_validate_json(job))
            done = Future()
            done.set_result(job)
            return done

    monkeypatch.setattr(stages, "shot_executor", lambda options, renderer: Capture())
    monkeypatch.setattr(ShotParts, "join_spans", lambda parts, spans: parts.clip)  # nothing was drawn to join
    stages.render_stage(board, timeline, "b2", out, RunOptions())
    assert jobs and all(job.shot.speech == shot_speech(timeline, "b2", out) for job in jobs)  # each span's too
    assert [speech.character for speech in jobs[0].shot.speech] == ["pip"]


def test_a_line_said_otherwise_renders_its_shot_again_and_no_other(film) -> None:
    out, board, spoken = film
    options = RunOptions()
    before = build_timeline(board, spoken)
    keys = {shot: stages.shot_key(board, before, shot, options, out) for shot in ("a2", "b2")}
    assert stages.shot_key(board, before, "a2", options, out) == keys["a2"]  # the same line: the same clip
    edited = board.model_copy(deep=True)
    edited.shot("a2").lines[0].text = "Some day I shall find them, far away."
    after = build_timeline(edited, speak_lines(edited, out))
    assert stages.shot_key(edited, after, "b2", options, out) == keys["b2"]
    assert stages.shot_key(edited, after, "a2", options, out) != keys["a2"]
