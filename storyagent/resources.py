"""Where the package's data lives: story arcs in `templates/`, icons and fonts
in `assets/`, both inside the package so a wheel carries them (pyproject's
package-data). Read through `importlib.resources`, so an editable checkout and
an installed wheel find the same files."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Wheels install unzipped, so the package's data is a real folder on disk.
PACKAGE = Path(str(files("storyagent")))
TEMPLATES = PACKAGE / "templates"
ASSETS = PACKAGE / "assets"
