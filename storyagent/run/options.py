"""Options of a run, shared by the CLI, the Python API and the graph state."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from storyagent.render.dit.options import DiTOptions


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


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
