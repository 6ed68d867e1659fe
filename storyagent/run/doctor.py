"""`storyagent doctor`: what this machine can do, and what each missing piece
is needed for. Quick and side-effect free: it looks for files, libraries and
packages without loading models, and imports torch only when it is installed.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from storyagent.render.dit.checkpoints import scan_pipelines

LANGUAGES = ("en", "zh")  # the storyboard's narration languages
SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts", "~/.local/share/soundfonts")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    needed_for: str
    required: bool = False  # missing means storyagent cannot make a film at all


def run_checks(models: list[str] | None = None) -> list[Check]:
    return [*tool_checks(), *backend_checks(), *voice_checks(), *music_checks(), *llm_checks(), *torch_checks(), *model_checks(models or [])]


def tool_checks() -> list[Check]:
    bundled = _bundled_ffmpeg()
    ffprobe = shutil.which("ffprobe")
    return [
        Check("ffmpeg", bundled is not None, bundled or "imageio-ffmpeg has no ffmpeg for this platform",
              "encoding every shot and the film", required=True),
        Check("ffprobe", ffprobe is not None, ffprobe or "not on PATH (apt install ffmpeg)",
              "checks of rendered files (optional: without it ffmpeg reads them, a little slower)"),
    ]


def _bundled_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None


def backend_checks() -> list[Check]:
    """Every registered renderer, planner and exporter, and what a renderer still misses with its defaults."""
    from storyagent.export import EXPORTERS
    from storyagent.plan import PLANNERS
    from storyagent.render.base import RENDERERS

    checks = []
    for name in RENDERERS.names():
        renderer = RENDERERS.get(name)
        missing = renderer.preflight(renderer.Options())
        checks.append(Check(f"renderer {name}", missing is None, missing or "ready" + (" (wants a GPU)" if renderer.needs_gpu else ""),
                            f"--renderer {name}"))
    checks.append(Check("planners", True, ", ".join(PLANNERS.names()), "--planner"))
    checks.append(Check("exporters", True, ", ".join(EXPORTERS.names()), "files beside film.mp4"))
    return checks


def voice_checks() -> list[Check]:
    """Every registered voice engine and the languages it speaks here; one that speaks is required."""
    from storyagent.voice import engines, unavailable_reason

    checks = []
    for name in engines():
        reasons = {language: unavailable_reason(name, language, explicit=True) for language in LANGUAGES}
        speaks = [language for language, reason in reasons.items() if reason is None]
        detail = f"speaks {', '.join(speaks)}" if speaks else next(iter(reasons.values())) or ""
        checks.append(Check(f"voice {name}", bool(speaks), detail, f"--voice-engine {name}"))
    usable = [check.name for check in checks if check.ok]
    checks.append(Check("narration", bool(usable), f"{len(usable)} voice engine(s) usable" if usable else "no voice engine works",
                        "every film's narration", required=True))
    return checks


def music_checks() -> list[Check]:
    library = ctypes.util.find_library("fluidsynth")
    fonts = [str(font) for folder in SOUNDFONT_DIRS for font in sorted(Path(folder).expanduser().glob("*.sf2"))]
    return [
        Check("FluidSynth", library is not None and importlib.util.find_spec("fluidsynth") is not None,
              library or "libfluidsynth not found (apt install fluidsynth; pip install 'storyagent[music]')",
              "scored music played by General MIDI instruments (else synthesised music)"),
        Check("SoundFont", bool(fonts), fonts[0] if fonts else "no .sf2 file (apt install fluid-soundfont-gm)",
              "FluidSynth's instruments"),
    ]


def llm_checks() -> list[Check]:
    base_url = os.environ.get("OPENAI_BASE_URL")
    key = os.environ.get("OPENAI_API_KEY")
    configured = bool(base_url or key)
    detail = base_url or ("OpenAI (OPENAI_API_KEY set)" if key else "OPENAI_BASE_URL / OPENAI_API_KEY not set")
    return [Check("LLM planner", configured, detail, "--planner llm (else the offline template planner)")]


def torch_checks() -> list[Check]:
    version = _version("torch")
    if version is None:
        return [Check("torch", False, "not installed (pip install 'storyagent[dit]')", "--renderer dit")]
    import torch

    checks = [Check("torch", True, f"torch {version}", "--renderer dit")]
    gpus = [torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if gpus:
        for i, gpu in enumerate(gpus):
            checks.append(Check(f"GPU cuda:{i}", True, f"{gpu.name}, {gpu.total_memory / 2**30:.0f} GB",
                                "--renderer dit at useful speed"))
    elif torch.backends.mps.is_available():
        checks.append(Check("GPU mps", True, "Apple GPU", "--renderer dit at useful speed"))
    else:
        checks.append(Check("GPU", False, "none: dit would render on the CPU (hours per shot)",
                            "--renderer dit at useful speed"))
    diffusers = _version("diffusers")
    checks.append(Check("diffusers", diffusers is not None, f"diffusers {diffusers}" if diffusers else "not installed",
                        "--renderer dit"))
    return checks


def model_checks(models: list[str]) -> list[Check]:
    found = scan_pipelines(models)
    if not found:
        return [Check("video models", False, "none in the Hugging Face cache; see the README to download one",
                      "--renderer dit --model ...")]
    return [
        Check(f"model {pipeline.name}", pipeline.problem is None,
              f"{pipeline.pipeline_class} ({pipeline.family})" if pipeline.problem is None
              else pipeline.problem,
              f"--renderer dit --model {pipeline.name}")
        for pipeline in found
    ]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def table(checks: list[Check]) -> Table:
    grid = Table(title="storyagent doctor", title_justify="left")
    grid.add_column("")
    grid.add_column("what")
    grid.add_column("found", overflow="fold")
    grid.add_column("needed for")
    for check in checks:
        mark = "[green]ok[/green]" if check.ok else ("[red]missing[/red]" if check.required else "[yellow]--[/yellow]")
        grid.add_row(mark, *(escape(text) for text in (check.name, check.detail, check.needed_for)))
    return grid
