"""Character motion: where each character stands in a shot and how its body
moves at each instant, from the storyboard's `Motion` and `ScreenDirection`
and the performance the acting table reads from its action.

Characters stand side by side on the subject plane, in the order the shot lists
them, spaced by their widths so they never overlap; those who travel move
together, so they stay apart. Partners in an interaction (a greeting, a talk,
a hug, a game) stand close and face each other.
No performance flips a figure: a look around turns the head, a dance sways,
so a silhouette only moves as far as the storyboard moves it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from storyagent.cast import Look, character_look
from storyagent.renderers.animatic import bodies
from storyagent.renderers.animatic.bodies import Build, Limbs
from storyagent.storyboard import Motion, OnScreen, ScreenDirection, Shot, Storyboard
from storyagent.storyboard.acting import GAITS, Performance, interaction, performance

# Travel speed in body heights per second.
SPEED = {Motion.WALK: 0.55, Motion.RUN: 1.5, Motion.SWIM: 0.45, Motion.FLY: 1.1}
GAP = 0.3  # space between neighbours, in heights of the taller one
PARTNER_GAP = 0.1  # between partners in an interaction: close enough to touch with a reach
HUG_GAP = -0.02  # huggers' outlines meet
FLYING_HEIGHT = 0.9  # a flier's feet above the ground, in body heights
# A group stands in a wedge behind its first member: rows of two, each row this many widths
# further out to each side and this many heights further back.
GROUP_SPREAD = 0.6
GROUP_DEPTH = 0.8
GROUP_LAG = 0.29  # seconds each member is out of step with the one before
SEARCH_LEGS = 2  # a searcher walks and stops this many times in a shot
SEARCH_WALKING = 0.5  # the part of each leg it walks; the rest it stands and looks left and right
HOP = 0.09  # a hop's height, in body heights: within the headroom of a medium-wide framing


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
    limbs: Limbs = field(default_factory=Limbs)
    act: Performance = Performance.IDLE  # what it performs (the overlays it shows)
    voice: float = 0.0  # how loud it speaks at this instant, 0..1: how far its mouth opens


@dataclass(frozen=True)
class Actor:
    """A character placed in a shot: where it stands at mid-shot and which way it faces."""

    look: Look
    on: OnScreen
    home: float  # world x of its feet at mid-shot
    facing: int  # +1 right, -1 left
    act: Performance = Performance.IDLE


def figure_width(look: Look) -> float:
    """Width of one of the character's figures on the subject plane."""
    return look.height * bodies.figure(look.icon, look.seed).width


def drawn_width(look: Look) -> float:
    """Width of the character, or of its whole group, on the subject plane."""
    return figure_width(look) * (1 + GROUP_SPREAD * 2 * _rows(look.count))


def arrange(looks: list[Look], on_screen: list[OnScreen], subject: str | None = None,
            speakers: Collection[str] = ()) -> list[Actor]:
    """Side by side, centred on x = 0, never overlapping, in the order listed, so a scene that lists its
    characters in one order keeps them on their sides of the 180-degree line from shot to shot.

    Characters face each other when the storyboard turns someone to face the subject (the opposite screen
    direction to the subject's), or when the shot is an interaction (`acting.interaction`: a greeting, a
    talk, a hug, a game, a wave or a dance with the others, or a line spoken to the one other character).
    Then those facing right stand left of those facing left, partners stand close (huggers touch), and in an
    interaction anyone the storyboard does not turn (and who does not travel) faces the subject, the subject
    its nearest partner."""
    if not looks:
        return []
    given = [_directed(on) for on in on_screen]
    lead = next((i for i, look in enumerate(looks) if look.id == subject), 0)
    acts = [performance(on) for on in on_screen]
    turning = interaction(on_screen, speakers)
    facing_each_other = turning or -(given[lead] or looks[lead].facing) in given
    order = list(range(len(looks)))
    if facing_each_other:
        order = _face_to_face(given, lead, None if turning else looks[lead].facing, on_screen)
    # Facing each other, a partner stands a figure and a gap from the subject itself, in front of the rest of the
    # subject's group.
    widths = {i: figure_width(looks[i]) if facing_each_other and i == lead else drawn_width(looks[i]) for i in order}
    partners = [turning and not _travels(on) for on in on_screen]
    gaps = [_gap(looks[i], looks[j], acts[i], acts[j], partners[i] and partners[j]) for i, j in itertools.pairwise(order)]
    x = -(sum(widths.values()) + sum(gaps)) / 2
    homes = {}
    for i, gap in zip(order, [*gaps, 0.0]):
        homes[i] = x + widths[i] / 2
        x += widths[i] + gap
    facings = [given[i] or (_toward_partner(i, lead, homes) if partners[i] else None) for i in range(len(looks))]
    return [Actor(look=look, on=on, home=homes[i], facing=facings[i] or look.facing, act=acts[i])
            for i, (look, on) in enumerate(zip(looks, on_screen))]


