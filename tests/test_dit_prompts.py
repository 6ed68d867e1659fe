"""A shot told the way video diffusion models read it, and frame counts that
obey each model family's rules yet give the film exactly its frames."""

from __future__ import annotations

import pytest

from storyagent.renderers.animatic import motion
from storyagent.renderers.dit.checkpoints import COGVIDEOX, LTX, WAN
from storyagent.media.video import resample_indices
from storyagent.renderers.dit.plan import plan_render
from storyagent.renderers.prompts import NEGATIVE_PROMPT, blocking_words, camera_phrase, shot_prompt, shot_seed
from storyagent.storyboard import Storyboard

BOARD = {
    "title": "Ice Friends",
    "style": "soft watercolour storybook",
    "characters": [
        {"id": "bear", "name": "Nanuk", "description": "A young polar bear with a blue scarf.",
         "visual": {"keywords": ["polar bear", "bear"]}, "seed": 11},
        {"id": "penguin", "name": "Pip", "description": "a small emperor penguin chick",
         "visual": {"keywords": ["penguin"]}, "seed": 22},
    ],
    "locations": [{"id": "ice", "name": "the ice shelf", "biome": "sea-ice", "time_of_day": "dusk", "weather": "snow"}],
    "scenes": [{"id": "meet", "location": "ice", "shots": [
        {"id": "a", "characters": [{"character": "bear", "action": "walks across the ice"}],
         "camera": {"size": "wide", "angle": "birds-eye", "movement": "tracking", "duration": 3}},
        {"id": "b", "characters": [{"character": "penguin", "action": "waves a flipper"}],
         "camera": {"size": "close-up", "movement": "dolly-in", "duration": 2}},
        {"id": "c", "camera": {"size": "extreme-wide", "angle": "low", "movement": "crane-up", "duration": 2}},
    ]}],
}


@pytest.fixture
def board() -> Storyboard:
    return Storyboard.model_validate(BOARD)


def test_camera_directions_are_phrased_as_film_captions(board):
    assert camera_phrase(board, "a") == "Aerial wide shot, tracking shot following Nanuk"
    assert camera_phrase(board, "b") == "Close-up, slow dolly in on Pip"
    assert camera_phrase(board, "c") == "Low-angle extreme wide shot, crane shot rising up and away"


def test_the_prompt_names_who_does_what_where_and_in_which_style(board):
    prompt = shot_prompt(board, "a")
    for words in ("Nanuk, a polar bear (A young polar bear with a blue scarf)", "walks across the ice",
                  "polar sea ice", "sunset light", "falling snow", "soft watercolour storybook"):
        assert words in prompt
    assert "Pip" not in prompt
    assert prompt.startswith("Aerial wide shot") and ".." not in prompt
    assert "watermark" in NEGATIVE_PROMPT


def test_each_action_is_said_once(board):
    board.scenes[0].shots[0].description = "Nanuk walks across the ice toward the colony."
    prompt = shot_prompt(board, "a")
    assert prompt.count("walks across the ice") == 1 and "Nanuk, a polar bear" in prompt


def test_a_group_is_named_as_a_group(board):
    board.characters[1].visual.count = 4
    assert "Pip, a group of 4, each a penguin (a small emperor penguin chick)" in shot_prompt(board, "b")


def test_a_shots_seed_is_stable_and_follows_only_its_own_cast(board):
    seeds = {shot.id: shot_seed(board, shot.id) for shot in board.shots()}
    assert len(set(seeds.values())) == 3
    assert seeds == {shot.id: shot_seed(Storyboard.model_validate(BOARD), shot.id) for shot in board.shots()}
    reseeded = board.model_copy(deep=True)
    reseeded.characters[0].seed = 12
    assert shot_seed(reseeded, "a") != seeds["a"]
    assert shot_seed(reseeded, "b") == seeds["b"]


