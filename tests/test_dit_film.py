"""The whole pipeline through the CLI with the dit renderer and a tiny LTX-Video
checkpoint on the CPU: a 2-shot film whose shots have the timeline's frame
counts and size, and where a new reference image for one character re-renders
that character's shot and no other. (That a shot renders the same twice is
measured in test_dit_render.py, without the cost of a second film.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("diffusers")

from storyagent.media.video import ffmpeg_exe
from storyagent.storyboard import Storyboard
from tests.helpers.cli import storyagent
from tests.helpers.dit_tiny_models import BOARD, ltx_condition

SIZE = 64


def decode(clip: Path) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIZE, SIZE, 3)


def figure(path: Path, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGBA", (48, 64), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 40, 56), fill=(*colour, 255))
    image.save(path)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ltx") / "LTX-Video-tiny"
    ltx_condition().save_pretrained(folder)
    return folder


def make_film(folder: Path, model: Path) -> dict[str, Path]:
    """Render the storyboard in `folder`; the current clip of each shot (the newest), by shot id."""
    result = storyagent("render", str(folder / "storyboard.json"), "-o", str(folder), "--renderer", "dit",
                        "--model", str(model), "--resolution", f"{SIZE}x{SIZE}", "--fps", "8", "--steps", "2",
                        "--jobs", "1", "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (folder / "film.mp4").stat().st_size > 0
    newest: dict[str, Path] = {}
    for clip in sorted((folder / "shots").glob("*.mp4"), key=lambda path: path.stat().st_mtime):
        newest[clip.name.split(".")[0]] = clip
    return newest


def new_film(folder: Path, bear_colour: tuple[int, int, int]) -> Path:
    folder.mkdir(parents=True)
    bear = {**BOARD["characters"][0], "visual": {"keywords": ["polar bear"], "reference_image": "my-bear.png"}}
    Storyboard.model_validate({**BOARD, "characters": [bear, BOARD["characters"][1]]}).save(folder / "storyboard.json")
    figure(folder / "my-bear.png", bear_colour)
    return folder


def test_a_two_shot_film_renders_and_a_new_reference_image_redoes_only_its_shot(model, tmp_path):
    film = new_film(tmp_path / "a", (240, 240, 240))
    clips = make_film(film, model)
    timeline = json.loads((film / "timeline.json").read_text())
    assert sorted(clips) == ["bear-walks", "penguin-waves"]
    for placement in timeline["shots"]:
        frames = decode(clips[placement["shot_id"]])
        assert len(frames) == round(placement["duration"] * timeline["fps"])
        assert frames.shape[1:] == (SIZE, SIZE, 3) and frames.std() > 1

    figure(film / "my-bear.png", (200, 0, 0))
    redone = make_film(film, model)
    assert redone["penguin-waves"] == clips["penguin-waves"], "the penguin's shot was re-rendered"
    assert redone["bear-walks"] != clips["bear-walks"]
    changed = np.abs(decode(redone["bear-walks"]).astype(int) - decode(clips["bear-walks"])).mean()
    assert changed > 0.05, f"the bear's new look does not show ({changed:.3f} levels)"
