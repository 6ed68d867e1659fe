"""The example storyboards in `examples/`, read by the tests as a user's own files."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.storyboard.json"))
SOUTH = EXAMPLES / "all-the-way-south.storyboard.json"  # English, several scenes, narrator and characters
ZH = EXAMPLES / "yi-lu-xiang-nan.zh.storyboard.json"
