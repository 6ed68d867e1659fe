"""Model folders as a user has them: complete, half-downloaded, of a kind the
renderer does not drive, or only in the Hugging Face cache. Every problem is
one line that names exactly what is missing; nothing is ever downloaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("diffusers")

from storyagent.errors import BackendError, ModelNotFoundError
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.renderers.dit.checkpoints import find_checkpoint, scan_pipelines
from storyagent.storyboard import Storyboard
from tests.helpers.cli import storyagent
from tests.helpers.dit_tiny_models import BOARD, wan_t2v


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("saved") / "wan"
    wan_t2v().save_pretrained(folder)
    return folder


@pytest.fixture
def model(saved: Path, tmp_path: Path) -> Path:
    """A fresh copy the test may break."""
    return Path(shutil.copytree(saved, tmp_path / "Wan2.1-T2V-tiny"))


def test_a_complete_folder_is_recognised_with_its_family(model):
    checkpoint = find_checkpoint(str(model))
    assert checkpoint.pipeline_class == "WanPipeline"
    assert checkpoint.family.frame_step == 4 and checkpoint.family.size_multiple == 16


def test_a_folder_without_model_index_says_so(tmp_path):
    with pytest.raises(ModelNotFoundError, match="model_index.json is missing"):
        find_checkpoint(str(tmp_path))


def test_missing_weights_and_folders_are_all_named(model):
    (model / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    shutil.rmtree(model / "vae")
    with pytest.raises(ModelNotFoundError) as error:
        find_checkpoint(str(model))
    message = str(error.value)
    assert "\n" not in message
    assert "transformer/ weights" in message and "vae/ (the AutoencoderKLWan folder)" in message
    assert "text_encoder" not in message and "scheduler" not in message


def test_an_interrupted_sharded_download_names_the_missing_shard(model):
    encoder = model / "text_encoder"
    weights = encoder / "model.safetensors"
    weights.rename(encoder / "model-00001-of-00002.safetensors")
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (encoder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ModelNotFoundError, match=r"missing text_encoder/model-00002-of-00002\.safetensors$"):
        find_checkpoint(str(model))


def test_a_pipeline_the_renderer_does_not_drive_is_named(model):
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "_class_name": "FluxPipeline"}))
    with pytest.raises(BackendError, match="holds a FluxPipeline, which the dit renderer does not drive"):
        find_checkpoint(str(model))


def test_a_repo_id_is_found_in_the_local_hub_cache_only(model, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ModelNotFoundError, match="hf download Wan-AI/Wan2.1-T2V-tiny"):
        find_checkpoint("Wan-AI/Wan2.1-T2V-tiny")
    repo = tmp_path / "hub" / "models--Wan-AI--Wan2.1-T2V-tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    shutil.copytree(model, repo / "snapshots" / "abc123")
    assert find_checkpoint("Wan-AI/Wan2.1-T2V-tiny").path == repo / "snapshots" / "abc123"
    assert [(p.name, p.family, p.problem) for p in scan_pipelines()] == [("Wan-AI/Wan2.1-T2V-tiny", "Wan 2.1/2.2", None)]


def test_the_dit_renderer_without_a_model_says_how_to_give_one():
    with pytest.raises(BackendError, match="needs a model: pass --model"):
        get_renderer("dit")


def test_offloading_to_a_gpu_on_a_cpu_only_machine_is_refused_clearly(model):
    import torch

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has a GPU")
    renderer = get_renderer("dit", model=str(model), device="cpu", offload="model")
    job = ShotJob(board=Storyboard.model_validate(BOARD), shot_id="bear-walks", frames=4, width=32, height=32, fps=8)
    with pytest.raises(BackendError, match="--offload model moves weights to a GPU"):
        next(iter(renderer.frames(job)))


def test_the_cli_reports_a_partial_checkpoint_in_one_line(model, tmp_path):
    Storyboard.model_validate(BOARD).save(tmp_path / "storyboard.json")
    (model / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    result = storyagent("render-shot", str(tmp_path / "storyboard.json"), "bear-walks", "-o", str(tmp_path / "s.mp4"),
                        "--renderer", "dit", "--model", str(model), "--resolution", "64x64")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {model} is incomplete (WanPipeline): missing vae/ weights (*.safetensors)"]
    assert "Traceback" not in result.stderr


def test_doctor_lists_the_given_model_and_what_a_missing_one_is_for(model):
    result = storyagent("doctor", "--model", str(model), "--model", "no-such-folder")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "WanPipeline (Wan 2.1/2.2)" in text
    assert "'no-such-folder' does not exist" in text and "--renderer dit --model no-such-folder" in text
    assert "ffmpeg" in text and "voice espeak" in text and "torch" in text


def test_wan22_ti2v_is_driven_from_a_keyframe_and_keeps_its_own_frame_rules(model):
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "expand_timesteps": True}))
    vae = json.loads((model / "vae" / "config.json").read_text())
    (model / "vae" / "config.json").write_text(json.dumps({**vae, "z_dim": 48}))
    checkpoint = find_checkpoint(str(model))
    assert (checkpoint.load_class, checkpoint.kind.conditioning) == ("WanImageToVideoPipeline", "image")
    assert (checkpoint.family.size_multiple, checkpoint.family.fps) == (32, 24)


def test_a_ti2v_layout_renders_the_shot_from_its_keyframe(model):
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "expand_timesteps": True}))
    renderer = get_renderer("dit", model=str(model), steps=2)
    job = ShotJob(board=Storyboard.model_validate(BOARD), shot_id="bear-walks", frames=6, width=64, height=48, fps=8)
    frames = list(renderer.frames(job))
    assert renderer.pipeline_class == "WanImageToVideoPipeline"
    assert len(frames) == 6 and frames[0].shape == (48, 64, 3)
