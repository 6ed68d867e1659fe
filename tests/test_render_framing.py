"""The framing table holds in the picture: over planned films of many kinds of premise (groups, two and three
characters, Chinese) and the examples, the layout tracks the animatic stages show every character's head in
medium and wider shots, each shot's subject in its size row, and no figure turning round unless it moves."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyagent.cast import assign_cast
from storyagent.planners import PlanOptions
from storyagent.planners.premise import read_premise
from storyagent.planners.template import TemplatePlanner
from storyagent.renderers import framing
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.framing import Aim, Body, Row
from storyagent.renderers.layout import ShotLayout
from storyagent.storyboard import Motion, ShotSize, Storyboard

ROOT = Path(__file__).resolve().parents[1]
PREMISES = [
    "polar bear visits penguins",
    "a lonely robot builds a garden on the moon",
    "three ducks look for their mother",
    "a fox and a rabbit race to the top of the hill before the storm",
    "a girl teaches her grandfather to fly a kite",
    "an octopus joins the coral reef choir",
    "a lighthouse keeper and a seagull weather a storm together",
    "two kittens and a puppy play in the garden",
    "a little elephant learns to swim in the river",
    "a family of elephants crosses the river",
    "a boy, a cat and an owl build a snowman",
    "a dragon and a knight become friends at the castle",
    "a firefly searches for the moon in the dark forest",
    "a lion and a zebra meet at the river",
    "a snail races a tortoise to the old oak",
    "a whale rescues a sailor lost at sea",
    "a bee and a hummingbird share a flower",
    "一只小熊猫在竹林里寻找妈妈",
    "一只小熊和一群小鸡在森林里玩耍",
    "两只企鹅穿过冰山给海豹送信",
]
EXAMPLES = sorted((ROOT / "examples").glob("*.storyboard.json"))
FPS = 6
WIDTH, HEIGHT = 320, 180
TURNING = {Motion.WALK, Motion.RUN, Motion.SWIM, Motion.FLY}  # the motions that may turn a figure round


def boards() -> Iterator[tuple[str, Storyboard]]:
    for premise in PREMISES:
        yield premise, assign_cast(TemplatePlanner(None).plan(read_premise(premise), PlanOptions(duration=60)))
    for example in EXAMPLES:
        yield example.name, Storyboard.load(example)


def layout_of(board: Storyboard, shot_id: str) -> ShotLayout:
    frames = max(round(board.shot(shot_id).camera.duration * FPS), 2)
    job = ShotJob(board=board, shot_id=shot_id, frames=frames, width=WIDTH, height=HEIGHT, fps=FPS)
    return AnimaticRenderer(None).layout(job)


@functools.cache
def staged() -> list[tuple[str, Storyboard, str, ShotLayout]]:
    return [(name, board, shot.id, layout_of(board, shot.id))
            for name, board in boards() for shot in board.shots() if shot.characters]


def subject_share(board: Storyboard, shot_id: str, layout: ShotLayout) -> float:
    """The share of frames in which the shot's subject (everyone, for a group shot) meets its size row."""
    shot = board.shot(shot_id)
    subject = shot.camera.subject or shot.characters[0].character
    mine = next(i for i, m in enumerate(layout.members) if m.character == subject)
    met = 0
    for frame in layout.frames:
        measured = [(m.body, framing.measure(f.box, f.head, layout.width, layout.height))
                    for m, f in zip(layout.members, frame.figures, strict=True)]
        met += framing.frame_meets(shot.camera.size, measured, mine)
    return met / len(layout.frames)


def test_the_premises_cover_groups_pairs_trios_and_chinese() -> None:
    shots = staged()
    counts = {len(board.shot(shot_id).characters) for _, board, shot_id, _ in shots}
    assert {1, 2, 3} <= counts
    assert any(m.character != m.id for *_, layout in shots for m in layout.members)  # a group's members
    assert {m.body for *_, layout in shots for m in layout.members} == set(Body)
    assert len({name for name, *_ in shots}) == len(PREMISES) + len(EXAMPLES)


def test_every_head_is_in_frame_in_medium_and_wider_shots() -> None:
    missed = {}
    for name, board, shot_id, layout in staged():
        if board.shot(shot_id).camera.size not in framing.GROUP_SIZES:  # medium and wider
            continue
        for i, member in enumerate(layout.members):
            inside = sum(framing.measure(f.figures[i].box, f.figures[i].head, WIDTH, HEIGHT).head_in_frame
                         for f in layout.frames) / len(layout.frames)
            if inside < 0.9:
                missed[f"{name} / {shot_id} / {member.id}"] = round(inside, 2)
    assert not missed


def test_the_subject_meets_its_size_row_in_nearly_every_frame_of_nearly_every_shot() -> None:
    shares = {f"{name} / {shot_id} ({board.shot(shot_id).camera.size})": subject_share(board, shot_id, layout)
              for name, board, shot_id, layout in staged()}
    failing = {key: round(share, 2) for key, share in shares.items() if share < 0.9}
    assert len(failing) <= 0.05 * len(shares), failing


def test_no_figure_turns_round_unless_it_moves() -> None:
    turned = []
    for name, board, shot_id, layout in staged():
        moves = {on.character for on in board.shot(shot_id).characters if on.motion in TURNING}
        for i, member in enumerate(layout.members):
            facings = {frame.figures[i].facing for frame in layout.frames}
            if len(facings) > 1 and member.character not in moves:
                turned.append(f"{name} / {shot_id} / {member.id}")
    assert not turned


@pytest.mark.parametrize("size", framing.ORDER)
@pytest.mark.parametrize("body", list(Body))
def test_each_rows_aim_lies_inside_its_ranges(size: ShotSize, body: Body) -> None:
    rule: Row = framing.row(size, body)
    aim: Aim = rule.aim
    if aim.part == "figure" and rule.tall:
        assert rule.tall[0] <= aim.coverage <= rule.tall[1]
    if aim.part == "figure" and rule.shown:
        assert rule.shown[0] <= min((1 - aim.top) / aim.coverage, 1.0) <= rule.shown[1]
    if aim.part == "head" and rule.head:
        assert rule.head[0] <= aim.coverage <= rule.head[1]


def test_rows_get_closer_size_by_size() -> None:
    """Down the table each size shows less of an upright figure: its aimed share of the figure shrinks."""
    shares = []
    for size in framing.ORDER:
        aim = framing.aim(size, Body.UPRIGHT)
        coverage = aim.coverage if aim.part == "figure" else aim.coverage / 0.46  # an upright head's share
        shares.append(coverage)
    assert shares == sorted(shares)


def test_the_readme_shows_the_table() -> None:
    assert framing.markdown() in (ROOT / "README.md").read_text(encoding="utf-8")
