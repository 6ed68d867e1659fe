"""Audio a block at a time, so the mix's memory does not grow with the film:
clips placed in film time and made only when the blocks reach them, scratch
files read back at any offset, WAV files written block by block, filters and
meters that carry their state across block edges.
"""

from __future__ import annotations

import functools
import shutil
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from scipy.signal import lfilter, resample_poly, sosfilt

from storyagent.media.audio import wav_samples


def blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) sample ranges covering 0..n in steps of `size`."""
    for start in range(0, n, size):
        yield start, min(n, start + size)


class Track:
    """Clips placed in film time. A clip is made (rendered, read from disk) only
    when the blocks come within `lead` samples of its nominal start, and
    dropped once the blocks have passed its end. `clips` yields (start sample,
    audio) in the order of `starts`; a clip may begin up to `lead` samples
    before its nominal start (music's lead-in under the previous scene)."""

    def __init__(self, starts: list[int], clips: Iterable[tuple[int, np.ndarray]], lead: int = 0) -> None:
        self.starts = starts
        self.clips = iter(clips)
        self.lead = lead
        self.made = 0
        self.live: list[tuple[int, np.ndarray]] = []

    def block(self, start: int, end: int) -> np.ndarray:
        while self.made < len(self.starts) and self.starts[self.made] - self.lead < end:
            self.live.append(next(self.clips))
            self.made += 1
        out = np.zeros(end - start)
        for at, audio in self.live:
            lo, hi = max(start, at), min(end, at + len(audio))
            if hi > lo:
                out[lo - start : hi - start] += audio[lo - at : hi - at]
        self.live = [(at, audio) for at, audio in self.live if at + len(audio) > end]
        return out


class Scratch:
    """A float32 temporary file of a whole stem, appended block by block and read back at any offset."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.length = 0
        path.write_bytes(b"")

    @classmethod
    def copy_of(cls, source: Path, path: Path) -> "Scratch":
        """A scratch stem holding the samples of an earlier one saved at `source`."""
        scratch = cls(path)
        shutil.copyfile(source, path)
        scratch.length = path.stat().st_size // 4
        return scratch

    def append(self, block: np.ndarray) -> None:
        with open(self.path, "ab") as f:
            f.write(np.asarray(block, dtype=np.float32).tobytes())
        self.length += len(block)

    def read(self, start: int, end: int) -> np.ndarray:
        """Samples start..end as float64; zeros where the range runs past either end of the stem."""
        out = np.zeros(end - start)
        lo, hi = max(0, start), min(self.length, end)
        if hi > lo:
            out[lo - start : hi - start] = np.fromfile(self.path, dtype=np.float32, count=hi - lo, offset=4 * lo)
        return out


class WavWriter:
    """A mono WAV written block by block: 16-bit PCM, or 32-bit float. The
    header's sizes are filled in on close. Write under a temporary name
    (`storyagent.cache.atomic_path`) so a killed run leaves no half file."""

    def __init__(self, path: Path, sr: int, float32: bool = False) -> None:
        self.file: BinaryIO = open(path, "wb")  # noqa: SIM115 -- written across many calls, closed by close()
        self.float32 = float32
        self.bytes = 0
        width = 4 if float32 else 2
        self.file.write(b"RIFF\0\0\0\0WAVEfmt " + struct.pack("<IHHIIHH", 16, 3 if float32 else 1, 1, sr,
                                                                   sr * width, width, 8 * width) + b"data\0\0\0\0")

    def write(self, block: np.ndarray) -> None:
        data = wav_samples(block, self.float32).tobytes()
        self.file.write(data)
        self.bytes += len(data)

    def close(self) -> None:
        self.file.seek(4)
        self.file.write(struct.pack("<I", 36 + self.bytes))
        self.file.seek(40)
        self.file.write(struct.pack("<I", self.bytes))
        self.file.close()


class Recursive:
    """An IIR filter whose state carries from one block to the next, so a run of
    blocks filters exactly as one long signal. `initial` gives the state from the
    first sample (None: start from rest)."""

    def __init__(self, b: list[float], a: list[float], initial: Callable[[float], list[float]] | None = None) -> None:
        self.b, self.a = b, a
        self.initial = initial
        self.zi: np.ndarray | None = None

    def __call__(self, x: np.ndarray, ahead: int = 0) -> np.ndarray:
        """Filter `x`; its last `ahead` samples are a look at the next block: filtered,
        but not remembered, so the next block carries on from the end of this one."""
        if self.zi is None:
            first = x[0] if len(x) else 0.0
            self.zi = np.asarray(self.initial(first) if self.initial else np.zeros(max(len(self.a), len(self.b)) - 1),
                                 dtype=np.float64)
        keep = len(x) - ahead
        head, self.zi = lfilter(self.b, self.a, x[:keep], zi=self.zi)
        if not ahead:
            return head
        tail, _ = lfilter(self.b, self.a, x[keep:], zi=self.zi)
        return np.concatenate([head, tail])


def one_pole(sr: int, seconds: float) -> Recursive:
    """Smoothing with time constant `seconds`, starting settled on the first sample."""
    a = float(np.exp(-1.0 / (seconds * sr)))
    return Recursive([1 - a], [1, -a], lambda first: [a * first])


class LoudnessMeter:
    """Integrated loudness (ITU-R BS.1770-4, as pyloudnorm measures it) of a
    signal fed in blocks: K-weighting with carried filter state, the mean square
    of every 100 ms, then 400 ms gating blocks (75 % overlap) gated at -70 LUFS
    and 10 LU under the ungated level. Keeps 8 bytes per 100 ms of signal."""

    def __init__(self, sr: int) -> None:
        from pyloudnorm.iirfilter import IIRfilter

        k_weighting = (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sr, "high_shelf"), IIRfilter(0.0, 0.5, 38.0, sr, "high_pass"))
        # Both stages in one call, their state carried from block to block (half the time of two lfilter calls).
        self.sections = np.array([[*f.b, *f.a] for f in k_weighting], dtype=np.float64)
        self.state = np.zeros((len(self.sections), 2))
        self.sr = sr
        self.step = round(0.1 * sr)
        self.pending = np.zeros(0)
        self.sums: list[float] = []  # sum of squares of each 100 ms
        self.samples = 0

    def add(self, block: np.ndarray) -> None:
        weighted, self.state = sosfilt(self.sections, np.asarray(block, dtype=np.float64), zi=self.state)
        self.samples += len(weighted)
        pending = np.concatenate([self.pending, weighted**2])
        whole = len(pending) // self.step * self.step
        self.sums.extend(pending[:whole].reshape(-1, self.step).sum(axis=1).tolist())
        self.pending = pending[whole:]

    def integrated(self) -> float:
        sums = np.array(self.sums + ([float(self.pending.sum())] if len(self.pending) else []) + [0.0] * 3)
        count = int(np.round((self.samples / self.sr - 0.4) / 0.1)) + 1
        if count < 1:
            return float("-inf")
        z = np.array([sums[j : j + 4].sum() for j in range(count)]) / (4 * self.step)
        with np.errstate(divide="ignore"):
            level = -0.691 + 10 * np.log10(z)
        gated = level >= -70.0
        if not gated.any():
            return float("-inf")
        relative = -0.691 + 10 * np.log10(z[gated].mean()) - 10.0
        kept = (level > relative) & gated
        return float(-0.691 + 10 * np.log10(z[kept].mean())) if kept.any() else float("-inf")


TRUE_PEAK_REACH = 12  # input samples each side that a 4x oversampled value depends on (resample_poly's 81 taps)


@functools.cache
def _taps() -> np.ndarray:
    """resample_poly's filter for 4x, as it designs it when not given one (passed to it, not
    designed again on each call)."""
    from scipy.signal import firwin

    return firwin(2 * 10 * 4 + 1, 1 / 4, window=("kaiser", 5.0))


@functools.cache
def _overshoot() -> float:
    """The most a 4x oversampled value can exceed the largest input sample within TRUE_PEAK_REACH
    of it: the largest sum of magnitudes of one phase of the filter (x 4, as resample_poly scales it)."""
    taps = _taps() * 4
    assert len(taps) // 4 <= 2 * TRUE_PEAK_REACH
    return float(max(np.abs(taps[phase::4]).sum() for phase in range(4))) * 1.001


def oversampled_peaks(audio: np.ndarray, floor: float) -> np.ndarray:
    """Per sample, the largest magnitude of the 4x oversampled signal (BS.1770's true peak) over the
    sample and the three points after it, as resample_poly(audio, 4, 1) gives it, wherever that may
    exceed `floor`; 0 elsewhere, where it cannot. Only the stretches that may pass `floor` are
    oversampled: in a finished mix, a few percent of the samples."""
    from scipy.ndimage import maximum_filter1d

    n = len(audio)
    out = np.zeros(n)
    if not n:
        return out
    near = maximum_filter1d(np.abs(audio), size=2 * TRUE_PEAK_REACH + 1, mode="constant")
    hot = near * _overshoot() > floor
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.view(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]
    if len(starts) > 1:  # stretches a little apart are oversampled together: fewer, longer calls
        apart = starts[1:] - ends[:-1] > 1024
        starts, ends = starts[np.r_[True, apart]], ends[np.r_[apart, True]]
    context = 2 * TRUE_PEAK_REACH
    for a, b in zip(starts.tolist(), ends.tolist()):
        lo, hi = max(0, a - context), min(n, b + context)
        up = np.abs(resample_poly(audio[lo:hi], 4, 1, window=_taps()))[4 * (a - lo) : 4 * (b - lo)]
        out[a:b] = np.maximum(np.maximum(up[0::4], up[1::4]), np.maximum(up[2::4], up[3::4]))
    return out


class PeakMeter:
    """True peak (4x oversampled, as BS.1770) of a signal fed in blocks. Each
    block is upsampled with CONTEXT samples of its neighbours, so the peaks near
    block edges read as they would in one long signal."""

    CONTEXT = 32  # input samples; the 4x resampling filter reaches ~10 each side

    def __init__(self) -> None:
        self.held = np.zeros(0)
        self.first = True
        self.peak = 0.0

    def add(self, block: np.ndarray) -> None:
        buffer = np.concatenate([self.held, block])
        if len(buffer) < 3 * self.CONTEXT:
            self.held = buffer
            return
        self._measure(buffer, len(buffer) - self.CONTEXT)
        self.held = buffer[-2 * self.CONTEXT :]

    def db(self) -> float:
        """The peak so far, in dBTP, counting the signal's end."""
        if len(self.held):
            self._measure(self.held, len(self.held))
            self.held = np.zeros(0)
        return float(20 * np.log10(max(self.peak, 1e-12)))

    def _measure(self, buffer: np.ndarray, until: int) -> None:
        start = 0 if self.first else self.CONTEXT
        if until > start:  # only what may pass the peak so far is oversampled
            self.peak = max(self.peak, float(np.max(oversampled_peaks(buffer, self.peak)[start:until])))
        self.first = False
