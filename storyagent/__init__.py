"""storyagent: one line in, a finished narrated animated short out.

    >>> from storyagent import Storyboard
from storyagent.planners import lint
    >>> board = Storyboard.load("examples/all-the-way-south.storyboard.json")
    >>> [issue for issue in lint(board) if issue.level == "error"]
    []

Names are imported on first use so `import storyagent` stays instant (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Storyboard": "storyagent.storyboard",
    "StoryagentError": "storyagent.errors",
    "lint": "storyagent.planners.lint",
    "LintIssue": "storyagent.planners.lint",
    "make": "storyagent.run.film",
    "render": "storyagent.run.film",
    "FilmResult": "storyagent.run.film",
    "plan": "storyagent.planners",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'storyagent' has no attribute {name!r}")
