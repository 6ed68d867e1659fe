"""Preview one shot without making the whole film: the storyboard's cast is
filled in memory (the file is not touched) and the shot is streamed to a clip."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from storyagent.errors import RenderError
from storyagent.renderers.layout import layout_path
from storyagent.storyboard import Storyboard


class RenderPass(StrEnum):
    BEAUTY = "beauty"  # the picture
    MATTE = "matte"  # each figure one flat colour, all else black, lossless; and the layout track beside it


def render_shot(board: Storyboard, shot_id: str, out: str | Path, *, width: int | None = None,
                height: int | None = None, fps: int | None = None, renderer: str | None = None,
                cast_dir: Path | None = None, render_pass: RenderPass = RenderPass.BEAUTY,
                **options: object) -> Path:
    """Write `out` (an .mp4) with the shot at its planned duration, drawn by `renderer`
    (default: the storyboard's) with `options` over the storyboard's render settings, and beside it
    the shot's layout track if the renderer stages its shots. The matte pass is written losslessly
    (FFV1: name an .mkv); its layout track lists each figure's colour."""
    from storyagent.cast import assign_cast
    from storyagent.media.video import write_clip
    from storyagent.renderers.base import RENDERERS, ShotJob, renderer_options

    shot = board.shot(shot_id)
    board = assign_cast(board)
    width, height, fps = width or board.render.width, height or board.render.height, fps or board.render.fps
    job = ShotJob(board=board, shot_id=shot.id, frames=max(1, round(shot.camera.duration * fps)), width=width,
                  height=height, fps=fps, cast_dir=cast_dir)
    name = renderer or board.render.renderer
    drawer = RENDERERS.get(name)(renderer_options(name, options, board.render))
    out, matte = Path(out), render_pass == RenderPass.MATTE
    if matte and not drawer.stages_shots:
        raise RenderError(f"the {name} renderer has no matte pass: it does not stage its shots (try --renderer animatic)")
    if matte and out.suffix.lower() != ".mkv":
        raise RenderError(f"{out.name}: the matte pass is lossless FFV1, which needs an .mkv file")
    clip = write_clip(drawer.matte(job) if matte else drawer.frames(job), out, fps, width, height, lossless=matte)
    if drawer.stages_shots:
        drawer.layout(job).save(layout_path(out))
    return clip
