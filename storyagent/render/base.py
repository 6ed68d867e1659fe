"""Shot renderers: each turns one shot of the storyboard into a stream of frames.

A backend is one module in this package that registers a class with
`@register("name")`. The editor never knows which backend drew a shot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.plugins import Registry
from storyagent.storyboard import Storyboard


class ShotJob(BaseModel):
    """Everything a renderer needs for one shot. Identity comes from the
    storyboard's cast fields and the reference sheets in `cast_dir`."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    board: Storyboard
    shot_id: str
    frames: int = Field(gt=0, description="Number of frames to produce.")
    width: int
    height: int
    fps: int
    cast_dir: Path | None = Field(default=None, description="Folder of cast/<character id>.png reference sheets.")


class ShotRenderer(Protocol):
    """Produces exactly `job.frames` uint8 frames of shape (height, width, 3) RGB,
    or (height, width, 4) RGBA whose alpha is ignored."""

    name: str

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]: ...


RENDERERS = Registry("renderer", {"animatic": "storyagent.render.animatic.renderer", "dit": "storyagent.render.dit.renderer"})
register = RENDERERS.register


def available() -> list[str]:
    return RENDERERS.names()


def get_renderer(name: str, **options: object) -> ShotRenderer:
    """Build a renderer by name; heavy imports happen only here, on demand."""
    return RENDERERS.get(name)(**options)
