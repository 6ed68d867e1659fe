"""The house rules a newcomer relies on: imports point down the pipeline, and
everything the package reads at run time ships inside the wheel."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "storyagent"


def test_imports_follow_the_layers_contract() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed (it comes with the [test] extra)")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_data_file_in_the_package_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]
    unshipped = []
    for path in PACKAGE.rglob("*"):
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        shipped = False
        for package, globs in patterns.items():
            folder = ROOT / package.replace(".", "/")
            if folder in path.parents:
                relative = path.relative_to(folder).as_posix()
                shipped |= any(fnmatch.fnmatch(relative, pattern) for pattern in globs)
        if not shipped:
            unshipped.append(path.relative_to(ROOT).as_posix())
    assert not unshipped, f"not in [tool.setuptools.package-data]: {unshipped}"


def test_the_python_api_stays_callable_once_the_pipeline_is_loaded() -> None:
    """A package named like an API function would replace it as soon as it is imported."""
    code = ("import storyagent, storyagent.run.stages, storyagent.run.film; "
            "print(all(callable(getattr(storyagent, name)) for name in ('make', 'render', 'plan', 'lint')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "True", result.stderr[-2000:]
