"""Staging: characters who greet, talk, hug or play face each other and stand close (huggers touch), whether
or not the storyboard gives them screen directions; and within a scene everyone keeps their side of the
180-degree line from shot to shot."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from storyagent.cast import assign_cast
from storyagent.planners import plan
from storyagent.renderers.animatic import motion
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.layout import ShotLayout
from storyagent.storyboard import Storyboard
from tests.helpers.animatic_boards import board, shot

INTERACTIONS = [("greets", "idle"), ("talks", "talk"), ("hugs", "idle"), ("plays", "idle"), ("waves hello", "wave"),
                ("dances", "dance")]
PREMISES = [
    "polar bear visits penguins",
    "a fox and a rabbit become friends",
    "two kittens and a puppy play in the garden",
    "a lion and a zebra meet at the river",
    "a girl and her dog find a lost kitten",
    "a boy, a cat and an owl build a snowman",
    "The tortoise and the hare race",
    "Mia meets a shy dragon in the forest",
    "An elephant meets a mouse",
    "A shy octopus befriends a crab on the reef",
    "一只小熊和一群小鸡在森林里玩耍",
    "小兔子和狐狸交朋友",
]


def two(action: str, motion_name: str, **turned: str) -> list[dict[str, Any]]:
    """Nanuk and Pip both doing `action`; `turned` gives either of them a screen direction."""
    return [{"character": who, "action": action, "motion": motion_name,
             **({"direction": turned[who]} if who in turned else {})} for who in ("nanuk", "pip")]


def staged(characters: list[dict[str, Any]], lines: list[dict[str, str]] = ()) -> dict[str, motion.Actor]:
    b = board([shot("a", characters=characters) | {"lines": list(lines)}])
    return {actor.look.id: actor for actor in motion.blocking(b, b.shot("a"))}


def faces_the_other(actors: dict[str, motion.Actor], who: str, other: str) -> bool:
    return (actors[other].home - actors[who].home) * actors[who].facing > 0


@pytest.mark.parametrize("action,motion_name", INTERACTIONS)
def test_partners_without_screen_directions_face_each_other_close_by(action: str, motion_name: str) -> None:
    actors = staged(two(action, motion_name))
    assert faces_the_other(actors, "nanuk", "pip") and faces_the_other(actors, "pip", "nanuk")
    apart = abs(actors["pip"].home - actors["nanuk"].home)
    widths = (motion.figure_width(actors["nanuk"].look) + motion.figure_width(actors["pip"].look)) / 2
    assert apart <= widths + motion.PARTNER_GAP * actors["nanuk"].look.height + 1e-9


@pytest.mark.parametrize("action,motion_name", INTERACTIONS)
def test_partners_face_each_other_whichever_of_them_the_storyboard_turns(action: str, motion_name: str) -> None:
    for turned in ({"pip": "right-to-left"}, {"pip": "left-to-right"}, {"nanuk": "right-to-left"},
                   {"nanuk": "left-to-right", "pip": "right-to-left"}):
        actors = staged(two(action, motion_name, **turned))
        assert faces_the_other(actors, "nanuk", "pip") and faces_the_other(actors, "pip", "nanuk"), turned
        for who, direction in turned.items():
            assert actors[who].facing == (1 if direction == "left-to-right" else -1), "the storyboard's word stands"


def test_huggers_touch() -> None:
    b = assign_cast(board([shot("hug", "full", characters=two("hugs", "idle"))]))
    layout = AnimaticRenderer(None).layout(ShotJob(board=b, shot_id="hug", frames=3, width=320, height=180, fps=1))
    bear, pip = sorted(layout.frames[1].figures, key=lambda figure: figure.box[0])
    assert pip.box[0] - bear.box[2] <= 0.01 * layout.width


def test_someone_greeted_turns_to_a_traveller_who_keeps_its_way() -> None:
    actors = staged([{"character": "nanuk", "action": "walks", "motion": "walk", "direction": "right-to-left"},
                     {"character": "pip", "action": "waves hello", "motion": "wave"}])
    assert actors["nanuk"].facing == -1
    assert faces_the_other(actors, "pip", "nanuk")


def test_a_speaker_faces_the_one_it_speaks_to() -> None:
    standing = [{"character": "nanuk"}, {"character": "pip"}]
    actors = staged(standing, lines=[{"speaker": "pip", "text": "Hello, bear!"}])
    assert faces_the_other(actors, "pip", "nanuk") and faces_the_other(actors, "nanuk", "pip")
    silent = staged(standing)
    assert {actor.facing for actor in silent.values()} == {actor.look.facing for actor in silent.values()}


def test_characters_on_their_own_keep_their_own_facing_and_room() -> None:
    actors = staged(two("sleeps", "sleep"))
    assert all(actor.facing == actor.look.facing for actor in actors.values())
    apart = abs(actors["pip"].home - actors["nanuk"].home)
    assert apart >= (motion.figure_width(actors["nanuk"].look) + motion.figure_width(actors["pip"].look)) / 2 \
        + motion.GAP * actors["nanuk"].look.height - 1e-9


def sides(b: Storyboard, shot_id: str) -> list[str]:
    """The shot's characters from left to right at mid-shot, by the front member of each."""
    layout: ShotLayout = AnimaticRenderer(None).layout(ShotJob(board=b, shot_id=shot_id, frames=3, width=320,
                                                               height=180, fps=1))
    fronts = {}
    for member, figure in zip(layout.members, layout.frames[1].figures):
        fronts.setdefault(member.character, (figure.box[0] + figure.box[2]) / 2)
    return sorted(fronts, key=fronts.get)


@pytest.fixture(scope="module")
def films() -> list[tuple[str, Storyboard]]:
    return [(premise, assign_cast(plan(premise, planner="template"))) for premise in PREMISES]


def test_within_a_scene_everyone_keeps_their_side_from_shot_to_shot(films) -> None:
    compared, swapped = 0, []
    for premise, b in films:
        for scene in b.scenes:
            for before, after in itertools.pairwise(scene.shots):
                if any(on.motion in motion.SPEED for on in [*before.characters, *after.characters]):
                    continue  # the storyboard moves them
                left_to_right = sides(b, before.id), sides(b, after.id)
                both = [[who for who in order if who in left_to_right[1 - k]] for k, order in enumerate(left_to_right)]
                compared += len(both[0]) >= 2
                if both[0] != both[1]:
                    swapped.append(f"{premise}: {before.id} {both[0]} -> {after.id} {both[1]}")
    assert compared >= 15
    assert not swapped
