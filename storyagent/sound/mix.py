"""The mix: voice on top, music ducked under speech, effects under the voice,
finished to broadcast loudness (EBU R128 style: -16 LUFS integrated, true
peak at most -1 dBTP).

Stems are written as they sit in the mix (levelled, ducked, and through the
mix's limiter) beside `mix.wav`: they add up to the mix, stay under full scale
at any bit depth an editor imports them at, and let the editor rebalance.

The film is mixed BLOCK seconds at a time, in passes over float32 scratch
files beside the output, so memory stays the same for a one-minute or a
ten-minute film (ARCHITECTURE.md: streaming, not hoarding):
1. render the voice lines, effects and score, each made when the blocks reach
   it, and measure each stem's loudness;
2. compress the voice from a known level, and measure how loud speech gets;
3. set the stems' levels, duck music and effects under speech, and measure the total;
4. find the gain that lands the limited total on TARGET_LUFS, then write mix.wav and stems/.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy.signal import resample_poly

from storyagent import cache
from storyagent.cache import (
    CUE_CACHE,
    SCORE_CACHE,
    STEM_CACHE,
    atomic_path,
    keep_only,
    key,
    reusable,
    scratch_dir,
    seal,
    source_version,
    write_text_atomic,
)
from storyagent.media.audio import read_wav
from storyagent.sound.effects import ambience_for, render_cue
from storyagent.sound.music import CROSSFADE, fluidsynth_available, render_sections
from storyagent.sound.stream import (
    LoudnessMeter,
    PeakMeter,
    Recursive,
    Scratch,
    Track,
    WavWriter,
    blocks,
    one_pole,
    oversampled_peaks,
)
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
MAX_BED = 30.0  # seconds: a longer stay in one place gets successive beds, cross-faded, so no bed is film-long
BLOCK = 10.0  # seconds mixed at a time
LIMITER_LOOKAHEAD = 0.005
STEMS = ("voice", "music", "effects")


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
    out_dir.mkdir(parents=True, exist_ok=True)
    n = round(timeline.duration * sr)
    with scratch_dir(out_dir, "mix") as scratch:
        raw, raw_lufs, synth = render_stems(timeline, board, n, sr, seed, music_synth, out_dir / cache.MUSIC_MIDI, scratch)
        voice_gain = _level_gain(raw_lufs["voice"], VOICE_LUFS)
        voice, voice_lufs, speech_reference = compress_voice(raw["voice"], voice_gain, n, sr, scratch)
        gains = {"voice": _level_gain(voice_lufs, VOICE_LUFS),  # compressed from a known level, then made up
                 "music": _level_gain(raw_lufs["music"], MUSIC_LUFS),
                 "effects": _level_gain(raw_lufs["effects"], EFFECTS_LUFS)}
        stems, total_lufs = level_and_duck({**raw, "voice": voice}, gains, speech_reference, n, sr, scratch)
        paths = {"mix": out_dir / cache.MIX, **{name: out_dir / cache.STEMS / f"{name}.wav" for name in STEMS}}
        lufs, peak_db = write_finished(stems, total_lufs, n, sr, paths)
    return MixResult(
        mix=paths["mix"], stems={name: paths[name] for name in STEMS}, music_midi=out_dir / cache.MUSIC_MIDI,
        duration=n / sr, sample_rate=sr, loudness_lufs=round(lufs, 2), true_peak_dbtp=round(peak_db, 2),
        music_synth=synth,
    )


# -- pass 1: the stems at their nominal levels -------------------------------------------


def render_stems(timeline: Timeline, board: Storyboard, n: int, sr: int, seed: int, music_synth: str | None,
                 midi_path: Path, scratch: Path) -> tuple[dict[str, Scratch], dict[str, float], str]:
    """Voice, music and effects rendered block by block into scratch files, with each one's loudness.

    Music and effects whose placements did not change since the last mix in this
    folder are taken from the stem cache instead (an edit to a line's words only
    changes the voice)."""
    synth = music_synth or ("fluidsynth" if fluidsynth_available() else "builtin")
    cache = StemCache(midi_path.parent / STEM_CACHE, stem_keys(timeline, board, n, sr, seed, synth))
    stems: dict[str, Scratch] = {}
    lufs: dict[str, float] = {}
    for name in ("music", "effects"):
        hit = cache.get(name) if name != "music" or midi_path.exists() else None
        if hit is not None:
            stems[name], lufs[name] = Scratch.copy_of(hit[0], scratch / f"{name}.raw"), hit[1]
    tracks = {"voice": voice_track(timeline, sr, midi_path.parent)}
    score = ClipCache(midi_path.parent / SCORE_CACHE)
    if "music" not in stems:
        sections, synth = render_sections(timeline, sr, seed=seed, synth=synth, midi_path=midi_path, cache=score)
        tracks["music"] = Track([round(s.start * sr) for s in timeline.music], sections, lead=round(CROSSFADE * sr))
    cues = CueCache(midi_path.parent / CUE_CACHE)
    if "effects" not in stems:
        tracks["effects"] = effects_track(timeline, board, sr, seed, cues)
    meters = {name: LoudnessMeter(sr) for name in tracks}
    stems |= {name: Scratch(scratch / f"{name}.raw") for name in tracks}
    for start, end in blocks(n, round(BLOCK * sr)):
        for name, track in tracks.items():
            block = track.block(start, end)
            stems[name].append(block)
            meters[name].add(block)
    lufs |= {name: meter.integrated() for name, meter in meters.items()}
    cache.keep({name: (stems[name].path, lufs[name]) for name in ("music", "effects")})
    if "effects" in tracks:
        cues.keep_only_used()
    if "music" in tracks:
        score.keep_only_used()
    return stems, lufs, synth


def stem_keys(timeline: Timeline, board: Storyboard, n: int, sr: int, seed: int, synth: str) -> dict[str, str]:
    """What the music and the effects stems are made from."""
    common = {"samples": n, "rate": sr, "seed": seed}
    music = {**common, "synth": synth, "sections": [m.model_dump(mode="json") for m in timeline.music]}
    effects = {**common, "cues": [e.model_dump(mode="json") for e in timeline.effects + ambience_placements(timeline, board)]}
    return {"music": key("music", music, sound_code_version()), "effects": key("effects", effects, sound_code_version())}


@functools.cache
def sound_code_version() -> str:
    """Hash of the sound package's source: a change to how sound is made empties the cache."""
    return source_version(Path(__file__).parent)


