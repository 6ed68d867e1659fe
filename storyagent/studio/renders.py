"""Render jobs for the studio: one background thread per render, at most one per film at a time.

A job keeps every progress event its run emitted, in order (the same dicts `--log-json` prints), and
ends with `{"event": "finished", ...}` or `{"event": "failed", "message": one line}`. Each page that
listens reads the list from its own position, so a page that connects late still gets every event so far
and no listener can slow another down."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storyagent.errors import StoryagentError

Progress = Callable[[dict[str, Any]], None]
# A render: given the callback for its progress events, runs and returns its final event.
Work = Callable[[Progress], dict[str, Any]]

TERMINAL = ("finished", "failed")
_ids = itertools.count(1)


class RenderRunning(StoryagentError):
    """The film already has a render running."""


@dataclass
class RenderJob:
    film: str
    id: int = field(default_factory=lambda: next(_ids))
    events: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _changed: threading.Condition | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    def emit(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(dict(event))
            assert self._changed is not None
            self._changed.notify_all()

    @property
    def done(self) -> bool:
        with self._lock:
            return bool(self.events) and self.events[-1].get("event") in TERMINAL

    def since(self, position: int) -> list[dict[str, Any]]:
        """The events from `position` on (a listener's own cursor)."""
        with self._lock:
            return self.events[position:]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished or failed; True when it has."""
        with self._lock:
            assert self._changed is not None
            return self._changed.wait_for(
                lambda: bool(self.events) and self.events[-1].get("event") in TERMINAL, timeout)


class Renders:
    """The studio's render jobs by film: the running one, or else the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, RenderJob] = {}
        self._started = threading.Condition(self._lock)

    def start(self, film: str, work: Work) -> RenderJob:
        """Start `work` in a background thread; RenderRunning when the film has one running."""
        with self._lock:
            current = self._jobs.get(film)
            if current is not None and not (current.events and current.events[-1].get("event") in TERMINAL):
                raise RenderRunning(f"a render of this film is running (render {current.id}); wait for it to finish")
            job = RenderJob(film)
            self._jobs[film] = job
            self._started.notify_all()
        threading.Thread(target=_run, args=(job, work), name=f"studio-render-{job.id}", daemon=True).start()
        return job

    def latest(self, film: str) -> RenderJob | None:
        with self._lock:
            return self._jobs.get(film)

    def running(self) -> list[RenderJob]:
        with self._lock:
            return [job for job in self._jobs.values() if not job.done]


def _run(job: RenderJob, work: Work) -> None:
    try:
        final = work(job.emit)
    except StoryagentError as error:
        final = {"event": "failed", "message": one_line(str(error))}
    except BaseException as error:  # noqa: BLE001 - a bug in a render must still end its stream with one line
        final = {"event": "failed", "message": one_line(f"{type(error).__name__}: {error}")}
    job.emit(final)


def one_line(text: str) -> str:
    first = (text or "").strip().splitlines()
    return first[0][:500] if first else "failed"
