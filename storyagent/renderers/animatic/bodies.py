"""Whole figures from emoji that are only a head. Most emoji mammals are a face
and every emoji person is a bust: drawn as they are, a polar bear glides across
the ice as a face. Here such an icon gets a body in its own colours (four legs
under a mammal's head, a torso, arms and two legs under a bust) whose legs
swing with the character's gait.

A figure is drawn in units of its height, facing right, centred on x = 0 with
its feet on y = 0; up is negative, as skia's y points down.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import skia

from storyagent.renderers.framing import Body
from storyagent.world import icons


class Build(StrEnum):
    WHOLE = "whole"  # the icon is the whole body
    FOUR_LEGS = "four-legs"  # a mammal's head
    TWO_LEGS = "two-legs"  # a person's bust, a robot's or an alien's head


# Head-only emoji of animals that walk on four legs, and of creatures that walk on two.
# People are told by the skin-tone variants every person emoji has.
FOUR_LEGGED_HEADS = frozenset({
    "bear", "polar-bear", "panda", "koala", "raccoon", "fox", "lion", "wolf", "hamster", "unicorn", "frog",
    "cat-face", "dog-face", "tiger-face", "cow-face", "pig-face", "mouse-face", "rabbit-face", "horse-face",
})
TWO_LEGGED_HEADS = frozenset({"robot", "alien", "monkey-face", "ogre", "goblin", "clown-face"})
BUST_ASPECT = 0.7  # a person emoji at least this wide for its height is a bust, not a standing figure

# Clothes for people whose bust shows no garment (the bottom of the icon is skin or hair), by seed.
SHIRTS = ["#3f7fbf", "#c8553d", "#4f9d69", "#8e5ea2", "#e0a030", "#2f4858", "#d4687a"]
TROUSERS = ["#2e3a59", "#4a3b31", "#3b4a3f", "#555a63"]
SHOES = "#2b2b30"
LEG_SWING = 24.0  # degrees at the height of a stride
HEAD_DRAW_BACK = 0.14  # how far a head looking back moves toward the tail, in head widths
HEAD_TIP = 10.0  # and how far it tips back, in degrees
PAW_FROM = 60.0  # degrees of `Limbs.arm` above which a four-legged figure lifts a forepaw
SIDE_VIEW = 1.3  # a figure that is one emoji this much wider than tall is seen from the side (a fish, a tortoise)
HEAD_TURN_LEAST = 0.55  # a drawn body's head, round and front-on, is never a sliver mid-turn (its outline is the same
# either way round, so only its features swap sides)
OUTLINE = 0.022  # stroke width, in heights: about the weight of the emoji's own outlines


@dataclass(frozen=True)
class Limbs:
    """What a figure's body does at one instant, besides where it stands."""

    gait: float = 0.0  # where the legs are in a stride, -1..1 (0: together)
    arm: float = 0.0  # degrees the front arm, paw or wing is raised from hanging (150: over the head)
    turn: float = 1.0  # the head's horizontal scale: 1 looks ahead, -1 looks back, between is turning
    sit: float = 0.0  # 0 standing, 1 sitting or lying with the legs folded


@dataclass(frozen=True)
class Figure:
    """How a character's icon becomes a whole figure: its build and colours."""

    icon: str
    build: Build
    coat: int  # skia colour of the body (fur, or clothes)
    limbs: int  # legs (fur, or trousers)
    hands: int  # hands and paws

    @property
    def width(self) -> float:
        """Drawn width, in heights."""
        box = icons.content_box(self.icon)
        if self.build == Build.WHOLE:
            return box.width / box.height
        return _layout(self).width

    @property
    def head(self) -> skia.Rect | None:
        """Its head when it faces right, in heights from its feet; None when the icon is the whole body."""
        if self.build == Build.WHOLE:
            return None
        layout = _layout(self)
        return layout.head.makeOffset(-layout.centre, 0)