class StemCache:
    """The last mix's music and effects stems (raw float32) and their loudness, by key."""

    def __init__(self, folder: Path, keys: dict[str, str]) -> None:
        self.folder, self.keys = folder, keys

    def get(self, name: str) -> tuple[Path, float] | None:
        raw, meta = self._paths(name)
        if reusable(raw) and reusable(meta):
            return raw, float(json.loads(meta.read_text())["lufs"])
        return None

    def keep(self, stems: dict[str, tuple[Path, float]]) -> None:
        """Store these stems and drop every older one, so the cache holds one mix."""
        self.folder.mkdir(parents=True, exist_ok=True)
        current = set()
        for name, (source, lufs) in stems.items():
            raw, meta = self._paths(name)
            current |= {raw.name, meta.name}
            if not (reusable(raw) and reusable(meta)):
                with atomic_path(raw) as tmp:
                    shutil.copyfile(source, tmp)
                write_text_atomic(meta, json.dumps({"lufs": lufs}))
                seal(raw, meta)
        keep_only(self.folder, current)

    def _paths(self, name: str) -> tuple[Path, Path]:
        stem = f"{name}-{self.keys[name]}"
        return self.folder / f"{stem}.raw", self.folder / f"{stem}.json"


class ClipCache:
    """Clips as they were made (effect cues and ambience beds, sections of the score), by what they
    are made from, wherever they sit in the film. An edit that moves the timeline moves most clips
    without changing them, and a whole stem must be made again: the clips it already had are read
    back instead of synthesised (measured on the default film: most of the effects stem's time, and
    1.1 s of the music's). The cache holds the last mix's clips only."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.used = folder, set()

    def get(self, kind: str, inputs: object, make: Callable[[], np.ndarray | None]) -> np.ndarray | None:
        """The audio `inputs` make: as kept, or `make()` (None, for a clip that cannot be made, is never kept)."""
        path = self.folder / f"{key(kind, inputs, sound_code_version())}.npy"
        self.used.add(path.name)
        if reusable(path):
            return np.load(path)
        audio = make()
        if audio is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp, open(tmp, "wb") as out:
                np.save(out, audio)
            seal(path)
        return audio

    def keep_only_used(self) -> None:
        keep_only(self.folder, self.used)


class CueCache(ClipCache):
    """Each effect cue and ambience bed as `render_cue` made it, by tag, length, rate and variation."""

    def render(self, tag: str, seconds: float, sr: int, seed: int) -> np.ndarray | None:
        # an unknown tag renders as None: warned about on every mix, so never kept
        return self.get("cue", [tag, seconds, sr, seed], lambda: render_cue(tag, seconds, sr, seed=seed))


def voice_track(timeline: Timeline, sr: int, film_dir: Path) -> Track:
    placements = sorted(timeline.voice, key=lambda p: p.start)

    def lines():
        for placement in placements:
            audio, rate = read_wav(film_dir / placement.line.audio)
            yield round(placement.start * sr), _resample(audio, rate, sr)

    return Track([round(p.start * sr) for p in placements], lines())


def effects_track(timeline: Timeline, board: Storyboard, sr: int, seed: int = 0,
                  cache: CueCache | None = None) -> Track:
    placements = sorted(timeline.effects + ambience_placements(timeline, board), key=lambda p: p.start)
    render = cache.render if cache is not None else lambda tag, seconds, sr, seed: render_cue(tag, seconds, sr, seed=seed)

    def cues():
        for placement in placements:
            variation = _seed(seed, placement.shot_id, placement.tag)
            audio = render(placement.tag, placement.duration, sr, variation)
            if audio is None:  # an unknown tag: warned about, heard as nothing
                audio = np.zeros(0)
            elif placement.ambience:
                audio = _ramp(audio.astype(np.float64), sr, BED_FADE)
            db = placement.volume_db + (BED_DB if placement.ambience else 0.0)
            yield round(placement.start * sr), audio * 10 ** (db / 20)

    return Track([round(p.start * sr) for p in placements], cues())


def ambience_placements(timeline: Timeline, board: Storyboard) -> list[EffectPlacement]:
    """A bed for each run of shots in one location (at most MAX_BED long, unless one
    shot is longer), from its biome and weather; none where the timeline already carries ambience."""
    if any(e.ambience for e in timeline.effects):
        return []
    runs: list[tuple[str, str, float, float]] = []  # location id, first shot, start, end
    for shot in timeline.shots:
        location = board.scene_of(shot.shot_id).location
        if runs and runs[-1][0] == location and shot.end - runs[-1][2] <= MAX_BED:
            runs[-1] = (location, runs[-1][1], runs[-1][2], shot.end)
        else:
            runs.append((location, shot.shot_id, shot.start, shot.end))
    beds = []
    for location, shot_id, start, end in runs:
        for tag, db in ambience_for(board.location(location)):
            # Beds overlap a little where they meet, so one place (or stretch of it) fades into the next.
            # Its length to the microsecond: a run moved by an edit keeps its length but not always its
            # last bits (an end minus a start), and the bed must still be found in the cue cache.
            beds.append(EffectPlacement(tag=tag, shot_id=shot_id, start=max(0.0, start - BED_FADE / 2),
                                        duration=round(end - start + BED_FADE, 6), volume_db=db, ambience=True))
    return beds


# -- pass 2: dialogue compression -----------------------------------------------------------


class Compressor:
    """Dialogue compression. Speech peaks ~20 dB over its loudness (measured on
    the Piper voice), more than a -16 LUFS / -1 dBTP mix has room for: without
    it the limiter took up to 8 dB off peaks and cost 2.7 dB of loudness. 4:1
    above the threshold, looking 5 ms ahead so onsets are caught, leaves the
    limiter under 5 dB on ~5% of samples. Fed a block at a time, each with up to
    `reach` samples of what follows it."""

    def __init__(self, sr: int, threshold_db: float = -30.0, ratio: float = 4.0) -> None:
        self.threshold_db, self.ratio = threshold_db, ratio
        self.ahead = int(0.005 * sr)
        self.reach = 2 * self.ahead
        self.level, self.fast, self.slow = one_pole(sr, 0.005), one_pole(sr, 0.002), one_pole(sr, 0.06)

    def __call__(self, voice: np.ndarray, ahead: int) -> np.ndarray:
        from scipy.ndimage import maximum_filter1d

        keep = len(voice) - ahead
        level_db = 10 * np.log10(self.level(voice**2, ahead=ahead) + 1e-12)
        reduction = np.maximum(0.0, level_db - self.threshold_db) * (1 - 1 / self.ratio)
        # The reduction at each sample is the most needed in the next 2 x 5 ms (none past the film's end).
        reduction = maximum_filter1d(np.pad(reduction, (0, self.reach)), size=2 * self.ahead + 1,
                                     mode="constant")[self.ahead : self.ahead + keep]
        reduction = np.maximum(self.fast(reduction), self.slow(reduction))
        return voice[:keep] * 10 ** (-reduction / 20)


def compress_voice(raw: Scratch, gain: float, n: int, sr: int, scratch: Path) -> tuple[Scratch, float, float]:
    """The voice compressed from `gain` x `raw`; its loudness, and the level
    speech reaches (the 95th percentile of its 20 ms level, in dB)."""
    compressor, meter, speech = Compressor(sr), LoudnessMeter(sr), SpeechLevel(sr)
    out = Scratch(scratch / "voice.compressed")
    for start, end in blocks(n, round(BLOCK * sr)):
        reach = min(n, end + compressor.reach)
        block = compressor(raw.read(start, reach) * gain, ahead=reach - end)
        out.append(block)
        meter.add(block)
        speech.add(block)
    return out, meter.integrated(), speech.reference()


# -- pass 3: levels and ducking -----------------------------------------------------------


class SpeechLevel:
    """The voice's level over 20 ms, in dB, per sample; `add` also counts the
    levels in 0.01 dB steps, for the percentile that sets what counts as speech."""

    FLOOR, CEILING, STEP = -100.0, 60.0, 0.01

    def __init__(self, sr: int) -> None:
        window = int(0.02 * sr)
        self.power = Recursive([1.0 / window], [1.0, -(1 - 1.0 / window)], lambda first: [first])
        self.counts = np.zeros(round((self.CEILING - self.FLOOR) / self.STEP) + 1, dtype=np.int64)

    def __call__(self, voice: np.ndarray, ahead: int = 0) -> np.ndarray:
        return 10 * np.log10(self.power(voice**2, ahead=ahead) + 1e-12)

    def add(self, voice: np.ndarray) -> None:
        level = self(voice)
        level = level[level > self.FLOOR]
        steps = np.clip(np.round((level - self.FLOOR) / self.STEP), 0, len(self.counts) - 1).astype(np.int64)
        self.counts += np.bincount(steps, minlength=len(self.counts))

    def reference(self, percentile: float = 95.0) -> float:
        total = self.counts.sum()
        if not total:
            return 0.0
        step = int(np.searchsorted(np.cumsum(self.counts), percentile / 100 * total))
        return self.FLOOR + step * self.STEP


class SpeechEnvelope:
    """0..1 per sample: how much speech is present, with ~80 ms attack and
    ~400 ms release, started LOOKAHEAD early (the mix is offline, so it can look
    ahead: each block comes with `reach` samples of the voice that follows it)."""

    def __init__(self, sr: int, reference: float, threshold_db: float = -45.0) -> None:
        self.level = SpeechLevel(sr)
        self.threshold = reference + threshold_db + 20
        self.reach = int(LOOKAHEAD * sr)
        self.rising, self.falling = one_pole(sr, ATTACK), one_pole(sr, RELEASE)

    def __call__(self, voice: np.ndarray, ahead: int) -> np.ndarray:
        keep = len(voice) - ahead
        active = (self.level(voice, ahead=ahead) > self.threshold).astype(np.float64)
        active = np.pad(active[self.reach :], (0, self.reach))[:keep]  # nothing is spoken past the film's end
        # The faster follower wins going up, the slower coming down: attack and release from two linear filters.
        return np.clip(np.maximum(self.rising(active), self.falling(active)), 0.0, 1.0)


def level_and_duck(stems: dict[str, Scratch], gains: dict[str, float], speech_reference: float, n: int, sr: int,
                   scratch: Path) -> tuple[dict[str, Scratch], float]:
    """The stems as they sit in the mix: levelled, music and effects ducked
    under speech; and the loudness of their sum."""
    envelope, meter = SpeechEnvelope(sr, speech_reference), LoudnessMeter(sr)
    placed = {name: Scratch(scratch / f"{name}.mixed") for name in STEMS}
    for start, end in blocks(n, round(BLOCK * sr)):
        reach = min(n, end + envelope.reach)
        voice = stems["voice"].read(start, reach)
        speech = envelope(voice, ahead=reach - end)
        placed_now = {"voice": voice[: end - start] * gains["voice"],
                   "music": stems["music"].read(start, end) * gains["music"] * _gain(speech, DUCK_MUSIC_DB),
                   "effects": stems["effects"].read(start, end) * gains["effects"] * _gain(speech, DUCK_EFFECTS_DB)}
        for name, block in placed_now.items():
            placed[name].append(block)
        meter.add(placed_now["voice"] + placed_now["music"] + placed_now["effects"])
    return placed, meter.integrated()


def _gain(envelope: np.ndarray, depth_db: float) -> np.ndarray:
    return 10 ** (depth_db * envelope / 20)


# -- pass 4: finishing -------------------------------------------------------------------


def write_finished(stems: dict[str, Scratch], total_lufs: float, n: int, sr: int,
                   paths: dict[str, Path]) -> tuple[float, float]:
    """The mix and stems written at the gain that lands the limited mix on
    TARGET_LUFS: limiting costs a little loudness, so one pass measures that
    cost first and the written mix is checked (and in a rare, heavily limited
    mix, written again). Returns the mix's loudness and true peak."""
    if not np.isfinite(total_lufs):
        return write_outputs(stems, 1.0, n, sr, paths)
    gain = 10 ** ((TARGET_LUFS - total_lufs) / 20)
    gain *= 10 ** ((TARGET_LUFS - finish(stems, gain, n, sr)[0]) / 20)
    for _ in range(3):
        lufs, peak_db = write_outputs(stems, gain, n, sr, paths)
        if abs(TARGET_LUFS - lufs) < 0.1:
            break
        gain *= 10 ** ((TARGET_LUFS - lufs) / 20)
    return lufs, peak_db


