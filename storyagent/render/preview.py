"""Preview one shot without making the whole film: the storyboard's cast is
filled in memory (the file is not touched) and the shot is streamed to a clip."""

from __future__ import annotations

import difflib
from pathlib import Path

from storyagent.errors import StoryboardError
from storyagent.storyboard import Storyboard


def render_shot(board: Storyboard, shot_id: str, out: str | Path, *, width: int | None = None,
                height: int | None = None, fps: int | None = None, renderer: str = "animatic",
                cast_dir: Path | None = None, **renderer_options: object) -> Path:
    """Write `out` (an .mp4) with the shot at its planned duration."""
    from storyagent.cast import assign_cast
    from storyagent.media.video import write_clip
    from storyagent.render.base import ShotJob, get_renderer

    shot = find_shot(board, shot_id)
    board = assign_cast(board)
    width, height, fps = width or board.render.width, height or board.render.height, fps or board.render.fps
    job = ShotJob(board=board, shot_id=shot.id, frames=max(1, round(shot.camera.duration * fps)), width=width,
                  height=height, fps=fps, cast_dir=cast_dir)
    return write_clip(get_renderer(renderer, **renderer_options).frames(job), out, fps, width, height)


def find_shot(board: Storyboard, shot_id: str):
    ids = [s.id for s in board.shots()]
    if shot_id not in ids:
        guess = difflib.get_close_matches(shot_id, ids, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else f"; shots: {', '.join(ids)}"
        raise StoryboardError(f"no shot '{shot_id}' in the storyboard{hint}")
    return next(s for s in board.shots() if s.id == shot_id)
