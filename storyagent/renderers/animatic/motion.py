"""Character motion: where each character stands in a shot and how its body
moves at each instant, from the storyboard's `Motion` and `ScreenDirection`.

Characters stand side by side on the subject plane, spaced by their widths so
they never overlap; those who travel move together, so they stay apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from storyagent.cast import Look
from storyagent.renderers.animatic import bodies
from storyagent.storyboard import Motion, OnScreen, ScreenDirection

# Travel speed in body heights per second.
SPEED = {Motion.WALK: 0.55, Motion.RUN: 1.5, Motion.SWIM: 0.45, Motion.FLY: 1.1}
GAP = 0.3  # space between neighbours, in heights of the taller one
FLYING_HEIGHT = 0.9  # a flier's feet above the ground, in body heights
# A group stands in a wedge behind its first member: rows of two, each row this many widths
# further out to each side and this many heights further back.
GROUP_SPREAD = 0.6
GROUP_DEPTH = 0.8
GROUP_LAG = 0.29  # seconds each member is out of step with the one before


@dataclass(frozen=True)
class Pose:
    """A character at one instant, in world units on the subject plane."""

    x: float  # centre of its feet
    lift: float  # height of its feet above the ground
    depth: float  # behind the subject plane (toward/away from camera)
    facing: int  # +1 right, -1 left
    squash: float = 1.0  # vertical scale (breathing, landing)
    stretch: float = 1.0  # horizontal scale
    tilt: float = 0.0  # degrees, around the feet
    gait: float = 0.0  # where the legs are in a stride, -1..1 (0: together)
    sleeping: bool = False


@dataclass(frozen=True)
class Actor:
    """A character placed in a shot."""

    look: Look
    on: OnScreen
    home: float  # world x of its feet at mid-shot

    @property
    def facing(self) -> int:
        if self.on.direction == ScreenDirection.LEFT_TO_RIGHT:
            return 1
        if self.on.direction == ScreenDirection.RIGHT_TO_LEFT:
            return -1
        return self.look.facing


def figure_width(look: Look) -> float:
    """Width of one of the character's figures on the subject plane."""
    return look.height * bodies.figure(look.icon, look.seed).width


def drawn_width(look: Look) -> float:
    """Width of the character, or of its whole group, on the subject plane."""
    return figure_width(look) * (1 + GROUP_SPREAD * 2 * _rows(look.count))


def arrange(looks: list[Look], on_screen: list[OnScreen]) -> list[Actor]:
    """Side by side in the order listed, centred on x = 0, never overlapping."""
    widths = [drawn_width(look) for look in looks]
    gap = GAP * max((look.height for look in looks), default=1.0)
    total = sum(widths) + gap * max(len(looks) - 1, 0)
    x = -total / 2
    actors = []
    for look, on, width in zip(looks, on_screen, widths):
        actors.append(Actor(look=look, on=on, home=x + width / 2))
        x += width + gap
    return actors


TRACKED = 0.35  # the least a followed traveller covers, in visible widths: the journey must show


def travel(motion: Motion, height: float, duration: float, span: float, followed: bool) -> float:
    """How far a character travels over the shot. `span` is the visible width
    on the subject plane: a traveller the camera does not follow stays in
    frame; one it follows covers enough ground for the landscape to scroll."""
    if motion not in SPEED:
        return 0.0
    distance = SPEED[motion] * height * duration
    return max(distance, TRACKED * span) if followed else min(distance, 0.5 * span)


def offset(t: float, path: float) -> float:
    """Where along its path (signed: + is screen right) a traveller is at shot
    progress t: centred at mid-shot, where the camera framed it."""
    return path * (t - 0.5)


def group_poses(actor: Actor, seconds: float, t: float, path: float) -> list[Pose]:
    """A pose for each member of the character's group (one for a single
    character): the first in front, the rest in rows behind, out of step."""
    width = figure_width(actor.look)
    poses = []
    for member in range(actor.look.count):
        row = _rows(member + 1)
        side = 1 if member % 2 else -1
        alone = pose(actor, seconds + GROUP_LAG * member, t, path)
        poses.append(replace(alone, x=alone.x + side * row * GROUP_SPREAD * width,
                             depth=alone.depth + row * GROUP_DEPTH * actor.look.height))
    return poses


