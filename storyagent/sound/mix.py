"""The mix: voice on top, music ducked under speech, effects under the voice,
finished to broadcast loudness (EBU R128 style: -16 LUFS integrated, true
peak at most -1 dBTP).

Stems are written as they sit in the mix (levelled, ducked) beside `mix.wav`,
so an editor can rebalance them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy.signal import lfilter, resample_poly

from storyagent.sound import read_wav, write_wav
from storyagent.sound.effects import ambience_for, render_cue
from storyagent.sound.music import render_score
from storyagent.storyboard import Storyboard
from storyagent.timeline import EffectPlacement, Timeline

TARGET_LUFS = -16.0
TRUE_PEAK_CEILING_DB = -1.5  # a little under -1 dBTP: the limiter's estimate is 4x oversampled, not exact
# Stem levels before the final loudness gain (LUFS), chosen so speech sits clearly on top.
VOICE_LUFS = -20.0
MUSIC_LUFS = -26.0  # in the pauses; ducked further under speech
EFFECTS_LUFS = -28.0  # cues at 0 dB; beds play below their cues
BED_DB = -6.0
DUCK_MUSIC_DB = -12.0
DUCK_EFFECTS_DB = -4.0
ATTACK, RELEASE = 0.08, 0.4  # seconds
LOOKAHEAD = 0.08  # the duck starts this much before speech, so a line's first word is already clear
BED_FADE = 1.0


class MixResult(BaseModel):
    mix: Path
    stems: dict[str, Path]
    music_midi: Path
    duration: float
    sample_rate: int
    loudness_lufs: float
    true_peak_dbtp: float
    music_synth: str


def mix(timeline: Timeline, board: Storyboard, out_dir: Path, sr: int = 48000, seed: int = 0,
        music_synth: str | None = None) -> MixResult:
    """Mix the timeline's voice, effects and a composed score into `out_dir/mix.wav`
    and `out_dir/stems/`. `music_synth`: fluidsynth or builtin (default: the best available)."""
    out_dir = Path(out_dir)
    n = round(timeline.duration * sr)
    voice = _set_loudness(voice_stem(timeline, n, sr), sr, VOICE_LUFS)
    voice = _set_loudness(compress(voice, sr), sr, VOICE_LUFS)  # compressed from a known level, then made up
    music, synth = render_score(timeline, sr, seed=seed, synth=music_synth, midi_path=out_dir / "music.mid")
    music = _set_loudness(_fit(music, n), sr, MUSIC_LUFS)
    effects = _set_loudness(effects_stem(timeline, board, n, sr, seed), sr, EFFECTS_LUFS)

    speech = speech_envelope(voice, sr)
    music *= _gain(speech, DUCK_MUSIC_DB)
    effects *= _gain(speech, DUCK_EFFECTS_DB)

    stems = {"voice": voice, "music": music, "effects": effects}
    total = voice + music + effects
    gain = _finishing_gain(total, sr)
    finished = limit(total * gain, sr, TRUE_PEAK_CEILING_DB)

    paths = {name: write_wav(out_dir / "stems" / f"{name}.wav", stem * gain, sr, float32=True)
             for name, stem in stems.items()}
    mix_path = write_wav(out_dir / "mix.wav", finished, sr)
    return MixResult(
        mix=mix_path, stems=paths, music_midi=out_dir / "music.mid", duration=n / sr, sample_rate=sr,
        loudness_lufs=round(loudness(finished, sr), 2), true_peak_dbtp=round(true_peak_db(finished), 2),
        music_synth=synth,
    )


# -- stems -----------------------------------------------------------------------------


def voice_stem(timeline: Timeline, n: int, sr: int) -> np.ndarray:
    out = np.zeros(n)
    for placement in timeline.voice:
        audio, rate = read_wav(Path(placement.line.audio))
        _add(out, _resample(audio, rate, sr), round(placement.start * sr))
    return out


def effects_stem(timeline: Timeline, board: Storyboard, n: int, sr: int, seed: int = 0) -> np.ndarray:
    out = np.zeros(n)
    for placement in timeline.effects + ambience_placements(timeline, board):
        audio = render_cue(placement.tag, placement.duration, sr, seed=_seed(seed, placement.shot_id, placement.tag))
        if audio is None:
            continue
        if placement.ambience:
            audio = _ramp(audio.astype(np.float64), sr, BED_FADE)
        _add(out, audio * 10 ** ((placement.volume_db + (BED_DB if placement.ambience else 0.0)) / 20),
             round(placement.start * sr))
    return out


def ambience_placements(timeline: Timeline, board: Storyboard) -> list[EffectPlacement]:
    """A bed for each run of shots in one location, from its biome and weather;
    none where the timeline already carries ambience."""
    if any(e.ambience for e in timeline.effects):
        return []
    runs: list[tuple[str, str, float, float]] = []  # location id, first shot, start, end
    for shot in timeline.shots:
        location = board.scene_of(shot.shot_id).location
        if runs and runs[-1][0] == location:
            runs[-1] = (location, runs[-1][1], runs[-1][2], shot.end)
        else:
            runs.append((location, shot.shot_id, shot.start, shot.end))
    beds = []
    for location, shot_id, start, end in runs:
        for tag, db in ambience_for(board.location(location)):
            # Beds overlap a little at location changes, so one place fades into the next.
            beds.append(EffectPlacement(tag=tag, shot_id=shot_id, start=max(0.0, start - BED_FADE / 2),
                                        duration=end - start + BED_FADE, volume_db=db, ambience=True))
    return beds


def compress(voice: np.ndarray, sr: int, threshold_db: float = -30.0, ratio: float = 4.0) -> np.ndarray:
    """Dialogue compression. Speech peaks ~20 dB over its loudness (measured on
    the Piper voice), more than a -16 LUFS / -1 dBTP mix has room for: without
    it the limiter took up to 8 dB off peaks and cost 2.7 dB of loudness. 4:1
    above the threshold, looking 5 ms ahead so onsets are caught, leaves the
    limiter under 5 dB on ~5% of samples."""
    from scipy.ndimage import maximum_filter1d

    level_db = 10 * np.log10(_one_pole(voice**2, sr, 0.005) + 1e-12)
    reduction = np.maximum(0.0, level_db - threshold_db) * (1 - 1 / ratio)
    ahead = int(0.005 * sr)
    reduction = maximum_filter1d(np.concatenate([reduction[ahead:], np.zeros(ahead)]), size=2 * ahead + 1)
    reduction = np.maximum(_one_pole(reduction, sr, 0.002), _one_pole(reduction, sr, 0.06))
    return voice * 10 ** (-reduction / 20)


# -- ducking -----------------------------------------------------------------------------


def speech_envelope(voice: np.ndarray, sr: int, threshold_db: float = -45.0) -> np.ndarray:
    """0..1 per sample: how much speech is present, with ~80 ms attack and
    ~400 ms release, started LOOKAHEAD early (the mix is offline, so it can look ahead)."""
    window = int(0.02 * sr)
    power = lfilter([1.0 / window], [1.0, -(1 - 1.0 / window)], voice**2, zi=[voice[0] ** 2 if len(voice) else 0.0])[0]
    rms_db = 10 * np.log10(power + 1e-12)
    reference = np.percentile(rms_db[rms_db > -100], 95) if np.any(rms_db > -100) else 0.0
    active = (rms_db > reference + threshold_db + 20).astype(np.float64)
    shift = int(LOOKAHEAD * sr)
    active = np.concatenate([active[shift:], np.zeros(shift)])
    rising = _one_pole(active, sr, ATTACK)
    falling = _one_pole(active, sr, RELEASE)
    # The faster follower wins going up, the slower coming down: attack and release from two linear filters.
    return np.clip(np.maximum(rising, falling), 0.0, 1.0)


def _one_pole(x: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    a = np.exp(-1.0 / (seconds * sr))
    return lfilter([1 - a], [1, -a], x, zi=[a * x[0] if len(x) else 0.0])[0]


def _gain(envelope: np.ndarray, depth_db: float) -> np.ndarray:
    return 10 ** (depth_db * envelope / 20)


# -- loudness and peaks --------------------------------------------------------------------


def loudness(audio: np.ndarray, sr: int) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(sr).integrated_loudness(np.asarray(audio, dtype=np.float64)))


def true_peak_db(audio: np.ndarray, oversample: int = 4) -> float:
    """BS.1770 true peak estimate: the peak of the 4x oversampled signal, in dBTP."""
    peak = np.max(np.abs(resample_poly(audio, oversample, 1))) if len(audio) else 0.0
    return float(20 * np.log10(max(peak, 1e-12)))


def limit(audio: np.ndarray, sr: int, ceiling_db: float, lookahead: float = 0.005) -> np.ndarray:
    """Look-ahead true-peak limiter: the gain needed under each 4x-oversampled
    peak is held for the look-ahead window each side and smoothed by a moving
    average half as long, so the gain is already down when the peak arrives."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = 10 ** (ceiling_db / 20)
    peaks = np.abs(resample_poly(audio, 4, 1))[: 4 * len(audio)].reshape(-1, 4).max(axis=1)
    peaks = np.maximum(peaks, np.abs(audio))
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    hold = int(lookahead * sr)
    held = minimum_filter1d(needed, size=2 * hold + 1)
    smooth = uniform_filter1d(held, size=hold + 1)
    return audio * np.minimum(smooth, held)


