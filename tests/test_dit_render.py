"""The dit renderer on the CPU with tiny random checkpoints of the real
pipeline classes (Wan text-, image- and reference-to-video, LTX-Video, CogVideoX): what a
viewer would notice is the shot's length and size, that a film renders the
same twice, and that a character's reference image shows only in its shots."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("diffusers")

from storyagent.errors import RenderError
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.renderers.dit import renderer as dit
from storyagent.storyboard import Storyboard
from tests.helpers.dit_tiny_models import BOARD, save_all

WIDTH, HEIGHT, FPS = 64, 48, 8


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return save_all(tmp_path_factory.mktemp("dit-models"))


@pytest.fixture
def cast_dir(tmp_path: Path) -> Path:
    """Reference sheets as the cast stage writes them: cast/<character id>.png."""
    cast = tmp_path / "film" / "cast"
    cast.mkdir(parents=True)
    Image.new("RGB", (48, 64), (230, 230, 240)).save(cast / "bear.png")
    Image.new("RGB", (48, 64), (20, 20, 30)).save(cast / "penguin.png")
    return cast


def job(shot_id: str, cast: Path, frames: int = 8) -> ShotJob:
    return ShotJob(board=Storyboard.model_validate(BOARD), shot_id=shot_id, frames=frames, width=WIDTH,
                   height=HEIGHT, fps=FPS, cast_dir=cast)


def render(model: Path, shot_job: ShotJob, **options) -> np.ndarray:
    return np.stack(list(get_renderer("dit", model=str(model), steps=2, **options).frames(shot_job)))


@pytest.mark.parametrize("name", ["wan-t2v", "wan-vace", "wan-i2v", "ltx", "cogvideox"])
def test_every_family_fills_the_shot_with_exactly_its_frames(tiny_models, cast_dir, name):
    frames = render(tiny_models[name], job("bear-walks", cast_dir, frames=11))
    assert frames.shape == (11, HEIGHT, WIDTH, 3)
    assert frames.dtype == np.uint8
    assert frames.std() > 1.0, "a picture, not a flat colour"


def test_the_same_shot_renders_the_same_frames_twice(tiny_models, cast_dir):
    first = render(tiny_models["wan-vace"], job("bear-walks", cast_dir))
    dit.drop_loaded()  # a fresh worker process loads the model again
    second = render(tiny_models["wan-vace"], job("bear-walks", cast_dir))
    assert np.array_equal(first, second)


def own_reference_board(image: str) -> Storyboard:
    bear = {**BOARD["characters"][0], "visual": {"keywords": ["polar bear"], "reference_image": image}}
    return Storyboard.model_validate({**BOARD, "characters": [bear, BOARD["characters"][1]]})


def figure(path: Path, colour: tuple[int, int, int]) -> None:
    """A character cut-out: a coloured figure on a transparent ground."""
    image = Image.new("RGBA", (48, 64), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 40, 56), fill=(*colour, 255))
    image.save(path)


@pytest.mark.parametrize("name", ["ltx"])
def test_a_reference_image_changes_its_characters_shots_and_no_other(tiny_models, cast_dir, name):
    board = own_reference_board("my-bear.png")
    shots = {shot: job(shot, cast_dir).model_copy(update={"board": board}) for shot in ("bear-walks", "penguin-waves")}
    figure(cast_dir.parent / "my-bear.png", (240, 240, 240))
    before = {shot: render(tiny_models[name], shot_job) for shot, shot_job in shots.items()}
    figure(cast_dir.parent / "my-bear.png", (200, 0, 0))
    after = {shot: render(tiny_models[name], shot_job) for shot, shot_job in shots.items()}
    changed = np.abs(after["bear-walks"].astype(int) - before["bear-walks"]).mean()
    assert changed > 0.05, f"the bear's new look does not show ({changed:.3f} levels)"
    assert np.array_equal(after["penguin-waves"], before["penguin-waves"])


def test_an_image_to_video_model_starts_from_a_keyframe_that_shows_the_reference_image(tiny_models, cast_dir,
                                                                                        monkeypatch):
    # How much a tiny random Wan I2V model's output follows its first frame swings with the prompt's words
    # (from a ten-thousandth of an 8-bit level to a fifth), so what is measured here is the keyframe it is given.
    given: dict[str, np.ndarray] = {}
    real_call = dit.call_pipeline

    def recording(pipe, inputs, shot_job, *args):
        given[shot_job.shot_id] = np.asarray(inputs["image"]).astype(int)
        return real_call(pipe, inputs, shot_job, *args)

    monkeypatch.setattr(dit, "call_pipeline", recording)
    board = own_reference_board("my-bear.png")
    keyframes = []
    for colour in ((240, 240, 240), (200, 0, 0)):
        figure(cast_dir.parent / "my-bear.png", colour)
        for shot in ("bear-walks", "penguin-waves"):
            render(tiny_models["wan-i2v"], job(shot, cast_dir).model_copy(update={"board": board}))
        keyframes.append(dict(given))
    assert np.abs(keyframes[1]["bear-walks"] - keyframes[0]["bear-walks"]).mean() > 1.0
    assert np.array_equal(keyframes[1]["penguin-waves"], keyframes[0]["penguin-waves"])


def test_vace_is_given_the_cast_sheets_of_the_characters_on_screen(tiny_models, cast_dir, monkeypatch):
    # A tiny random VACE model lets a reference image move its output by under one 8-bit level,
    # so what is measured here is what the model is given.
    given: dict[str, list] = {}
    real_call = dit.call_pipeline

    def recording(pipe, inputs, shot_job, *args):
        given[shot_job.shot_id] = inputs["reference_images"]
        return real_call(pipe, inputs, shot_job, *args)

    monkeypatch.setattr(dit, "call_pipeline", recording)
    for shot in ("bear-walks", "penguin-waves"):
        render(tiny_models["wan-vace"], job(shot, cast_dir))
    assert [np.asarray(image)[32, 24].tolist() for image in given["bear-walks"]] == [[230, 230, 240]]
    assert [np.asarray(image)[32, 24].tolist() for image in given["penguin-waves"]] == [[20, 20, 30]]


def test_a_long_shot_is_chained_segment_after_segment_from_the_last_frame(tiny_models, cast_dir, monkeypatch):
    calls: list[tuple[dict, list[np.ndarray]]] = []
    real_call = dit.call_pipeline

    def recording(pipe, inputs, *args):
        video = real_call(pipe, inputs, *args)
        calls.append((inputs, video))
        return video

    monkeypatch.setattr(dit, "call_pipeline", recording)
    frames = render(tiny_models["wan-i2v"], job("bear-walks", cast_dir, frames=16), segment_frames=9)
    assert frames.shape == (16, HEIGHT, WIDTH, 3)
    assert len(calls) > 1 and all(inputs["num_frames"] == 9 for inputs, _ in calls[:-1])
    for (_, earlier), (later, _) in itertools.pairwise(calls):
        assert np.array_equal(np.asarray(later["image"]), earlier[-1])


def test_running_out_of_gpu_memory_names_the_option_to_try(tiny_models, cast_dir, monkeypatch):
    import torch

    class Exhausted:
        def __call__(self, **inputs):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(dit, "load_pipeline", lambda *args: Exhausted())
    with pytest.raises(RenderError) as error:
        render(tiny_models["wan-t2v"], job("bear-walks", cast_dir))
    assert str(error.value) == "shot bear-walks: out of memory rendering 17 frames at 64x48; try --offload model"


@pytest.mark.parametrize(("name", "pipeline"), [("wan-t2v", "WanVideoToVideoPipeline"), ("wan-vace", "WanVACEPipeline"),
                                                ("ltx", "LTXConditionPipeline")])
def test_the_animatic_guides_the_layout_when_asked(tiny_models, cast_dir, name, pipeline):
    # Tiny random VAEs cannot reproduce a picture, so what is measured is that the animatic
    # reaches the model and changes its output.
    free = render(tiny_models[name], job("bear-walks", cast_dir))
    renderer = get_renderer("dit", model=str(tiny_models[name]), steps=2, layout_strength=0.6)
    guided = np.stack(list(renderer.frames(job("bear-walks", cast_dir))))
    assert renderer.pipeline_class == pipeline
    assert guided.shape == free.shape
    assert np.abs(guided.astype(int) - free).mean() > 0.1
