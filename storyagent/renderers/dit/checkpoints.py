"""What a local diffusers checkpoint is, read from its files alone (no torch):
where it is, whether every component is on disk, and which video family it
belongs to. The DiT renderer loads only what passes here; `storyagent doctor`
lists what it finds with the same code.

A family's frame rules are small data, one `Family` each, so a new model is a
new entry rather than new branches in the renderer.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from storyagent.errors import BackendError, ModelNotFoundError

# How a pipeline takes the picture it continues from or keeps consistent with.
Conditioning = Literal["text", "image", "reference", "condition", "video"]


@dataclass(frozen=True)
class Family:
    """The rules one model family was trained under."""

    name: str
    frame_step: int  # a call makes frame_step * k + 1 frames
    size_multiple: int  # width and height are multiples of this
    fps: int  # frame rate the model was trained at
    max_frames: int  # longest segment one call makes
    max_area: int  # pixels per frame the model was trained around; larger frames are rendered at this and scaled
    steps: int  # default denoising steps
    guidance: float  # default classifier-free guidance scale
    text_tokens: int  # prompt tokens the text encoder reads
    native_size: tuple[int, int] | None = None  # (width, height) when the model only renders one size
    fixed_frames: bool = False  # every call makes exactly max_frames
    vae_float32: bool = False  # the VAE loses colour in half precision
    call_extras: tuple[tuple[str, float], ...] = ()  # other inputs the family's authors recommend


WAN = Family("Wan 2.1/2.2", frame_step=4, size_multiple=16, fps=16, max_frames=81, max_area=832 * 480,
             steps=40, guidance=5.0, text_tokens=512, vae_float32=True)
WAN_5B = Family("Wan 2.2 5B", frame_step=4, size_multiple=32, fps=24, max_frames=121, max_area=1280 * 704,
                steps=40, guidance=5.0, text_tokens=512, vae_float32=True)
LTX = Family("LTX-Video", frame_step=8, size_multiple=32, fps=24, max_frames=161, max_area=768 * 512,
             steps=40, guidance=3.0, text_tokens=256,
             call_extras=(("decode_timestep", 0.03), ("decode_noise_scale", 0.025)))
COGVIDEOX = Family("CogVideoX 1.0", frame_step=4, size_multiple=16, fps=8, max_frames=49, max_area=720 * 480,
                   steps=50, guidance=6.0, text_tokens=226, native_size=(720, 480), fixed_frames=True)
COGVIDEOX_15 = Family("CogVideoX 1.5", frame_step=16, size_multiple=16, fps=16, max_frames=81, max_area=1360 * 768,
                      steps=50, guidance=6.0, text_tokens=226)


@dataclass(frozen=True)
class PipelineKind:
    """How storyagent drives one diffusers pipeline class."""

    family: str  # key into the families (refined from component configs, see `family_of`)
    conditioning: Conditioning
    load_as: str | None = None  # a class sharing the same components that conditions better
    layout_class: str | None = None  # a class of the same components that takes the animatic as a video


PIPELINES: dict[str, PipelineKind] = {
    "WanPipeline": PipelineKind("wan", "text", layout_class="WanVideoToVideoPipeline"),
    "WanImageToVideoPipeline": PipelineKind("wan", "image"),
    "WanVACEPipeline": PipelineKind("wan", "reference"),
    "WanVideoToVideoPipeline": PipelineKind("wan", "video"),
    # LTX checkpoints share their components across the three classes: always start from a keyframe.
    "LTXPipeline": PipelineKind("ltx", "image", load_as="LTXImageToVideoPipeline"),
    "LTXImageToVideoPipeline": PipelineKind("ltx", "image"),
    "LTXConditionPipeline": PipelineKind("ltx", "condition"),
    "CogVideoXPipeline": PipelineKind("cogvideox", "text", layout_class="CogVideoXVideoToVideoPipeline"),
    "CogVideoXImageToVideoPipeline": PipelineKind("cogvideox", "image"),
    "CogVideoXVideoToVideoPipeline": PipelineKind("cogvideox", "video"),
}

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")


@dataclass(frozen=True)
class Checkpoint:
    """A complete local pipeline folder and how to drive it."""

    path: Path
    pipeline_class: str  # as written in model_index.json
    kind: PipelineKind
    family: Family

    @property
    def load_class(self) -> str:
        return self.kind.load_as or self.pipeline_class


def hub_cache() -> Path:
    """The local Hugging Face hub cache, honouring the same variables as huggingface_hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def resolve_model_path(model: str) -> Path:
    """A folder, or a repo id ('Wan-AI/Wan2.1-T2V-1.3B-Diffusers') already in the local hub cache."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        return folder
    looks_like_path = model.startswith(("/", ".", "~")) or model.count("/") != 1
    if not looks_like_path and not folder.exists():
        repo = hub_cache() / f"models--{model.replace('/', '--')}"
        snapshot = _cached_snapshot(repo)
        if snapshot is not None:
            return snapshot
        raise ModelNotFoundError(
            f"model '{model}' is not in the local Hugging Face cache ({hub_cache()}); "
            f"download it first: hf download {model}"
        )
    raise ModelNotFoundError(f"model folder '{model}' does not exist")


def _cached_snapshot(repo: Path) -> Path | None:
    ref = repo / "refs" / "main"
    if ref.is_file():
        snapshot = repo / "snapshots" / ref.read_text().strip()
        if snapshot.is_dir():
            return snapshot
    snapshots = sorted((repo / "snapshots").glob("*/model_index.json"), key=lambda p: p.stat().st_mtime)
    return snapshots[-1].parent if snapshots else None


def read_model_index(folder: Path) -> dict:
    index = folder / "model_index.json"
    if not index.is_file():
        raise ModelNotFoundError(f"{folder} is not a diffusers pipeline folder: model_index.json is missing")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ModelNotFoundError(f"{index}: unreadable ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("_class_name"), str):
        raise ModelNotFoundError(f"{index}: no '_class_name'; is this a diffusers pipeline folder?")
    return data


def missing_files(folder: Path, index: dict) -> list[str]:
    """Everything model_index.json promises that is not on disk, as 'component/what'."""
    missing: list[str] = []
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or len(spec) != 2 or spec[0] is None:
            continue
        part = folder / name
        class_name = str(spec[1])
        if not part.is_dir():
            missing.append(f"{name}/ (the {class_name} folder)")
        elif class_name.endswith("Scheduler") or "Scheduler" in class_name:
            if not (part / "scheduler_config.json").is_file():
                missing.append(f"{name}/scheduler_config.json")
        elif "Tokenizer" in class_name:
            if not any((part / f).is_file() for f in ("tokenizer_config.json", "tokenizer.json", "spiece.model")):
                missing.append(f"{name}/tokenizer_config.json")
        elif "Processor" in class_name:
            if not (part / "preprocessor_config.json").is_file():
                missing.append(f"{name}/preprocessor_config.json")
        else:
            missing += _missing_weights(part, name)
    return missing


def _missing_weights(part: Path, name: str) -> list[str]:
    missing = [] if (part / "config.json").is_file() else [f"{name}/config.json"]
    shard_indexes = list(part.glob("*.index.json"))
    if shard_indexes:
        for shard_index in shard_indexes:
            try:
                shards = set(json.loads(shard_index.read_text(encoding="utf-8"))["weight_map"].values())
            except (OSError, ValueError, KeyError):
                missing.append(f"{name}/{shard_index.name} (unreadable)")
                continue
            # exists() follows the hub cache's symlinks: an interrupted download leaves a dangling one.
            missing += [f"{name}/{shard}" for shard in sorted(shards) if not (part / shard).exists()]
    elif not any(f.suffix in WEIGHT_SUFFIXES and f.exists() for f in part.iterdir()):
        missing.append(f"{name}/ weights (*.safetensors)")
    return missing


def family_of(kind: PipelineKind, folder: Path) -> Family:
    """The family, refined by the component configs where one class covers several generations."""
    if kind.family == "wan":
        vae = _config(folder / "vae")
        return WAN_5B if vae.get("z_dim") == 48 else WAN
    if kind.family == "ltx":
        return LTX
    transformer = _config(folder / "transformer")
    if transformer.get("patch_size_t"):
        return COGVIDEOX_15
    # CogVideoX 1.0 renders well only at the size and length it was trained at, written in its config.
    scale = 2 ** (len(_config(folder / "vae").get("block_out_channels", (0,) * 4)) - 1)
    return replace(
        COGVIDEOX,
        native_size=(transformer.get("sample_width", 90) * scale, transformer.get("sample_height", 60) * scale),
        max_frames=transformer.get("sample_frames", COGVIDEOX.max_frames),
        text_tokens=transformer.get("max_text_seq_length", COGVIDEOX.text_tokens),
    )


def _config(part: Path) -> dict:
    try:
        return json.loads((part / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def inspect_checkpoint(folder: Path) -> Checkpoint:
    """Check a pipeline folder and say exactly what is wrong with it, in one line."""
    index = read_model_index(folder)
    class_name = index["_class_name"]
    missing = missing_files(folder, index)
    if missing:
        raise ModelNotFoundError(f"{folder} is incomplete ({class_name}): missing {', '.join(missing)}")
    kind = PIPELINES.get(class_name)
    if kind is None:
        raise BackendError(
            f"{folder} holds a {class_name}, which the dit renderer does not drive; "
            f"supported: {', '.join(sorted(PIPELINES))}"
        )
    # Wan 2.2 TI2V ships as a text-to-video pipeline whose transformer also takes a first frame.
    if class_name == "WanPipeline" and index.get("expand_timesteps"):
        kind = PipelineKind("wan", "image", load_as="WanImageToVideoPipeline")
    return Checkpoint(path=folder, pipeline_class=class_name, kind=kind, family=family_of(kind, folder))


def find_checkpoint(model: str) -> Checkpoint:
    return inspect_checkpoint(resolve_model_path(model))


@dataclass(frozen=True)
class FoundPipeline:
    """A pipeline folder seen on disk, complete or not (for `storyagent doctor`)."""

    name: str
    path: Path
    pipeline_class: str
    family: str | None
    problem: str | None


def scan_pipelines(extra: list[str] | None = None) -> list[FoundPipeline]:
    """Pipelines in the local hub cache and in the given folders, without loading anything."""
    found: list[FoundPipeline] = []
    cache = hub_cache()
    if cache.is_dir():
        for repo in sorted(cache.glob("models--*")):
            snapshot = _cached_snapshot(repo)
            if snapshot is not None and (snapshot / "model_index.json").is_file():
                found.append(_describe(repo.name.removeprefix("models--").replace("--", "/"), snapshot))
    for model in extra or []:
        try:
            found.append(_describe(model, resolve_model_path(model)))
        except ModelNotFoundError as err:
            found.append(FoundPipeline(model, Path(model), "?", None, str(err)))
    return found


def _describe(name: str, folder: Path) -> FoundPipeline:
    try:
        class_name = read_model_index(folder)["_class_name"]
    except ModelNotFoundError as err:
        return FoundPipeline(name, folder, "?", None, str(err))
    try:
        checkpoint = inspect_checkpoint(folder)
    except BackendError as err:  # ModelNotFoundError included
        return FoundPipeline(name, folder, class_name, None, str(err))
    return FoundPipeline(name, folder, class_name, checkpoint.family.name, None)