@pytest.mark.parametrize("family", [WAN, LTX])
def test_every_call_obeys_the_familys_frame_and_size_rules(family):
    for seconds in (0.5, 1.3, 4.0, 12.0):
        frames = round(seconds * 24)
        plan = plan_render(frames, 24, 1280, 720, family, can_continue=True)
        assert all((n - 1) % family.frame_step == 0 and n <= family.max_frames for n in plan.segments)
        assert plan.width % family.size_multiple == 0 and plan.height % family.size_multiple == 0
        assert plan.width * plan.height <= family.max_area * 1.1
        assert abs(plan.width / plan.height - 16 / 9) < 0.1
        last_frame_time, covered = (frames - 1) / 24, (plan.model_frames - 1) / plan.fps
        assert last_frame_time <= covered + 1e-9 < last_frame_time + family.frame_step * len(plan.segments) / plan.fps


def test_a_long_shot_is_split_into_chained_segments():
    plan = plan_render(10 * 24, 24, 832, 480, WAN, can_continue=True)
    assert plan.segments[0] == 81 and len(plan.segments) == 2
    assert plan.model_frames >= 10 * 16 - 1 and not plan.stretched
    text_only = plan_render(10 * 24, 24, 832, 480, WAN, can_continue=False)
    assert text_only.segments == [81] and text_only.stretched


def test_cogvideox_renders_its_one_size_and_length():
    plan = plan_render(3 * 24, 24, 1280, 720, COGVIDEOX, can_continue=True)
    assert (plan.width, plan.height, plan.fps) == (720, 480, 8) and plan.segments == [49]


def test_resampling_keeps_time_frame_accurate_and_fills_the_shot():
    assert resample_indices(7, 24, 5, 16) == [0, 1, 1, 2, 3, 3, 4]
    stretched = resample_indices(48, 24, 17, 16)  # 1 s of model video over a 2 s shot
    assert len(stretched) == 48 and stretched[0] == 0 and stretched[-1] == 16
    assert stretched == sorted(stretched)


def meeting(board: Storyboard, **shot) -> Storyboard:
    """Shot 'a' becomes Nanuk and Pip together, as `shot` describes."""
    data = board.model_dump()
    data["scenes"][0]["shots"][0] |= shot
    return Storyboard.model_validate(data)


def test_the_prompt_says_who_stands_where_and_faces_whom_as_the_animatic_stages_it(board):
    greeting = meeting(board, description="", characters=[{"character": "bear", "action": "greets Pip"},
                                                          {"character": "penguin", "action": "waves a flipper"}])
    prompt = shot_prompt(greeting, "a")
    assert "Nanuk, a polar bear (A young polar bear with a blue scarf), greets Pip, on the left, facing Pip" in prompt
    assert "Pip, a penguin (a small emperor penguin chick), waves a flipper, on the right, facing Nanuk" in prompt
    homes = {actor.look.id: actor.home for actor in motion.blocking(greeting, greeting.shot("a"))}
    assert homes["bear"] < homes["penguin"]


def test_the_prompt_says_who_is_behind_and_which_way_a_traveller_goes(board):
    coming = meeting(board, description="", characters=[
        {"character": "bear", "action": "walks", "motion": "walk", "direction": "right-to-left"},
        {"character": "penguin", "action": "waddles up", "motion": "walk", "direction": "toward-camera"}])
    staged = blocking_words(coming, "a")
    assert staged == {"bear": "on the left, in front of Pip, moving from right to left",
                      "penguin": "on the right, behind Nanuk, coming toward the camera"}
    [pip] = motion.blocking(board, board.shot("b"))
    assert blocking_words(board, "b") == {"penguin": "facing right" if pip.facing > 0 else "facing left"}


def test_an_action_the_description_tells_for_everyone_is_not_said_again(board):
    together = meeting(board, description="Nanuk and Pip stand still on the ice.", characters=[
        {"character": "bear", "action": "stands still"}, {"character": "penguin", "action": "stands still"}])
    prompt = shot_prompt(together, "a")
    assert "stands still" not in prompt and prompt.count("stand still") == 1
