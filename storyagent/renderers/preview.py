"""Preview one shot without making the whole film: the storyboard's cast is
filled in memory (the file is not touched) and the shot is streamed to a clip."""

from __future__ import annotations

from pathlib import Path

from storyagent.storyboard import Storyboard


def render_shot(board: Storyboard, shot_id: str, out: str | Path, *, width: int | None = None,
                height: int | None = None, fps: int | None = None, renderer: str | None = None,
                cast_dir: Path | None = None, **options: object) -> Path:
    """Write `out` (an .mp4) with the shot at its planned duration, drawn by `renderer`
    (default: the storyboard's) with `options` over the storyboard's render settings."""
    from storyagent.cast import assign_cast
    from storyagent.media.video import write_clip
    from storyagent.renderers.base import RENDERERS, ShotJob, renderer_options

    shot = board.shot(shot_id)
    board = assign_cast(board)
    width, height, fps = width or board.render.width, height or board.render.height, fps or board.render.fps
    job = ShotJob(board=board, shot_id=shot.id, frames=max(1, round(shot.camera.duration * fps)), width=width,
                  height=height, fps=fps, cast_dir=cast_dir)
    name = renderer or board.render.renderer
    backend = RENDERERS.get(name)
    return write_clip(backend(renderer_options(name, options, board.render)).frames(job), out, fps, width, height)
