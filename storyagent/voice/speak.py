"""The voice stage: every line of the storyboard spoken once, measured, cached.

Each sentence is synthesised on its own and the sentences joined with a
breath, so sentence timings (for subtitles) are exact rather than guessed.
A line's audio is named by the hash of its text, voice, engine and language:
a re-run, or an edit elsewhere in the storyboard, re-speaks nothing it heard before.
So is each sentence as the engine said it: editing one sentence of a line
says only that sentence again.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import SENTENCE_CACHE, VOICE, keep_only, reusable, seal, write_bytes_atomic
from storyagent.errors import VoiceError
from storyagent.media.audio import read_wav, write_wav
from storyagent.storyboard import NARRATOR, Storyboard, Voice
from storyagent.voice import Narrator, get_narrator, voice_key

LINE_LOUDNESS = -20.0  # LUFS every line is levelled to, so engines and voices sit evenly in the mix
PEAK_CEILING = 10 ** (-1.0 / 20)
SENTENCE_PAUSE = {"en": 0.30, "zh": 0.25}  # seconds of breath between sentences of one line
_EDGE = 0.03  # seconds of room kept around trimmed speech
_FADE = 0.005

# A sentence ends at . ! ? … (followed by a space or the end) or at CJK 。！？
# (no space needed), with any closing quotes or brackets kept on its side.
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’)\]]*(?=\s|$)|[。！？!?]+[”’」』）)]*)")


class Sentence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    start: float = Field(description="Seconds from the start of the line.")
    end: float


class SpokenLine(BaseModel):
    """A line as the voice stage spoke it: its audio and measured timing."""

    model_config = ConfigDict(extra="forbid")

    shot_id: str
    index: int = Field(description="Position of the line in its shot.")
    speaker: str
    text: str
    audio: str = Field(description="Path of the WAV file, relative to the film folder.")
    duration: float
    sentences: list[Sentence] = Field(default_factory=list)


class LineAudio(BaseModel):
    """What is stored beside each line's WAV: its measured timing."""

    duration: float
    sample_rate: int
    sentences: list[Sentence]


_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "mt", "prof", "vs", "etc", "e.g", "i.e"}


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    following = text[match.end():].lstrip()[:1]
    if following.islower():  # '"Hi!" and left' goes on
        return False
    word = re.search(r"([\w.]+)[.]$", text[: match.start() + 1])
    return not (match.group().startswith(".") and word and word.group(1).lower() in _ABBREVIATIONS)


def split_sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if not _ends_sentence(text, match):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def trim_silence(audio: np.ndarray, sr: int, floor_db: float = -45.0) -> np.ndarray:
    """Cut leading and trailing silence: 10 ms frames quieter than `floor_db`
    below the loudest frame, keeping a little room around the speech."""
    hop = max(1, sr // 100)
    frames = len(audio) // hop
    if frames == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms / rms.max()) > floor_db)
    if loud.size == 0:
        return audio[:0]
    edge = int(_EDGE * sr)
    start = max(0, loud[0] * hop - edge)
    end = min(len(audio), (loud[-1] + 1) * hop + edge)
    return audio[start:end]


