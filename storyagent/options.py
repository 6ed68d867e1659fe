"""Options of a run, shared by the CLI, the Python API and the graph state."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class DiTOptions(BaseModel):
    """How the dit renderer runs its model: speed, memory and how closely it follows the animatic."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(default="auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$", description="auto picks cuda, then mps, then cpu.")
    dtype: Literal["float32", "bfloat16", "float16"] | None = Field(
        default=None, description="Weights' precision; empty means bfloat16 on a GPU, float32 on the CPU."
    )
    offload: Literal["none", "model", "sequential", "group"] = Field(
        default="none", description="Keep weights in CPU memory and move them to the GPU when used: model (a little "
        "slower), group or sequential (much slower, least GPU memory)."
    )
    vae_tiling: bool = Field(default=False, description="Decode frames in tiles and slices: less memory for large frames.")
    attention: str | None = Field(default=None, description="diffusers attention backend, e.g. flash, sage, native.")
    steps: int | None = Field(default=None, ge=1, le=200, description="Denoising steps; empty means the family's default.")
    guidance: float | None = Field(default=None, ge=0, le=30, description="Guidance scale; empty means the family's default.")
    layout_strength: float | None = Field(
        default=None, ge=0, le=1, description="Follow the animatic's layout this much (0..1); empty ignores the animatic's motion."
    )
    segment_frames: int | None = Field(
        default=None, ge=2, le=1000, description="Longest piece one model call makes; lower needs less memory."
    )

    def picture(self) -> dict:
        """The options that change the frames, not only speed or memory: what a shot's cache key needs."""
        return self.model_dump(include={"dtype", "steps", "guidance", "layout_strength", "segment_frames"})


class RunOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # planning
    planner: str = Field(default="auto", description="auto, template or llm.")
    duration: float = Field(default=90.0, gt=0, le=3600, description="Target film length in seconds.")
    language: str | None = Field(default=None, description="en or zh; empty detects it from the premise.")
    seed: int = Field(default=0, ge=0, description="Seed: another seed gives another film.")
    style: str | None = Field(default=None, description="Visual style, in words.")
    llm_base_url: str | None = None
    llm_model: str | None = None
    # rendering
    renderer: str | None = Field(default=None, description="animatic or dit; empty uses the storyboard's setting.")
    model: str | None = Field(default=None, description="Local model folder for the dit renderer.")
    dit: DiTOptions = Field(default_factory=DiTOptions, description="Options of the dit renderer.")
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    voice_engine: str | None = Field(default=None, description="piper, espeak, openai or coqui; empty picks the best.")
    jobs: int = Field(default_factory=default_jobs, ge=1, description="Shots rendered at once.")
    executor: str = Field(default="local", pattern="^(local|ray)$", description="local processes or a Ray cluster.")
    ray_address: str | None = Field(default=None, description="Ray cluster address; empty starts a local Ray.")
    burn_subtitles: bool = False
    review: bool = Field(default=False, description="Stop after planning so the director can edit.")
