"""Backends by name. Each backend is one module that registers its class with
`@registry.register("name")`; the module is imported only when the backend is
first asked for, so heavy libraries (torch, piper, openai) load on demand."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from storyagent.errors import BackendError


class Registry:
    def __init__(self, kind: str, modules: dict[str, str]) -> None:
        self.kind = kind  # what a backend is called in messages: 'renderer', 'voice engine' ...
        self.modules = modules  # name -> module that registers it
        self._classes: dict[str, type] = {}

    def register(self, name: str) -> Callable[[type], type]:
        def wrap(cls: type) -> type:
            self._classes[name] = cls
            return cls

        return wrap

    def names(self) -> list[str]:
        return list(self.modules)

    def get(self, name: str) -> type:
        if name not in self.modules:
            raise BackendError(f"unknown {self.kind} '{name}'; choose one of: {', '.join(self.names())}")
        if name not in self._classes:
            importlib.import_module(self.modules[name])
        return self._classes[name]