def _fade_edges(audio: np.ndarray, sr: int) -> np.ndarray:
    n = min(len(audio) // 2, int(_FADE * sr))
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio


def level(audio: np.ndarray, sr: int, target_lufs: float = LINE_LOUDNESS) -> np.ndarray:
    """Set a line's integrated loudness (BS.1770), never letting a peak pass -1 dBFS."""
    import pyloudnorm

    padded = audio if len(audio) >= int(0.5 * sr) else np.pad(audio, (0, int(0.5 * sr) - len(audio)))
    loudness = pyloudnorm.Meter(sr).integrated_loudness(padded.astype(np.float64))
    if np.isfinite(loudness):
        audio = audio * np.float32(10 ** ((target_lufs - loudness) / 20))
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > PEAK_CEILING:
        audio = audio * np.float32(PEAK_CEILING / peak)
    return audio.astype(np.float32)


def speak_text(narrator: Narrator, text: str, voice: Voice, language: str,
               said: Path | None = None) -> tuple[np.ndarray, int, list[Sentence]]:
    """One line as audio: sentences spoken one by one, trimmed, joined with breaths. With `said`, a
    folder, each sentence the engine says is kept there and not said again."""
    pieces: list[np.ndarray] = []
    timings: list[Sentence] = []
    sr = 0
    cursor = 0
    for sentence in split_sentences(text):
        audio, sr = _say(narrator, sentence, voice, language, said)
        audio = _fade_edges(trim_silence(audio, sr), sr)
        if pieces:
            gap = np.zeros(int(SENTENCE_PAUSE.get(language, 0.3) / voice.rate * sr), dtype=np.float32)
            pieces.append(gap)
            cursor += len(gap)
        pieces.append(audio)
        timings.append(Sentence(text=sentence, start=round(cursor / sr, 4), end=round((cursor + len(audio)) / sr, 4)))
        cursor += len(audio)
    if not pieces or cursor == 0:
        raise VoiceError(f"the voice engine returned no speech for {text[:60]!r}")
    return level(np.concatenate(pieces), sr), sr, timings


def _say(narrator: Narrator, sentence: str, voice: Voice, language: str, said: Path | None) -> tuple[np.ndarray, int]:
    """The engine's audio of one sentence, from `said` when it said the same words in the same voice before."""
    path = said / f"{_sentence_key(sentence, voice, language)}.wav" if said is not None else None
    if path is not None and reusable(path):
        return read_wav(path)
    audio, sr = narrator.synthesize(sentence, voice, language)
    audio = np.asarray(audio, dtype=np.float32)
    if path is not None:
        seal(write_wav(path, audio, sr, float32=True))  # float32 keeps the engine's samples exactly
    return audio, sr


def _sentence_key(sentence: str, voice: Voice, language: str) -> str:
    return voice_key(sentence, voice, voice.engine or "", language)


def _keep_only_said(board: Storyboard, said: Path) -> None:
    """The sentence cache holds the sentences of the storyboard's lines, as they are now."""
    keep_only(said, {f"{_sentence_key(sentence, cast_voice(board, line.speaker), board.language)}.wav"
                     for shot in board.shots() for line in shot.lines for sentence in split_sentences(line.text)})


def speak_lines(board: Storyboard, out_dir: Path) -> list[SpokenLine]:
    """Speak every line of `board`, each in the voice the cast gave its speaker
    (`storyagent.voice.cast_voices`), into `out_dir/voice/<key>.wav`; lines already
    spoken with the same words, voice and engine are reused, not re-synthesised.
    Each line's `audio` is relative to `out_dir`, the film folder."""
    narrators: dict[str, Narrator] = {}
    voice_dir = Path(out_dir) / VOICE
    spoken: list[SpokenLine] = []
    for shot in board.shots():
        for index, line in enumerate(shot.lines):
            voice = cast_voice(board, line.speaker)
            line_engine = voice.engine
            key = voice_key(line.text, voice, line_engine, board.language)
            wav, meta = voice_dir / f"{key}.wav", voice_dir / f"{key}.json"
            if not (reusable(wav) and reusable(meta)):
                if line_engine not in narrators:
                    narrators[line_engine] = get_narrator(line_engine)
                audio, sr, sentences = speak_text(narrators[line_engine], line.text, voice, board.language,
                                                  said=Path(out_dir) / SENTENCE_CACHE)
                write_wav(wav, audio, sr)
                info = LineAudio(duration=round(len(audio) / sr, 4), sample_rate=sr, sentences=sentences)
                write_bytes_atomic(meta, info.model_dump_json(indent=2).encode())
                seal(wav, meta)
            info = LineAudio.model_validate_json(meta.read_text(encoding="utf-8"))
            spoken.append(
                SpokenLine(shot_id=shot.id, index=index, speaker=line.speaker, text=line.text,
                           audio=f"{VOICE}/{wav.name}",
                           duration=info.duration, sentences=info.sentences)
            )
    _keep_only_said(board, Path(out_dir) / SENTENCE_CACHE)
    return spoken


def cast_voice(board: Storyboard, speaker: str) -> Voice:
    """The voice the cast stored for `speaker`, the narrator or a character."""
    voice = board.narrator if speaker == NARRATOR else board.character(speaker).voice
    if voice.engine is None:
        raise VoiceError(f"'{speaker}' has no voice: cast the storyboard first (storyagent.voice.cast_voices; "
                         "`storyagent render` does)")
    return voice
