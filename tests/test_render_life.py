"""No shot is a frozen frame: still shots keep life in them (drifting clouds and their shadows, mist, birds,
dust, fireflies, breathing), as ffmpeg's freeze detection measures on the frames."""

from __future__ import annotations

import pytest

from storyagent.cast import assign_cast
from storyagent.planners import PlanOptions
from storyagent.planners.premise import read_premise
from storyagent.planners.template import TemplatePlanner
from storyagent.storyboard import CameraMovement, ShotSize, Storyboard
from storyagent.world import world
from tests.helpers.animatic_boards import board, shot
from tests.helpers.freeze import LONGEST, frozen

STILL_PREMISES = ["a penguin meets a seal", "a lion and a zebra meet at the river", "a bat in a cave"]
FILM_PREMISES = [
    "polar bear visits penguins",  # the default film
    *STILL_PREMISES,
    "a girl and her dog find a lost kitten",
    "a boy, a cat and an owl build a snowman",
    "一只小熊和一群小鸡在森林里玩耍",
    "an astronaut on the moon",
    "an owl hunts at night in the forest",
    "a grandmother and a cat at home",
]
STILL = {CameraMovement.STATIC}
WIDE = {ShotSize.WIDE, ShotSize.EXTREME_WIDE}


def plan(premise: str) -> Storyboard:
    return assign_cast(TemplatePlanner(None).plan(read_premise(premise), PlanOptions(duration=90)))


def too_long(board: Storyboard, shot_id: str, **size) -> list[tuple[float, float]]:
    return [(start, length) for start, length in frozen(board, shot_id, **size) if length > LONGEST]


@pytest.mark.parametrize("premise", STILL_PREMISES)
def test_static_wide_shots_of_planned_films_are_never_frozen(premise: str) -> None:
    b = plan(premise)
    still = [s.id for s in b.shots() if s.camera.movement in STILL and s.camera.size in WIDE]
    assert still, "the premise should plan a static wide shot to check"
    assert not {shot_id: spans for shot_id in still if (spans := too_long(b, shot_id))}


@pytest.mark.parametrize("time_of_day", ["day", "night"])
def test_a_static_wide_shot_of_idle_characters_lives_in_every_biome(time_of_day: str) -> None:
    found = {}
    for biome in world().biome_names():
        b = assign_cast(board([shot("a", "wide", characters=[{"character": "nanuk"}, {"character": "pip"}])],
                              biome=biome, time_of_day=time_of_day))
        if spans := too_long(b, "a", seconds=3.0):
            found[biome] = spans
    assert not found


@pytest.mark.slow
@pytest.mark.parametrize("premise", FILM_PREMISES)
def test_no_shot_of_a_planned_film_is_frozen(premise: str) -> None:
    b = plan(premise)
    assert not {s.id: spans for s in b.shots() if (spans := too_long(b, s.id))}