def finish(stems: dict[str, Scratch], gain: float, n: int, sr: int,
           writers: dict[str, WavWriter] | None = None) -> tuple[float, float]:
    """The sum of the stems x `gain` through the true-peak limiter: its loudness
    and, given `writers`, its true peak and the mix and the stems written out
    (without, the peak is not measured: NaN). Each stem gets the gain the mix
    got, the limiter's included, so the stems add up to the mix; a stem that
    would still pass full scale on its own (where the others cancel it) is held
    under it, so no stem clips when an editor imports it as 16- or 24-bit PCM."""
    meter, peaks = LoudnessMeter(sr), PeakMeter()
    # The limiter's gain at a sample depends on the signal up to 2.5 look-aheads away:
    # each block is limited with that much of its neighbours, then trimmed.
    margin = 4 * int(LIMITER_LOOKAHEAD * sr) + 64
    for start, end in blocks(n, round(BLOCK * sr)):
        lo, hi = max(0, start - margin), min(n, end + margin)
        parts = {name: stem.read(lo, hi) for name, stem in stems.items()}
        total = (parts["voice"] + parts["music"] + parts["effects"]) * gain
        # Measuring only, the sample peaks stand in for the true peaks: the loudness comes out the same to
        # a few hundredths of a LU (the written mix is measured again), at a third of the cost.
        limiting = limiter_gain(total, sr, TRUE_PEAK_CEILING_DB, LIMITER_LOOKAHEAD, true_peak=bool(writers))
        finished = (total * limiting)[start - lo : end - lo]
        meter.add(finished)
        if writers:
            peaks.add(finished)
            writers["mix"].write(finished)
            for name, part in parts.items():
                writers[name].write(under_full_scale(part * gain * limiting, sr)[start - lo : end - lo])
    return meter.integrated(), peaks.db() if writers else float("nan")


