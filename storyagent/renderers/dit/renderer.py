"""The dit renderer: each shot drawn by a video Diffusion Transformer through
diffusers (Wan 2.1/2.2 text-, image- and reference-to-video, LTX-Video,
CogVideoX), from local weights only.

For one shot it:
1. asks `prompts` for the prompt, the seed and a render plan that obeys the
   model family's frame rules;
2. gathers what keeps the film consistent: the cast's reference images, a
   keyframe (the animatic's first frame of the same shot) and, when asked, the
   animatic's motion as layout;
3. renders the plan's segments, each continuing from the previous one's last
   frame, and resamples them to exactly the film's frames and size.

A worker process keeps one loaded pipeline and renders many shots with it.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from storyagent.cache import source_version
from storyagent.errors import BackendError, ModelNotFoundError, RenderError
from storyagent.plugins import Check
from storyagent.media.video import fit_frame, resample_indices
from storyagent.renderers.base import ShotJob, ShotRenderer, get_renderer
from storyagent.renderers.keyframes import Reference, keyframes, reference_images
from storyagent.renderers.dit.checkpoints import PIPELINES, Checkpoint, Conditioning, Family, find_checkpoint
from storyagent.renderers.dit.options import DiTOptions
from storyagent.renderers.dit.plan import RenderPlan, plan_render
from storyagent.renderers.prompts import NEGATIVE_PROMPT, shot_prompt, shot_seed
from storyagent.storyboard import Shot

GREY = (128, 128, 128)  # what VACE reads as "nothing here yet"

LAYOUT_GUIDED = ("reference", "condition", "video")  # pipelines that can take the animatic as a video

NEEDS_MODEL = ("the dit renderer needs a model: pass --model FOLDER (or set render.model in the storyboard); "
               "`storyagent doctor` lists the models found on this machine")

_loaded: dict[tuple, Any] = {}  # the one pipeline this process holds, by what it was loaded with


class DiTRenderer(ShotRenderer):
    """A ShotRenderer backed by a local diffusers video pipeline."""

    name = "dit"
    Options = DiTOptions
    needs_gpu = True
    reads_reference_images = True
    starts_from = ("first",)
    # Its keyframes and layout are the animatic's frames, so the animatic's code is part of its pictures.
    version = source_version(Path(__file__).parent, Path(__file__).parent.parent / "animatic")

    @classmethod
    def preflight(cls, options: DiTOptions) -> str | None:
        if not options.model:
            return NEEDS_MODEL
        try:
            find_checkpoint(options.model)
        except BackendError as error:  # the folder's missing files, or an unknown repo id
            return str(error)
        return None

    @classmethod
    def doctor(cls, models: list[str]) -> list[Check]:
        from storyagent.renderers.dit.doctor import checks

        return checks(models)

    @classmethod
    def cache_inputs(cls, options: DiTOptions) -> dict[str, Any]:
        """The options that change the frames, not only speed or memory."""
        return options.model_dump(include={"model", "dtype", "steps", "guidance", "layout_strength", "segment_frames"})

    def __init__(self, options: DiTOptions) -> None:
        if not options.model:
            raise BackendError(NEEDS_MODEL)
        self.options = options
        self.checkpoint = find_checkpoint(options.model)
        self.pipeline_class, self.conditioning = pipeline_for(self.checkpoint, self.options)

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]:
        family = self.checkpoint.family
        plan = plan_render(job.frames, job.fps, job.width, job.height, family,
                           can_continue=self.conditioning != "text", segment_frames=self.options.segment_frames)
        pipe = load_pipeline(self.checkpoint, self.pipeline_class, self.options)
        made = render_segments(pipe, job, plan, self.conditioning, self.options, family)
        for index in resample_indices(job.frames, job.fps, len(made), plan.fps):
            yield fit_frame(made[index], job.width, job.height)


def pipeline_for(checkpoint: Checkpoint, options: DiTOptions) -> tuple[str, Conditioning]:
    """The class to load and how it is conditioned; layout guidance turns a text-only model into video-to-video."""
    kind = checkpoint.kind
    if options.layout_strength is not None and kind.layout_class:
        return kind.layout_class, PIPELINES[kind.layout_class].conditioning
    return checkpoint.load_class, kind.conditioning


# -- one shot ------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One model call's worth of conditioning."""

    frames: int
    first: Image.Image | None  # the frame this segment starts from
    references: list[Reference]
    layout: list[Image.Image] | None  # the animatic's frames for this stretch of the shot
    layout_strength: float
    steps: int


