"""The animatic renderer (default, CPU, no weights): a 2.5D vector scene per
shot, the location's environment behind, the cast's icons on the subject
plane, and the virtual camera executing the shot's direction.

Frames stream: one frame buffer is drawn into and copied out per frame, so
memory does not grow with the shot's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import skia

from storyagent.cast import Look, character_look, location_look
from storyagent.render import ShotJob, camera, icons, motion, register
from storyagent.render.camera import FRAMINGS, ANGLES, Subject, View
from storyagent.render.environments import Environment, environment
from storyagent.storyboard import CameraMovement, Storyboard

FLYING_HEIGHT = 0.9  # in body heights: where the camera frames a flying subject


@dataclass
class ShotScene:
    """One shot, ready to draw at any instant."""

    width: int
    height: int
    duration: float
    env: Environment
    actors: list[motion.Actor]
    path: float  # shared travel distance
    view_at: object  # seconds -> View

    @classmethod
    def build(cls, board: Storyboard, shot_id: str, width: int, height: int, duration: float) -> "ShotScene":
        shot = next(s for s in board.shots() if s.id == shot_id)
        scene = board.scene_of(shot_id)
        env = environment(location_look(board, scene.location))
        looks = [character_look(board, on.character) for on in shot.characters]
        actors = motion.arrange(looks, list(shot.characters))
        cam = shot.camera
        coverage = FRAMINGS[cam.size].coverage * ANGLES[cam.angle].coverage

        subject = _subject_actor(actors, cam.subject)
        height_units = subject.look.height if subject else 1.0
        movement = cam.movement
        span = (width / height) * height_units / coverage  # visible width on the subject plane
        lead = subject.on.motion if subject else None
        following = movement == CameraMovement.TRACKING
        path = motion.travel(lead, height_units, duration, None if following else span) if lead else 0.0
        if following and path == 0.0:  # nothing to follow: slide alongside instead
            facing = subject.facing if subject else 1
            movement = CameraMovement.TRUCK_RIGHT if facing > 0 else CameraMovement.TRUCK_LEFT

        if subject is None:
            target = Subject(x=lambda t: 0.0, top=-1.0, height=1.0, facing=1)
        else:
            travels = subject.on.motion in motion.SPEED
            centre = 0.0 if coverage < 0.5 else subject.home  # wide shots frame the group
            lift = FLYING_HEIGHT * height_units if subject.on.motion.value == "fly" else 0.0
            target = Subject(
                x=lambda t: centre + (motion.offset(t, path, subject.facing) if travels else 0.0),
                top=-height_units - lift,
                height=height_units,
                facing=subject.facing,
                head=icons.library().is_head(subject.look.icon),
            )
        view_at = camera.camera_path(movement, cam.size, cam.angle, target, width, height, duration,
                                     seed=sum(map(ord, shot_id)))
        return cls(width, height, duration, env, actors, path, view_at)

    def draw(self, canvas: skia.Canvas, seconds: float) -> None:
        view: View = self.view_at(seconds)  # type: ignore[operator]
        t = seconds / self.duration if self.duration > 0 else 0.0
        self.env.draw_back(canvas, view, seconds, self.width, self.height)
        poses = [(actor, motion.pose(actor, seconds, t, self.path)) for actor in self.actors]
        for actor, pose in sorted(poses, key=lambda item: -item[1].depth):
            draw_character(canvas, actor.look, pose, view, seconds, self.width, self.height, self.env)
        canvas.resetMatrix()
        self.env.draw_front(canvas, view, seconds, self.width, self.height)


def _subject_actor(actors: list[motion.Actor], subject_id: str | None) -> motion.Actor | None:
    if not actors:
        return None
    return next((a for a in actors if a.look.id == subject_id), actors[0])


def draw_character(canvas: skia.Canvas, look: Look, pose: motion.Pose, view: View, seconds: float,
                   width: int, height: int, env: Environment) -> None:
    box = icons.content_box(look.icon)
    size = look.height / box.height  # the icon's square, in world units
    matrix = camera.layer_matrix(view, pose.depth, width, height)
    canvas.setMatrix(matrix)
    if not env.underwater and pose.lift < look.height * 2:
        fade = max(0.0, 1 - pose.lift / (look.height * 1.5))
        w = look.height * box.width / box.height * 0.9
        canvas.drawOval(skia.Rect(pose.x - w / 2, -0.04 * look.height, pose.x + w / 2, 0.04 * look.height),
                        skia.Paint(Color=skia.Color(0, 0, 0, round(40 * fade)), AntiAlias=True))
    m = camera.layer_matrix(view, pose.depth, width, height)
    m.preTranslate(pose.x, -pose.lift)
    m.preRotate(pose.tilt * pose.facing)
    m.preScale(pose.stretch, pose.squash)
    if icons.flip_for(look.icon, pose.facing):
        m.preScale(-1, 1)
    m.preTranslate(-size * (box.left + box.right) / 2, -size * box.bottom)
    m.preScale(size, size)
    canvas.resetMatrix()
    canvas.drawPicture(icons.picture(look.icon), m, character_paint(look.tint, env))
    if pose.sleeping:
        canvas.setMatrix(matrix)
        bob = 0.08 * look.height * math.sin(seconds * 1.5)
        z = 0.35 * look.height
        icons.draw(canvas, "zzz", pose.x + 0.3 * look.height, -pose.lift - look.height * 1.1 - z + bob, z)


def character_paint(tint: str | None, env: Environment) -> skia.Paint | None:
    light = env.palette.icon_paint()
    tinted = icons.tint_paint(tint)
    if light and tinted:
        return skia.Paint(ColorFilter=skia.ColorFilters.Compose(light.getColorFilter(), tinted.getColorFilter()))
    return light or tinted


@register("animatic")
class AnimaticRenderer:
    """2.5D vector animatic: exactly `job.frames` RGB frames, streamed."""

    name = "animatic"

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]:
        scene = ShotScene.build(job.board, job.shot_id, job.width, job.height, job.frames / job.fps)
        pixels = np.zeros((job.height, job.width, 4), np.uint8)
        surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
        for i in range(job.frames):
            with surface as canvas:
                canvas.resetMatrix()
                scene.draw(canvas, i / job.fps)
            yield pixels[:, :, :3].copy()


def keyframe(board: Storyboard, shot_id: str, width: int, height: int, at: float = 0.5) -> np.ndarray:
    """One frame of a shot at progress `at` (0..1), for contact sheets and previews."""
    duration = next(s for s in board.shots() if s.id == shot_id).camera.duration
    scene = ShotScene.build(board, shot_id, width, height, duration)
    pixels = np.zeros((height, width, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    with surface as canvas:
        scene.draw(canvas, at * duration)
    return pixels[:, :, :3].copy()
