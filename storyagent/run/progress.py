"""Showing a run's progress: rich bars on a terminal, JSON lines for machines,
nothing with --quiet. Driven by the events the graph's nodes stream."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

STAGES = {
    "plan": "Planning the story",
    "cast": "Casting characters",
    "voice": "Recording voices",
    "time": "Timing the film",
    "render": "Rendering shots",
    "sound": "Scoring and mixing",
    "edit": "Editing the film",
    "export": "Exporting",
}


class RichProgress:
    """One bar per stage; the render bar counts shots."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.totals: dict[str, int] = {}  # stages that count frames finish at their count, others at 1
        self.remote: dict[str, str] = {}  # shot -> where its request to a provider stands

    def __enter__(self) -> "RichProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _task(self, stage: str, total: int = 1) -> Any:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(STAGES.get(stage, stage), total=total)
        return self.tasks[stage]

    def __call__(self, event: dict[str, Any]) -> None:
        stage = event.get("stage")
        kind = event.get("event")
        if kind == "resume":
            self.progress.console.print(f"resuming an unfinished run at: {', '.join(event['next'])}")
        elif kind == "notice":
            self.progress.console.print(event["message"], markup=False, highlight=False)
        elif kind == "understood":
            if event["lines"]:
                self.progress.console.print("What was understood:")
            for line in event["lines"]:
                self.progress.console.print(f"  {line}", markup=False, highlight=False)
        elif kind == "up-to-date":
            self.progress.console.print("the film is up to date; nothing to do")
        elif stage is None:
            return
        elif stage == "render" and kind == "total":
            self.totals["render"] = event["total"]
            self.progress.update(self._task("render"), total=event["total"])
        elif stage == "render" and kind == "shot":
            self.progress.advance(self._task("render"))
        elif stage == "render" and kind == "remote":
            self.remote[event["shot"]] = event["state"]
            self.progress.update(self._task("render"), description=self._remote_description())
        elif kind == "frames":
            self.totals[stage] = event["total"]
            self.progress.update(self._task(stage), completed=event["done"], total=event["total"])
        elif kind == "start":
            self._task(stage)
        elif kind == "done":
            total = self.totals.get(stage, 1)
            self.progress.update(self._task(stage), completed=total, total=total)


    def _remote_description(self) -> str:
        """The render bar's name with how many shots' requests stand where: 'Rendering shots · 2 running · 1 done'."""
        counts: dict[str, int] = {}
        for state in self.remote.values():
            counts[state] = counts.get(state, 0) + 1
        return " · ".join([STAGES["render"], *(f"{n} {state}" for state, n in sorted(counts.items()))])


class JsonLines:
    """Each event as one JSON object per line on stdout."""

    def __call__(self, event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class Quiet:
    """Shows no progress; a notice (something was repaired on the way) still goes to stderr."""

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "notice":
            sys.stderr.write(event["message"] + "\n")
