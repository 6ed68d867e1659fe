"""The layout track of an animatic shot, measured from the numbers its drawing uses: the scene's poses,
each figure's `placement` and the camera's layer matrix, never from pixels. Each figure is an outline in
its own units (the icon's opaque rows, the drawn body's shapes at its stride), carried to frame pixels
by the same matrices `draw_character` draws with."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import skia

from storyagent.cast import Look
from storyagent.renderers.animatic import bodies, camera, motion
from storyagent.renderers.animatic.camera import View
from storyagent.renderers.animatic.renderer import ShotScene, placement
from storyagent.renderers.layout import Box, Camera, Figure, Frame, Member, ShotLayout, matte_colours
from storyagent.world import icons


def shot_layout(scene: ShotScene, shot_id: str, fps: int, frames: int) -> ShotLayout:
    """The layout of each of the shot's `frames` frames, frame i at i / fps seconds as the clip draws it."""
    members = shot_members(scene)
    return ShotLayout(shot=shot_id, fps=fps, width=scene.width, height=scene.height, members=members,
                      frames=[frame_layout(scene, i / fps, members) for i in range(frames)])


def shot_members(scene: ShotScene) -> list[Member]:
    """Each figure of the shot in `ShotScene.posed` order: a character, or each member of a group as id#n."""
    ids = [(actor.look, actor.look.id if actor.look.count == 1 else f"{actor.look.id}#{n + 1}")
           for actor in scene.actors for n in range(actor.look.count)]
    return [Member(id=member, character=look.id, body=bodies.body_kind(look.icon), matte_colour=colour)
            for (look, member), colour in zip(ids, matte_colours(len(ids)), strict=True)]


def frame_layout(scene: ShotScene, seconds: float, members: list[Member], arms: bool = True) -> Frame:
    """The layout of the frame at `seconds`; without `arms`, as if every raised arm, paw or wing were lowered
    (what the camera frames: it does not reframe when a hand goes up)."""
    view = scene.view_at(seconds)
    posed = scene.posed(seconds)
    if not arms:
        posed = [(actor, replace(pose, limbs=replace(pose.limbs, arm=0.0))) for actor, pose in posed]
    figures = [_figure(member.id, actor.look, pose, view, scene, actor.on.progress)
               for member, (actor, pose) in zip(members, posed, strict=True)]
    return Frame(camera=_camera(view, scene.width, scene.height), figures=figures)


def _camera(view: View, width: int, height: int) -> Camera:
    to_world = skia.Matrix()
    camera.layer_matrix(view, 0.0, width, height).invert(to_world)
    centre = to_world.mapXY(width / 2, height / 2)
    return Camera(centre=(round(centre.x(), 4), round(centre.y(), 4)), zoom=round(view.zoom, 4),
                  roll=round(view.roll, 3), pixels_per_unit=round(camera.scale_at(view, 0.0, height), 3))


def _figure(member: str, look: Look, pose: motion.Pose, view: View, scene: ShotScene,
            progress: float | None) -> Figure:
    fig = bodies.figure(look.icon, look.seed)
    placed = placement(look, pose, scene.env, progress)
    layer = camera.layer_matrix(view, pose.depth, scene.width, scene.height)
    head_outline, body_outline = _outlines(fig, pose)
    head = _on_frame(head_outline, placed.matrix, placed.clip, layer)
    box = skia.Rect(head.left(), head.top(), head.right(), head.bottom())
    if body_outline is None:
        head = _features(box, pose.facing)
    if body_outline is not None:
        body = _on_frame(body_outline, placed.matrix, placed.clip, layer)
        if not body.isEmpty():  # its outline stroke reaches half its width past the shapes
            stroke = bodies.OUTLINE / 2 * look.height * camera.scale_at(view, pose.depth, scene.height)
            box.join(body.makeOutset(stroke, stroke))
    return Figure(id=member, box=_box(box), head=_box(head), facing=pose.facing, depth=round(pose.depth, 4),
                  visible=round(_inside(box, scene.width, scene.height), 4))


WHOLE_HEAD = 0.5  # the share of an all-head figure (one emoji) that the layout calls its head


