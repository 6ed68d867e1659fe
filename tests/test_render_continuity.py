"""Continuity within a shot, measured on the layout tracks of planned films at the film's frame rate: no
figure's silhouette jumps between two frames unless the storyboard sends it travelling."""

from __future__ import annotations

import itertools
import math

import pytest

from storyagent.cast import assign_cast
from storyagent.planners import PlanOptions
from storyagent.planners.premise import read_premise
from storyagent.planners.template import TemplatePlanner
from storyagent.renderers.animatic import motion
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.layout import Box, ShotLayout
from storyagent.storyboard import Storyboard
from storyagent.storyboard.acting import GAITS, Performance, performance
from tests.helpers.animatic_boards import board, shot

PREMISES = [
    "polar bear visits penguins",
    "a penguin meets a seal",
    "a boy, a cat and an owl build a snowman",
    "a robot dances in the city",
    "a grandmother bakes a cake with her grandson",
    "two kittens and a puppy play in the garden",
    "一只小熊和一群小鸡在森林里玩耍",
    "an octopus and a seagull laugh at the beach",
]
JUMP = 0.05  # the most a still figure's box centre may move between two frames, in frame widths


def centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def layout(board: Storyboard, shot_id: str) -> ShotLayout:
    fps = board.render.fps
    frames = max(round(board.shot(shot_id).camera.duration * fps), 1)
    return AnimaticRenderer(None).layout(ShotJob(board=board, shot_id=shot_id, frames=frames, width=320, height=180,
                                                 fps=fps))


def jumps(board: Storyboard, shot_id: str) -> dict[str, float]:
    """For each figure the storyboard does not send travelling, its largest move between two frames."""
    travellers = {on.character for on in board.shot(shot_id).characters if on.motion in motion.SPEED}
    track = layout(board, shot_id)
    found = {}
    for i, member in enumerate(track.members):
        if member.character in travellers:
            continue
        centres = [centre(frame.figures[i].box) for frame in track.frames]
        found[member.id] = max((math.dist(a, b) for a, b in itertools.pairwise(centres)), default=0.0) / track.width
    return found


@pytest.mark.parametrize("premise", PREMISES)
def test_no_still_figure_jumps_between_frames(premise: str) -> None:
    board = assign_cast(TemplatePlanner(None).plan(read_premise(premise), PlanOptions(duration=90)))
    jumped = {f"{shot.id} / {member}": round(moved, 3) for shot in board.shots()
              for member, moved in jumps(board, shot.id).items() if moved > JUMP}
    assert not jumped


STILL_ACTS = [act for act in Performance if act not in GAITS and act not in (Performance.SEARCH, Performance.DRIFT)]


@pytest.mark.parametrize("act", STILL_ACTS)
def test_no_act_swings_a_figure_across_a_close_shot(act: Performance) -> None:
    """The closer the shot, the more an act's sway moves the figure in frame: even in an extreme close-up no
    act done on the spot moves it by more than JUMP a frame."""
    verb = {Performance.SURPRISE: "gasp"}.get(act, act.value)
    acting = [{"character": who, "action": verb} for who in ("nanuk", "pip")]
    shots = [shot(f"{who}-{size}", size, characters=[on], duration=4.0) for on, who in zip(acting, ("nanuk", "pip"))
             for size in ("close-up", "extreme-close-up")]
    b = assign_cast(board(shots))
    assert all(performance(on) == act for s in b.shots() for on in s.characters)
    jumped = {s.id: round(moved, 3) for s in b.shots() for moved in jumps(b, s.id).values() if moved > JUMP}
    assert not jumped