def _rows(count: int) -> int:
    """Rows of two behind the first member of a group of `count`."""
    return count // 2


def pose(actor: Actor, seconds: float, t: float, path: float) -> Pose:
    """The actor's pose `seconds` into the shot (t = progress 0..1). Travellers
    share one signed `path`, the subject's, so they keep their spacing."""
    look, motion = actor.look, actor.on.motion
    facing = actor.facing
    x = actor.home + (offset(t, path) if motion in SPEED else 0.0)
    depth = 0.0
    if actor.on.direction == ScreenDirection.TOWARD_CAMERA:
        depth = 2.5 * look.height * (1 - t)
    elif actor.on.direction == ScreenDirection.AWAY_FROM_CAMERA:
        depth = 2.5 * look.height * t
    phase = (look.seed % 1000) / 1000  # characters do not move in lockstep
    breath = math.sin(2 * math.pi * (seconds / 3.2 + phase))
    h = look.height

    if motion == Motion.WALK:
        stride = math.sin(math.pi * (seconds * 1.8 + phase))
        return Pose(x, 0.05 * h * abs(stride), depth, facing, tilt=3 * stride, gait=stride)
    if motion == Motion.RUN:
        stride = math.sin(math.pi * (seconds * 3.2 + phase))
        return Pose(x, 0.12 * h * abs(stride), depth, facing, squash=1 - 0.04 * (1 - abs(stride)), tilt=8 * facing,
                    gait=1.4 * stride)
    if motion == Motion.SWIM:
        bob = math.sin(2 * math.pi * (seconds * 0.6 + phase))
        return Pose(x, 0.04 * h * bob - 0.15 * h, depth, facing, tilt=5 * bob, gait=0.6 * bob)
    if motion == Motion.FLY:
        glide = math.sin(2 * math.pi * (seconds * 0.4 + phase))
        return Pose(x, FLYING_HEIGHT * h + 0.12 * h * glide, depth, facing, tilt=-6 * facing + 4 * glide)
    if motion == Motion.JUMP:
        hop = (seconds / 1.1 + phase) % 1.0
        height = max(0.0, math.sin(math.pi * hop / 0.7)) if hop < 0.7 else 0.0
        landing = 1 - 0.12 * max(0.0, 1 - abs(hop - 0.8) / 0.12) if hop >= 0.7 else 1.0
        return Pose(x, 0.45 * h * height, depth, facing, squash=landing, stretch=2 - landing)
    if motion == Motion.WAVE:
        return Pose(x, 0.0, depth, facing, tilt=7 * math.sin(2 * math.pi * (seconds * 1.6 + phase)))
    if motion == Motion.SIT:
        return Pose(x, 0.0, depth, facing, squash=0.9 + 0.012 * breath, stretch=1.04)
    if motion == Motion.SLEEP:
        slow = math.sin(2 * math.pi * (seconds / 4.5 + phase))
        return Pose(x, 0.0, depth, facing, squash=0.86 + 0.02 * slow, stretch=1.06, sleeping=True)
    if motion == Motion.LOOK:
        glance = facing if (seconds / 1.7 + phase) % 2.0 < 1.0 else -facing
        return Pose(x, 0.0, depth, glance, squash=1 + 0.012 * breath)
    if motion == Motion.TALK:
        nod = abs(math.sin(2 * math.pi * (seconds * 2.2 + phase)))
        return Pose(x, 0.015 * h * nod, depth, facing, squash=1 + 0.01 * breath, tilt=1.5 * nod)
    if motion == Motion.DANCE:
        beat = math.sin(2 * math.pi * (seconds * 1.0 + phase))
        bounce = abs(math.sin(2 * math.pi * (seconds * 1.0 + phase)))
        return Pose(x, 0.1 * h * bounce, depth, 1 if beat > 0 else -1, tilt=10 * beat)
    if motion == Motion.WORK:  # bends to the work and straightens, a stroke a little under a second
        stroke = (1 + math.sin(2 * math.pi * (seconds * 1.3 + phase))) / 2
        return Pose(x, 0.0, depth, facing, squash=0.94 + 0.05 * stroke, tilt=9 * facing * stroke)
    return Pose(x, 0.0, depth, facing, squash=1 + 0.015 * breath)  # idle: breathing
