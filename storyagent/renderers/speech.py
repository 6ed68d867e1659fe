"""The speech track of a shot: for each line a character speaks in it, how loud its voice is, instant by
instant, from where the line starts in the shot. A renderer that acts to it (the animatic opens the
speaker's mouth as far) gets it in its `ShotJob`; it comes from the voice stage's WAVs and the timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent import cache
from storyagent.media.audio import read_wav
from storyagent.storyboard import NARRATOR
from storyagent.timeline import Timeline

RATE = 25  # loudness values a second: a syllable spans about five
RANGE = 24.0  # decibels from a line's loud parts (1) down to where the mouth shuts (0)


class Speech(BaseModel):
    """One line a character speaks in the shot."""

    model_config = ConfigDict(extra="forbid")

    character: str
    start: float = Field(description="Seconds into the shot where the line starts.")
    levels: list[float] = Field(description=f"Its loudness, {RATE} values a second from `start`: 0 silent, "
                                            "1 as loud as the line gets.")

    def level(self, seconds: float) -> float:
        """The loudness `seconds` into the shot, between the values on either side; 0 outside the line."""
        at = (seconds - self.start) * RATE
        if at < 0 or at > len(self.levels) - 1:
            return 0.0
        i = int(at)
        after = self.levels[min(i + 1, len(self.levels) - 1)]
        return self.levels[i] + (at - i) * (after - self.levels[i])


def loudness(audio: np.ndarray, sr: int) -> list[float]:
    """How loud `audio` is, `RATE` values a second (the RMS of each stretch), in decibels below its loud
    parts (its 95th percentile) mapped from -RANGE (0) to 0 (1), to two places: lines are levelled, but
    engines and voices differ in how much their loudness swings."""
    hop = max(round(sr / RATE), 1)
    padded = np.pad(audio, (0, -len(audio) % hop))
    rms = np.sqrt(np.mean(padded.reshape(-1, hop).astype(np.float64) ** 2, axis=1))
    decibels = 20 * np.log10(rms + 1e-9)
    loud = np.percentile(decibels, 95) if len(decibels) else 0.0
    return [round(float(v), 2) for v in np.clip((decibels - loud + RANGE) / RANGE, 0.0, 1.0)]


def shot_speech(timeline: Timeline, shot_id: str, film_dir: Path) -> list[Speech]:
    """The speech track of a shot: each line a character (not the narrator) speaks in it, from the voice
    stage's WAV in `film_dir`. A line whose WAV is gone (a film folder being inspected) is left out."""
    shot = timeline.shot(shot_id)
    track = []
    for placed in timeline.voice:
        line = placed.line
        if line.shot_id != shot_id or line.speaker == NARRATOR:
            continue
        try:
            audio, sr = read_wav(cache.resolve(line.audio, film_dir))
        except (OSError, ValueError):
            continue
        track.append(Speech(character=line.speaker, start=round(placed.start - shot.start, 4),
                            levels=loudness(audio, sr)))
    return track
