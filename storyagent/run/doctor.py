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
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from storyagent.errors import BackendError
from storyagent.plugins import Check

LANGUAGES = ("en", "zh")  # the storyboard's narration languages
SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts", "~/.local/share/soundfonts")


def run_checks(models: list[str] | None = None) -> list[Check]:
    return [*tool_checks(), *backend_checks(models or []), *voice_checks(), *music_checks(), *llm_checks()]


def tool_checks() -> list[Check]:
    bundled = _bundled_ffmpeg()
    ffprobe = shutil.which("ffprobe")
    return [
        Check(name="ffmpeg", ok=bundled is not None, detail=bundled or "imageio-ffmpeg has no ffmpeg for this platform",
              needed_for="encoding every shot and the film", required=True),
        Check(name="ffprobe", ok=ffprobe is not None, detail=ffprobe or "not on PATH (apt install ffmpeg)",
              needed_for="checks of rendered files (optional: without it ffmpeg reads them, a little slower)"),
    ]


def _bundled_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None


def backend_checks(models: list[str]) -> list[Check]:
    """Every registered renderer, planner and exporter, what a renderer still misses with its defaults,
    and what each finds on this machine (its libraries, devices and `models`)."""
    from storyagent.export import EXPORTERS
    from storyagent.planners import PLANNERS
    from storyagent.renderers.base import RENDERERS

    checks = []
    for name in RENDERERS.names():
        try:
            renderer = RENDERERS.get(name)
        except BackendError as broken:  # a plug-in that does not load says so on its line, the others still show
            checks.append(Check(name=f"renderer {name}", ok=False, detail=str(broken), needed_for=f"--renderer {name}"))
            continue
        missing = renderer.preflight(renderer.Options())
        checks.append(Check(name=f"renderer {name}", ok=missing is None,
                            detail=missing or "ready" + (" (wants a GPU)" if renderer.needs_gpu else ""),
                            needed_for=f"--renderer {name}"))
        checks += renderer.doctor(models)
    checks.append(Check(name="planners", ok=True, detail=", ".join(PLANNERS.names()), needed_for="--planner"))
    checks.append(Check(name="exporters", ok=True, detail=", ".join(EXPORTERS.names()), needed_for="files beside film.mp4"))
    return checks


def voice_checks() -> list[Check]:
    """Every registered voice engine and the languages it speaks here; one that speaks is required."""
    from storyagent.voice import engines, unavailable_reason

    checks = []
    for name in engines():
        reasons = {language: unavailable_reason(name, language, explicit=True) for language in LANGUAGES}
        speaks = [language for language, reason in reasons.items() if reason is None]
        detail = f"speaks {', '.join(speaks)}" if speaks else next(iter(reasons.values())) or ""
        checks.append(Check(name=f"voice {name}", ok=bool(speaks), detail=detail, needed_for=f"--voice-engine {name}"))
    usable = [check.name for check in checks if check.ok]
    checks.append(Check(name="narration", ok=bool(usable),
                        detail=f"{len(usable)} voice engine(s) usable" if usable else "no voice engine works",
                        needed_for="every film's narration", required=True))
    return checks


def music_checks() -> list[Check]:
    library = ctypes.util.find_library("fluidsynth")
    fonts = [str(font) for folder in SOUNDFONT_DIRS for font in sorted(Path(folder).expanduser().glob("*.sf2"))]
    return [
        Check(name="FluidSynth", ok=library is not None and importlib.util.find_spec("fluidsynth") is not None,
              detail=library or "libfluidsynth not found (apt install fluidsynth; pip install 'storyagent[music]')",
              needed_for="scored music played by General MIDI instruments (else synthesised music)"),
        Check(name="SoundFont", ok=bool(fonts), detail=fonts[0] if fonts else "no .sf2 file (apt install fluid-soundfont-gm)",
              needed_for="FluidSynth's instruments"),
    ]


def llm_checks() -> list[Check]:
    base_url = os.environ.get("OPENAI_BASE_URL")
    key = os.environ.get("OPENAI_API_KEY")
    configured = bool(base_url or key)
    detail = base_url or ("OpenAI (OPENAI_API_KEY set)" if key else "OPENAI_BASE_URL / OPENAI_API_KEY not set")
    return [Check(name="LLM planner", ok=configured, detail=detail, needed_for="--planner llm (else the offline template planner)")]


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
