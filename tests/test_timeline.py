"""The timeline: shots last as long as what is said in them, boundaries sit on
frames, transitions overlap, and everything downstream reads the same times."""

from __future__ import annotations

import pytest

from storyagent.errors import UnknownIdError
from storyagent.storyboard import Storyboard
from storyagent.timeline import LEAD_IN, TAIL, build_timeline
from storyagent.voice.speak import SpokenLine


def spoken_for(board: Storyboard, seconds: float) -> list[SpokenLine]:
    return [
        SpokenLine(shot_id=shot.id, index=i, speaker=line.speaker, text=line.text, audio="x.wav", duration=seconds)
        for shot in board.shots()
        for i, line in enumerate(shot.lines)
    ]


def test_shots_follow_the_plan_when_speech_fits(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 1.0))
    for shot in example_board.shots():
        assert timeline.shot(shot.id).duration == pytest.approx(shot.camera.duration, abs=1 / 24)


def test_a_shot_is_never_shorter_than_its_speech(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 9.0))
    for placement in timeline.shots:
        assert placement.duration >= LEAD_IN + 9.0 + TAIL - 1 / 24
    for voice in timeline.voice:
        shot = timeline.shot(voice.line.shot_id)
        assert shot.start <= voice.start and voice.start + voice.line.duration <= shot.end + 1e-6


def test_boundaries_are_on_frames_and_duration_adds_up(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 2.0), fps=24)
    for placement in timeline.shots:
        assert placement.start * 24 == pytest.approx(round(placement.start * 24), abs=1e-6)
    assert timeline.cards[0].kind == "title" and timeline.cards[-1].kind == "credits"
    assert timeline.duration == pytest.approx(timeline.cards[-1].start + timeline.cards[-1].duration)
    assert timeline.frame_count == round(timeline.duration * 24)


def test_dissolves_overlap_and_cuts_butt(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 1.0))
    for before, after in zip(timeline.shots, timeline.shots[1:]):
        if after.transition_in == "dissolve":
            assert after.start < before.end and after.transition_in_duration > 0
        else:
            assert after.start == pytest.approx(before.end)


def test_music_covers_the_whole_film_scene_by_scene(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 1.0))
    assert [m.scene_id for m in timeline.music] == [s.id for s in example_board.scenes]
    assert timeline.music[0].start == 0
    assert timeline.music[-1].start + timeline.music[-1].duration == pytest.approx(timeline.duration)


def test_sound_cues_land_inside_their_shot(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, spoken_for(example_board, 1.0))
    assert timeline.effects
    for effect in timeline.effects:
        shot = timeline.shot(effect.shot_id)
        assert shot.start <= effect.start < shot.end and effect.start + effect.duration <= shot.end + 1e-6


def test_an_unknown_shot_in_the_timeline_is_named_with_the_nearest(example_board: Storyboard) -> None:
    timeline = build_timeline(example_board, [])
    with pytest.raises(UnknownIdError, match="unknown shot 'nort-2'; did you mean 'north-2'"):
        timeline.edges("nort-2")