def render_segments(pipe: Any, job: ShotJob, plan: RenderPlan, conditioning: Conditioning,
                    options: DiTOptions, family: Family) -> list[np.ndarray]:
    """The shot's frames at the model's size and frame rate, segment after segment."""
    needs_layout = conditioning == "video" or (options.layout_strength is not None and conditioning in LAYOUT_GUIDED)
    layout = animatic_frames(job, plan, plan.model_frames) if needs_layout else None
    if conditioning == "video" and layout is None:
        raise BackendError(f"{pipe.__class__.__name__} renders over the animatic, which is not available")
    references = reference_images(job)
    first = keyframes(job, plan.width, plan.height, ("first",))["first"] if conditioning in ("image", "condition") else None
    strength = 0.7 if options.layout_strength is None else options.layout_strength
    steps = options.steps or family.steps
    common = {
        "prompt": shot_prompt(job.board, job.shot_id),
        "negative_prompt": NEGATIVE_PROMPT,
        "height": plan.height,
        "width": plan.width,
        "frame_rate": plan.fps,
        "num_inference_steps": steps,
        "guidance_scale": family.guidance if options.guidance is None else options.guidance,
        "max_sequence_length": family.text_tokens,
        "output_type": "np",
        **dict(family.call_extras),
    }
    seed = shot_seed(job.board, job.shot_id)
    made: list[np.ndarray] = []
    start = 0
    for index, count in enumerate(plan.segments):
        segment = Segment(count, first, references, layout[start:start + count] if layout else None, strength, steps)
        inputs = {**common, **CONDITIONERS[conditioning](segment), "generator": _generator(seed + index)}
        video = call_pipeline(pipe, inputs, job, plan, count, options)
        made.extend(video if index == 0 else video[1:])
        first = Image.fromarray(video[-1])
        start += count - 1
    return made


def _text(segment: Segment) -> dict[str, Any]:
    return {"num_frames": segment.frames}


def _image(segment: Segment) -> dict[str, Any]:
    return {"num_frames": segment.frames, "image": segment.first}


def _reference(segment: Segment) -> dict[str, Any]:
    """VACE: the cast as reference images; a frame to continue from and the animatic as masked video."""
    references = [on_white(ref.image) for ref in segment.references]
    inputs: dict[str, Any] = {"num_frames": segment.frames, "reference_images": references or None}
    if segment.first is None and segment.layout is None:
        return inputs
    size = (segment.first or segment.layout[0]).size  # type: ignore[union-attr]
    video = list(segment.layout) if segment.layout else [Image.new("RGB", size, GREY)] * segment.frames
    mask = [Image.new("L", size, 255)] * segment.frames  # white: generate
    if segment.first is not None:
        video[0], mask[0] = segment.first, Image.new("L", size, 0)  # black: keep this frame
    inputs.update(video=video, mask=mask, conditioning_scale=segment.layout_strength if segment.layout else 1.0)
    return inputs


def _condition(segment: Segment) -> dict[str, Any]:
    """LTX: the animatic as a soft video condition, then the frame to start from as a hard one."""
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    conditions = []
    if segment.layout:
        conditions.append(LTXVideoCondition(video=segment.layout, frame_index=0, strength=segment.layout_strength))
    conditions.append(LTXVideoCondition(image=segment.first, frame_index=0))
    return {"num_frames": segment.frames, "conditions": conditions}


def _video(segment: Segment) -> dict[str, Any]:
    # diffusers' strength is how much to change; ours is how much to follow. At least one step must run.
    return {"video": segment.layout, "strength": max(1.0 - segment.layout_strength, 1.0 / segment.steps)}


CONDITIONERS: dict[str, Callable[[Segment], dict[str, Any]]] = {
    "text": _text, "image": _image, "reference": _reference, "condition": _condition, "video": _video,
}


def call_pipeline(pipe: Any, inputs: dict[str, Any], job: ShotJob, plan: RenderPlan, count: int,
                  options: DiTOptions) -> list[np.ndarray]:
    """One model call, as uint8 frames; out of memory becomes a one-line hint."""
    import torch

    accepted = inspect.signature(pipe.__call__).parameters
    try:
        output = pipe(**{k: v for k, v in inputs.items() if k in accepted})
    except torch.OutOfMemoryError:
        raise _out_of_memory(job, plan, count, options) from None
    except RuntimeError as err:
        if "out of memory" not in str(err).lower():
            raise
        raise _out_of_memory(job, plan, count, options) from None
    video = np.asarray(output.frames[0])
    return list((np.clip(video, 0.0, 1.0) * 255).round().astype(np.uint8))


