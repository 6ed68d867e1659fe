"""What the dit renderer finds on this machine: torch and its GPUs, diffusers,
and the video models on disk. Imports torch only when it is installed, and
loads no model."""

from __future__ import annotations

import importlib.metadata

from storyagent.plugins import Check
from storyagent.renderers.dit.checkpoints import scan_pipelines

FOR_DIT = "--renderer dit"
AT_SPEED = "--renderer dit at useful speed"


def checks(models: list[str]) -> list[Check]:
    return [*torch_checks(), *model_checks(models)]


def torch_checks() -> list[Check]:
    version = _version("torch")
    if version is None:
        return [Check(name="torch", ok=False, detail="not installed (pip install 'storyagent[dit]')", needed_for=FOR_DIT)]
    import torch

    found = [Check(name="torch", ok=True, detail=f"torch {version}", needed_for=FOR_DIT)]
    gpus = [torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if gpus:
        found += [Check(name=f"GPU cuda:{i}", ok=True, detail=f"{gpu.name}, {gpu.total_memory / 2**30:.0f} GB",
                        needed_for=AT_SPEED) for i, gpu in enumerate(gpus)]
    elif torch.backends.mps.is_available():
        found.append(Check(name="GPU mps", ok=True, detail="Apple GPU", needed_for=AT_SPEED))
    else:
        found.append(Check(name="GPU", ok=False, detail="none: dit would render on the CPU (hours per shot)",
                           needed_for=AT_SPEED))
    diffusers = _version("diffusers")
    found.append(Check(name="diffusers", ok=diffusers is not None,
                       detail=f"diffusers {diffusers}" if diffusers else "not installed", needed_for=FOR_DIT))
    return found


def model_checks(models: list[str]) -> list[Check]:
    found = scan_pipelines(models)
    if not found:
        return [Check(name="video models", ok=False, detail="none in the Hugging Face cache; see the README to download one",
                      needed_for=f"{FOR_DIT} --model ...")]
    return [
        Check(name=f"model {pipeline.name}", ok=pipeline.problem is None,
              detail=f"{pipeline.pipeline_class} ({pipeline.family})" if pipeline.problem is None else pipeline.problem,
              needed_for=f"{FOR_DIT} --model {pipeline.name}")
        for pipeline in found
    ]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
