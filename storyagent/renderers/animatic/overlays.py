"""Drawn overlays that say what an emoji face cannot: tears, hearts, sweat drops,
z's, "!", music notes and a question mark, small and flat, beside the head and
following it. Which one a performance shows is the table `OVERLAYS`.

Everything is drawn in world units on the character's layer, so an overlay
keeps its size relative to the head in every shot size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import skia

from storyagent.cast import Look
from storyagent.renderers.animatic import bodies
from storyagent.renderers.animatic.motion import Pose
from storyagent.storyboard.acting import Performance
from storyagent.world import icons

INK = icons.hex_colour("#2a2f45")  # the outline of every overlay, so it reads on snow and on night
Z_COLOUR = icons.hex_colour("#b8d4ff")
TEAR_COLOUR = icons.hex_colour("#5ab8f0")
HEART_COLOUR = icons.hex_colour("#e8456b")
SWEAT_COLOUR = icons.hex_colour("#9adcff")
ALARM_COLOUR = icons.hex_colour("#ffcf33")
QUESTION_COLOUR = icons.hex_colour("#ffffff")
NOTE_COLOUR = icons.hex_colour("#7b4fd0")


@dataclass(frozen=True)
class Head:
    """Where a character's head is on its layer, in world units."""

    x: float  # middle
    top: float
    height: float
    width: float
    facing: int

    @property
    def unit(self) -> float:
        """The overlays' size: a fifth of the head, whatever the figure, so they stay in its framing."""
        return 0.2 * self.height


def head_of(look: Look, pose: Pose) -> Head:
    """The head of a figure at a pose: a built figure's drawn head, or the top of a whole icon."""
    fig = bodies.figure(look.icon, look.seed)
    h = look.height
    box = fig.head or skia.Rect.MakeLTRB(-0.35 * fig.width, -1.0, 0.35 * fig.width, -0.55)
    top = box.top() + bodies.drop(fig, pose.limbs.sit)
    return Head(x=pose.x + box.centerX() * h * pose.stretch * pose.facing,
                top=-pose.lift + top * h * pose.squash,
                height=box.height() * h * pose.squash, width=box.width() * h * pose.stretch, facing=pose.facing)


def draw(canvas: skia.Canvas, look: Look, pose: Pose, seconds: float) -> None:
    """The overlay of the pose's performance, if it has one, beside the character's head."""
    overlay = OVERLAYS.get(pose.act)
    if overlay is not None:
        overlay(canvas, head_of(look, pose), seconds + (look.seed % 100) / 37)


# -- the overlays --------------------------------------------------------------------------------


def zzz(canvas: skia.Canvas, head: Head, s: float) -> None:
    """Three z's rising from behind the head, each growing and fading in turn."""
    u = head.unit
    for i in range(3):
        age = (s / 2.4 + i / 3) % 1.0
        size = u * (0.6 + 0.7 * age)
        x = head.x - head.facing * (0.2 * head.width - 1.4 * u * age)
        y = head.top - 0.3 * u - 2.2 * u * age
        path = skia.Path()
        path.moveTo(x, y)
        path.lineTo(x + size, y)
        path.lineTo(x, y + size)
        path.lineTo(x + size, y + size)
        _stroked(canvas, path, Z_COLOUR, 0.22 * size, _fade(age))


def tears(canvas: skia.Canvas, head: Head, s: float) -> None:
    """A tear down each cheek, again and again."""
    u = head.unit
    for side, lag in ((-1, 0.0), (1, 0.45)):
        age = (s / 0.9 + lag) % 1.0
        x = head.x + side * 0.28 * head.width
        y = head.top + 0.55 * head.height + 0.9 * head.height * age
        _filled(canvas, _drop(x, y, 0.45 * u), TEAR_COLOUR, _fade(age))


def hearts(canvas: skia.Canvas, head: Head, s: float) -> None:
    """Hearts rising above the head."""
    u = head.unit
    for i in range(2):
        age = (s / 2.0 + i / 2) % 1.0
        x = head.x + (0.3 if i else -0.3) * head.width + 0.2 * u * math.sin(6 * age)
        y = head.top - 0.4 * u - 2.0 * u * age
        _filled(canvas, _heart(x, y, u * (0.7 + 0.4 * age)), HEART_COLOUR, _fade(age))


def sweat(canvas: skia.Canvas, head: Head, s: float) -> None:
    """A drop at the back of the head, sliding a little and coming back."""
    u = head.unit
    slide = (s / 1.2) % 1.0
    x = head.x - head.facing * 0.55 * head.width
    y = head.top + 0.15 * head.height + 0.3 * u * slide
    _filled(canvas, _drop(x, y, 0.55 * u), SWEAT_COLOUR, _fade(slide))


