"""Narrators: text in, speech out, behind one protocol.

A voice engine is a class subclassing `Narrator`, registered as a
`storyagent.narrators` entry point (see `storyagent.plugins`): `piper`
(neural, local .onnx voices), `espeak` (every language, the fallback),
`openai` (the speech API) and `coqui` (XTTS and other local Coqui models).
`choose_engine` picks the best one installed for a language; `cast_voices`
gives the narrator and every speaking character a voice of its own, stored in
the storyboard so it stays the same for the whole film: the cast stage calls
it, the voice stage only reads the voices.

The voice stage itself, `speak_lines`, lives in `storyagent.voice.speak`.
"""

from __future__ import annotations

import functools
import importlib
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from storyagent.cache import key, source_version
from storyagent.errors import BackendError, StoryboardError
from storyagent.plugins import Backend, Registry
from storyagent.storyboard import NARRATOR, Storyboard, Voice
from storyagent.storyboard.problems import unknown_id

# Best first: the first engine that can speak a language is chosen for it; other registered engines come after.
PREFERENCE = ["piper", "coqui", "openai", "espeak"]


class Narrator(Backend, Protocol):
    """Speaks text in a voice. Pitch and rate of `voice` are applied by the
    backend, natively when the engine can, else by resampling. Built with its `Options`."""

    def __init__(self, options: Any) -> None: ...

    @staticmethod
    def unavailable_reason(language: str, explicit: bool = False) -> str | None:
        """Why this engine cannot speak `language` here, in one line, or None when it can.
        `explicit`: the user asked for this engine (paid engines are never picked unasked)."""
        ...

    def synthesize(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, int]:
        """Float32 mono samples in [-1, 1] and their sample rate."""
        ...

    def voices(self, language: str) -> list[str]:
        """Voice names this engine offers for a language, default first."""
        ...


class EngineStatus(BaseModel):
    name: str
    usable: bool
    reason: str = ""
    voices: list[str] = []


NARRATORS: Registry[Narrator] = Registry("voice engine", "storyagent.narrators")


def engines() -> list[str]:
    """Every registered engine, best first."""
    names = NARRATORS.names()
    return [name for name in PREFERENCE if name in names] + [name for name in names if name not in PREFERENCE]


def unavailable_reason(name: str, language: str, explicit: bool = False) -> str | None:
    """Why engine `name` cannot speak `language` here, or None when it can.
    `explicit`: the user asked for this engine (paid engines are never picked unasked)."""
    return NARRATORS.get(name).unavailable_reason(language, explicit)


def get_narrator(name: str, **options: Any) -> Narrator:
    return NARRATORS.get(name)(NARRATORS.options(name, options))


def choose_engine(language: str, requested: str | None = None) -> str:
    """The engine to use: `requested` if it can speak `language`, else the best available."""
    if requested:
        reason = unavailable_reason(requested, language, explicit=True)
        if reason:
            raise BackendError(f"voice engine '{requested}' cannot speak '{language}': {reason}")
        return requested
    for name in engines():
        if unavailable_reason(name, language) is None:
            return name
    raise BackendError(f"no voice engine can speak '{language}'; install espeakng-loader (pip install espeakng-loader)")


def engine_statuses(language: str) -> list[EngineStatus]:
    statuses = []
    for name in engines():
        reason = unavailable_reason(name, language)
        voices = get_narrator(name).voices(language) if reason is None else []
        statuses.append(EngineStatus(name=name, usable=reason is None, reason=reason or "", voices=voices))
    return statuses


# -- casting: one distinct voice per speaker ------------------------------------

# (pitch semitones, rate) pairs, far enough apart to tell speakers apart even
# when the engine has a single speaker; the narrator keeps the neutral voice.
NARRATOR_PITCH, NARRATOR_RATE = 0.0, 0.9
_CHARACTER_PROSODY = [(-3.0, 0.92), (4.0, 1.08), (-5.0, 1.0), (2.5, 1.12), (6.0, 1.05), (-1.5, 0.88)]


