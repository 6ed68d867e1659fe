"""The layout tracks `storyagent lint --render` reads: for each shot, the one beside its current clip in the
film folder when there is one, else one measured afresh (the layout alone, no frame drawn) at the size, frame
rate and length the film renders it at. Nothing is written: linting leaves the film folder as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from storyagent import cache
from storyagent.renderers.base import ShotJob, ShotRenderer, get_renderer
from storyagent.renderers.layout import ShotLayout, layout_path
from storyagent.run import stages
from storyagent.run.film import stored_options
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline

# The pre-vis every renderer follows: a film drawn by a renderer that does not stage its shots is linted on its staging.
PREVIS = "animatic"


@dataclass
class FilmLayouts:
    """The shots' layouts by shot id, and the size and frame rate those measured afresh were measured at."""

    width: int
    height: int
    fps: int
    layouts: dict[str, ShotLayout] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)  # the shots whose layout came from the film folder


def film_layouts(board: Storyboard, film_dir: Path, progress: Callable[[int, int], None] | None = None) -> FilmLayouts:
    """Every shot's layout track as the film in `film_dir` stages it; `progress(done, total)` after each shot."""
    from storyagent.cast import assign_cast

    board = assign_cast(board)  # as the render stage films it
    options = RunOptions.model_validate(stored_options(film_dir))  # what the film was made with
    timeline = _last_timeline(film_dir)
    found = FilmLayouts(width=timeline.width if timeline else options.width or board.render.width,
                        height=timeline.height if timeline else options.height or board.render.height,
                        fps=timeline.fps if timeline else options.fps or board.render.fps)
    renderer, settings = stages.chosen_renderer(board, options)
    stager: ShotRenderer = renderer(settings) if renderer.stages_shots else get_renderer(PREVIS)
    shots = board.shots()
    for done, shot in enumerate(shots, 1):
        placed = timeline is not None and any(p.shot_id == shot.id for p in timeline.shots)
        cached = _cached(board, timeline, shot.id, options, film_dir) if placed else None
        if cached is not None:
            found.cached.append(shot.id)
            found.layouts[shot.id] = cached
        else:
            seconds = timeline.shot(shot.id).duration if placed else shot.camera.duration
            found.layouts[shot.id] = stager.layout(ShotJob(
                board=board, shot_id=shot.id, frames=max(round(seconds * found.fps), 1), width=found.width,
                height=found.height, fps=found.fps, cast_dir=film_dir / cache.CAST))
        if progress:
            progress(done, len(shots))
    return found


def _cached(board: Storyboard, timeline: Timeline, shot_id: str, options: RunOptions,
            film_dir: Path) -> ShotLayout | None:
    """The layout beside the shot's clip if that clip is the current one (its key is what the shot is made
    from now) and the layout is whole."""
    key = stages.shot_key(board, timeline, shot_id, options, film_dir)
    path = layout_path(film_dir / cache.SHOTS / f"{shot_id}.{key}.mp4")
    return ShotLayout.load(path) if cache.reusable(path) else None


def _last_timeline(film_dir: Path) -> Timeline | None:
    """The timeline the film's last run wrote (its shots' lengths, speech included), None if there is none
    to read: then each shot lasts its planned duration."""
    try:
        return Timeline.model_validate_json((film_dir / cache.TIMELINE).read_bytes())
    except (OSError, ValidationError):
        return None
