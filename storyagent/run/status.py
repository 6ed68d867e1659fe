"""What is current in a film folder: which shots match the storyboard as it
is now, which an edit made stale, which failed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from storyagent import cache
from storyagent.errors import StoryagentError
from storyagent.renderers.hosted.jobs import jobs_of
from storyagent.run import catalogue, cost, stages
from storyagent.run.film import stored_options
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline

ShotState = Literal["current", "stale", "failed", "not rendered"]


class ShotStatus(BaseModel):
    shot_id: str
    state: ShotState
    clip: str | None = None
    remote: str | None = Field(default=None, description="Where the shot's last request to a hosted provider "
                               "stands: queued, running, done, failed, or rejected (the shot kept its animatic).")
    job: str | None = Field(default=None, description="That request's job id at the provider.")
    usd: float = Field(default=0.0, description="What the shot's requests cost so far.")


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
    remote = {job.shot_id: job for job in jobs_of(film_dir)}  # the last request of each shot
    spent = cost.spent(film_dir)
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
        if shot.id in remote:
            statuses[-1] = statuses[-1].model_copy(update={"remote": remote[shot.id].state, "job": remote[shot.id].job_id,
                                                           "usd": spent.get(shot.id, 0.0)})
    return statuses


def current_timeline(board: Storyboard, film_dir: Path) -> Timeline | None:
    """The film's last timeline when it times this storyboard's shots, else None."""
    try:
        timeline = _last_timeline(film_dir)
    except StoryagentError:
        return None
    if timeline is None or [p.shot_id for p in timeline.shots] != [shot.id for shot in board.shots()]:
        return None
    return timeline


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
