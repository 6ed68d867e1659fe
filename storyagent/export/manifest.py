"""`film.json`: the record of what made a film, enough to reproduce it or explain how it looks."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, Field

from storyagent.cache import write_text_atomic
from storyagent.media.video import ffmpeg_exe

# Libraries whose version changes what the film looks or sounds like.
KEY_LIBRARIES = [
    "storyagent", "pydantic", "numpy", "scipy", "skia-python", "pillow", "langgraph", "openai", "moviepy",
    "imageio-ffmpeg", "opentimelineio", "otio-cmx3600-adapter", "pysubs2", "pyloudnorm", "piper-tts",
    "onnxruntime", "espeakng-loader", "pretty_midi", "torch", "diffusers", "transformers",
]


class FilmInfo(BaseModel):
    """What made a film: enough to reproduce it or explain how it looks."""

    title: str
    premise: str = ""
    planner: str = Field(description="Planner that wrote the storyboard (template, llm:<model>, or 'edited').")
    renderer: str = Field(description="Shot renderer backend.")
    voice_engine: str = Field(description="TTS engine (and voice) used for the lines.")
    duration: float = Field(description="Film length in seconds.")
    frame_count: int
    fps: int
    width: int
    height: int
    seeds: dict[str, int] = Field(default_factory=dict, description="Seeds by what they fix (film, character ids, ...).")
    stage_seconds: dict[str, float] = Field(default_factory=dict, description="Wall seconds spent in each stage.")
    paths: dict[str, str] = Field(default_factory=dict, description="Outputs, relative to the film folder.")
    spent_usd: dict[str, float] = Field(default_factory=dict, description="What each shot's requests to a hosted "
                                        "provider cost, in US dollars at the price table's prices (none: nothing paid).")
    versions: dict[str, str] = Field(default_factory=lambda: library_versions())
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def library_versions() -> dict[str, str]:
    """Python, ffmpeg and the installed key libraries (without importing them)."""
    versions = {"python": platform.python_version()}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        first = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False).stdout.split("\n", 1)[0]
        versions["ffmpeg"] = first.split()[2] if first.startswith("ffmpeg version") else first
    except (OSError, IndexError):
        pass
    return versions


def write_film_manifest(path: Path, info: FilmInfo) -> Path:
    """`film.json`, written atomically."""
    return write_text_atomic(path, info.model_dump_json(indent=2) + "\n")
