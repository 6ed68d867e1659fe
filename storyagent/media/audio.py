"""Sound: effects, music and the mix (`effects`, `music`, `mix`, which works
block by block through `stream`), and the WAV reading and writing every audio
stage shares."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from storyagent.cache import write_bytes_atomic


def write_wav(path: Path, audio: np.ndarray, sr: int, float32: bool = False) -> Path:
    """A mono WAV, 16-bit PCM (or 32-bit float, for stems that may pass full
    scale before the final limiter), written atomically: a killed run never
    leaves half a file."""
    from scipy.io import wavfile

    buffer = io.BytesIO()
    wavfile.write(buffer, sr, wav_samples(audio, float32))
    return write_bytes_atomic(path, buffer.getvalue())


def wav_samples(audio: np.ndarray, float32: bool = False) -> np.ndarray:
    """Samples as a WAV stores them: 32-bit float, or 16-bit PCM clipped at full scale."""
    return np.asarray(audio, dtype=np.float32) if float32 else (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    from scipy.io import wavfile

    sr, data = wavfile.read(path)
    audio = np.asarray(data)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if np.issubdtype(audio.dtype, np.integer):
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    return audio.astype(np.float32), int(sr)
