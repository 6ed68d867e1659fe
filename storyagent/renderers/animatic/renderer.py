"""The animatic renderer (default, CPU, no weights): a 2.5D vector scene per
shot, the location's environment behind, the cast's icons on the subject
plane, and the virtual camera executing the shot's direction.

Frames stream: one frame buffer is drawn into and copied out per frame, so
memory does not grow with the shot's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import skia

from storyagent.cache import source_version
from storyagent.cast import Look, character_look, location_look, stable_seed
from storyagent.plugins import NoOptions
from storyagent.renderers.animatic import bodies, camera, motion, overlays
from storyagent.renderers.animatic.camera import ANGLES, FRAMINGS, Face, Subject, View
from storyagent.renderers.animatic.environments import Environment, environment
from storyagent.renderers.base import ShotJob, ShotRenderer
from storyagent.renderers.layout import ShotLayout
from storyagent.storyboard import CameraMovement, Motion, ShotSize, Storyboard
from storyagent.world import icons

SWIM_DEPTH = 0.2  # how much deeper than its swimming pose a swimmer sits in open water, in heights


@dataclass
class ShotScene:
    """One shot, ready to draw at any instant."""

    width: int
    height: int
    duration: float
    env: Environment
    actors: list[motion.Actor]
    path: float  # the travellers' shared distance, signed: + is screen right
    view_at: Callable[[float], View]

    @classmethod
    def build(cls, board: Storyboard, shot_id: str, width: int, height: int, duration: float) -> ShotScene:
        shot = next(s for s in board.shots() if s.id == shot_id)
        scene = board.scene_of(shot_id)
        env = environment(location_look(board, scene.location))
        looks = [character_look(board, on.character) for on in shot.characters]
        actors = motion.arrange(looks, list(shot.characters), shot.camera.subject)
        cam = shot.camera
        coverage = FRAMINGS[cam.size].coverage * ANGLES[cam.angle].coverage

        subject = _subject_actor(actors, cam.subject)
        height_units = subject.look.height if subject else 1.0
        movement = cam.movement
        span = (width / height) * height_units / coverage  # visible width on the subject plane
        lead = subject.on.motion if subject else None
        following = movement == CameraMovement.TRACKING
        facing = subject.facing if subject else 1
        path = facing * motion.travel(lead, height_units, duration, span, following) if lead else 0.0
        if following and path == 0.0:  # nothing to follow: slide alongside instead
            movement = CameraMovement.TRUCK_RIGHT if facing > 0 else CameraMovement.TRUCK_LEFT

        target = _framed(subject, coverage, path)

        def shot_with(framed: Subject) -> ShotScene:
            view_at = camera.camera_path(movement, cam.size, cam.angle, framed, width, height, duration,
                                         seed=stable_seed(shot_id))
            return cls(width, height, duration, env, actors, path, view_at)

        if cam.size not in GROUP_SIZES or len(actors) < 2:
            return shot_with(target)
        # A group shot frames everyone: the least widening (and, for a camera that rises or sinks, the least
        # raising of the group in frame) that keeps every head in frame all along, else the one that comes closest.
        best, best_share = None, -1.0
        for widen in _widenings(cam.size):
            for raised in RAISINGS:
                framed = _framed_together(actors, target, widen)
                scene = shot_with(replace(framed, top=framed.top + raised * height_units * widen / coverage))
                share = scene.heads_in_frame()
                if share == 1.0:
                    return scene
                if share > best_share:
                    best, best_share = scene, share
        return best

    def heads_in_frame(self, samples: int = 9) -> float:
        """The share of every figure's head at `samples` instants over the shot that is wholly in frame."""
        from storyagent.renderers.animatic.measure import frame_layout, shot_members

        members = shot_members(self)
        inside = 0
        for i in range(samples):
            frame = frame_layout(self, self.duration * i / (samples - 1), members)
            inside += sum(_inside(f.head, self.width, self.height) for f in frame.figures)
        return inside / (samples * len(members))

    def posed(self, seconds: float) -> list[tuple[motion.Actor, motion.Pose]]:
        """Every figure's pose at `seconds`: each character, each member of a group, in the shot's order."""
        t = seconds / self.duration if self.duration > 0 else 0.0
        return [(actor, pose) for actor in self.actors
                for pose in motion.group_poses(actor, seconds, t, self.path, motion.pace(actor, self.path, self.duration))]

    def draw(self, canvas: skia.Canvas, seconds: float) -> None:
        view = self.view_at(seconds)
        self.env.draw_back(canvas, view, seconds, self.width, self.height)
        for actor, pose in sorted(self.posed(seconds), key=lambda item: -item[1].depth):
            draw_character(canvas, actor.look, pose, view, seconds, self.width, self.height, self.env,
                           actor.on.progress)
        canvas.resetMatrix()
        self.env.draw_front(canvas, view, seconds, self.width, self.height)


