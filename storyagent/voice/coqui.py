"""Coqui TTS (`coqui-tts`, the maintained fork) from a local model folder, e.g.
XTTS-v2 for multilingual narration and voice cloning.

The folder (STORYAGENT_COQUI_MODEL, or `model=`) holds `config.json` and a
checkpoint (`model.pth`, `model_file.pth`, `best_model.pth` or `checkpoint*.pth`).
Voices are the model's own speakers, or reference clips to clone: `*.wav`
files in the folder's `voices/` subfolder, or a path to a `.wav`.

coqui-tts pins an older torch than the rest of storyagent[dit]; install it in
its own environment (`pip install coqui-tts`). It is imported only when used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import source_version
from storyagent.errors import BackendError, ModelNotFoundError, VoiceError
from storyagent.storyboard import Voice
from storyagent.voice import Narrator, engine_rate, shift_pitch

MODEL_ENV = "STORYAGENT_COQUI_MODEL"
CHECKPOINT_PATTERNS = ["model.pth", "model_file.pth", "best_model.pth", "checkpoint*.pth"]
# Coqui's language codes where they differ from the storyboard's.
LANGUAGE_CODES = {"zh": "zh-cn"}


def check_model_folder(folder: Path) -> dict:
    """The model's config, after checking the folder holds a loadable model."""
    if not folder.is_dir():
        raise ModelNotFoundError(f"coqui model folder {folder} does not exist (set {MODEL_ENV} or pass --model)")
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ModelNotFoundError(f"coqui model folder {folder} has no config.json")
    if not any(next(folder.glob(pattern), None) for pattern in CHECKPOINT_PATTERNS):
        raise ModelNotFoundError(f"coqui model folder {folder} has no checkpoint ({', '.join(CHECKPOINT_PATTERNS)})")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelNotFoundError(f"{config_file}:{err.lineno}: invalid JSON: {err.msg}") from None
    if config.get("model") == "xtts" and not (folder / "vocab.json").is_file():
        raise ModelNotFoundError(f"coqui XTTS folder {folder} has no vocab.json")
    return config


def checkpoint(folder: Path, config: dict) -> Path:
    """What coqui's `model_path` wants: XTTS takes its folder, other models their checkpoint file."""
    if config.get("model") == "xtts":
        return folder
    return next(path for pattern in CHECKPOINT_PATTERNS for path in sorted(folder.glob(pattern)))


def model_languages(config: dict) -> list[str]:
    """Languages a multilingual model declares; empty for a single-language model."""
    return list(config.get("languages") or config.get("model_args", {}).get("languages") or [])


def language_code(language: str, config: dict) -> str | None:
    languages = model_languages(config)
    if not languages:
        return None
    code = LANGUAGE_CODES.get(language, language)
    if code not in languages:
        raise BackendError(f"coqui model does not speak '{language}'; it knows: {', '.join(languages)}")
    return code


def _model_folder(model: str | os.PathLike[str] | None) -> Path:
    chosen = model or os.environ.get(MODEL_ENV)
    if not chosen:
        raise ModelNotFoundError(f"voice engine 'coqui' needs a local model folder: set {MODEL_ENV}")
    return Path(chosen).expanduser()


class CoquiOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, description=f"Local Coqui model folder (default: ${MODEL_ENV}).")


class CoquiNarrator(Narrator):
    name = "coqui"
    Options = CoquiOptions
    version = source_version(__file__)
    _loaded: ClassVar[dict[Path, object]] = {}
    _lock = threading.Lock()

    def __init__(self, options: CoquiOptions) -> None:
        self.folder = _model_folder(options.model)

    @staticmethod
    def unavailable_reason(language: str, explicit: bool = False) -> str | None:
        if importlib.util.find_spec("TTS") is None:
            return "coqui-tts is not installed (pip install coqui-tts, in an environment with its torch)"
        try:
            config = check_model_folder(_model_folder(None))
            language_code(language, config)
        except BackendError as err:
            return str(err)
        return None

    def voices(self, language: str) -> list[str]:
        clips = sorted(str(p) for p in (self.folder / "voices").glob("*.wav"))
        speakers = list(getattr(self._load(), "speakers", None) or [])
        return speakers + clips

    def synthesize(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, int]:
        config = check_model_folder(self.folder)
        tts = self._load()
        options: dict = {"language": language_code(language, config), "speed": engine_rate(voice)}
        name = voice.voice or (self.voices(language) or [None])[0]
        if name and name.endswith(".wav"):
            if not Path(name).is_file():
                raise ModelNotFoundError(f"coqui reference clip {name} does not exist")
            options["speaker_wav"] = name
        elif name:
            options["speaker"] = name
        try:
            samples = tts.tts(text=text, **{k: v for k, v in options.items() if v is not None})
        except (RuntimeError, ValueError, KeyError) as err:
            raise VoiceError(f"coqui ({self.folder.name}) could not speak {text[:40]!r}: {err}") from None
        audio = np.asarray(samples, dtype=np.float32)
        return shift_pitch(audio, voice.pitch), int(tts.synthesizer.output_sample_rate)

    def _load(self):
        with self._lock:
            if self.folder not in self._loaded:
                config = check_model_folder(self.folder)
                from TTS.api import TTS

                self._loaded[self.folder] = TTS(
                    model_path=str(checkpoint(self.folder, config)),
                    config_path=str(self.folder / "config.json"),
                    progress_bar=False,
                )
            return self._loaded[self.folder]
