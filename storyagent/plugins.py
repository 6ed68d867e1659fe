"""Backends by name: renderers, voice engines, planners and exporters.

A backend is one class, in its own file or folder, that declares what the
pipeline must know before it runs (`Backend` below) and does its kind's work
(`render.base.ShotRenderer`, `voice.Narrator`, `plan.Planner`,
`export.Exporter`). It is found through an entry point in its distribution's
metadata, so another package adds one exactly as storyagent declares its own
in pyproject.toml:

    [project.entry-points."storyagent.renderers"]
    animatic = "storyagent.renderers.animatic.renderer:AnimaticRenderer"

Listing names reads only that metadata; a backend's module (and torch, piper,
diffusers behind it) is imported when the backend itself is asked for.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from storyagent.errors import BackendError


class NoOptions(BaseModel):
    """The options of a backend that takes none."""

    model_config = ConfigDict(extra="forbid")


class Check(BaseModel):
    """One line of `storyagent doctor`: something this machine has or lacks, and what it is needed for."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    detail: str
    needed_for: str
    required: bool = False  # missing means storyagent cannot make a film at all


class Backend(Protocol):
    """What every backend declares. Subclass a kind's protocol explicitly to
    inherit the defaults: no options, no GPU, nothing to check, nothing beyond
    the job in the cache key."""

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    needs_gpu: ClassVar[bool] = False
    version: ClassVar[str]  # changes when the backend's code does: `source_version(its folder or file)`

    @classmethod
    def preflight(cls, options: Any) -> str | None:
        """What is missing to run with `options`, in one line; None when nothing is."""
        return None

    @classmethod
    def cache_inputs(cls, options: Any) -> dict[str, Any]:
        """The options that change the output (not only speed or memory): they go into the cache key."""
        return {}

    @classmethod
    def doctor(cls, models: list[str]) -> list[Check]:
        """What this backend finds on this machine beyond `preflight` (libraries, devices, the
        `models` a user asked about), for `storyagent doctor`. Looks, never loads."""
        return []


B = TypeVar("B", bound=Backend)


class Registry(Generic[B]):
    """The backends of one kind, by name, from the entry points of one group."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind  # what a backend is called in messages: 'renderer', 'voice engine' ...
        self.group = group
        self._found: dict[str, EntryPoint] | None = None
        self._clashes: dict[str, set[str]] = {}  # a name two packages give to different objects

    def _entry_points(self) -> dict[str, EntryPoint]:
        if self._found is None:
            self._found = {}
            for point in entry_points(group=self.group):
                if point.name in self._found and self._found[point.name].value != point.value:
                    self._clashes.setdefault(point.name, {self._found[point.name].value}).add(point.value)
                self._found[point.name] = point
        return self._found

    def names(self) -> list[str]:
        """Every registered name, without importing any backend."""
        return sorted(self._entry_points())

    def get(self, name: str) -> type[B]:
        point = self._entry_points().get(name)
        if point is None:
            raise BackendError(f"unknown {self.kind} '{name}'; choose one of: {', '.join(self.names())}")
        if name in self._clashes:
            raise BackendError(f"two installed packages register the {self.kind} '{name}' "
                               f"({' and '.join(sorted(self._clashes[name]))}); uninstall one of them")
        try:
            backend = point.load()
        except (ImportError, AttributeError, SyntaxError) as error:  # the plug-in's package is broken or incomplete
            raise BackendError(f"the {self.kind} '{name}' ({point.value}) cannot be loaded: "
                               f"{type(error).__name__}: {error}") from None
        if getattr(backend, "name", None) != name:
            raise BackendError(f"{self.kind} '{name}' ({point.value}) calls itself '{getattr(backend, 'name', None)}'")
        return backend

    def options(self, name: str, given: dict[str, Any]) -> BaseModel:
        """`given` checked by backend `name`'s options model; a mistake is one line naming the flag."""
        backend = self.get(name)
        try:
            return backend.Options.model_validate(given)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            flag = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else name
            if first["type"] == "extra_forbidden":
                raise BackendError(f"the {name} {self.kind} has no option {flag}") from None
            raise BackendError(f"{flag} {first['input']!r}: {first['msg']} ({name} {self.kind})") from None
