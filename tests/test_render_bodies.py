"""Whole figures from head-only emoji: which icons get a body, in what colours,
drawn to the size the layout promises, with legs that move and a head that does not."""

from __future__ import annotations

import numpy as np
import pytest
import skia

from storyagent.renderers.animatic import bodies
from storyagent.renderers.animatic.bodies import Build

S = 200  # pixels per figure height


def drawn(icon: str, gait: float = 0.0, facing: int = 1) -> np.ndarray:
    """The figure on a transparent canvas, feet at the bottom centre: its alpha."""
    fig = bodies.figure(icon)
    width = int(S * fig.width) + 40
    pixels = np.zeros((S + 40, width, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    with surface as canvas:
        canvas.translate(width / 2, S + 20)
        canvas.scale(S, S)
        bodies.draw(canvas, fig, bodies.Limbs(gait=gait), facing)
    return pixels


@pytest.mark.parametrize("icon,build", [
    ("polar-bear", Build.FOUR_LEGS), ("fox", Build.FOUR_LEGS), ("lion", Build.FOUR_LEGS),
    ("girl", Build.TWO_LEGS), ("cook", Build.TWO_LEGS), ("robot", Build.TWO_LEGS),
    ("penguin", Build.WHOLE), ("person-standing", Build.WHOLE), ("giraffe", Build.WHOLE), ("dog", Build.WHOLE),
])
def test_heads_and_busts_get_bodies_and_whole_figures_do_not(icon: str, build: Build) -> None:
    assert bodies.build_of(icon) == build


@pytest.mark.parametrize("icon", ["polar-bear", "fox", "girl", "penguin"])
def test_the_figure_is_as_tall_as_one_height_and_as_wide_as_it_says(icon: str) -> None:
    alpha = drawn(icon)[..., 3] > 128
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    assert (rows[-1] + 1 - rows[0]) / S == pytest.approx(1.0, abs=0.05)
    assert (cols[-1] + 1 - cols[0]) / S == pytest.approx(bodies.figure(icon).width, abs=0.05)
    centre = (cols[0] + cols[-1] + 1) / 2
    assert abs(centre - alpha.shape[1] / 2) < 0.03 * S, "feet centred on the origin"


def test_a_coat_takes_the_colour_of_the_face() -> None:
    def coat(icon: str) -> np.ndarray:
        c = skia.Color4f(bodies.figure(icon).coat)
        return np.array([c.fR, c.fG, c.fB]) * 255

    assert coat("polar-bear").min() > 200  # white
    r, g, b = coat("fox")
    assert r > 200 and r > g > b  # orange


def test_dressed_people_keep_their_clothes_and_the_undressed_get_some() -> None:
    astronaut, girl = bodies.figure("astronaut"), bodies.figure("girl", seed=3)
    assert astronaut.coat != girl.coat
    assert bodies.figure("girl", seed=3) == girl, "the same seed dresses a character the same in every shot"


@pytest.mark.parametrize("icon", ["polar-bear", "girl"])
def test_legs_swing_with_the_gait_and_the_head_stays(icon: str) -> None:
    back, forth = drawn(icon, gait=-1.0), drawn(icon, gait=1.0)
    legs = slice(int(S * 0.75) + 20, S + 20)
    head = slice(20, int(S * 0.35) + 20)
    assert (back[legs] != forth[legs]).any(axis=2).mean() > 0.02
    assert np.array_equal(back[head], forth[head])


def test_facing_left_mirrors_the_figure() -> None:
    right, left = drawn("fox", facing=1)[..., 3] > 128, drawn("fox", facing=-1)[..., 3] > 128
    assert (right != left[:, ::-1]).mean() < 0.01