@functools.lru_cache(maxsize=256)
def figure(icon: str, seed: int = 0) -> Figure:
    """The figure an icon makes; `seed` picks clothes where a bust shows none."""
    build = build_of(icon)
    if build == Build.WHOLE:
        return Figure(icon, build, 0, 0, 0)
    colours = _colours(icon)
    if build == Build.FOUR_LEGS or icon in TWO_LEGGED_HEADS:
        # A mammal's coat is its face's colour (not its mane's or outline's); a robot is all of one colour.
        coat = colours["skin" if build == Build.FOUR_LEGS else "main"]
        return Figure(icon, build, coat, _darker(coat, 0.85), _darker(coat, 0.7))
    shirt = colours["bottom"]
    if _close(shirt, colours["main"]) or _close(shirt, colours["skin"]):  # no garment shows: dress them
        shirt = icons.hex_colour(SHIRTS[seed % len(SHIRTS)])
    return Figure(icon, build, shirt, icons.hex_colour(TROUSERS[seed // len(SHIRTS) % len(TROUSERS)]), colours["skin"])


def body_kind(icon: str) -> Body:
    """Which kind of figure the framing table measures it as."""
    return {Build.WHOLE: Body.ALL_HEAD, Build.FOUR_LEGS: Body.FOUR_LEGS}.get(build_of(icon), Body.UPRIGHT)


def build_of(icon: str) -> Build:
    if icon in FOUR_LEGGED_HEADS:
        return Build.FOUR_LEGS
    if icon in TWO_LEGGED_HEADS:
        return Build.TWO_LEGS
    box = icons.content_box(icon)
    if f"{icon}-medium" in icons.library() and box.width / box.height >= BUST_ASPECT:
        return Build.TWO_LEGS
    return Build.WHOLE


def draw(canvas: skia.Canvas, fig: Figure, limbs: Limbs = Limbs(), facing: int = 1,
         paint: skia.Paint | None = None) -> None:
    """The figure at unit height, feet centred on the origin, its body doing
    `limbs`; `paint`'s colour filter (light, tint) over all of it."""
    if fig.build == Build.WHOLE:
        _draw_whole(canvas, fig, limbs, facing, paint)
        return
    layout = _layout(fig)
    canvas.save()
    if facing < 0:
        canvas.scale(-1, 1)
    canvas.translate(-layout.centre, 0)
    colour_filter = paint.getColorFilter() if paint else None
    build = _four_legs if fig.build == Build.FOUR_LEGS else _two_legs
    shapes = build(fig, layout, limbs)
    # Every shape's outline first, then every fill: only the outline of the whole silhouette shows,
    # as the emoji heads are outlined.
    outline = _paint(_darker(fig.coat, 0.72), colour_filter)
    outline.setStyle(skia.Paint.kStroke_Style)
    outline.setStrokeWidth(OUTLINE)
    for path, _ in shapes:
        canvas.drawPath(path, outline)
    for path, colour in shapes:
        canvas.drawPath(path, _paint(colour, colour_filter))
    canvas.restore()
    canvas.drawPicture(icons.picture(fig.icon), icon_matrix(fig, limbs, facing), paint)


def icon_matrix(fig: Figure, limbs: Limbs = Limbs(), facing: int = 1) -> skia.Matrix:
    """Where `draw` puts the icon's unit square, in the figure's units: what is drawn on its face goes through
    it too. A head turns about its own middle, the body stays: looking around never moves the silhouette.
    Looking back, it also draws back and tips, as a face drawn front-on looks the same either way."""
    box = icons.content_box(fig.icon)
    if fig.build == Build.WHOLE:  # it turns as a whole, about its middle
        matrix = skia.Matrix.Scale(turned(limbs.turn), 1)
        return matrix.preConcat(icons.placement(-(box.left + box.right) / 2 / box.height, -box.bottom / box.height,
                                                1 / box.height, icons.flip_for(fig.icon, facing)))
    layout = _layout(fig)
    head = layout.head.makeOffset(0, drop(fig, limbs.sit))
    size = head.height() / box.height
    back = (1 - limbs.turn) / 2
    matrix = skia.Matrix.Scale(-1 if facing < 0 else 1, 1)
    matrix.preTranslate(head.centerX() - layout.centre - HEAD_DRAW_BACK * head.width() * back, 0)
    matrix.preRotate(-HEAD_TIP * back, 0, head.bottom())
    matrix.preScale(turned(limbs.turn, HEAD_TURN_LEAST), 1)
    matrix.preTranslate(-head.centerX(), 0)
    return matrix.preConcat(icons.placement(head.left() - size * box.left, head.top() - size * box.top, size,
                                            icons.flip_for(fig.icon, 1)))


def drop(fig: Figure, sit: float) -> float:
    """How far a seated figure's body comes down, in heights: a sitter's legs fold under it."""
    if fig.build == Build.WHOLE:
        return 0.0
    return (0.22 if fig.build == Build.FOUR_LEGS else 0.28) * sit


def turned(turn: float, least: float = 0.33) -> float:
    """A turning head is never drawn thinner than `least` of itself: it reads as a turn, not a vanishing."""
    return math.copysign(max(abs(turn), least), turn)


def _draw_whole(canvas: skia.Canvas, fig: Figure, limbs: Limbs, facing: int, paint: skia.Paint | None) -> None:
    """An icon that is its own body: it turns as a whole (about its middle), and raises a wing or
    flipper of its own colour when it waves. The wing narrows with the turn but stays on the side the
    figure faces: were it mirrored with the icon, it would leap across the figure mid-turn."""
    if limbs.arm > 0:
        canvas.save()
        canvas.scale(abs(turned(limbs.turn)), 1)
        _wing(canvas, fig, limbs.arm, facing, paint)
        canvas.restore()
    canvas.drawPicture(icons.picture(fig.icon), icon_matrix(fig, limbs, facing), paint)


def wing_path(fig: Figure, arm: float, facing: int) -> skia.Path:
    """A wing or flipper raised `arm` degrees at the figure's front shoulder (the layout track measures it)."""
    shoulder = skia.Point(facing * fig.width * 0.3, -0.55)
    length, width = 0.42, 0.14
    shape = skia.Path.RRect(skia.RRect.MakeRectXY(
        skia.Rect.MakeLTRB(shoulder.x() - width / 2, shoulder.y(), shoulder.x() + width / 2, shoulder.y() + length),
        width / 2, width / 2))
    shape.transform(skia.Matrix.RotateDeg(-facing * arm, shoulder))
    return shape


def _wing(canvas: skia.Canvas, fig: Figure, arm: float, facing: int, paint: skia.Paint | None) -> None:
    """A raised wing or flipper at the figure's front shoulder, behind the icon's edge."""
    shape = wing_path(fig, arm, facing)
    colour = skia.Color(*(round(c * 0.75) for c in icons.average_colour(fig.icon)))
    outline = _paint(_darker(colour, 0.7), paint.getColorFilter() if paint else None)
    outline.setStyle(skia.Paint.kStroke_Style)
    outline.setStrokeWidth(OUTLINE)
    canvas.drawPath(shape, outline)
    canvas.drawPath(shape, _paint(colour, paint.getColorFilter() if paint else None))


def body_path(fig: Figure, limbs: Limbs = Limbs()) -> skia.Path:
    """The body `draw` puts under the head (none for a whole icon) doing `limbs`, facing right, as one path:
    the layout track measures it."""
    path = skia.Path()
    if fig.build != Build.WHOLE:
        layout = _layout(fig)
        for shape, _ in (_four_legs if fig.build == Build.FOUR_LEGS else _two_legs)(fig, layout, limbs):
            path.addPath(shape, -layout.centre, 0)
    return path


# -- layouts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    head: skia.Rect
    torso: skia.Rect
    width: float
    centre: float  # x of the middle of the figure's extent, before centring


@functools.lru_cache(maxsize=256)
def _layout(fig: Figure) -> _Layout:
    box = icons.content_box(fig.icon)
    aspect = box.width / box.height
    if fig.build == Build.FOUR_LEGS:
        # A body a little longer than it is tall, the head at the front, over the forelegs.
        head_height = 0.56
        head_width = head_height * aspect
        head_x = 0.34
        head = skia.Rect.MakeXYWH(head_x - head_width / 2, -1.0 + 0.04, head_width, head_height)
        torso = skia.Rect.MakeLTRB(-0.62, -0.66, 0.3, -0.26)
        left, right = -0.7, max(torso.right(), head.right())
    else:
        # A bust on a torso as wide as its shoulders.
        head_height = 0.46
        head_width = head_height * aspect
        head = skia.Rect.MakeXYWH(-head_width / 2, -1.0, head_width, head_height)
        half = min(0.2, 0.36 * head_width)
        torso = skia.Rect.MakeLTRB(-half, -0.6, half, -0.28)
        left, right = min(head.left(), -half - 0.08), max(head.right(), half + 0.08)
    return _Layout(head, torso, right - left, (left + right) / 2)


Shapes = list[tuple[skia.Path, int]]  # outlines and their fill colours, back to front


def _four_legs(fig: Figure, layout: _Layout, limbs: Limbs) -> Shapes:
    down = drop(fig, limbs.sit)
    torso = layout.torso.makeOffset(0, down)
    swing = LEG_SWING * limbs.gait
    hip = -0.36 + down
    # Seated, the hind legs fold forward under the body and the forelegs back; a raised forepaw reaches forward.
    hind, fore = swing - 75 * limbs.sit, -swing + 75 * limbs.sit
    # Diagonal pairs move together, as in a walk: the far legs behind the body, in shade, the near ones over it.
    shapes = [*_limb(-0.44, hip, 0.36, 0.13, hind, fig.limbs, fig.hands),
              *_limb(0.12, hip, 0.36, 0.13, fore, fig.limbs, fig.hands),
              (skia.Path.Circle(torso.left() - 0.02, torso.top() + 0.08, 0.07), fig.coat),  # tail
              (skia.Path.RRect(skia.RRect.MakeRectXY(torso, 0.2, 0.2)), fig.coat)]
    # A paw lifts forward (under the head, where it shows) only for a wave or a greeting: smaller gestures
    # of an arm would look like a kick.
    paw = swing + 75 * limbs.sit - min(max(limbs.arm - PAW_FROM, 0.0), 75.0)
    return shapes + [*_limb(-0.54, hip, 0.36, 0.13, -swing - 75 * limbs.sit, fig.coat, fig.hands),
                     *_limb(0.2, hip, 0.36, 0.13, paw, fig.coat, fig.hands)]


def _two_legs(fig: Figure, layout: _Layout, limbs: Limbs) -> Shapes:
    down = drop(fig, limbs.sit)
    torso = layout.torso.makeOffset(0, down)
    swing = LEG_SWING * limbs.gait
    half = torso.width() / 2
    shapes: Shapes = []
    for x, angle in ((-0.3 * half - 0.01, swing), (0.3 * half + 0.01, -swing)):  # seated, the legs reach forward
        shapes += _limb(x, -0.32 + down, 0.32, 0.1, angle - 85 * limbs.sit, fig.limbs, icons.hex_colour(SHOES))
    # The arms swing against the legs; the front one rises to wave.
    for x, angle in ((-half - 0.035, -0.7 * swing), (half + 0.035, 0.7 * swing - limbs.arm)):
        shapes += _limb(x, -0.56 + down, 0.27, 0.075, angle, fig.coat, fig.hands)
    return shapes + [(skia.Path.RRect(skia.RRect.MakeRectXY(torso, 0.06, 0.06)), fig.coat)]


def _limb(x: float, top: float, length: float, width: float, angle: float, limb: int, end: int) -> Shapes:
    """A rounded limb hanging from (x, top), turned `angle` degrees about that
    joint, with a paw, hand or shoe at its end."""
    rect = skia.Rect.MakeLTRB(x - width / 2, top, x + width / 2, top + length)
    foot = skia.Rect.MakeLTRB(x - width * 0.6, top + length - width * 0.45, x + width * 0.7, top + length)
    turn = skia.Matrix.RotateDeg(angle, skia.Point(x, top))
    shapes = [(skia.Path.RRect(skia.RRect.MakeRectXY(rect, width / 2, width / 2)), limb), (skia.Path.Oval(foot), end)]
    for path, _ in shapes:
        path.transform(turn)
    return shapes


# -- colours --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _colours(icon: str) -> dict[str, int]:
    """The icon's main colour (most of its area), its skin (most of its middle),
    and the colour along its bottom edge, as skia colours."""
    n = 64
    pixels = icons.raster(icon, n)
    box = icons.content_box(icon)
    top, bottom = round(box.top * n), round(box.bottom * n)
    middle = pixels[top + (bottom - top) // 3 : bottom - (bottom - top) // 3]
    edge = pixels[max(top, bottom - max(2, (bottom - top) // 10)) : bottom]
    return {"main": _commonest(pixels), "skin": _commonest(middle), "bottom": _commonest(edge)}


def _commonest(pixels: np.ndarray) -> int:
    opaque = pixels[pixels[..., 3] > 250][:, :3]
    if not len(opaque):
        return skia.Color(128, 128, 128)
    bins, counts = np.unique(opaque // 16, axis=0, return_counts=True)
    r, g, b = (int(v) for v in opaque[(opaque // 16 == bins[np.argmax(counts)]).all(axis=1)].mean(axis=0))
    return skia.Color(r, g, b)


def _close(a: int, b: int, within: float = 40.0) -> bool:
    ca, cb = skia.Color4f(a), skia.Color4f(b)
    return math.dist((ca.fR, ca.fG, ca.fB), (cb.fR, cb.fG, cb.fB)) * 255 < within


def _darker(colour: int, factor: float) -> int:
    c = skia.Color4f(colour)
    return skia.Color(round(c.fR * 255 * factor), round(c.fG * 255 * factor), round(c.fB * 255 * factor))


def _paint(colour: int, colour_filter: skia.ColorFilter | None = None) -> skia.Paint:
    paint = skia.Paint(Color=colour, AntiAlias=True)
    if colour_filter is not None:
        paint.setColorFilter(colour_filter)
    return paint