def blocking(board: Storyboard, shot: Shot) -> list[Actor]:
    """The shot's characters as `arrange` stages them: what the animatic draws and the prompts describe."""
    looks = [character_look(board, on.character) for on in shot.characters]
    speakers = {line.speaker for line in shot.lines}
    return arrange(looks, list(shot.characters), shot.camera.subject, speakers)


def _face_to_face(given: list[int | None], lead: int, unturned_lead: int | None, on_screen: list[OnScreen]) -> list[int]:
    """The listed order, but those facing right stand left of those facing left. The subject faces as the
    storyboard turns it, else as `unturned_lead` (None: it turns to its partners wherever they stand); those
    who do not travel and are not turned face the subject. Only characters with a facing change places, among
    the places they are listed in: anyone else keeps its place in the line."""
    lead_facing = given[lead] or unturned_lead
    facings = [facing if facing or i == lead or _travels(on) or lead_facing is None else -lead_facing
               for i, (facing, on) in enumerate(zip(given, on_screen))]
    facings[lead] = lead_facing
    turned = [i for i, facing in enumerate(facings) if facing is not None or i == lead]
    placed = sorted(turned, key=lambda i: {1: 0, None: 1, -1: 2}[facings[i]])
    order = list(range(len(given)))
    for slot, i in zip(turned, placed):
        order[slot] = i
    return order


def _directed(on: OnScreen) -> int | None:
    """The facing the storyboard's screen direction gives, or None where it leaves the facing to the staging."""
    return {ScreenDirection.LEFT_TO_RIGHT: 1, ScreenDirection.RIGHT_TO_LEFT: -1}.get(on.direction)


def _travels(on: OnScreen) -> bool:
    return on.motion in SPEED


def _gap(left: Look, right: Look, left_act: Performance, right_act: Performance, partners: bool) -> float:
    """Space between two neighbours: partners in an interaction stand close, huggers touch."""
    taller = max(left.height, right.height)
    if not partners:
        return GAP * taller
    return (HUG_GAP if Performance.HUG in (left_act, right_act) else PARTNER_GAP) * taller


def _toward_partner(i: int, lead: int, homes: dict[int, float]) -> int | None:
    """Which way someone in an interaction turns: toward the subject, or the subject toward its nearest partner."""
    if i != lead:
        return 1 if homes[lead] > homes[i] else -1
    others = [homes[j] - homes[i] for j in homes if j != i]
    nearest = min(others, key=abs, default=0.0)
    return (1 if nearest > 0 else -1) if nearest else None


TRACKED = 0.35  # the least a followed traveller covers, in visible widths: the journey must show


def travel(motion: Motion, height: float, duration: float, span: float, followed: bool) -> float:
    """How far a character travels over the shot. `span` is the visible width
    on the subject plane: a traveller the camera does not follow stays in
    frame; one it follows covers enough ground for the landscape to scroll."""
    if motion not in SPEED:
        return 0.0
    distance = SPEED[motion] * height * duration
    return max(distance, TRACKED * span) if followed else min(distance, 0.5 * span)


MOST_PACE = 2.5  # the fastest a gait's steps go, times its own: past it, feet skid rather than legs blur


def pace(actor: Actor, path: float, duration: float) -> float:
    """How much faster than its own gait a traveller covers `path` over the shot: its steps quicken (or
    slow) by as much, so its feet keep up with the ground that a tracking camera scrolls past."""
    if actor.on.motion not in SPEED or path == 0.0 or duration <= 0:
        return 1.0
    return min(abs(path) / (SPEED[actor.on.motion] * actor.look.height * duration), MOST_PACE)


