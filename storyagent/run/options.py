"""Options of a run, shared by the CLI, the Python API and the graph state."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyagent.errors import StoryagentError
from storyagent.storyboard.model import Fps, Height, Seed, Width
from storyagent.storyboard.problems import describe_validation_error


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class RunOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # planning
    planner: str = Field(default="auto", description="auto or a registered planner.")
    duration: float = Field(default=90.0, gt=0, le=3600, description="Target film length in seconds.")
    language: str | None = Field(default=None, description="en or zh; empty detects it from the premise.")
    seed: Seed = Field(default=0, description="Seed: another seed gives another film.")
    style: str | None = Field(default=None, description="Visual style, in words.")
    llm_base_url: str | None = None
    llm_model: str | None = None
    # rendering
    renderer: str | None = Field(default=None, description="A registered renderer; empty uses the storyboard's setting.")
    renderer_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the chosen renderer, checked by its Options model (only those set)."
    )
    width: Width | None = None
    height: Height | None = None
    fps: Fps | None = None
    voice_engine: str | None = Field(default=None, description="A registered voice engine; empty picks the best.")
    jobs: int = Field(default_factory=default_jobs, ge=1, description="Shots rendered at once.")
    executor: str = Field(default="local", pattern="^(local|ray)$", description="local processes or a Ray cluster.")
    ray_address: str | None = Field(default=None, description="Ray cluster address; empty starts a local Ray.")
    burn_subtitles: bool = False
    review: bool = Field(default=False, description="Stop after planning so the director can edit.")

    @classmethod
    def given(cls, **options: Any) -> "RunOptions":
        """The options a caller gave, checked before any work: a wrong one is one line naming it."""
        try:
            return cls(**options)
        except ValidationError as error:
            raise StoryagentError(f"option {describe_validation_error(error, cls)}") from None
