"""Another take of a shot: the director asks a paid generator (a hosted renderer) for another version.

The take number lives in the film's ledger and changes the seed the provider is sent, so the request
is new; the shot's current clip is set aside (kept as `shots/.takes/`), so the next render asks for it."""

from __future__ import annotations

from pathlib import Path

from storyagent import cache
from storyagent.errors import StoryagentError
from storyagent.renderers.hosted.jobs import Ledger
from storyagent.storyboard import Storyboard


def reroll(film_dir: Path, shot_id: str) -> int:
    """Ask for another take of `shot_id` at the next render; returns the take's number."""
    board = Storyboard.load(film_dir / cache.STORYBOARD)
    if shot_id not in {shot.id for shot in board.shots()}:
        raise StoryagentError(f"{film_dir / cache.STORYBOARD}: no shot '{shot_id}'")
    take = Ledger(film_dir).next_take(shot_id)
    kept = film_dir / cache.SHOTS / ".takes"
    for clip in (film_dir / cache.SHOTS).glob(f"{shot_id}.*.mp4"):
        kept.mkdir(parents=True, exist_ok=True)
        clip.replace(kept / f"{clip.stem}.take{take - 1}.mp4")
        cache.seal_path(clip).unlink(missing_ok=True)
    return take
