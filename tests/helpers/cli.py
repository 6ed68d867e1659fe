"""storyagent run as a user runs it: `python -m storyagent` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def storyagent(*args: str, timeout: float = 600, env: Mapping[str, str] | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with `args` and capture its output. The terminal is wide, so
    rich never wraps a line a test reads, and no `OPENAI_*` variable of the
    developer's shell reaches it, so planning is offline unless `env` says so."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "storyagent", *args], capture_output=True, text=True,
                          timeout=timeout, env=environment | dict(env or {}), cwd=cwd, check=False)
