"""Shot renderers: each turns one shot of the storyboard into a stream of frames.

A renderer is a class subclassing `ShotRenderer`, in its own folder, registered
as a `storyagent.renderers` entry point (see `storyagent.plugins`). The editor
never knows which backend drew a shot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.plugins import Backend, Registry
from storyagent.renderers.layout import ShotLayout
from storyagent.renderers.speech import Speech
from storyagent.storyboard import RenderSettings, Storyboard


class ShotJob(BaseModel):
    """Everything a renderer needs for one shot. Identity comes from the
    storyboard's cast fields and the reference sheets in `cast_dir`."""

    model_config = ConfigDict(extra="forbid")

    board: Storyboard
    shot_id: str
    frames: int = Field(gt=0, description="Number of frames to produce.")
    width: int
    height: int
    fps: int
    cast_dir: Path | None = Field(default=None, description="Folder of cast/<character id>.png reference sheets.")
    film_dir: Path | None = Field(default=None, description="The film folder, for a renderer that keeps files there "
                                  "(keyframes, a hosted provider's jobs); None when a shot is rendered on its own.")
    key: str = Field(default="", description="Hash of what the shot is made from (its clip's name); empty on its own.")
    speech: list[Speech] = Field(default_factory=list, description="The shot's speech track, for a renderer that "
                                 "`reads_speech`; empty when no voice is known.")


class ShotPrice(BaseModel):
    """What one shot costs at a provider: the seconds it bills and their price in US dollars."""

    model_config = ConfigDict(frozen=True)

    seconds: float = Field(description="Seconds billed: what is asked for, at the lengths the model allows.")
    requests: int = Field(description="Requests made: one to create, one per extension.")
    usd: float


class RenderJob(BaseModel):
    """One shot's clip for a worker process or a Ray task: it crosses over as JSON."""

    model_config = ConfigDict(extra="forbid")

    shot: ShotJob
    edges: tuple[int, int] = Field(description="Frames of the shot's pieces the editor cuts it into (see ShotParts).")
    renderer: str
    options: dict[str, Any] = Field(default_factory=dict, description="The renderer's options, as its Options model dumps them.")
    out: Path = Field(description="The clip to write.")
    span: tuple[int, int] | None = Field(
        default=None, description="Frames [first, end) this task draws and encodes, for a renderer that draws frames "
        "apart; the render stage joins the spans into the clip. None: the whole shot, into its clip.")


class ShotRenderer(Backend, Protocol):
    """Produces exactly `job.frames` uint8 frames of shape (height, width, 3) RGB,
    or (height, width, 4) RGBA whose alpha is ignored. Built with its `Options`."""

    # The characters' own reference images change this renderer's pictures: their contents go into the cache key.
    reads_reference_images: ClassVar[bool] = False
    # It stages its shots: `layout` and `matte` give the shot's layout track and matte pass.
    stages_shots: ClassVar[bool] = False
    # Its characters act to the speech track (see `renderers.speech`): the render stage fills `ShotJob.speech`.
    reads_speech: ClassVar[bool] = False
    # The pre-vis keyframes it starts from ("first", "last"): a director's replacement image goes into the cache key.
    starts_from: ClassVar[tuple[str, ...]] = ()
    # It draws each frame from the job alone, nothing carried over from the frame before: a shot is drawn in
    # spans on several workers at once, and `frames` takes the frame to start from.
    draws_frames_apart: ClassVar[bool] = False

    @classmethod
    def price(cls, options: Any, seconds: float) -> ShotPrice | None:
        """What rendering a shot of `seconds` costs with `options`; None when it costs nothing (a local renderer)."""
        return None

    def __init__(self, options: Any) -> None: ...

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]:
        """The shot's frames, first to last. A renderer that `draws_frames_apart` takes `start` too, and
        gives the frames from that one on."""
        ...

    def layout(self, job: ShotJob) -> ShotLayout:
        """Where the camera and every figure are in each frame `frames` gives (see `renderers.layout`)."""
        raise NotImplementedError(f"the {self.name} renderer does not stage its shots")

    def matte(self, job: ShotJob) -> Iterator[np.ndarray]:
        """The frames of `frames`, each figure in its `matte_colour` of the layout and all else black."""
        raise NotImplementedError(f"the {self.name} renderer does not stage its shots")


RENDERERS: Registry[ShotRenderer] = Registry("renderer", "storyagent.renderers")


def available() -> list[str]:
    return RENDERERS.names()


def renderer_options(name: str, given: dict[str, Any], settings: RenderSettings | None = None) -> BaseModel:
    """Renderer `name`'s options: those `given`, over the storyboard's `render.model` where the renderer takes a model."""
    backend = RENDERERS.get(name)
    model = {"model": settings.model} if settings and settings.model and "model" in backend.Options.model_fields else {}
    return RENDERERS.options(name, model | given)


def get_renderer(name: str, **options: Any) -> ShotRenderer:
    """Build a renderer by name; heavy imports happen only here, on demand."""
    return RENDERERS.get(name)(RENDERERS.options(name, options))
