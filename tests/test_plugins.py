"""Backends are plug-ins: another package adds a renderer through an entry point
and it draws a film, its options become flags, and a backend says what it misses
before any work starts."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
import typer
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from storyagent.cli import option_flags, with_renderer_flags
from storyagent.errors import BackendError
from storyagent.export.contact_sheet import clip_middle_frame
from storyagent.renderers.base import RENDERERS, renderer_options
from storyagent.run import catalogue
from storyagent.storyboard import RenderSettings

# A separate "package": one module and the metadata pip would have written for it.
FLAT_RENDERER = '''
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import source_version
from storyagent.renderers.base import ShotRenderer


class FlatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shade: int = Field(default=40, ge=0, le=255, description="Grey level of every frame.")


class FlatRenderer(ShotRenderer):
    """Every frame one grey."""

    name = "flat"
    Options = FlatOptions
    version = source_version(__file__)

    def __init__(self, options: FlatOptions) -> None:
        self.shade = options.shade

    @classmethod
    def cache_inputs(cls, options: FlatOptions) -> dict:
        return {"shade": options.shade}

    def frames(self, job):
        for _ in range(job.frames):
            yield np.full((job.height, job.width, 3), self.shade, np.uint8)
'''

BOARD = {
    "title": "Grey",
    "characters": [{"id": "nanuk", "name": "Nanuk"}],
    "locations": [{"id": "north", "name": "North", "biome": "sea-ice"}],
    "scenes": [{"id": "a", "location": "north", "shots": [
        {"id": "a1", "camera": {"size": "wide", "duration": 2.0}, "characters": [{"character": "nanuk"}],
         "lines": [{"speaker": "narrator", "text": "A grey day."}]},
        {"id": "a2", "camera": {"size": "medium", "duration": 2.0}},
    ]}],
}


def install_flat_renderer(site: Path) -> None:
    (site / "flat_renderer.py").write_text(FLAT_RENDERER)
    info = site / "flat_renderer-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flat-renderer\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[storyagent.renderers]\nflat = flat_renderer:FlatRenderer\n")


def test_a_renderer_from_another_package_renders_a_film_with_its_own_flag(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_flat_renderer(site)
    board = tmp_path / "grey.json"
    board.write_text(json.dumps(BOARD))
    out = tmp_path / "film"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    run = subprocess.run([sys.executable, "-m", "storyagent", "render", str(board), "-o", str(out), "--renderer", "flat",
                          "--shade", "200", "--resolution", "64x64", "--fps", "8", "--quiet"],
                         capture_output=True, text=True, timeout=300, env=env, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (out / "film.mp4").is_file()
    clips = {a.name: Path(a.path) for a in catalogue.artifacts(out) if a.kind == "shot" and a.action == "built"}
    assert set(clips) == {"a1", "a2"}
    for clip in clips.values():
        frame = clip_middle_frame(out / clip if not clip.is_absolute() else clip, 64, 64)
        assert abs(float(frame.mean()) - 200) < 3  # the plug-in drew it, at the shade its flag set

    help_text = subprocess.run([sys.executable, "-m", "storyagent", "render", "--help"], capture_output=True, text=True,
                               timeout=120, env={**env, "COLUMNS": "200"}, check=False).stdout
    assert "flat renderer" in help_text and "--shade" in help_text and "Grey level of every frame (default: 40)." in help_text


class Knobs(BaseModel):
    mode: Literal["fast", "fine"] = Field(default="fast", description="How to draw.")
    passes: int | None = Field(default=None, ge=1, le=9, description="Passes over each frame.")
    strength: float = Field(default=0.5, ge=0, le=1, description="How strongly.")
    tiled: bool = Field(default=False, description="Draw in tiles.")
    label: str | None = Field(default=None, description="A caption.")


def test_option_flags_take_names_help_choices_switches_and_bounds_from_the_model() -> None:
    app = typer.Typer()
    seen: dict = {}
    flags = option_flags(Knobs, "knobs renderer")

    def draw(name: str, **given: object) -> None:
        seen.update(given)

    draw.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str), *flags])
    app.command()(draw)
    runner = CliRunner()

    given = runner.invoke(app, ["x", "--mode", "fine", "--passes", "3", "--strength", "0", "--tiled", "--label", "hi"])
    assert given.exit_code == 0, given.output
    assert seen == {"mode": "fine", "passes": 3, "strength": 0.0, "tiled": True, "label": "hi"}

    seen.clear()
    runner.invoke(app, ["x"])
    assert seen == {"mode": None, "passes": None, "strength": None, "tiled": None, "label": None}  # not given

    wrong_choice = runner.invoke(app, ["x", "--mode", "slow"])
    assert wrong_choice.exit_code != 0 and "--mode" in wrong_choice.output
    out_of_range = runner.invoke(app, ["x", "--passes", "10"])
    assert out_of_range.exit_code != 0 and "--passes" in out_of_range.output

    help_text = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "knobs renderer" in help_text
    assert "How strongly (default: 0.5)." in help_text and "fast|fine" in help_text


def test_a_command_with_renderer_flags_receives_only_the_ones_given() -> None:
    seen: dict = {}

    def draw(name: str, renderer_options: dict | None = None) -> None:
        seen.update(renderer_options or {})

    app = typer.Typer()
    app.command()(with_renderer_flags(draw))
    result = CliRunner().invoke(app, ["x", "--steps", "4", "--guidance", "0"])
    assert result.exit_code == 0, result.output
    assert seen == {"steps": 4, "guidance": 0.0}  # 0 is a value someone gave, not "not given"


def test_an_unknown_renderer_names_the_known_ones() -> None:
    with pytest.raises(BackendError, match=r"unknown renderer 'dot'; choose one of: animatic, dit"):
        RENDERERS.get("dot")


def test_a_wrong_option_is_one_line_naming_the_flag() -> None:
    with pytest.raises(BackendError, match=r"^the animatic renderer has no option --steps$"):
        renderer_options("animatic", {"steps": 4})
    with pytest.raises(BackendError, match=r"^--device 'gpu': .*\(dit renderer\)$"):
        renderer_options("dit", {"device": "gpu"})


def test_preflight_says_what_the_dit_renderer_misses(tmp_path: Path) -> None:
    dit = RENDERERS.get("dit")
    assert "needs a model: pass --model" in dit.preflight(renderer_options("dit", {}))
    assert "does not exist" in dit.preflight(renderer_options("dit", {"model": str(tmp_path / "nowhere")}))
    folder = tmp_path / "half"
    folder.mkdir()
    assert "model_index.json is missing" in dit.preflight(renderer_options("dit", {"model": str(folder)}))
    # The storyboard's model stands in when the command line names none.
    from_board = renderer_options("dit", {}, RenderSettings(renderer="dit", model=str(folder)))
    assert from_board.model == str(folder)
    assert RENDERERS.get("animatic").preflight(renderer_options("animatic", {})) is None


def test_each_renderer_is_versioned_by_its_own_code() -> None:
    animatic, dit = RENDERERS.get("animatic"), RENDERERS.get("dit")
    assert animatic.version != dit.version
    assert dit.needs_gpu and not animatic.needs_gpu


def test_listing_backends_imports_none() -> None:
    probe = ("import sys; from storyagent.renderers.base import RENDERERS; from storyagent.voice import NARRATORS; "
             "from storyagent.planners import PLANNERS; from storyagent.export import EXPORTERS; "
             "names = [r.names() for r in (RENDERERS, NARRATORS, PLANNERS, EXPORTERS)]; "
             "loaded = [m for m in sys.modules if m.startswith(('storyagent.renderers.dit', 'storyagent.renderers.animatic', "
             "'storyagent.voice.piper', 'storyagent.voice.espeak', 'storyagent.voice.openai', 'storyagent.voice.coqui', "
             "'storyagent.planners.template', 'storyagent.planners.llm', 'torch', 'diffusers', 'piper'))]; "
             "print(names, loaded)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip().endswith("[]"), out
    assert "'animatic', 'dit'" in out and "'espeak'" in out and "'llm', 'template'" in out and "'otio'" in out