def under_full_scale(stem: np.ndarray, sr: int) -> np.ndarray:
    """`stem` with any sample over full scale limited under it. Nearly always
    there is none and the stem is returned as it is: the limiter's gain would be
    exactly 1, and sparing it keeps writing the stems cheap."""
    if np.max(np.abs(stem), initial=0.0) <= 1.0:
        return stem
    return stem * limiter_gain(stem, sr, 0.0, LIMITER_LOOKAHEAD, true_peak=False)


def write_outputs(stems: dict[str, Scratch], gain: float, n: int, sr: int,
                  paths: dict[str, Path]) -> tuple[float, float]:
    """The finished mix and stems written to `paths`, each under a
    temporary name until it is whole; the mix's loudness and true peak."""
    with ExitStack() as files:
        writers = {}
        for name, path in paths.items():
            partial = files.enter_context(atomic_path(path))
            writers[name] = files.enter_context(closing(WavWriter(partial, sr, float32=name != "mix")))
        return finish(stems, gain, n, sr, writers)


# -- loudness and peaks --------------------------------------------------------------------


def loudness(audio: np.ndarray, sr: int) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(sr).integrated_loudness(np.asarray(audio, dtype=np.float64)))


def true_peak_db(audio: np.ndarray, oversample: int = 4) -> float:
    """BS.1770 true peak estimate: the peak of the 4x oversampled signal, in dBTP."""
    peak = np.max(np.abs(resample_poly(audio, oversample, 1))) if len(audio) else 0.0
    return float(20 * np.log10(max(peak, 1e-12)))