def offset(t: float, path: float) -> float:
    """Where along its path (signed: + is screen right) a traveller is at shot
    progress t: centred at mid-shot, where the camera framed it."""
    return path * (t - 0.5)


def group_poses(actor: Actor, seconds: float, t: float, path: float, pace: float = 1.0) -> list[Pose]:
    """A pose for each member of the character's group (one for a single
    character): the first in front, the rest in rows behind, out of step;
    a gait's steps go `pace` times as fast as its own."""
    width = figure_width(actor.look)
    poses = []
    for member in range(actor.look.count):
        row = _rows(member + 1)
        side = 1 if member % 2 else -1
        alone = pose(actor, seconds + GROUP_LAG * member, t, path, pace)
        poses.append(replace(alone, x=alone.x + side * row * GROUP_SPREAD * width,
                             depth=alone.depth + row * GROUP_DEPTH * actor.look.height))
    return poses


def _rows(count: int) -> int:
    """Rows of two behind the first member of a group of `count`."""
    return count // 2


def pose(actor: Actor, seconds: float, t: float, path: float, pace: float = 1.0) -> Pose:
    """The actor's pose `seconds` into the shot (t = progress 0..1). Travellers
    share one signed `path`, the subject's, so they keep their spacing; a gait's
    steps go `pace` times as fast as its own."""
    look, act = actor.look, actor.act
    facing = actor.facing
    x = actor.home + (offset(t, path) if actor.on.motion in SPEED else 0.0)
    depth = 0.0
    if actor.on.direction == ScreenDirection.TOWARD_CAMERA:
        depth = 2.5 * look.height * (1 - t)
    elif actor.on.direction == ScreenDirection.AWAY_FROM_CAMERA:
        depth = 2.5 * look.height * t
    phase = (look.seed % 1000) / 1000  # characters do not move in lockstep
    if act == Performance.WALK and bodies.figure(look.icon, look.seed).build == Build.WHOLE:
        act = Performance.WADDLE  # a body without legs (a penguin, a duck) rocks from side to side
    if act == Performance.SEARCH:
        x = actor.home + (offset(_searched(t), path) if actor.on.motion in SPEED else 0.0)
    base = Pose(x, 0.0, depth, facing, act=act)
    stepping = seconds * pace if act in GAITS else seconds
    return _PERFORMERS[act](base, look.height, stepping + phase * 3.0, t)


def _searched(t: float) -> float:
    """Progress along the path of a searcher: stretches of walking, each followed by a stop
    (to look left and right), ending where a steady walker would."""
    leg, within = divmod(min(t, 0.9999) * SEARCH_LEGS, 1.0)
    return (leg + _ease(min(within / SEARCH_WALKING, 1.0))) / SEARCH_LEGS


def _searching(t: float) -> float:
    """How far into a stop (0..1) a searcher is at progress t; 0 while it walks."""
    within = (min(t, 0.9999) * SEARCH_LEGS) % 1.0
    return max(0.0, (within - SEARCH_WALKING) / (1 - SEARCH_WALKING))


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def _glance(s: float, period: float) -> float:
    """The head's turn for one who looks one way and the other: it holds each way and turns
    between them in about a fifth of the period, smoothly (1: ahead, -1: back)."""
    return math.tanh(3.5 * math.cos(2 * math.pi * s / period)) / math.tanh(3.5)


def _breath(s: float) -> float:
    return math.sin(2 * math.pi * s / 3.2)


# Each performer: the base pose (where the actor stands, facing, its act), its height, the seconds
# (shifted by the actor's phase) and the shot's progress -> the pose at that instant.


def _idle(p: Pose, h: float, s: float, t: float) -> Pose:
    """Breathes and shifts its weight from foot to foot: nobody stands frozen."""
    return replace(p, squash=1 + 0.02 * _breath(s), tilt=1.5 * math.sin(2 * math.pi * s / 3.7))


def _walk(p: Pose, h: float, s: float, t: float) -> Pose:
    stride = math.sin(math.pi * s * 1.8)
    return replace(p, lift=0.05 * h * abs(stride), tilt=3 * stride, limbs=Limbs(gait=stride))