def _features(box: skia.Rect, facing: int) -> skia.Rect:
    """The head of a figure that is one emoji: where an emoji draws its features, its upper half (for one seen
    from the side, the front half of that)."""
    top = box.top() + WHOLE_HEAD * box.height()
    if box.width() > bodies.SIDE_VIEW * box.height():
        front = box.width() * WHOLE_HEAD
        left = box.right() - front if facing > 0 else box.left()
        return skia.Rect(left, box.top(), left + front, top)
    return skia.Rect(box.left(), box.top(), box.right(), top)


def _outlines(fig: bodies.Figure, pose: motion.Pose) -> tuple[skia.Path, skia.Path | None]:
    """The head's outline and the body's (None for a figure that is one icon) in figure units, turned to
    the pose's facing, placed as `bodies.draw` places them."""
    box = icons.content_box(fig.icon)
    if fig.build == bodies.Build.WHOLE:
        where = icons.placement(-(box.left + box.right) / 2 / box.height, -box.bottom / box.height, 1 / box.height,
                                icons.flip_for(fig.icon, pose.facing))
        turn = bodies.turned(pose.limbs.turn)
        outline = _moved(_moved(_icon_outline(fig.icon), where), skia.Matrix.Scale(turn, 1))
        if pose.limbs.arm > 0:  # a waving penguin's flipper, on the side it faces however it turns
            outline.addPath(_moved(bodies.wing_path(fig, pose.limbs.arm, pose.facing), skia.Matrix.Scale(abs(turn), 1)))
        return outline, None
    head = fig.head.makeOffset(0, bodies.drop(fig, pose.limbs.sit))  # a sitter's head comes down with its body
    size = head.height() / box.height
    where = icons.placement(head.left() - size * box.left, head.top() - size * box.top, size,
                            icons.flip_for(fig.icon, 1))
    mirror = skia.Matrix.Scale(pose.facing, 1)  # a drawn body is mirrored as a whole to face left
    return (_moved(_icon_outline(fig.icon), skia.Matrix.Concat(mirror, where)),
            _moved(bodies.body_path(fig, pose.limbs), mirror))


def _on_frame(outline: skia.Path, figure_to_layer: skia.Matrix, clip: skia.Rect | None,
              layer_to_frame: skia.Matrix) -> skia.Rect:
    """The bounds in frame pixels of an outline in figure units, cut to the part its layer `clip` lets show."""
    path = _moved(outline, figure_to_layer)
    if clip is not None:
        bounds = path.computeTightBounds()
        if not bounds.intersect(clip):  # (clip rects reach far past the figure: path ops want near numbers)
            return skia.Rect.MakeEmpty()
        try:
            path = skia.Op(path, skia.Path.Rect(bounds), skia.PathOp.kIntersect_PathOp)
        except RuntimeError:  # skia's path ops give up on some near-degenerate outlines: the cut bounds are near enough
            path = skia.Path.Rect(bounds)
    return _moved(path, layer_to_frame).computeTightBounds()


def _moved(path: skia.Path, matrix: skia.Matrix) -> skia.Path:
    moved = skia.Path()
    path.transform(matrix, moved)
    return moved


@functools.lru_cache(maxsize=256)
def _icon_outline(icon: str) -> skia.Path:
    """The icon's opaque area as a polygon in its unit square: the ends of each row of its raster that
    `content_box` measures, so a turned icon is bounded as tightly as its shape."""
    alpha = icons.raster(icon)[:, :, 3] > 8
    n = len(alpha)
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return skia.Path.Rect(skia.Rect(1, 1))
    left = alpha[rows].argmax(axis=1)
    right = n - alpha[rows, ::-1].argmax(axis=1)
    down = [skia.Point(x / n, y / n) for r, x in zip(rows, left) for y in (r, r + 1)]
    up = [skia.Point(x / n, y / n) for r, x in zip(rows[::-1], right[::-1]) for y in (r + 1, r)]
    return skia.Path.Polygon(down + up, True)


def _box(rect: skia.Rect) -> Box:
    return (round(rect.left(), 2), round(rect.top(), 2), round(rect.right(), 2), round(rect.bottom(), 2))


def _inside(rect: skia.Rect, width: int, height: int) -> float:
    """The fraction of `rect`'s area inside the frame."""
    area = rect.width() * rect.height()
    if area <= 0:
        return 0.0
    seen = skia.Rect(rect.left(), rect.top(), rect.right(), rect.bottom())
    return seen.width() * seen.height() / area if seen.intersect(skia.Rect(width, height)) else 0.0