def limiter_gain(audio: np.ndarray, sr: int, ceiling_db: float, lookahead: float = 0.005,
                 true_peak: bool = True) -> np.ndarray:
    """A look-ahead limiter's gain per sample (1 where nothing passes the ceiling): the
    gain needed under each peak (4x oversampled, unless `true_peak` is off and
    only the samples count) is held for the look-ahead window each side and
    smoothed by a moving average half as long, so the gain is already down when
    the peak arrives."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = 10 ** (ceiling_db / 20)
    peaks = np.abs(audio)
    if true_peak:  # where the true peak cannot pass the ceiling, the sample's own level does as well
        peaks = np.maximum(oversampled_peaks(audio, ceiling), peaks)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    hold = int(lookahead * sr)
    held = minimum_filter1d(needed, size=2 * hold + 1)
    smooth = uniform_filter1d(held, size=hold + 1)
    return np.minimum(smooth, held)


# -- small helpers ------------------------------------------------------------------------------


def _level_gain(measured: float, target: float) -> float:
    """Gain from a measured loudness to `target`; none for silence."""
    return 10 ** ((target - measured) / 20) if np.isfinite(measured) else 1.0


def _resample(audio: np.ndarray, rate: int, sr: int) -> np.ndarray:
    if rate == sr:
        return audio.astype(np.float64)
    from math import gcd

    g = gcd(rate, sr)
    return resample_poly(audio.astype(np.float64), sr // g, rate // g)


def _ramp(audio: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    k = min(len(audio) // 2, int(seconds * sr))
    if k:
        ramp = np.linspace(0.0, 1.0, k)
        audio[:k] *= ramp
        audio[-k:] *= ramp[::-1]
    return audio


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "little")
