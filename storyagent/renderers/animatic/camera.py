"""The virtual camera: it executes a shot's camera direction over its duration.

The world is 2.5D: flat layers stand at a depth behind the subject plane (depth
0, where the characters are), the ground is y = 0 and y grows downward like
the screen, a grown-up human is 1 unit tall. A layer at depth z is drawn at
`focal / (distance + z)` pixels per unit, so a dolly moves near layers more
than far ones (parallax) while a zoom or a pan moves them all alike.

Pan, tilt and the camera angle turn the camera; they shift every layer by the
same amount (including the sky at infinite depth). Truck, pedestal, crane and
tracking move it; near layers slide past faster than far ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import skia

from storyagent.renderers import framing
from storyagent.renderers.framing import Body
from storyagent.storyboard import CameraAngle, CameraMovement, ShotSize

FIELD_OF_VIEW = math.radians(40)  # vertical, a normal lens


@dataclass(frozen=True)
class Angle:
    """Pitch as a shift of the horizon (fraction of frame height; negative
    raises it, i.e. the camera looks down) and a roll. An angle never changes
    the size: the framing table holds at every angle."""

    pitch: float = 0.0
    roll: float = 0.0


ANGLES: dict[CameraAngle, Angle] = {
    CameraAngle.EYE_LEVEL: Angle(),
    CameraAngle.LOW: Angle(pitch=0.22),
    CameraAngle.WORMS_EYE: Angle(pitch=0.4),
    CameraAngle.HIGH: Angle(pitch=-0.24),
    CameraAngle.BIRDS_EYE: Angle(pitch=-0.85),  # high above: the horizon far over the frame
    CameraAngle.DUTCH: Angle(roll=12.0),
}

# How far each movement goes over a shot, in units that do not depend on resolution.
PAN = 0.55  # turn, in frame heights at the horizon
TILT = 0.35  # turn, in frame heights
DOLLY = 1.6  # distance ratio between start and end: the subject grows by this much
ZOOM = 1.5  # focal ratio between start and end
TRUCK = 0.5  # slide, in visible widths at the subject plane
PEDESTAL = 0.35  # rise, in visible heights at the subject plane
CRANE_RISE = 0.6  # rise, in visible heights, while the view widens by CRANE_WIDEN
CRANE_WIDEN = 1.6
HANDHELD = 0.008  # shake, in frame heights


@dataclass(frozen=True)
class View:
    """Where the camera is and looks at one instant."""

    x: float  # world x at the frame centre, on the subject plane
    y: float  # world y at the frame centre, on the subject plane (y down)
    distance: float  # from the camera to the subject plane
    zoom: float = 1.0  # lens: 1 is the normal field of view
    yaw: float = 0.0  # turn right, in frame heights (moves the world left)
    pitch: float = 0.0  # horizon shift, in frame heights (+ down: the camera looks up)
    roll: float = 0.0  # degrees


def looking_down(view: View) -> float:
    """How steeply the camera looks down, 0 (level or up) to 1 (a bird's-eye view)."""
    return min(max(-view.pitch / -ANGLES[CameraAngle.BIRDS_EYE].pitch, 0.0), 1.0)


def focal(height: int, zoom: float = 1.0) -> float:
    """Pixels per world unit at distance 1."""
    return zoom * height / (2 * math.tan(FIELD_OF_VIEW / 2))


def scale_at(view: View, depth: float, height: int) -> float:
    """Pixels per world unit for a layer `depth` units behind the subject plane."""
    return focal(height, view.zoom) / max(view.distance + depth, 1e-3)


def screen_matrix(view: View, width: int, height: int) -> skia.Matrix:
    """From 'frame-height units around the horizon centre' to pixels: the part
    every layer shares (turns and roll)."""
    m = skia.Matrix.Translate(width / 2, height / 2)
    m.preRotate(view.roll)
    m.preTranslate(-view.yaw * height, view.pitch * height)
    return m


def layer_matrix(view: View, depth: float, width: int, height: int) -> skia.Matrix:
    """World units of a layer at `depth` to pixels."""
    k = scale_at(view, depth, height)
    m = screen_matrix(view, width, height)
    m.preScale(k, k)
    m.preTranslate(-view.x, -view.y)
    return m


# -- executing a shot ---------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What the camera frames: its position over the shot and its size."""

    x: Callable[[float], float]  # world x of its centre at shot progress t (0..1)
    top: float  # world y of its top when standing (negative: above the ground)
    height: float
    facing: int  # +1 right, -1 left: the frame leaves room in front of it; 0: none (a group framed whole)
    body: Body = Body.UPRIGHT  # which row of the framing table it is framed by
    width: float = 0.5
    face: Face | None = None  # the head of a drawn body, which close shots frame
    widen: float = 1.0  # how much wider than its size row the view is, to hold everyone of a group shot


@dataclass(frozen=True)
class Face:
    """Where a subject's head is, in world units."""

    dx: float  # from the subject's x
    top: float  # world y of its top
    height: float
    width: float


def ease(t: float) -> float:
    """Smooth start and stop."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


FILLS_WIDTH = 0.85  # of the frame width: a figure wider than this is framed by its front half
LEAD_ROOM = 0.12  # of the frame width: the subject sits this far off centre, away from where it faces


def base_view(size: ShotSize, angle: CameraAngle, subject: Subject, width: int, height: int) -> View:
    """The view that frames the subject as the framing table's row for its size and body asks, at mid-shot."""
    aim, tilt = framing.aim(size, subject.body), ANGLES[angle]
    dx, top, tall, wide = 0.0, subject.top, subject.height, subject.width  # what is framed: the figure, or its head
    if aim.part == "head" and subject.face is not None:
        dx, top, tall, wide = subject.face.dx, subject.face.top, subject.face.height, subject.face.width
    k = aim.coverage * height / tall / subject.widen  # pixels per unit on the subject plane
    if aim.part == "figure" and subject.face is not None and wide * k > FILLS_WIDTH * width:
        # Too long for the frame (a bear at medium): its front half, or if the head would still reach the edge
        # (a tortoise seen from the side), its head in the middle.
        half_way = (abs(subject.face.dx) / 2 + subject.face.width / 2) * k <= 0.45 * width
        dx = subject.face.dx / 2 if half_way else subject.face.dx
    distance = focal(height) / k
    # The framed top sits at `aim.top` of the frame height (the pitch shifts everything).
    y = top - (aim.top - 0.5 - tilt.pitch) * height / k
    # Room to look into, as much as the framed part leaves: a close shot that fills the width stays centred.
    room = 0.0 if k * tall < 0.5 * height else min(LEAD_ROOM * width, max(width - wide * k, 0.0) / 2)
    return View(x=subject.x(0.5) + dx + room / k * subject.facing, y=y, distance=distance, pitch=tilt.pitch,
                roll=tilt.roll)


def camera_path(movement: CameraMovement, size: ShotSize, angle: CameraAngle, subject: Subject,
                width: int, height: int, duration: float, seed: int = 0, amount: float = 1.0
                ) -> Callable[[float], View]:
    """The view at each second of the shot; `amount` scales how far the camera moves (1: the full move), so a
    move can be made small enough to start and end on framings its size row allows."""
    base = base_view(size, angle, subject, width, height)
    k = scale_at(base, 0.0, height)
    visible_w, visible_h = width / k, height / k

    def at(seconds: float) -> View:
        t = seconds / duration if duration > 0 else 0.0
        s = 0.5 + amount * (ease(t) - 0.5)  # 0.5 is mid-shot, where the base view frames the subject
        m = movement
        if m == CameraMovement.PAN_LEFT:
            return replace(base, yaw=base.yaw + PAN * (0.5 - s))
        if m == CameraMovement.PAN_RIGHT:
            return replace(base, yaw=base.yaw + PAN * (s - 0.5))
        if m == CameraMovement.TILT_UP:
            return replace(base, pitch=base.pitch + TILT * (s - 0.5))
        if m == CameraMovement.TILT_DOWN:
            return replace(base, pitch=base.pitch + TILT * (0.5 - s))
        if m in (CameraMovement.DOLLY_IN, CameraMovement.DOLLY_OUT):
            sign = 1 if m == CameraMovement.DOLLY_IN else -1
            return replace(base, distance=base.distance * DOLLY ** (sign * (0.5 - s)))
        if m in (CameraMovement.ZOOM_IN, CameraMovement.ZOOM_OUT):
            sign = 1 if m == CameraMovement.ZOOM_IN else -1
            return replace(base, zoom=ZOOM ** (sign * (s - 0.5)))
        if m in (CameraMovement.TRUCK_LEFT, CameraMovement.TRUCK_RIGHT):
            sign = 1 if m == CameraMovement.TRUCK_RIGHT else -1
            return replace(base, x=base.x + sign * TRUCK * visible_w * (s - 0.5))
        if m in (CameraMovement.PEDESTAL_UP, CameraMovement.PEDESTAL_DOWN):
            sign = 1 if m == CameraMovement.PEDESTAL_UP else -1
            return replace(base, y=base.y - sign * PEDESTAL * visible_h * (s - 0.5))
        if m in (CameraMovement.CRANE_UP, CameraMovement.CRANE_DOWN):
            rise = s - 0.5 if m == CameraMovement.CRANE_UP else 0.5 - s  # from mid-shot, where the base frames
            return replace(
                base,
                y=base.y - CRANE_RISE * visible_h * rise,
                distance=base.distance * CRANE_WIDEN**rise,
                pitch=base.pitch - 0.12 * rise,
            )
        if m == CameraMovement.TRACKING:
            return replace(base, x=subject.x(t) + (base.x - subject.x(0.5)))
        if m == CameraMovement.ORBIT:
            # A truck whose turn keeps the subject centred: the background slides behind it.
            dx = TRUCK * visible_w * (s - 0.5)
            return replace(base, x=base.x + dx, yaw=base.yaw - dx * k / height)
        if m == CameraMovement.HANDHELD:
            return shake(base, seconds, seed, amount)
        return base

    return at


def shake(view: View, seconds: float, seed: int, amount: float = 1.0) -> View:
    """A hand-held wobble: a few incommensurate sines, different per shot."""
    phase = (seed % 997) * 0.37
    def wobble(*freqs: float) -> float:
        return sum(math.sin(2 * math.pi * f * seconds + phase * (i + 1)) for i, f in enumerate(freqs)) / len(freqs)

    return replace(
        view,
        yaw=view.yaw + amount * HANDHELD * wobble(0.7, 1.9, 3.1),
        pitch=view.pitch + amount * HANDHELD * wobble(0.9, 2.3, 2.9),
        roll=view.roll + amount * 0.6 * wobble(0.5, 1.3),
    )
