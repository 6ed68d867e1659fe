"""What an emoji face cannot do by itself: close its eyes and open its mouth.

The eyes are found once per icon in its own picture: the darkest small round shapes wholly inside it, a
pair side by side for a face seen from the front, else the highest one for a head in profile. A sleeper's
eyes are painted over in the colour around them and closed with a dark arc; a speaker's mouth, a dark
oval under the eyes (a bird's beak: a dark wedge that parts), opens as loud as its line is at that
instant. An icon whose eyes are not found sleeps with its z's alone.

Everything is drawn in the icon's own unit square through the matrix that draws the icon, with the
figure's paint (the scene's light, the character's tint), so it turns, tips and is lit with the face.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import skia
from scipy import ndimage

from storyagent.renderers.animatic import bodies
from storyagent.renderers.animatic.motion import Pose
from storyagent.storyboard.acting import Performance
from storyagent.world import icons

# Icons of birds: they speak with their beak.
BEAKED = frozenset({
    "bird", "baby-chick", "front-facing-baby-chick", "hatching-chick", "chicken", "rooster", "turkey", "dodo",
    "dove", "duck", "goose", "swan", "eagle", "owl", "parrot", "peacock", "penguin", "flamingo", "phoenix-bird",
})
MOUTH_COLOUR = icons.hex_colour("#3b1620")
QUIET = 0.04  # a loudness below which the mouth stays as the emoji draws it, shut

N = 128  # the raster the features are found on
DARK = 75  # the luminance (0..255) under which a pixel may belong to an eye
EYE_AREA = (8, 320)  # the pixels an eye covers on the raster
ROUND = 0.6  # the least share of its box an eye fills: a mouth's or an outline's stroke fills less
PAIRED = 1.5  # the most one eye of a pair is larger than the other


@dataclass(frozen=True)
class Eye:
    """An eye in the icon's unit square: the box of all of it (its white too), the colour around it and its
    own dark colour."""

    cover: skia.Rect
    skin: int
    ink: int


class Opening(StrEnum):
    MOUTH = "mouth"  # an oval under the eyes that grows taller
    BEAK = "beak"  # seen from the front: a triangle whose lower point drops
    BEAK_IN_PROFILE = "beak-in-profile"  # a wedge that parts from the beak's root toward its tip


@dataclass(frozen=True)
class Mouth:
    """Where the mouth opens, in the icon's unit square: centred on (x, y), or a beak's top edge or root there,
    `width` across (a beak in profile: how wide it parts at its tip); a beak opens toward `tip` (its lowest
    point from the front, its tip in profile)."""

    opening: Opening
    x: float
    y: float
    width: float
    tip: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Face:
    eyes: tuple[Eye, ...]
    mouth: Mouth | None  # None: not found (a bird in profile whose eye is not)


def draw(canvas: skia.Canvas, fig: bodies.Figure, pose: Pose, paint: skia.Paint | None) -> None:
    """The face's closed eyes if the pose sleeps, its open mouth if it speaks, on the figure as `bodies.draw`
    draws it (in the figure's units)."""
    sleeping = pose.act == Performance.SLEEP
    if not sleeping and pose.voice < QUIET:
        return
    face = features(fig.icon)
    canvas.save()
    canvas.concat(bodies.icon_matrix(fig, pose.limbs, pose.facing))
    light = paint.getColorFilter() if paint else None
    if sleeping:
        for eye in face.eyes:
            _closed(canvas, eye, light)
    if pose.voice >= QUIET and face.mouth is not None:
        _open(canvas, face.mouth, pose.voice, light)
    canvas.restore()


def _closed(canvas: skia.Canvas, eye: Eye, light: skia.ColorFilter | None) -> None:
    """The eye painted over in the colour around it, and a lid drawn across it: an arc sagging in its middle."""
    box = eye.cover
    corner = 0.35 * min(box.width(), box.height())  # rounder, it would leave an eye's white in its corners
    canvas.drawRoundRect(box, corner, corner, _paint(eye.skin, light))
    lid = skia.Path()
    inset = 0.12 * box.width()
    lid.moveTo(box.left() + inset, box.centerY())
    lid.quadTo(box.centerX(), box.centerY() + 0.55 * box.height(), box.right() - inset, box.centerY())
    stroke = _paint(eye.ink, light)
    stroke.setStyle(skia.Paint.kStroke_Style)
    stroke.setStrokeCap(skia.Paint.kRound_Cap)
    stroke.setStrokeWidth(max(0.22 * min(box.width(), box.height()), 1.5 / N))
    canvas.drawPath(lid, stroke)


def _open(canvas: skia.Canvas, mouth: Mouth, loudness: float, light: skia.ColorFilter | None) -> None:
    """The mouth open as far as `loudness` (0..1): an oval that grows taller, or a beak that parts."""
    w, x, y = mouth.width, mouth.x, mouth.y
    tip_x, tip_y = mouth.tip
    open_ = min(loudness, 1.0)
    shape = skia.Path()
    if mouth.opening == Opening.MOUTH:
        half = w * (0.35 + 0.15 * open_)
        shape.addOval(skia.Rect.MakeLTRB(x - half, y - 0.4 * w * open_, x + half, y + 0.4 * w * open_))
    elif mouth.opening == Opening.BEAK:
        shape.moveTo(x - w / 2, y)
        shape.lineTo(x + w / 2, y)
        shape.lineTo(tip_x, y + (tip_y - y) * open_)
    else:
        spread = 0.5 * w * open_ / max(float(np.hypot(tip_x - x, tip_y - y)), 1e-6)  # half its width, in lengths
        shape.moveTo(x, y)
        shape.lineTo(tip_x - spread * (tip_y - y), tip_y + spread * (tip_x - x))
        shape.lineTo(tip_x + spread * (tip_y - y), tip_y - spread * (tip_x - x))
    shape.close()
    canvas.drawPath(shape, _paint(MOUTH_COLOUR, light))


def _paint(colour: int, light: skia.ColorFilter | None) -> skia.Paint:
    paint = skia.Paint(Color=colour, AntiAlias=True)
    if light is not None:
        paint.setColorFilter(light)
    return paint


# -- finding the features -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """A dark shape of the raster, in its pixels."""

    label: int
    top: int
    left: int
    bottom: int
    right: int
    area: int
    enclosed: bool  # wholly inside the icon: an eye, not an edge or a nose's tip

    @property
    def x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def eyelike(self) -> bool:
        long, short = max(self.width, self.height), min(self.width, self.height)
        return (EYE_AREA[0] <= self.area <= EYE_AREA[1] and self.area >= ROUND * self.width * self.height
                and long <= 2.2 * short and self.enclosed)


@functools.lru_cache(maxsize=256)
def features(icon: str) -> Face:
    """The icon's eyes and where its mouth opens, found once per icon."""
    pixels = np.asarray(icons.raster(icon, N)).astype(np.float32)
    alpha = pixels[..., 3]
    opaque = alpha > 250
    rgb = pixels[..., :3] * (255 / np.maximum(alpha, 1))[..., None]  # the raster is premultiplied
    dark = opaque & (rgb @ np.array([0.299, 0.587, 0.114], np.float32) < DARK)
    labels, _ = ndimage.label(dark)
    shapes = _shapes(labels, opaque)
    found = _eyes([s for s in shapes if s.eyelike])
    eyes = tuple(_eye(s, labels, rgb, opaque) for s in found)
    skin = _skin(found[0], labels, rgb, opaque) if found else None
    return Face(eyes, _mouth(icon, found, shapes, skin, rgb, opaque))


def _shapes(labels: np.ndarray, opaque: np.ndarray) -> list[_Shape]:
    shapes = []
    for label, (rows, cols) in enumerate(ndimage.find_objects(labels), 1):
        mine = labels[rows, cols] == label
        around = ndimage.binary_dilation(labels == label, iterations=2) & (labels != label)
        shapes.append(_Shape(label, rows.start, cols.start, rows.stop, cols.stop, int(mine.sum()),
                             bool(opaque[around].all())))
    return shapes


def _eyes(candidates: list[_Shape]) -> tuple[_Shape, ...]:
    """The highest pair of alike shapes side by side (a face from the front), else the highest shape."""
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1:]
             if abs(a.y - b.y) <= 0.3 * max(a.height, b.height)
             and max(a.area, b.area) <= PAIRED * min(a.area, b.area)
             and abs(a.x - b.x) >= 1.5 * max(a.width, b.width)]
    if pairs:
        return tuple(sorted(min(pairs, key=lambda pair: pair[0].y + pair[1].y), key=lambda s: s.x))
    return (min(candidates, key=lambda s: s.y),) if candidates else ()


