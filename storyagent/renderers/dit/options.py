"""How the dit renderer runs its model: the options a user sets on the command line."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DiTOptions(BaseModel):
    """How the dit renderer runs its model: which one, speed, memory and how closely it follows the animatic."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None, max_length=500, description="Local diffusers model folder (default: the storyboard's render.model)."
    )
    device: str = Field(default="auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$",
                        description="auto (cuda, then mps, then cpu), cpu, mps, cuda or cuda:N.")
    dtype: Literal["float32", "bfloat16", "float16"] | None = Field(
        default=None, description="Weights' precision (default: bfloat16 on a GPU, float32 on the CPU)."
    )
    offload: Literal["none", "model", "sequential", "group"] = Field(
        default="none", description="When GPU memory runs out, keep weights in CPU memory and move them to the GPU "
        "when used: model (a little slower), group or sequential (slowest, least memory)."
    )
    vae_tiling: bool = Field(default=False, description="Decode frames in tiles, for large frames on small GPUs.")
    attention: str | None = Field(default=None, description="diffusers attention backend, e.g. flash or sage.")
    steps: int | None = Field(default=None, ge=1, le=200, description="Denoising steps (default: the model family's).")
    guidance: float | None = Field(default=None, ge=0, le=30, description="Guidance scale (default: the model family's).")
    layout_strength: float | None = Field(
        default=None, ge=0, le=1, description="Follow the animatic's layout and motion this much, 0..1 (default: off)."
    )
    segment_frames: int | None = Field(
        default=None, ge=2, le=1000, description="Longest piece one model call makes; lower it when memory runs out."
    )
