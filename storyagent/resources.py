"""Where the project's data lives: `templates/` and `assets/` beside the package
(the README installs in editable mode, so they are read in place)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "assets"
