"""How the dit renderer runs its model: the options a user sets on the command line."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
