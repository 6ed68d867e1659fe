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
from storyagent.cast import Look, location_look, stable_seed
from storyagent.plugins import NoOptions
from storyagent.renderers import framing
from storyagent.renderers.animatic import bodies, camera, face, motion, overlays
from storyagent.renderers.animatic.camera import Face, Subject, View
from storyagent.renderers.animatic.environments import Environment, environment
from storyagent.renderers.base import ShotJob, ShotRenderer
from storyagent.renderers.framing import Body
from storyagent.renderers.layout import ShotLayout
from storyagent.renderers.speech import Speech
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
    speech: tuple[Speech, ...] = ()  # the shot's speech track: the speakers' mouths open with it

    @classmethod
    def build(cls, board: Storyboard, shot_id: str, width: int, height: int, duration: float) -> ShotScene:
        """The shot staged: everyone placed, and the camera aimed by the framing table; of the framings tried
        (the move made smaller, a group shot widened by up to two sizes), the first that meets the shot's size
        row with every head in frame all along, else the one that comes closest."""
        shot = board.shot(shot_id)
        env = environment(location_look(board, board.scene_of(shot_id).location))
        actors = motion.blocking(board, shot)
        cam = shot.camera
        subject = _subject_actor(actors, cam.subject)
        height_units = subject.look.height if subject else 1.0
        coverage = _figure_coverage(cam.size, subject.look) if subject else 1.0
        span = (width / height) * height_units / coverage  # visible width on the subject plane
        movement = cam.movement
        following = movement == CameraMovement.TRACKING
        facing = subject.facing if subject else 1
        lead = subject.on.motion if subject else None
        # A traveller the camera does not follow crosses only the room its width leaves in the frame.
        room = span if following or subject is None else max(span - 1.2 * motion.drawn_width(subject.look), 0.0)
        path = facing * motion.travel(lead, height_units, duration, room, following) if lead else 0.0
        if following and path == 0.0:  # nothing to follow: slide alongside instead
            movement = CameraMovement.TRUCK_RIGHT if facing > 0 else CameraMovement.TRUCK_LEFT
        drawn = cls(width, height, duration, env, actors, path, lambda seconds: PROBE).drawn_over()
        # The camera is set by the figure as drawn (sitting, lying, hopping), but a thing half built is set by its
        # whole size in the whole-figure sizes (it stands at its real scale among the rest; close in, what is
        # built is framed), and a swimmer by its whole height at the sizes that cut a figure, so its part above
        # the water is not blown up to a close shot.
        built = (subject is not None and subject.on.progress is not None and subject.on.progress < 1
                 and cam.size in framing.WIDE_ROWS)
        in_water = subject is not None and env.surface and subject.on.motion == Motion.SWIM
        target = _framed(subject, drawn, coverage, path, standing=built or (in_water and cam.size in CUT_SIZES),
                         rooted=built)
        group = framing.is_group(cam.size, len(drawn))
        framings = _group_framings(drawn, target, cam.size, movement) if group else _shifted(target, cam.size)
        amounts = (1.0,) if movement == CameraMovement.STATIC else MOVE_AMOUNTS
        best, best_fit = None, -1.0
        for framed in framings:
            for amount in amounts:
                view_at = camera.camera_path(movement, cam.size, cam.angle, framed, width, height, duration,
                                             seed=stable_seed(shot_id), amount=amount)
                scene = cls(width, height, duration, env, actors, path, view_at)
                fit = scene.fit(cam.size, subject)
                if fit == 1.0:
                    return scene
                if fit > best_fit:
                    best, best_fit = scene, fit
        return best

    def drawn_over(self, samples: int = 7) -> list[Drawn]:
        """Every figure as drawn at mid-shot, but as tall as it mostly is (not caught mid-squash), as wide as it
        gets (a lean, a sway), and with how much higher it reaches at its highest (a hop, a flier's glide)."""
        over = [self.drawn_at(self.duration * i / (samples - 1)) for i in range(samples)]
        mid = over[samples // 2]
        found = []
        for i, figure in enumerate(mid):
            tall = float(np.median([frame[i].box.height() for frame in over]))
            wide = max(frame[i].box.width() for frame in over) / 2  # as wide as it sways or leans
            box = skia.Rect(figure.box.centerX() - wide, figure.box.bottom() - tall, figure.box.centerX() + wide,
                            figure.box.bottom())
            reach = min(frame[i].box.top() for frame in over) - box.top()
            found.append(replace(figure, box=box, head=figure.head.makeOffset(0, box.top() - figure.box.top()),
                                 reach=reach))
        return found

    def drawn_at(self, seconds: float) -> list[Drawn]:
        """Every figure's box and head box in world units at `seconds`, as the layout measures them with arms
        lowered."""
        from storyagent.renderers.animatic.measure import frame_layout, shot_members

        to_world = skia.Matrix()
        camera.layer_matrix(PROBE, 0.0, self.width, self.height).invert(to_world)

        def world(box: tuple[float, float, float, float]) -> skia.Rect:
            return to_world.mapRect(skia.Rect(*box))

        members = shot_members(self)
        frame = frame_layout(self, seconds, members, arms=False)
        drawn = []
        for member, figure, (actor, pose) in zip(members, frame.figures, self.posed(seconds), strict=True):
            box, head = world(figure.box), world(figure.head)
            if box.isEmpty():  # nothing of it drawn yet (a thing not begun): where it will stand
                half = motion.figure_width(actor.look) / 2
                box = head = skia.Rect(pose.x - half, -actor.look.height, pose.x + half, 0.0)
            drawn.append(Drawn(member.character, member.body, box, head, actor.look.height))
        return drawn

    def fit(self, size: ShotSize, subject: motion.Actor | None) -> float:
        """The share of instants over the shot (FIT_RATE a second) at which the framing table's row for `size` is
        met (by the subject, or by everyone for a group shot) and, from medium to the widest, every head is in
        frame."""
        from storyagent.renderers.animatic.measure import frame_layout, shot_members

        if subject is None:
            return 1.0
        members = shot_members(self)
        mine = next(i for i, m in enumerate(members) if m.character == subject.look.id)
        samples = max(round(self.duration * FIT_RATE), 2)
        met = 0
        for i in range(samples):
            frame = frame_layout(self, self.duration * i / (samples - 1), members)
            measured = [(m.body, framing.measure(f.box, f.head, self.width, self.height))
                        for m, f in zip(members, frame.figures, strict=True)]
            heads = size not in framing.GROUP_SIZES or all(found.head_in_frame for _, found in measured)
            met += heads and framing.frame_meets(size, measured, mine)
        return met / samples

    def posed(self, seconds: float) -> list[tuple[motion.Actor, motion.Pose]]:
        """Every figure's pose at `seconds`: each character, each member of a group, in the shot's order."""
        t = seconds / self.duration if self.duration > 0 else 0.0
        return [(actor, replace(pose, voice=self.voice(actor.look.id, seconds)) if self.speech else pose)
                for actor in self.actors
                for pose in motion.group_poses(actor, seconds, t, self.path, motion.pace(actor, self.path, self.duration))]

    def voice(self, character: str, seconds: float) -> float:
        """How loud the character speaks at `seconds` (0..1), by the speech track: a group speaks as one."""
        return max((line.level(seconds) for line in self.speech if line.character == character), default=0.0)

    def draw(self, canvas: skia.Canvas, seconds: float) -> None:
        view = self.view_at(seconds)
        self.env.draw_back(canvas, view, seconds, self.width, self.height)
        for actor, pose in sorted(self.posed(seconds), key=lambda item: -item[1].depth):
            draw_character(canvas, actor.look, pose, view, seconds, self.width, self.height, self.env,
                           actor.on.progress)
        canvas.resetMatrix()
        self.env.draw_front(canvas, view, seconds, self.width, self.height)


REACH = 1.0  # how much of its highest reach (a hop) the framing makes room for
FIT_RATE = 8  # instants per second at which a framing is measured: often enough to catch a hop or a glance
CUT_SIZES = (ShotSize.MEDIUM_WIDE, ShotSize.MEDIUM)
MOVE_AMOUNTS = (1.0, 0.6, 0.35, 0.15)  # how far a camera move may be cut back to keep its size row


@dataclass(frozen=True)
class Drawn:
    """One figure as drawn at one instant, in world units."""

    character: str
    body: Body
    box: skia.Rect
    head: skia.Rect
    standing: float  # its height standing: the camera's scale, whether it sits, swims or is half built
    reach: float = 0.0  # how far above its box's top it reaches during the shot (≤ 0: y is down)


# A view that sees the whole stage, through which figures are measured in world units to aim the camera.
PROBE = View(x=0.0, y=-1.0, distance=8.0)


def _framed(subject: motion.Actor | None, drawn: list[Drawn], coverage: float, path: float,
            standing: bool = False, rooted: bool = False) -> Subject:
    """What the camera frames: the subject as drawn at mid-shot (its top, its head, its height; or, `standing`,
    the height it has standing whole, and `rooted`, its top where that would be), and where it travels; for
    wide shots the middle of the place; with nobody on screen, a person-sized spot."""
    if subject is None:
        return Subject(x=lambda t: 0.0, top=-1.0, height=1.0, facing=1)
    mine = next(figure for figure in drawn if figure.character == subject.look.id)
    box, body = mine.box, mine.body
    travels = subject.on.motion in motion.SPEED
    anchor = 0.0 if coverage < 0.5 else box.centerX()
    scale = mine.standing if standing else box.height()
    face = None
    if body != Body.ALL_HEAD or box.width() > bodies.SIDE_VIEW * box.height():  # a head, or a side view's front
        face = Face(dx=mine.head.centerX() - box.centerX(), top=mine.head.top(), height=mine.head.height(),
                    width=mine.head.width())
    top = box.bottom() - scale if rooted else box.top() + mine.reach * REACH
    return Subject(x=lambda t: anchor + (motion.offset(t, path) if travels else 0.0), top=top,
                   height=scale, facing=subject.facing, body=body, width=box.width(), face=face)


def _figure_coverage(size: ShotSize, look: Look) -> float:
    """The figure's height as a share of the frame height when framed at `size` (close sizes frame the head)."""
    aim = framing.aim(size, bodies.body_kind(look.icon))
    head = bodies.figure(look.icon, look.seed).head
    if aim.part == "head" and head is not None:
        return aim.coverage / head.height()
    return aim.coverage


SHIFTS = (0.0, 0.05, -0.05, 0.1)  # how far down the frame a lone subject may be moved to meet its row, in frame heights


def _shifted(alone: Subject, size: ShotSize) -> list[Subject]:
    """The subject's framing, then moved down or up the frame a little (a figure that hops or glides may need
    more headroom, one that crouches less), then the same centred, without lead room."""
    aim = framing.aim(size, alone.body)
    tall = alone.face.height if aim.part == "head" and alone.face else alone.height
    shifted = []
    for facing in (alone.facing, 0):  # with lead room, then centred
        for shift in SHIFTS:
            up = shift * tall / aim.coverage  # world units that make `shift` frame heights
            face = replace(alone.face, top=alone.face.top - up) if alone.face else None
            shifted.append(replace(alone, top=alone.top - up, face=face, facing=facing))
    return shifted


RAISINGS = (0.0, 0.08, 0.16)  # how far up the frame a group may be moved, in frame heights
WIDENINGS = 9  # views tried, from the size row's own to GROUP_STEPS sizes wider
WIDEST_GROUP = 1.8  # how much wider than its row an extreme-wide of a group may be


def _group_framings(drawn: list[Drawn], alone: Subject, size: ShotSize, movement: CameraMovement) -> list[Subject]:
    """Framings of everyone, least changed first: centred on the group, up to two sizes wider than the row
    (and, for a camera that rises, sinks or tilts, the group raised in frame)."""
    together = _framed_together(drawn, alone)
    own = framing.aim(size, together.body).coverage
    wider = framing.row(framing.wider(size, framing.GROUP_STEPS), together.body)
    least = wider.tall[0] if wider.tall and wider.tall[0] > 0 else wider.aim.coverage  # the wider row's smallest
    most = own / least if size != ShotSize.EXTREME_WIDE else WIDEST_GROUP
    rises = movement in (CameraMovement.CRANE_UP, CameraMovement.CRANE_DOWN, CameraMovement.PEDESTAL_UP,
                         CameraMovement.PEDESTAL_DOWN, CameraMovement.TILT_UP, CameraMovement.TILT_DOWN)
    found = []
    for i in range(WIDENINGS):
        widen = most ** (i / (WIDENINGS - 1))
        for raised in RAISINGS if rises else RAISINGS[:1]:
            found.append(replace(together, top=together.top + raised * together.height * widen / own, widen=widen))
    return found


def _framed_together(drawn: list[Drawn], alone: Subject) -> Subject:
    """Everyone of the shot framed as one: the view centred on the group as drawn at mid-shot and sized by its
    tallest figure (whose row a group shot is measured by), with the top of the highest figure where a
    subject's top would be."""
    centre = (min(f.box.left() for f in drawn) + max(f.box.right() for f in drawn)) / 2
    tallest = max(drawn, key=lambda f: f.box.height())
    return replace(alone, x=lambda t: centre + (alone.x(t) - alone.x(0.5)), top=min(f.box.top() + f.reach for f in drawn),
                   height=tallest.box.height(), body=tallest.body, face=None, facing=0)


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
    if matte is None:
        face.draw(canvas, fig, pose, paint)
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
    reads_speech = True
    draws_frames_apart = True
    version = source_version(Path(__file__).parent)

    def __init__(self, options: NoOptions) -> None:
        self._staged: tuple[tuple, ShotScene] | None = None

    def scene(self, job: ShotJob) -> ShotScene:
        """The shot staged; the picture, its layout and its matte of one job share one staging, which is the
        costly part of a short shot (the framing is measured for each candidate)."""
        key = (job.board.model_dump_json(), job.shot_id, job.width, job.height, job.frames, job.fps)
        if self._staged is None or self._staged[0] != key:
            self._staged = key, ShotScene.build(job.board, job.shot_id, job.width, job.height, job.frames / job.fps)
        return self._staged[1]

    def frames(self, job: ShotJob, start: int = 0) -> Iterator[np.ndarray]:
        scene = replace(self.scene(job), speech=tuple(job.speech))  # speech moves mouths, never the staging
        pixels = np.zeros((job.height, job.width, 4), np.uint8)
        surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
        for i in range(start, job.frames):
            with surface as canvas:
                canvas.resetMatrix()
                scene.draw(canvas, i / job.fps)
            yield pixels.copy()  # RGBA as drawn: a contiguous copy is a tenth of the cost of dropping the alpha

    def still(self, job: ShotJob, seconds: float) -> np.ndarray:
        """The shot's RGB frame at `seconds`: a keyframe for a generator to start from."""
        scene = replace(self.scene(job), speech=tuple(job.speech))
        pixels = np.zeros((job.height, job.width, 4), np.uint8)
        surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
        with surface as canvas:
            scene.draw(canvas, seconds)
        return pixels[:, :, :3].copy()

    def layout(self, job: ShotJob) -> ShotLayout:
        from storyagent.renderers.animatic.measure import shot_layout  # it measures what this module draws

        scene = self.scene(job)
        return shot_layout(scene, job.shot_id, job.fps, job.frames)

    def matte(self, job: ShotJob) -> Iterator[np.ndarray]:
        """Each figure is drawn alone in white through the same camera and poses as `frames`, and where it
        covers at least half a pixel that pixel takes its colour, the nearer over the farther: every colour is
        exact, with no antialiased edge blending two figures into a third's colour."""
        from storyagent.renderers.animatic.measure import shot_members

        scene = self.scene(job)
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