def cast_voices(board: Storyboard, engine: str | None = None, recast: bool = False) -> Storyboard:
    """A copy of `board` where the narrator and every character who speaks
    have a voice of their own, its engine filled in.

    Deterministic: the narrator is cast first, in the engine's first voice,
    then the characters in order of first line. A voice already set (its
    `voice` field filled) is kept while its engine works here, so a speaker
    sounds the same even after a better engine is installed; `recast` (the
    user chose `--voice-engine`) moves everyone to `engine`. Pitch and rate set
    away from neutral are kept either way.
    """
    _check_engines(board)
    engine = choose_engine(board.language, engine)
    names = get_narrator(engine).voices(board.language)
    board = board.model_copy(deep=True)
    taken: set[tuple[str | None, float, float]] = set()
    cast = functools.partial(_cast_voice, engine=engine, language=board.language, recast=recast, taken=taken)
    board.narrator = cast(board.narrator, names[0] if names else None, (NARRATOR_PITCH, NARRATOR_RATE))
    speakers = _speakers_in_order(board)
    for slot, character in enumerate(c for sid in speakers for c in board.characters if c.id == sid):
        # Characters take the engine's other speakers first, the narrator's last.
        name = names[(slot + 1) % len(names)] if names else None
        character.voice = cast(character.voice, name, _CHARACTER_PROSODY[slot % len(_CHARACTER_PROSODY)])
    return board


def _check_engines(board: Storyboard) -> None:
    """A voice's engine must be a registered one: a misspelt name is an error naming its JSON
    path and the nearest engine, never quietly recast to another engine."""
    known = set(NARRATORS.names())
    voices = [("narrator", board.narrator)] + [(f"characters[{i}].voice", c.voice) for i, c in enumerate(board.characters)]
    for where, voice in voices:
        if voice.engine is not None and voice.engine not in known:
            raise StoryboardError(f"{where}.engine: {unknown_id('voice engine', voice.engine, known)}")


def _cast_voice(current: Voice, name: str | None, prosody: tuple[float, float], *, engine: str, language: str,
                recast: bool, taken: set[tuple[str | None, float, float]]) -> Voice:
    """`current` while it is set and its engine works here; else voice `name` of
    `engine` at `prosody` (pitch, rate) unless pitch and rate were set away from
    neutral, raised in pitch until no speaker in `taken` sounds the same."""
    if current.voice is not None and _keeps_engine(current, engine, language, recast):
        taken.add((current.voice, current.pitch, current.rate))
        return current.model_copy(update={"engine": current.engine or engine})
    pitch, rate = current.pitch, current.rate
    if (pitch, rate) == (0.0, 1.0):
        pitch, rate = prosody
    while (name, pitch, rate) in taken:
        pitch += 1.5
    taken.add((name, pitch, rate))
    return Voice(engine=engine, voice=name, pitch=pitch, rate=rate)


def _keeps_engine(voice: Voice, engine: str, language: str, recast: bool) -> bool:
    if voice.engine in (None, engine):
        return True
    return not recast and unavailable_reason(voice.engine, language, explicit=True) is None


def _speakers_in_order(board: Storyboard) -> list[str]:
    order: list[str] = []
    for shot in board.shots():
        for line in shot.lines:
            if line.speaker != NARRATOR and line.speaker not in order:
                order.append(line.speaker)
    return order


@functools.cache
def synthesis_version(engine: str) -> str:
    """The code that turns words into a line's audio: the voice stage and the engine's
    own code. Changing either (pacing, trimming, levelling) re-speaks the old lines."""
    return f"{source_version(Path(__file__).with_name('speak.py'))}.{NARRATORS.get(engine).version}"


def voice_key(text: str, voice: Voice, engine: str, language: str) -> str:
    """The name of a line's audio: same words, voice and engine, same file."""
    inputs = {"engine": engine, "language": language, "voice": voice.model_dump(mode="json"), "text": text}
    return key("voice", inputs, synthesis_version(engine))


# -- shared signal helpers for backends without native pitch -----------------


def pitch_ratio(semitones: float) -> float:
    return float(2.0 ** (semitones / 12.0))


def shift_pitch(audio: np.ndarray, semitones: float) -> np.ndarray:
    """Raise or lower pitch (and formants) by playing the audio faster or slower.

    The audio gets shorter by the same ratio; callers ask the engine for
    `engine_rate(voice)` first so the final rate is what was asked.
    """
    if abs(semitones) < 1e-3:
        return audio.astype(np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(1.0 / pitch_ratio(semitones)).limit_denominator(200)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def engine_rate(voice: Voice) -> float:
    """Rate to ask of an engine whose output `shift_pitch` will then resample."""
    return voice.rate * pitch_ratio(-voice.pitch)


def as_float_mono(samples: np.ndarray) -> np.ndarray:
    """Any PCM array (int16, float, stereo) as float32 mono in [-1, 1]."""
    audio = np.asarray(samples)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if np.issubdtype(audio.dtype, np.integer):
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    return np.clip(audio.astype(np.float32), -1.0, 1.0)


def __getattr__(name: str) -> Any:
    if name in ("speak_lines", "SpokenLine"):
        return getattr(importlib.import_module("storyagent.voice.speak"), name)
    raise AttributeError(f"module 'storyagent.voice' has no attribute {name!r}")
