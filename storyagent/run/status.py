"""What is current in a film folder: which shots match the storyboard as it
is now, which an edit made stale, which failed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from storyagent import cache
from storyagent.errors import StoryagentError
from storyagent.run import catalogue, stages
from storyagent.run.film import stored_options
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline

ShotState = Literal["current", "stale", "failed", "not rendered"]


class ShotStatus(BaseModel):
    shot_id: str
    state: ShotState
    clip: str | None = None


def film_folder(path: Path) -> Path:
    folder = path.parent if path.is_file() else path
    if not (folder / cache.STORYBOARD).is_file():
        raise StoryagentError(f"{folder}: no {cache.STORYBOARD} here; give a film folder")
    return folder


def shot_statuses(film_dir: Path) -> list[ShotStatus]:
    board = Storyboard.load(film_dir / cache.STORYBOARD)
    timeline = _last_timeline(film_dir)
    last_action = {a.name: a.action for a in catalogue.artifacts(film_dir) if a.kind == "shot"}
    options = RunOptions.model_validate(stored_options(film_dir))  # what the film was made with, not the defaults
    statuses = []
    for shot in board.shots():
        clips = sorted((film_dir / cache.SHOTS).glob(f"{shot.id}.*.mp4"))
        current = None
        if timeline is not None and any(p.shot_id == shot.id for p in timeline.shots):
            current = film_dir / cache.SHOTS / f"{shot.id}.{stages.shot_key(board, timeline, shot.id, options, film_dir)}.mp4"
        if current is not None and cache.reusable(current):  # there and whole
            statuses.append(ShotStatus(shot_id=shot.id, state="current", clip=str(current.relative_to(film_dir))))
        elif last_action.get(shot.id) == "failed":
            statuses.append(ShotStatus(shot_id=shot.id, state="failed"))
        elif clips:
            statuses.append(ShotStatus(shot_id=shot.id, state="stale", clip=str(clips[-1].relative_to(film_dir))))
        else:
            statuses.append(ShotStatus(shot_id=shot.id, state="not rendered"))
    return statuses


def _last_timeline(film_dir: Path) -> Timeline | None:
    """The timeline the last run wrote, None before the first; the run writes it, so a broken one is
    the run's to write again, and status says so instead of guessing."""
    path = film_dir / cache.TIMELINE
    try:
        return Timeline.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValidationError as error:
        raise StoryagentError(f"{path} is unreadable ({error.errors()[0]['msg']}); `storyagent render "
                              f"{film_dir / cache.STORYBOARD}` writes it again") from None
    except OSError as error:
        raise StoryagentError(f"{path} is unreadable ({error.strerror}); `storyagent render "
                              f"{film_dir / cache.STORYBOARD}` writes it again") from None