def _framed(subject: motion.Actor | None, coverage: float, path: float) -> Subject:
    """What the camera frames: the subject where it is (and flies), or for wide
    shots the whole group; with nobody on screen, a person-sized spot."""
    if subject is None:
        return Subject(x=lambda t: 0.0, top=-1.0, height=1.0, facing=1)
    height = subject.look.height
    travels = subject.on.motion in motion.SPEED
    centre = 0.0 if coverage < 0.5 else subject.home
    lift = motion.FLYING_HEIGHT * height if subject.on.motion == Motion.FLY else 0.0
    head = bodies.figure(subject.look.icon, subject.look.seed).head
    face = None
    if head is not None:
        face = Face(dx=head.centerX() * height * subject.facing, top=head.top() * height - lift,
                    height=head.height() * height)
    return Subject(
        x=lambda t: centre + (motion.offset(t, path) if travels else 0.0),
        top=-height - lift,
        height=height,
        facing=subject.facing,
        face=face,
    )


# Sizes that show whole figures, or nearly: a shot of two or more at one of these frames them all,
# at most one size wider than its own row if they do not fit in it.
GROUP_SIZES = (ShotSize.EXTREME_WIDE, ShotSize.WIDE, ShotSize.FULL, ShotSize.MEDIUM_WIDE)
WIDENINGS = 5  # views tried, from the size row's own to one size wider
RAISINGS = (0.0, 0.08, 0.16)  # how far up the frame a group may be moved, in frame heights


def _framed_together(actors: list[motion.Actor], alone: Subject, widen: float) -> Subject:
    """The subject framed with everyone of the shot: the view centred on the group, the top of the tallest
    (or the highest flier, as it stands at mid-shot) where the subject's would be, `widen` times wider
    than the size row."""
    lefts = [a.home - motion.drawn_width(a.look) / 2 for a in actors]
    rights = [a.home + motion.drawn_width(a.look) / 2 for a in actors]
    tops = [-pose.lift - a.look.height for a in actors for pose in motion.group_poses(a, 0.0, 0.5, 0.0)]
    centre = (max(rights) + min(lefts)) / 2
    return replace(alone, x=lambda t: centre + (alone.x(t) - alone.x(0.5)), top=min(tops), facing=0, widen=widen)


# The least share of the frame height a group shot's subject may fill: the bottom of the next wider row
# (a medium-wide may become a full shot of 55 %, a full shot a wide of 20 %), so its size moves one step at most.
LEAST_COVERAGE = {ShotSize.MEDIUM_WIDE: 0.55, ShotSize.FULL: 0.2, ShotSize.WIDE: FRAMINGS[ShotSize.EXTREME_WIDE].coverage,
                  ShotSize.EXTREME_WIDE: FRAMINGS[ShotSize.EXTREME_WIDE].coverage}


def _widenings(size: ShotSize) -> list[float]:
    """How much wider than its row a group shot may be, least first: at most one size wider."""
    most = FRAMINGS[size].coverage / LEAST_COVERAGE[size]
    return [most ** (i / (WIDENINGS - 1)) for i in range(WIDENINGS)]