def alarm(canvas: skia.Canvas, head: Head, s: float) -> None:
    """A "!" over the head, with a little pulse."""
    u = head.unit * (1 + 0.08 * math.sin(2 * math.pi * s * 2))
    x, y = head.x + head.facing * 0.55 * head.width, head.top + 0.3 * head.height
    bar = skia.Path.RRect(skia.RRect.MakeRectXY(skia.Rect.MakeLTRB(x - 0.2 * u, y - 2.1 * u, x + 0.2 * u, y - 0.7 * u),
                                                0.2 * u, 0.2 * u))
    bar.addCircle(x, y - 0.25 * u, 0.22 * u)
    _filled(canvas, bar, ALARM_COLOUR, 1.0)


def question(canvas: skia.Canvas, head: Head, s: float) -> None:
    """A "?" over the head, bobbing slowly."""
    u = head.unit
    x = head.x + head.facing * 0.6 * head.width
    y = head.top + 0.35 * head.height - 0.15 * u * math.sin(2 * math.pi * s / 2)
    hook = skia.Path()
    hook.addArc(skia.Rect.MakeLTRB(x - 0.55 * u, y - 2.3 * u, x + 0.55 * u, y - 1.2 * u), 180, 250)
    hook.lineTo(x, y - 0.75 * u)
    _stroked(canvas, hook, QUESTION_COLOUR, 0.28 * u, 1.0)
    _filled(canvas, skia.Path.Circle(x, y - 0.25 * u, 0.17 * u), QUESTION_COLOUR, 1.0)


def notes(canvas: skia.Canvas, head: Head, s: float) -> None:
    """Music notes rising from the mouth, swaying."""
    u = head.unit
    for i in range(2):
        age = (s / 2.2 + i / 2) % 1.0
        x = head.x + head.facing * (0.6 * head.width + 0.5 * u * age) + 0.25 * u * math.sin(7 * age)
        y = head.top + 0.45 * head.height - 2.2 * u * age
        note = skia.Path.Oval(skia.Rect.MakeLTRB(x - 0.32 * u, y - 0.22 * u, x + 0.32 * u, y + 0.22 * u))
        note.addRect(skia.Rect.MakeLTRB(x + 0.2 * u, y - 1.2 * u, x + 0.32 * u, y))
        note.addRect(skia.Rect.MakeLTRB(x + 0.2 * u, y - 1.2 * u, x + 0.62 * u, y - 0.95 * u))
        _filled(canvas, note, NOTE_COLOUR, _fade(age))


Overlay = Callable[[skia.Canvas, Head, float], None]
OVERLAYS: dict[Performance, Overlay] = {
    Performance.SLEEP: zzz,
    Performance.CRY: tears,
    Performance.HUG: hearts,
    Performance.SHIVER: sweat,
    Performance.WORK: sweat,
    Performance.SURPRISE: alarm,
    Performance.THINK: question,
    Performance.SING: notes,
}


# -- shapes and paint -----------------------------------------------------------------------------


def _drop(x: float, y: float, size: float) -> skia.Path:
    """A drop whose round bottom is centred on (x, y), its point up."""
    path = skia.Path()
    path.moveTo(x, y - 1.6 * size)
    path.cubicTo(x + 0.2 * size, y - 1.0 * size, x + size, y - 0.5 * size, x + size, y)
    path.arcTo(skia.Rect.MakeLTRB(x - size, y - size, x + size, y + size), 0, 180, False)
    path.cubicTo(x - size, y - 0.5 * size, x - 0.2 * size, y - 1.0 * size, x, y - 1.6 * size)
    path.close()
    return path


def _heart(x: float, y: float, size: float) -> skia.Path:
    """A heart of height about `size`, its point at (x, y + size / 2)."""
    path = skia.Path()
    top = y - 0.25 * size
    path.moveTo(x, y + 0.5 * size)
    path.cubicTo(x - 0.9 * size, y - 0.1 * size, x - 0.5 * size, top - 0.55 * size, x, top)
    path.cubicTo(x + 0.5 * size, top - 0.55 * size, x + 0.9 * size, y - 0.1 * size, x, y + 0.5 * size)
    path.close()
    return path


def _fade(age: float) -> float:
    """In quickly, out slowly, over an overlay's cycle."""
    return min(1.0, age / 0.15, (1 - age) / 0.35)


def _filled(canvas: skia.Canvas, path: skia.Path, colour: int, alpha: float) -> None:
    ink = skia.Paint(Color=INK, AntiAlias=True, Style=skia.Paint.kStroke_Style,
                     StrokeWidth=max(0.14 * min(path.getBounds().width(), path.getBounds().height()), 1e-3))
    ink.setAlphaf(alpha)
    canvas.drawPath(path, ink)
    fill = skia.Paint(Color=colour, AntiAlias=True)
    fill.setAlphaf(alpha)
    canvas.drawPath(path, fill)


def _stroked(canvas: skia.Canvas, path: skia.Path, colour: int, width: float, alpha: float) -> None:
    for paint_colour, stroke in ((INK, width * 1.6), (colour, width)):
        paint = skia.Paint(Color=paint_colour, AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=stroke,
                           StrokeCap=skia.Paint.kRound_Cap, StrokeJoin=skia.Paint.kRound_Join)
        paint.setAlphaf(alpha)
        canvas.drawPath(path, paint)
