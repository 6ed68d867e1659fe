"""Acting that reads without the narration: the acting table maps actions to
performances (and says when it falls back), and the animatic plays them so
that a silhouette shows them: a wave raises an arm, sitting lowers the body,
a look around turns the head without a jump, a hop stays in frame, a sleeper
shows z's. Frames are tiny; a character's pixels are those that change when it
alone is washed in magenta."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from storyagent.cast import character_look
from storyagent.planners.lint import lint
from storyagent.renderers.animatic import motion, overlays
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.layout import ShotLayout
from storyagent.storyboard import Motion, OnScreen, Storyboard
from storyagent.storyboard.acting import Performance, acting_fallbacks, casting, performance
from tests.helpers.animatic_boards import BEAR, PENGUIN, render, shot

W, H = 192, 108
GIRL = {"id": "ana", "name": "Ana", "visual": {"keywords": ["girl"]}}
FIGURES = ["nanuk", "pip", "ana"]  # four legs under a head, a whole icon, two legs under a bust


def acting_board(character: str, action: str, motion: str = "idle", size: str = "full",
                 duration: float = 2.0, tint: bool = False) -> Storyboard:
    characters = [dict(c, visual=dict(c["visual"])) for c in (BEAR, PENGUIN, GIRL)]
    if tint:
        next(c for c in characters if c["id"] == character)["visual"]["tint"] = "#ff00ff"
    on = {"character": character, "action": action, "motion": motion, "direction": "left-to-right"}
    return Storyboard.model_validate({
        "title": "Acting",
        "characters": characters,
        "locations": [{"id": "ice", "name": "The ice", "biome": "sea-ice", "seed": 7}],
        "scenes": [{"id": "s1", "location": "ice", "shots": [shot("a", size, characters=[on], duration=duration)]}],
    })


def masks(character: str, action: str, motion: str = "idle", size: str = "full", frames: int = 1,
          duration: float = 2.0) -> list[np.ndarray]:
    """The character's pixels in each of the shot's first `frames` frames."""
    plain = render(acting_board(character, action, motion, size, duration), "a", frames, W, H)
    magenta = render(acting_board(character, action, motion, size, duration, tint=True), "a", frames, W, H)
    return [np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30 for a, b in zip(plain, magenta)]


def layout_of(b: Storyboard, frames: int = 1) -> ShotLayout:
    return AnimaticRenderer(None).layout(ShotJob(board=b, shot_id="a", frames=frames, width=W, height=H, fps=24))


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    assert rows.size, "the character is not in the frame"
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


@pytest.mark.parametrize("action,motion,expected", [
    ("walks on", "walk", Performance.WALK),
    ("runs", "run", Performance.RUN),
    ("swims", "swim", Performance.SWIM),
    ("flies over the sea", "fly", Performance.FLY),
    ("waddles home", "walk", Performance.WADDLE),
    ("waves hello", "idle", Performance.WAVE),
    ("greets the visitor", "idle", Performance.GREET),
    ("hugs her friend", "idle", Performance.HUG),
    ("plays happily", "dance", Performance.PLAY),
    ("dances", "idle", Performance.DANCE),
    ("builds the snowman", "work", Performance.WORK),
    ("digs a hole", "idle", Performance.WORK),
    ("carries the wood", "idle", Performance.WORK),
    ("sits and rests", "sit", Performance.SIT),
    ("sleeps", "idle", Performance.SLEEP),
    ("looks around", "look", Performance.LOOK),
    ("searches for the kite", "walk", Performance.SEARCH),
    ("jumps", "idle", Performance.JUMP),
    ("laughs", "idle", Performance.LAUGH),
    ("cries", "idle", Performance.CRY),
    ("shelters from the storm", "idle", Performance.SHIVER),
    ("faces the fear", "idle", Performance.SHIVER),
    ("thinks", "idle", Performance.THINK),
    ("talks", "idle", Performance.TALK),
    ("sings together", "idle", Performance.SING),
    ("is carried away", "fly", Performance.DRIFT),
    ("堆雪人", "idle", Performance.WORK),
])
def test_the_table_maps_each_action_to_its_performance(action: str, motion: str, expected: Performance) -> None:
    on = OnScreen(character="x", action=action, motion=Motion(motion))
    assert performance(on) == expected
    assert casting(on).via == "table"


def test_a_traveller_keeps_its_gait_and_one_not_moved_does_not_walk_on_the_spot() -> None:
    assert performance(OnScreen(character="x", action="shelters from the storm", motion=Motion.RUN)) == Performance.RUN
    assert performance(OnScreen(character="x", action="races to the moon", motion=Motion.DANCE)) == Performance.DANCE


def test_an_unknown_verb_falls_back_and_lint_says_so() -> None:
    known = acting_board("pip", "waves hello")
    assert acting_fallbacks(known) == []
    assert "acting-fallback" not in {issue.code for issue in lint(known)}

    synonym = OnScreen(character="x", action="dozes off", motion=Motion.IDLE)
    assert casting(synonym).performance == Performance.SLEEP and casting(synonym).via == "synonym"

    unknown = acting_board("pip", "zorbles the plonk", motion="talk")
    [fallback] = acting_fallbacks(unknown)
    assert (fallback.shot, fallback.character, fallback.verb) == ("a", "pip", "zorble")
    assert fallback.performance == Performance.TALK and fallback.via == "motion"
    warnings = [issue for issue in lint(unknown) if issue.code == "acting-fallback"]
    assert len(warnings) == 1 and warnings[0].shot == "a" and "zorble" in warnings[0].message


@pytest.mark.parametrize("character", FIGURES)
def test_a_wave_raises_an_arm_paw_or_wing_on_the_side_it_faces(character: str) -> None:
    [idle] = masks(character, "stands still")
    [wave] = masks(character, "waves hello")
    raised = wave & ~idle
    left, top, right, bottom = bbox(idle)
    assert raised.sum() > 0.03 * idle.sum()
    ys, xs = np.nonzero(raised)
    assert xs.mean() > (left + right) / 2  # it faces right: the raised limb is in front
    assert ys.mean() < bottom - 0.25 * (bottom - top)  # lifted off the ground


@pytest.mark.parametrize("character", FIGURES)
def test_sitting_lowers_the_figure(character: str) -> None:
    """In the world, not the frame: the camera frames a sitter as it sits."""
    def tops_and_height(action: str, motion: str) -> tuple[float, float, float]:
        """The figure's top and its head's top in world units, and its height."""
        frame = layout_of(acting_board(character, action, motion)).frames[0]
        (_, y0, _, y1), head_top = frame.figures[0].box, frame.figures[0].head[1]
        world = lambda y: frame.camera.centre[1] + (y - H / 2) / frame.camera.pixels_per_unit  # noqa: E731
        return world(y0), world(head_top), (y1 - y0) / frame.camera.pixels_per_unit

    top_standing, head_standing, height = tops_and_height("stands still", "idle")
    top_sitting, head_sitting, _ = tops_and_height("sits and rests", "sit")
    assert top_sitting - top_standing > 0.1 * height
    assert head_sitting - head_standing > 0.1 * height  # the layout's head box comes down with it


@pytest.mark.parametrize("character", ["nanuk", "pip"])
@pytest.mark.parametrize("size", ["full", "medium", "medium-close-up"])
def test_looking_around_never_jumps_the_silhouette(character: str, size: str) -> None:
    frames = masks(character, "looks around", "look", size, frames=72, duration=3.0)
    centres = [np.nonzero(m)[1].mean() for m in frames if m.any()]  # the centre of its mass, where a flip shows
    assert len(centres) == len(frames)
    assert max(abs(b - a) for a, b in itertools.pairwise(centres)) <= 0.05 * W


@pytest.mark.parametrize("character", FIGURES)
def test_a_hop_keeps_the_head_inside_a_medium_wide_frame(character: str) -> None:
    layout = layout_of(acting_board(character, "hops", "jump", "medium-wide", duration=1.25), frames=30)
    assert all(frame.figures[0].head[1] >= -0.01 * H for frame in layout.frames)
    assert min(frame.figures[0].head[1] for frame in layout.frames) < 0.15 * H  # and it does rise toward the top


def test_a_sleeper_shows_zs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlays, "Z_COLOUR", 0xFFFF00FF)  # magenta: no sky or snow is that colour

    def z_pixels(action: str, motion: str) -> int:
        [frame] = render(acting_board("nanuk", action, motion, "full"), "a", 1, W, H)
        return int((np.abs(frame.astype(int) - np.array([255, 0, 255])).sum(axis=2) < 60).sum())

    assert z_pixels("sleeps", "sleep") > z_pixels("stands still", "idle") + 15


def test_a_group_acts_out_of_step() -> None:
    data: dict[str, Any] = acting_board("pip", "waves hello").model_dump()
    data["characters"][1]["visual"]["count"] = 3
    board = Storyboard.model_validate(data)
    look = character_look(board, "pip")
    [actor] = motion.arrange([look], list(board.shots()[0].characters))
    arms = {pose.limbs.arm for pose in motion.group_poses(actor, 1.0, 0.5, 0.0)}
    assert len(arms) == 3


@pytest.mark.parametrize("action,motion_name", [("looks around", "look"), ("dances", "dance"), ("plays", "idle"),
                                                ("searches for the kite", "walk")])
def test_turning_performances_turn_the_head_and_never_flip_the_figure(action: str, motion_name: str) -> None:
    board = acting_board("nanuk", action, motion_name)
    [actor] = motion.arrange([character_look(board, "nanuk")], list(board.shots()[0].characters))
    poses = [motion.pose(actor, i / 24, i / 96, 0.0) for i in range(96)]
    assert {pose.facing for pose in poses} == {actor.facing}
    turns = [pose.limbs.turn for pose in poses]
    assert min(turns) < -0.9  # it does look the other way
    assert max(abs(b - a) for a, b in itertools.pairwise(turns)) < 0.5  # over several frames, not in one


def test_a_general_verb_leaves_the_storyboards_motion_in_charge() -> None:
    assert performance(OnScreen(character="x", action="rests, tired", motion=Motion.SLEEP)) == Performance.SLEEP
    assert performance(OnScreen(character="x", action="rests", motion=Motion.IDLE)) == Performance.SIT
