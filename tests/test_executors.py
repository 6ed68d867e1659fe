"""Shots render the same on a Ray cluster (here a local Ray) as in the local pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyagent.run import catalogue
from tests.helpers.cli import storyagent

pytest.importorskip("ray", reason="Ray is the optional 'ray' extra")


def test_ray_executor_renders_every_shot_into_the_film_folder(tmp_path: Path) -> None:
    out = tmp_path / "film"
    result = storyagent("make", "a crab finds a shell", "-o", str(out), "--duration", "10", "--resolution", "320x180",
                        "--fps", "12", "--executor", "ray", "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    shots = catalogue.artifacts(out)
    built = {a.name for a in shots if a.kind == "shot" and a.action == "built"}
    clips = list((out / "shots").glob("*.mp4"))
    assert built and len(clips) == len(built)
    assert all(clip.stat().st_size > 0 for clip in clips)
    assert (out / "film.mp4").is_file()


def test_kept_shot_workers_outlive_a_run_and_start_again_for_other_options(monkeypatch) -> None:
    """The studio renders again and again in one process: its workers stay warm, unless the options change."""
    from storyagent.renderers.animatic.renderer import AnimaticRenderer
    from storyagent.run import stages
    from storyagent.run.options import RunOptions

    monkeypatch.setattr(stages, "_kept", True)
    try:
        first = stages.shot_executor(RunOptions(jobs=1), AnimaticRenderer)
        stages.close_shot_pool()
        assert stages.shot_executor(RunOptions(jobs=1), AnimaticRenderer) is first
        assert stages.shot_executor(RunOptions(jobs=2), AnimaticRenderer) is not first
    finally:
        monkeypatch.setattr(stages, "_kept", False)
        stages.close_shot_pool()
    assert stages._executor is None
