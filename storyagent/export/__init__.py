"""Exports: what an editor or a reviewer takes away besides film.mp4.

An exporter is a class subclassing `Exporter`, registered as a
`storyagent.exporters` entry point (see `storyagent.plugins`): `otio` (the
edit as timeline.otio and timeline.edl) and `contact-sheet` (contact-sheet.png
and .pdf). The export stage runs every registered exporter, then writes
film.json naming what they wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from storyagent.plugins import Backend, Registry
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline


class ExportJob(BaseModel):
    """A finished film's parts, for exporters to describe."""

    model_config = ConfigDict(extra="forbid")

    board: Storyboard
    timeline: Timeline
    clips: dict[str, Path] = Field(description="Each shot's clip, by shot id.")
    stems: dict[str, Path] = Field(description="The music and effects stems (voice lines are placed one by one).")
    film_dir: Path = Field(description="The film folder: exporters write into it, and relative to it.")


class Exporter(Backend, Protocol):
    """Writes files about the film into its folder. Built with its `Options`."""

    def __init__(self, options: Any) -> None: ...

    def export(self, job: ExportJob) -> dict[str, Path]:
        """The files written, by the name film.json lists them under."""
        ...


EXPORTERS: Registry[Exporter] = Registry("exporter", "storyagent.exporters")


def export_all(job: ExportJob) -> dict[str, Path]:
    """Run every registered exporter with its default options."""
    written: dict[str, Path] = {}
    for name in EXPORTERS.names():
        written |= EXPORTERS.get(name)(EXPORTERS.options(name, {})).export(job)
    return written
