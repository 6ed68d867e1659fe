"""Blocking: in shots of size medium-wide or wider with two or more characters, the camera frames
everyone, so every character's head is in frame for (nearly) the whole shot."""

from __future__ import annotations

import pytest

from storyagent.cast import assign_cast
from storyagent.planners import PlanOptions
from storyagent.planners.premise import read_premise
from storyagent.planners.template import TemplatePlanner
from storyagent.renderers.animatic import motion
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.layout import Box, ShotLayout
from storyagent.storyboard import ShotSize, Storyboard
from tests.helpers.animatic_boards import board, shot

WIDE_SIZES = {ShotSize.MEDIUM_WIDE, ShotSize.FULL, ShotSize.WIDE, ShotSize.EXTREME_WIDE}
PREMISES = [
    "polar bear visits penguins",
    "a penguin meets a seal",
    "a fox and a rabbit become friends",
    "two kittens and a puppy play in the garden",
    "a lion and a zebra meet at the river",
    "a girl and her dog find a lost kitten",
    "a family of elephants crosses the river",
    "a boy, a cat and an owl build a snowman",
    "一只小熊和一群小鸡在森林里玩耍",
]
SAMPLES = 6  # frames sampled per shot, evenly over its length
FPS = 12


def head_in_frame(head: Box, width: int, height: int) -> bool:
    x0, y0, x1, y1 = head
    return x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height


def layout_of(board: Storyboard, shot_id: str, duration: float) -> ShotLayout:
    frames = max(round(duration * FPS), 1)
    job = ShotJob(board=board, shot_id=shot_id, frames=frames, width=320, height=180, fps=FPS)
    return AnimaticRenderer(None).layout(job)


def crowded_wide_shots() -> list[tuple[str, Storyboard, str]]:
    found = []
    for premise in PREMISES:
        board = assign_cast(TemplatePlanner(None).plan(read_premise(premise), PlanOptions(duration=60)))
        found += [(premise, board, s.id) for s in board.shots()
                  if s.camera.size in WIDE_SIZES and len(s.characters) >= 2]
    return found


@pytest.fixture(scope="module")
def shots() -> list[tuple[str, Storyboard, str]]:
    return crowded_wide_shots()


def share_in_frame(board: Storyboard, shot_id: str) -> dict[str, float]:
    """For each member, the share of the sampled frames in which its head box is fully in frame."""
    shot = board.shot(shot_id)
    layout = layout_of(board, shot_id, shot.camera.duration)
    step = max(len(layout.frames) // SAMPLES, 1)
    sampled = layout.frames[::step]
    return {m.id: sum(head_in_frame(f.figures[i].head, layout.width, layout.height) for f in sampled) / len(sampled)
            for i, m in enumerate(layout.members)}


def test_the_premises_give_wide_shots_of_two_or_more_characters_to_check(shots) -> None:
    assert len(shots) >= 8
    assert len({premise for premise, _, _ in shots}) >= 5


def test_every_character_of_a_wide_shot_of_two_or_more_has_its_head_in_frame(shots) -> None:
    missed = {}
    for premise, board, shot_id in shots:
        shares = share_in_frame(board, shot_id)
        missed.update({f"{premise} / {shot_id} / {member}": share for member, share in shares.items() if share < 0.9})
    assert not missed


@pytest.mark.parametrize("facing", ["left-to-right", "right-to-left"])
def test_a_partner_who_meets_the_subject_stands_close_on_the_side_it_faces(facing: str) -> None:
    other = "right-to-left" if facing == "left-to-right" else "left-to-right"
    meeting = [{"character": "pip", "direction": other}, {"character": "nanuk", "direction": facing}]
    b = assign_cast(board([shot("meet", "full", characters=meeting)]))
    b.shot("meet").camera.subject = "nanuk"
    layout = layout_of(b, "meet", 2.0)
    pip, bear = layout.frames[len(layout.frames) // 2].figures
    assert (bear.facing, pip.facing) == ((1, -1) if facing == "left-to-right" else (-1, 1))
    assert (pip.box[0] - bear.box[0]) * bear.facing > 0  # in front of the bear
    apart = abs(pip.box[0] + pip.box[2] - bear.box[0] - bear.box[2]) / 2  # between their centres
    assert apart <= (bear.box[2] - bear.box[0]) + motion.GAP * (bear.box[3] - bear.box[1])