def _eye(shape: _Shape, labels: np.ndarray, rgb: np.ndarray, opaque: np.ndarray) -> Eye:
    """All of the eye around its dark shape: what joins it and is not of the colour around it (its white, an
    owl's ring), within a shape's size of it."""
    rows, cols = _near(shape)
    own = labels[rows, cols] == shape.label
    near = rgb[rows, cols]
    skin = _skin(shape, labels, rgb, opaque)
    unlike = opaque[rows, cols] & (np.abs(near - skin).sum(axis=-1) > 60)
    joined, _ = ndimage.label(unlike | own)
    eye = joined == joined[own][0]
    ys, xs = np.nonzero(eye)
    cover = skia.Rect.MakeLTRB((cols.start + xs.min() - 0.5) / N, (rows.start + ys.min() - 0.5) / N,
                               (cols.start + xs.max() + 1.5) / N, (rows.start + ys.max() + 1.5) / N)
    return Eye(cover, _colour(skin), _colour(near[own].mean(axis=0)))


def _near(shape: _Shape) -> tuple[slice, slice]:
    """The raster within a shape's size of it."""
    reach = max(shape.width, shape.height)
    return (slice(max(shape.top - reach, 0), shape.bottom + reach),
            slice(max(shape.left - reach, 0), shape.right + reach))


def _skin(shape: _Shape, labels: np.ndarray, rgb: np.ndarray, opaque: np.ndarray) -> np.ndarray:
    """The commonest colour near a dark shape, not dark itself: the skin, fur or feathers around an eye."""
    rows, cols = _near(shape)
    return _commonest(rgb[rows, cols][opaque[rows, cols] & (labels[rows, cols] == 0)])