def _out_of_memory(job: ShotJob, plan: RenderPlan, count: int, options: DiTOptions) -> RenderError:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if options.offload == "none":
        hint = "try --offload model"
    elif options.offload == "model":
        hint = "try --offload group"
    elif not options.vae_tiling:
        hint = "try --vae-tiling"
    elif count > 17:
        hint = f"try --segment-frames {count // 2}"
    else:
        hint = "try a smaller --resolution"
    return RenderError(f"shot {job.shot_id}: out of memory rendering {count} frames at {plan.width}x{plan.height}; {hint}")


def _generator(seed: int) -> Any:
    import torch

    # A CPU generator gives the same noise on every device, so a seed means the same film anywhere.
    return torch.Generator(device="cpu").manual_seed(seed % 2**63)


# -- consistency inputs ---------------------------------------------------------


def on_white(image: Image.Image) -> Image.Image:
    """VACE was trained on references on a white ground."""
    return Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image).convert("RGB")


def _shot(job: ShotJob) -> Shot:
    return next(s for s in job.board.shots() if s.id == job.shot_id)


def animatic_frames(job: ShotJob, plan: RenderPlan, count: int) -> list[Image.Image] | None:
    """The animatic of the same shot at the model's size and frame rate, or None where it is not installed."""
    try:
        renderer = get_renderer("animatic")
    except ModuleNotFoundError as err:
        if err.name != "storyagent.renderers.animatic.renderer":
            raise
        return None
    sub = job.model_copy(update={"frames": count, "fps": plan.fps, "width": plan.width, "height": plan.height})
    return [Image.fromarray(frame).convert("RGB") for frame in renderer.frames(sub)]


# -- loading ---------------------------------------------------------------------


def load_pipeline(checkpoint: Checkpoint, class_name: str, options: DiTOptions) -> Any:
    """The pipeline, loaded once per process from local files only."""
    key = (str(checkpoint.path), class_name, options.device, options.dtype, options.offload,
           options.vae_tiling, options.attention)
    if key in _loaded:
        return _loaded[key]
    _loaded.clear()  # one model in memory at a time
    # Shot progress is storyagent's to show; the libraries' bars and notices would garble it.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import diffusers
    import torch
    import transformers

    for library in (diffusers, transformers):
        library.utils.logging.set_verbosity_error()
        library.utils.logging.disable_progress_bar()

    device = pick_device(options.device)
    dtype = getattr(torch, options.dtype or ("float32" if device == "cpu" else "bfloat16"))
    if options.offload != "none" and device == "cpu":
        raise BackendError(f"--offload {options.offload} moves weights to a GPU, and this machine renders on the CPU; "
                           "leave --offload off")
    try:
        pipe = getattr(diffusers, class_name).from_pretrained(checkpoint.path, dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelNotFoundError(f"{checkpoint.path}: cannot load {class_name}: {reason}") from None
    if checkpoint.family.vae_float32:
        pipe.vae.to(torch.float32)
    apply_memory_options(pipe, device, options)
    pipe.set_progress_bar_config(disable=True)
    _loaded[key] = pipe
    return pipe


def pick_device(wanted: str) -> str:
    import torch

    if wanted != "auto":
        if wanted.startswith("cuda") and not torch.cuda.is_available():
            raise BackendError(f"--device {wanted}: torch sees no CUDA GPU (torch {torch.__version__})")
        if wanted == "mps" and not torch.backends.mps.is_available():
            raise BackendError("--device mps: this torch has no Apple GPU support")
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def apply_memory_options(pipe: Any, device: str, options: DiTOptions) -> None:
    if options.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif options.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    elif options.offload == "group":
        pipe.enable_group_offload(onload_device=device, offload_device="cpu", offload_type="leaf_level")
    else:
        pipe.to(device)
    if options.vae_tiling:
        pipe.vae.enable_tiling()
        if hasattr(pipe.vae, "enable_slicing"):
            pipe.vae.enable_slicing()
    if options.attention:
        try:
            pipe.transformer.set_attention_backend(options.attention)
        except (ValueError, ImportError, RuntimeError) as err:
            raise BackendError(f"--attention {options.attention}: {str(err).splitlines()[0]}") from None


def drop_loaded() -> None:
    """Free the cached pipeline (tests, or a caller switching models)."""
    _loaded.clear()

