"""The template planner frames each beat by what it shows (interactions in two-shots, emotions in close-ups,
journeys wide) and writes the screen directions that keep the 180-degree line: within a scene a character
is never turned both ways, and a journey keeps its direction across the cuts between scenes."""

from __future__ import annotations

import itertools

import pytest

from storyagent.planners import plan
from storyagent.planners.lint import lint
from storyagent.renderers.animatic import motion
from storyagent.storyboard import CameraMovement, ScreenDirection, ShotSize, Storyboard
from storyagent.storyboard.acting import TRAVEL, interaction

PREMISES = [
    "polar bear visits penguins",
    "北极熊穿越山海去南极看望企鹅",
    "a fox and a rabbit become friends",
    "two kittens and a puppy play in the garden",
    "a lion and a zebra meet at the river",
    "a girl and her dog find a lost kitten",
    "a boy, a cat and an owl build a snowman",
    "The tortoise and the hare race",
    "Mia meets a shy dragon in the forest",
    "An elephant meets a mouse",
    "A shy octopus befriends a crab on the reef",
    "The old fisherman rescues a baby whale. A storm is coming and the sea is rough.",
    "Whale and dolphin race across the ocean",
    "The girl looks for her lost kite in the park",
    "A camel visits the sea",
    "一只小熊和一群小鸡在森林里玩耍",
    "小兔子和狐狸交朋友",
    "海豚帮助迷路的小鱼",
]
CLOSE = (ShotSize.CLOSE_UP, ShotSize.MEDIUM_CLOSE_UP)


@pytest.fixture(scope="module")
def films() -> list[Storyboard]:
    return [plan(premise, planner="template") for premise in PREMISES]


def inside_scenes(films: list[Storyboard]):
    """Every shot that neither opens its scene (those open wide) nor ends its film."""
    for board in films:
        last = board.shots()[-1]
        yield from (shot for scene in board.scenes for shot in scene.shots[1:] if shot is not last)


def test_interactions_are_two_shots(films) -> None:
    sizes = [shot.camera.size for shot in inside_scenes(films) if interaction(shot.characters)]
    assert len(sizes) >= 10
    assert set(sizes) <= {ShotSize.MEDIUM_WIDE, ShotSize.FULL}
    assert sizes.count(ShotSize.MEDIUM_WIDE) >= 0.8 * len(sizes)


def test_emotions_are_close_and_journeys_wide(films) -> None:
    shots = [shot for shot in inside_scenes(films) if not interaction(shot.characters)]
    pushed_in = [shot.camera.size for shot in shots if shot.camera.movement == CameraMovement.DOLLY_IN]
    tracked = [shot.camera.size for shot in shots if shot.camera.movement == CameraMovement.TRACKING]
    assert len(pushed_in) >= 10 and set(pushed_in) <= set(CLOSE)
    assert len(tracked) >= 10 and set(tracked) <= {ShotSize.WIDE, ShotSize.FULL}
    for board in films:
        assert any(shot.camera.size in CLOSE for shot in board.shots()), board.title


def test_no_character_is_turned_both_ways_within_a_scene(films) -> None:
    for board in films:
        assert not [str(issue) for issue in lint(board) if issue.code == "screen-direction-flip"]
        for scene in board.scenes:
            for who in {on.character for shot in scene.shots for on in shot.characters}:
                turned = {on.direction for shot in scene.shots for on in shot.characters if on.character == who}
                assert not {ScreenDirection.LEFT_TO_RIGHT, ScreenDirection.RIGHT_TO_LEFT} <= turned, (scene.id, who)


def test_a_journey_keeps_its_screen_direction_across_scenes(films) -> None:
    cuts = 0
    for board in films:
        for before, after in itertools.pairwise(board.shots()):
            ways = [{on.direction for on in shot.characters if on.motion in TRAVEL} for shot in (before, after)]
            if all(ways):
                cuts += 1
                assert ways[0] == ways[1] == {ScreenDirection.LEFT_TO_RIGHT}, (board.title, before.id, after.id)
    assert cuts >= 10


def test_within_a_scene_a_character_keeps_its_facing_outside_interactions(films) -> None:
    """What the viewer sees: the staging turns a character only to face a partner in an interaction."""
    for board in films:
        for scene in board.scenes:
            facing: dict[str, int] = {}
            for shot in scene.shots:
                if interaction(shot.characters):
                    continue
                for actor in motion.blocking(board, shot):
                    assert facing.setdefault(actor.look.id, actor.facing) == actor.facing, (board.title, shot.id)