def _mouth(icon: str, eyes: tuple[_Shape, ...], shapes: list[_Shape], skin: np.ndarray | None, rgb: np.ndarray,
           opaque: np.ndarray) -> Mouth | None:
    beaked = icon in BEAKED
    if len(eyes) == 2:
        return _beak(eyes, skin, rgb, opaque) if beaked else _front_mouth(eyes, shapes)
    if eyes:
        return _side_mouth(eyes[0], opaque, beaked, icons.native_facing(icon))
    box = icons.content_box(icon)
    if beaked or box.width > bodies.SIDE_VIEW * box.height:  # a profile without an eye: where its mouth is is unknown
        return None
    return Mouth(Opening.MOUTH, x=(box.left + box.right) / 2, y=box.top + 0.72 * box.height, width=0.18 * box.width)


def _front_mouth(eyes: tuple[_Shape, ...], shapes: list[_Shape]) -> Mouth:
    """Between and under the eyes: on the lowest dark stroke there (its own mouth, drawn as a line), or a
    little more than the eyes' spacing below them."""
    left, right = eyes
    apart = right.x - left.x
    x, y = (left.x + right.x) / 2, (left.y + right.y) / 2
    below = [s.y for s in shapes if abs(s.x - x) < apart / 2 and s.top > max(left.bottom, right.bottom)]
    return Mouth(Opening.MOUTH, x=x / N, y=max([y + 0.85 * apart, *below]) / N, width=0.6 * apart / N)


def _beak(eyes: tuple[_Shape, ...], skin: np.ndarray, rgb: np.ndarray, opaque: np.ndarray) -> Mouth:
    """A beak seen from the front: the first patch not of the `skin` around the eyes straight down from
    between their tops (a beak may start as high as the eyes), if it ends within three times the eyes'
    spacing; else a small one under the eyes."""
    left, right = eyes
    apart = right.x - left.x
    x, y = round((left.x + right.x) / 2), min(left.top, right.top)
    column = rgb[y: y + round(3 * apart), x]
    differs = (np.abs(column - skin).sum(axis=-1) > 60) & opaque[y: y + len(column), x]
    rows = np.flatnonzero(differs)
    ends = np.flatnonzero(~differs[rows[0]:]) if rows.size else []
    if len(ends) == 0:
        middle = (left.y + right.y) / 2
        return Mouth(Opening.BEAK, x=x / N, y=(middle + 0.45 * apart) / N, width=0.5 * apart / N,
                     tip=(x / N, (middle + apart) / N))
    top, bottom = rows[0], rows[0] + ends[0]
    middle = y + (top + bottom) // 2
    row = (np.abs(rgb[middle] - rgb[middle, x]).sum(axis=-1) <= 60) & opaque[middle]
    labels, _ = ndimage.label(row)
    across = np.flatnonzero(labels == labels[x])
    return Mouth(Opening.BEAK, x=x / N, y=(y + top + 0.1 * (bottom - top)) / N,
                 width=min(across[-1] + 1 - across[0], 1.5 * apart) / N, tip=(x / N, (y + bottom) / N))


def _side_mouth(eye: _Shape, opaque: np.ndarray, beaked: bool, front: int) -> Mouth:
    """A head in profile: its front is as far as the icon reaches unbroken from the eye that way, around the
    eye's height (not a wing beyond a gap); a beak parts from near the eye to there, a mouth opens below the
    way there."""
    top = max(eye.top - eye.height, 0)
    x = round(eye.x)
    ahead = opaque[top: eye.bottom + 2 * eye.height, x::front]
    reaches = np.where(ahead.all(axis=1), ahead.shape[1], ahead.argmin(axis=1))  # to the first gap in each row
    rows = np.flatnonzero(reaches == reaches.max())
    tip_x, tip_y = x + front * (float(reaches.max()) - 1), top + float(rows.mean())
    reach = tip_x - eye.x
    if beaked:
        return Mouth(Opening.BEAK_IN_PROFILE, x=(eye.x + 0.35 * reach) / N, y=(eye.y + tip_y) / 2 / N,
                     width=0.27 * abs(reach) / N, tip=((tip_x - 0.08 * reach) / N, tip_y / N))
    return Mouth(Opening.MOUTH, x=(eye.x + 0.65 * reach) / N, y=(eye.y + 0.45 * abs(reach)) / N,
                 width=0.6 * abs(reach) / N)


def _commonest(rgb: np.ndarray) -> np.ndarray:
    """The commonest colour of some pixels (grouped in steps of 16), as the mean of its group."""
    if not len(rgb):
        return np.array([128.0, 128.0, 128.0], np.float32)
    _, inverse, counts = np.unique((rgb // 16).astype(np.int32), axis=0, return_inverse=True, return_counts=True)
    return rgb[inverse.ravel() == np.argmax(counts)].mean(axis=0)


def _colour(rgb: np.ndarray) -> int:
    r, g, b = (round(float(c)) for c in np.clip(rgb, 0, 255))
    return skia.Color(r, g, b)