def _inside(box: tuple[float, float, float, float], width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _subject_actor(actors: list[motion.Actor], subject_id: str | None) -> motion.Actor | None:
    if not actors:
        return None
    return next((a for a in actors if a.look.id == subject_id), actors[0])


@dataclass(frozen=True)
class Placement:
    """Where a figure is drawn: from its own units (unit height, facing right, feet on the origin) to the
    units of its layer, and the part of the layer it may cover (a swimmer above the water, a thing being
    built up to where it stands so far)."""

    pose: motion.Pose  # the pose as drawn (a swimmer sits deeper)
    matrix: skia.Matrix
    clip: skia.Rect | None


def placement(look: Look, pose: motion.Pose, env: Environment, progress: float | None = None) -> Placement:
    """The one account of where a figure goes: `draw_character` draws by it and the layout track measures by it."""
    clip = None
    if progress is not None and progress < 1:
        clip = skia.Rect(-1e6, -pose.lift - progress * look.height * pose.squash, 1e6, 1e6)
    if env.surface and pose.lift < 0:  # in open water: half under, and nothing below the waterline drawn
        pose = replace(pose, lift=pose.lift - SWIM_DEPTH * look.height)
        water = skia.Rect(-1e6, -1e6, 1e6, 0.0)
        if clip is None:
            clip = water
        elif not clip.intersect(water):
            clip = skia.Rect.MakeEmpty()
    matrix = skia.Matrix.Translate(pose.x, -pose.lift)  # the feet are the pivot of every pose
    matrix.preRotate(pose.tilt * pose.facing)
    matrix.preScale(pose.stretch * look.height, pose.squash * look.height)
    return Placement(pose, matrix, clip)


def draw_character(canvas: skia.Canvas, look: Look, pose: motion.Pose, view: View, seconds: float,
                   width: int, height: int, env: Environment, progress: float | None = None,
                   matte: int | None = None) -> None:
    """The character's figure standing (or flying) at its pose, with a soft shadow; a thing being built
    (`progress` below 1) stands only up to that part of its height, its unused material heaped beside it.
    With a `matte` colour: the figure alone, filled flat with it."""
    fig = bodies.figure(look.icon, look.seed)
    canvas.setMatrix(camera.layer_matrix(view, pose.depth, width, height))
    placed = placement(look, pose, env, progress)
    if matte is None and not env.underwater and not (env.surface and pose.lift < 0) and pose.lift < look.height * 1.5:
        fade = 1 - pose.lift / (look.height * 1.5)
        w = look.height * fig.width * 0.9
        # Seen from the side a shadow is a thin streak at the feet; seen from above, a pool around them.
        deep = look.height * (0.04 + 0.22 * camera.looking_down(view))
        canvas.drawOval(skia.Rect(pose.x - w / 2, -deep, pose.x + w / 2, deep),
                        skia.Paint(Color=skia.Color(0, 0, 0, round((40 + 25 * camera.looking_down(view)) * fade)),
                                   AntiAlias=True))
    canvas.save()
    if placed.clip is not None:
        canvas.clipRect(placed.clip, doAntiAlias=True)
    canvas.concat(placed.matrix)
    paint = character_paint(look.tint, env) if matte is None else flat_paint(matte)
    bodies.draw(canvas, fig, pose.limbs, pose.facing, paint)
    canvas.restore()
    if matte is not None:
        return
    pose = placed.pose
    if progress is not None and progress < 1:
        draw_material(canvas, look, pose, 1 - progress, character_paint(None, env))
    overlays.draw(canvas, look, pose, seconds)


def flat_paint(colour: int) -> skia.Paint:
    """Everything drawn with it in one opaque `colour`, keeping only the shape's coverage."""
    return skia.Paint(ColorFilter=skia.ColorFilters.Blend(colour, skia.BlendMode.kSrcIn))


def draw_material(canvas: skia.Canvas, look: Look, pose: motion.Pose, left: float, light: skia.Paint | None
                  ) -> None:
    """A heap of the thing's material (in its own colour) at the foot of where it is built, as big as what
    is `left` to build: a small pile before the work starts, gone when it is whole."""
    size = look.height * (0.04 + 0.11 * left)
    x = pose.x
    rgb = icons.average_colour(look.icon)
    canvas.save()
    if light is not None:
        canvas.saveLayer(None, light)
    paint = skia.Paint(Color=skia.Color(*rgb), AntiAlias=True)
    shade = skia.Paint(Color=skia.Color(*(round(c * 0.8) for c in rgb)), AntiAlias=True)
    canvas.drawOval(skia.Rect(x - size * 1.4, -size, x + size * 1.4, size * 0.15), shade)
    for dx, dy, r in ((-0.6, -0.35, 0.5), (0.5, -0.3, 0.55), (0.0, -0.75, 0.45)):
        canvas.drawCircle(x + dx * size, dy * size, r * size, paint)
    if light is not None:
        canvas.restore()
    canvas.restore()


def character_paint(tint: str | None, env: Environment) -> skia.Paint | None:
    light = env.palette.icon_paint(strength=0.6)
    tinted = icons.tint_paint(tint)
    if light and tinted:
        return skia.Paint(ColorFilter=skia.ColorFilters.Compose(light.getColorFilter(), tinted.getColorFilter()))
    return light or tinted


class AnimaticRenderer(ShotRenderer):
    """2.5D vector animatic: exactly `job.frames` RGBA frames (opaque), streamed. Takes no options;
    its pictures depend on the job alone."""

    name = "animatic"
    stages_shots = True
    version = source_version(Path(__file__).parent)

    def __init__(self, options: NoOptions) -> None:
        pass

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]:
        scene = ShotScene.build(job.board, job.shot_id, job.width, job.height, job.frames / job.fps)
        pixels = np.zeros((job.height, job.width, 4), np.uint8)
        surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
        for i in range(job.frames):
            with surface as canvas:
                canvas.resetMatrix()
                scene.draw(canvas, i / job.fps)
            yield pixels.copy()  # RGBA as drawn: a contiguous copy is a tenth of the cost of dropping the alpha

    def layout(self, job: ShotJob) -> ShotLayout:
        from storyagent.renderers.animatic.measure import shot_layout  # it measures what this module draws

        scene = ShotScene.build(job.board, job.shot_id, job.width, job.height, job.frames / job.fps)
        return shot_layout(scene, job.shot_id, job.fps, job.frames)

    def matte(self, job: ShotJob) -> Iterator[np.ndarray]:
        """Each figure is drawn alone in white through the same camera and poses as `frames`, and where it
        covers at least half a pixel that pixel takes its colour, the nearer over the farther: every colour is
        exact, with no antialiased edge blending two figures into a third's colour."""
        from storyagent.renderers.animatic.measure import shot_members

        scene = ShotScene.build(job.board, job.shot_id, job.width, job.height, job.frames / job.fps)
        colours = [bytes.fromhex(member.matte_colour[1:]) for member in shot_members(scene)]
        pixels = np.zeros((job.height, job.width, 4), np.uint8)
        surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
        for i in range(job.frames):
            seconds = i / job.fps
            view = scene.view_at(seconds)
            matte = np.zeros((job.height, job.width, 3), np.uint8)
            for (actor, pose), colour in sorted(zip(scene.posed(seconds), colours, strict=True),
                                                key=lambda item: -item[0][1].depth):
                with surface as canvas:
                    canvas.clear(skia.ColorTRANSPARENT)
                    draw_character(canvas, actor.look, pose, view, seconds, job.width, job.height, scene.env,
                                   actor.on.progress, matte=skia.ColorWHITE)
                matte[pixels[:, :, 3] >= 128] = np.frombuffer(colour, np.uint8)
            yield matte


def keyframe(board: Storyboard, shot_id: str, width: int, height: int, at: float = 0.5) -> np.ndarray:
    """One frame of a shot at progress `at` (0..1), for contact sheets and previews."""
    duration = next(s for s in board.shots() if s.id == shot_id).camera.duration
    scene = ShotScene.build(board, shot_id, width, height, duration)
    pixels = np.zeros((height, width, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    with surface as canvas:
        scene.draw(canvas, at * duration)
    return pixels[:, :, :3].copy()