def _waddle(p: Pose, h: float, s: float, t: float) -> Pose:
    step = math.sin(math.pi * s * 2.6)
    return replace(p, lift=0.03 * h * abs(step), tilt=9 * step, limbs=Limbs(gait=0.5 * step))


def _run(p: Pose, h: float, s: float, t: float) -> Pose:
    stride = math.sin(math.pi * s * 3.2)
    return replace(p, lift=0.12 * h * abs(stride), squash=1 - 0.04 * (1 - abs(stride)), tilt=8 * p.facing,
                   limbs=Limbs(gait=1.4 * stride))


def _swim(p: Pose, h: float, s: float, t: float) -> Pose:
    bob = math.sin(2 * math.pi * s * 0.6)
    return replace(p, lift=0.04 * h * bob - 0.15 * h, tilt=5 * bob, limbs=Limbs(gait=0.6 * bob))


def _fly(p: Pose, h: float, s: float, t: float) -> Pose:
    glide = math.sin(2 * math.pi * s * 0.4)
    return replace(p, lift=FLYING_HEIGHT * h + 0.12 * h * glide, tilt=-6 * p.facing + 4 * glide)


def _drift(p: Pose, h: float, s: float, t: float) -> Pose:
    """Carried off by the wind: aloft, tumbling slowly, never in control."""
    tumble = math.sin(2 * math.pi * s * 0.35)
    return replace(p, lift=FLYING_HEIGHT * h + 0.18 * h * math.sin(2 * math.pi * s * 0.5), tilt=25 * tumble)


def _jump(p: Pose, h: float, s: float, t: float) -> Pose:
    hop = (s / 1.1) % 1.0
    height = math.sin(math.pi * hop / 0.7) if hop < 0.7 else 0.0
    landing = 1 - 0.12 * max(0.0, 1 - abs(hop - 0.8) / 0.12) if hop >= 0.7 else 1.0
    return replace(p, lift=HOP * h * height, squash=landing, stretch=2 - landing)


def _play(p: Pose, h: float, s: float, t: float) -> Pose:
    """Hops about, to and fro, the head turned the way it goes."""
    sway = math.sin(2 * math.pi * s / 2.4)
    hop = abs(math.sin(2 * math.pi * s * 1.2))
    return replace(p, x=p.x + 0.12 * h * sway, lift=0.7 * HOP * h * hop, squash=0.96 + 0.04 * hop,
                   limbs=Limbs(gait=0.5 * math.sin(2 * math.pi * s * 1.2), turn=_glance(s - 0.6, 2.4)))


def _wave(p: Pose, h: float, s: float, t: float) -> Pose:
    swing = math.sin(2 * math.pi * s * 1.6)
    return replace(p, tilt=-2 * swing, squash=1 + 0.01 * _breath(s), limbs=Limbs(arm=135 + 18 * swing))


def _greet(p: Pose, h: float, s: float, t: float) -> Pose:
    """A bow with a raised hand, again every few seconds."""
    cycle = (s / 2.6) % 1.0
    bow = math.sin(math.pi * min(cycle / 0.5, 1.0))
    return replace(p, tilt=10 * bow, limbs=Limbs(arm=110 * bow))


def _hug(p: Pose, h: float, s: float, t: float) -> Pose:
    rock = math.sin(2 * math.pi * s * 0.5)
    return replace(p, tilt=10 + 3 * rock, squash=1 + 0.01 * _breath(s), limbs=Limbs(arm=70))


def _dance(p: Pose, h: float, s: float, t: float) -> Pose:
    beat = math.sin(2 * math.pi * s)  # a sway of a few degrees: a wider one swings the head out of a close-up
    arms = math.sin(math.pi * s)  # up and down every two beats: a wing is long beside a close-up's frame
    return replace(p, lift=0.6 * HOP * h * abs(beat), tilt=4 * beat,
                   limbs=Limbs(arm=60 + 40 * arms, turn=_glance(s, 3.0), gait=0.4 * beat))