def _finishing_gain(audio: np.ndarray, sr: int) -> float:
    """Gain that lands the limited mix on TARGET_LUFS (limiting costs a little loudness: measured, then corrected)."""
    gain = 10 ** ((TARGET_LUFS - loudness(audio, sr)) / 20)
    for _ in range(3):
        error = TARGET_LUFS - loudness(limit(audio * gain, sr, TRUE_PEAK_CEILING_DB), sr)
        if abs(error) < 0.1:
            break
        gain *= 10 ** (error / 20)
    return gain


# -- small helpers ------------------------------------------------------------------------------


def _set_loudness(audio: np.ndarray, sr: int, target: float) -> np.ndarray:
    measured = loudness(audio, sr) if np.any(audio) else -np.inf
    return audio * 10 ** ((target - measured) / 20) if np.isfinite(measured) else audio


def _resample(audio: np.ndarray, rate: int, sr: int) -> np.ndarray:
    if rate == sr:
        return audio.astype(np.float64)
    from math import gcd

    g = gcd(rate, sr)
    return resample_poly(audio.astype(np.float64), sr // g, rate // g)


def _fit(audio: np.ndarray, n: int) -> np.ndarray:
    return np.pad(audio.astype(np.float64), (0, max(0, n - len(audio))))[:n]


def _add(out: np.ndarray, audio: np.ndarray, at: int) -> None:
    start, skip = max(0, at), max(0, -at)
    end = min(len(out), start + len(audio) - skip)
    if end > start:
        out[start:end] += audio[skip : skip + end - start]


def _ramp(audio: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    k = min(len(audio) // 2, int(seconds * sr))
    if k:
        ramp = np.linspace(0.0, 1.0, k)
        audio[:k] *= ramp
        audio[-k:] *= ramp[::-1]
    return audio


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "little")
