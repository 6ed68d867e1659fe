"""The world moves and is seen as the camera says: a tracking shot scrolls the ground past at the walker's
own speed, the nearer scenery faster than the farther; a truck and an orbit slide the layers by depth; a
bird's-eye view looks down on the ground, a worm's-eye view up at the sky."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from storyagent.cast import assign_cast
from storyagent.renderers.animatic import camera, motion
from storyagent.renderers.animatic.renderer import ShotScene
from storyagent.storyboard import CameraMovement
from tests.helpers.animatic_boards import board, render, shot
from tests.test_render_animatic import shift

W, H, FPS = 320, 180, 24
SECONDS = 4.0
FOREST = [160.0, 35.0, 7.0, 0.0]  # the depths of the forest's scenery layers, far to near


def scene(movement: str, size: str = "wide", angle: str = "eye-level", walking: bool = True) -> ShotScene:
    on = {"character": "nanuk", "motion": "walk" if walking else "idle", "direction": "left-to-right"}
    b = assign_cast(board([shot("a", size, movement, angle=angle, characters=[on], duration=SECONDS)],
                          biome="forest"))
    return ShotScene.build(b, "a", W, H, SECONDS)


def speed(s: ShotScene, depth: float) -> float:
    """Pixels per frame that a point of the layer at `depth` moves across the frame, on average."""
    def x(frame: int) -> float:
        return camera.layer_matrix(s.view_at(frame / FPS), depth, W, H).mapXY(0, 0).x()

    frames = round(SECONDS * FPS)
    return (x(frames - 1) - x(0)) / (frames - 1)


def test_tracking_scrolls_the_nearer_scenery_faster_and_away_from_the_walk() -> None:
    speeds = [speed(scene("tracking"), depth) for depth in FOREST]
    assert all(v < 0 for v in speeds), speeds  # walking right, the world slides left
    assert all(abs(far) < abs(near) for far, near in itertools.pairwise(speeds)), speeds


def test_tracking_moves_the_ground_past_at_the_walkers_speed() -> None:
    s = scene("tracking")
    walker = s.actors[0]
    steps = motion.SPEED[walker.on.motion] * walker.look.height * motion.pace(walker, s.path, SECONDS)
    ground = -speed(s, 0.0) * FPS / camera.scale_at(s.view_at(SECONDS / 2), 0.0, H)  # world units per second
    assert ground == pytest.approx(steps, rel=0.02), "its steps should carry it as fast as the ground goes by"
    assert ground == pytest.approx(abs(s.path) / SECONDS, rel=0.02)


def test_a_tracking_shots_ground_is_seen_to_scroll_at_the_walkers_speed() -> None:
    """On the frames (on a rainy night, where no clouds' shadows drift over the ground): the ground below the
    walker's feet shifts by what the walker covers."""
    s = scene("tracking")
    walk = [{"character": "nanuk", "motion": "walk", "direction": "left-to-right"}]
    b = assign_cast(board([shot("a", "wide", "tracking", characters=walk, duration=SECONDS)], biome="forest",
                          time_of_day="night", weather="rain"))
    frames = render(b, "a", round(SECONDS * FPS), W, H, FPS)
    feet = round(camera.layer_matrix(s.view_at(0.0), 0.0, W, H).mapXY(0, 0).y())
    near = (slice(feet + 4, H), slice(None))
    dx, _ = shift(frames[40][near], frames[52][near])
    assert dx == pytest.approx(12 * speed(s, 0.0), abs=2.5)


@pytest.mark.parametrize("movement", ["truck-right", "truck-left"])
def test_a_truck_slides_near_layers_further_than_far_ones(movement: str) -> None:
    speeds = [speed(scene(movement, walking=False), depth) for depth in FOREST]
    sign = -1 if movement == "truck-right" else 1  # the camera slides right, the world goes left
    assert all(np.sign(v) == sign for v in speeds), speeds
    assert all(abs(far) < abs(near) for far, near in itertools.pairwise(speeds)), speeds


def test_an_orbit_holds_the_subject_and_swings_the_background_behind_it() -> None:
    s = scene("orbit", walking=False)
    held = speed(s, 0.0)
    behind = [speed(s, depth) for depth in FOREST[:-1]]
    assert abs(held) < 0.01
    assert all(abs(far) > abs(near) for far, near in itertools.pairwise(behind)), behind


def horizon(view: camera.View) -> float:
    """Where the horizon is, as a fraction of the frame height from the top (outside 0..1: out of frame)."""
    return 0.5 + view.pitch


STEADY = [m.value for m in CameraMovement if m not in (CameraMovement.TILT_UP, CameraMovement.TILT_DOWN)]


@pytest.mark.parametrize("movement", STEADY)
@pytest.mark.parametrize("size", ["extreme-wide", "wide", "full", "medium", "close-up"])
def test_a_birds_eye_view_looks_down_on_the_ground(movement: str, size: str) -> None:
    s = scene(movement, size, "birds-eye")
    highest = max(horizon(s.view_at(SECONDS * i / 8)) for i in range(9))
    assert highest <= 0.2, "the horizon should be above the frame or in its top part"


@pytest.mark.parametrize("movement", STEADY)
@pytest.mark.parametrize("size", ["extreme-wide", "wide", "full", "medium", "close-up"])
def test_a_worms_eye_view_looks_up_at_the_sky(movement: str, size: str) -> None:
    s = scene(movement, size, "worms-eye")
    lowest = min(horizon(s.view_at(SECONDS * i / 8)) for i in range(9))
    assert lowest >= 0.75, "the horizon should be low in the frame, the sky above filling it"


def test_from_above_a_shadow_pools_around_the_feet() -> None:
    """Seen from the side a shadow is a thin streak; from above it spreads round the feet."""
    level, above = (camera.looking_down(scene("static", "wide", angle).view_at(0.0)) for angle in ("eye-level",
                                                                                                  "birds-eye"))
    assert (level, above) == (0.0, 1.0)