def _work(p: Pose, h: float, s: float, t: float) -> Pose:
    """Bends to the work and straightens, a stroke a little under a second."""
    stroke = (1 + math.sin(2 * math.pi * s * 1.3)) / 2
    return replace(p, squash=0.94 + 0.05 * stroke, tilt=9 * stroke, limbs=Limbs(arm=50 * stroke))


def _sit(p: Pose, h: float, s: float, t: float) -> Pose:
    return replace(p, squash=0.8 + 0.01 * _breath(s), stretch=1.06, limbs=Limbs(sit=1.0))


def _sleep(p: Pose, h: float, s: float, t: float) -> Pose:
    slow = math.sin(2 * math.pi * s / 4.5)
    return replace(p, squash=0.72 + 0.02 * slow, stretch=1.1, limbs=Limbs(sit=1.0))


def _look(p: Pose, h: float, s: float, t: float) -> Pose:
    return replace(p, squash=1 + 0.012 * _breath(s), limbs=Limbs(turn=_glance(s, 3.4)))


def _search(p: Pose, h: float, s: float, t: float) -> Pose:
    stop = _searching(t)
    if stop == 0.0:
        return _walk(p, h, s, t)
    return replace(p, squash=1 + 0.012 * _breath(s), limbs=Limbs(turn=math.cos(2 * math.pi * _ease(stop))))


def _laugh(p: Pose, h: float, s: float, t: float) -> Pose:
    shake = abs(math.sin(2 * math.pi * s * 1.8))
    return replace(p, lift=0.025 * h * shake, squash=0.96 + 0.05 * shake, stretch=1.03 - 0.03 * shake, tilt=-5)


def _cry(p: Pose, h: float, s: float, t: float) -> Pose:
    sob = abs(math.sin(2 * math.pi * s * 0.9))
    return replace(p, squash=0.93 - 0.02 * sob, tilt=7, stretch=1.02)


def _shiver(p: Pose, h: float, s: float, t: float) -> Pose:
    tremble = math.sin(2 * math.pi * s * 11)
    return replace(p, x=p.x + 0.004 * h * tremble, squash=0.93, stretch=0.97, tilt=0.8 * tremble)


def _think(p: Pose, h: float, s: float, t: float) -> Pose:
    return replace(p, tilt=-4 + 2 * math.sin(2 * math.pi * s / 5), squash=1 + 0.012 * _breath(s))


def _talk(p: Pose, h: float, s: float, t: float) -> Pose:
    nod = abs(math.sin(2 * math.pi * s * 2.2))
    return replace(p, lift=0.015 * h * nod, squash=1 + 0.01 * _breath(s), tilt=1.5 * nod, limbs=Limbs(arm=20 * nod))


def _sing(p: Pose, h: float, s: float, t: float) -> Pose:
    sway = math.sin(2 * math.pi * s * 0.7)
    return replace(p, tilt=-4 + 5 * sway, squash=1.02 + 0.02 * abs(sway), limbs=Limbs(arm=30 + 20 * sway))


def _surprise(p: Pose, h: float, s: float, t: float) -> Pose:
    """Starts up every few seconds (up and down again in under half a second, never in one frame), then
    stands tall."""
    start = math.sin(math.pi * min((s % 3.0) / 0.4, 1.0))
    return replace(p, lift=0.5 * HOP * h * start, squash=1.05, stretch=0.96, tilt=-6, limbs=Limbs(arm=60))


_PERFORMERS = {
    Performance.IDLE: _idle, Performance.WALK: _walk, Performance.WADDLE: _waddle, Performance.RUN: _run,
    Performance.SWIM: _swim, Performance.FLY: _fly, Performance.DRIFT: _drift, Performance.JUMP: _jump,
    Performance.PLAY: _play, Performance.WAVE: _wave, Performance.GREET: _greet, Performance.HUG: _hug,
    Performance.DANCE: _dance, Performance.WORK: _work, Performance.SIT: _sit, Performance.SLEEP: _sleep,
    Performance.LOOK: _look, Performance.SEARCH: _search, Performance.LAUGH: _laugh, Performance.CRY: _cry,
    Performance.SHIVER: _shiver, Performance.THINK: _think, Performance.TALK: _talk, Performance.SING: _sing,
    Performance.SURPRISE: _surprise,
}
