"""The score: music composed from the timeline's sections, one mood each.

A mood fixes key, mode, tempo, chord progression and instruments. Each
section gets a melody (a motif repeated over the chords, strong beats on chord
tones), an accompaniment pattern, a pad and a bass line; neighbouring sections
cross-fade (equal power) at the scene change, and the last one ends on a
V-I cadence held to the end of the film.

Rendered with FluidSynth and a General MIDI SoundFont when both are installed
(`pip install pyfluidsynth`, Debian `fluidsynth fluid-soundfont-gm`), else with
a small built-in additive synthesiser, so the score works pip-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from storyagent.cache import atomic_path
from storyagent.storyboard import Mood
from storyagent.timeline import MusicSection, Timeline

CROSSFADE = 1.6  # seconds two sections overlap at a scene change
MUSIC_LUFS = -20.0  # level of the rendered stem before the mix places it
SOUNDFONT_ENV = "STORYAGENT_SOUNDFONT"
SOUNDFONTS = [
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
]

SCALES = {
    "major": [0, 2, 4, 5, 7, 9, 11],
    "minor": [0, 2, 3, 5, 7, 8, 10],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
}


class MoodStyle(BaseModel):
    tonic: int  # MIDI note of the key's tonic in octave 4
    mode: str
    tempo: float  # beats per minute
    progression: list[int]  # scale degrees, one chord per bar
    melody: int  # General MIDI programs
    accompaniment: int
    pad: int
    bass: int
    pattern: str  # accompaniment figure: arpeggio, block or pulse
    notes_per_bar: int  # melody density
    velocity: int


STYLES: dict[Mood, MoodStyle] = {
    Mood.CALM: MoodStyle(tonic=65, mode="major", tempo=72, progression=[1, 6, 4, 5], melody=73, accompaniment=0,
                         pad=48, bass=32, pattern="arpeggio", notes_per_bar=3, velocity=64),
    Mood.TENDER: MoodStyle(tonic=70, mode="major", tempo=66, progression=[1, 5, 6, 4], melody=71, accompaniment=0,
                           pad=49, bass=32, pattern="arpeggio", notes_per_bar=3, velocity=60),
    Mood.JOYFUL: MoodStyle(tonic=62, mode="major", tempo=116, progression=[1, 4, 5, 1], melody=72, accompaniment=45,
                           pad=48, bass=45, pattern="pulse", notes_per_bar=6, velocity=84),
    Mood.PLAYFUL: MoodStyle(tonic=67, mode="major", tempo=124, progression=[1, 2, 5, 1], melody=71, accompaniment=45,
                            pad=48, bass=70, pattern="pulse", notes_per_bar=5, velocity=78),
    Mood.ADVENTUROUS: MoodStyle(tonic=62, mode="dorian", tempo=104, progression=[1, 7, 4, 1], melody=60,
                                accompaniment=48, pad=48, bass=43, pattern="pulse", notes_per_bar=4, velocity=82),
    Mood.TENSE: MoodStyle(tonic=62, mode="minor", tempo=92, progression=[1, 6, 4, 5], melody=68, accompaniment=44,
                          pad=49, bass=43, pattern="pulse", notes_per_bar=2, velocity=72),
    Mood.SAD: MoodStyle(tonic=69, mode="minor", tempo=60, progression=[1, 6, 4, 5], melody=42, accompaniment=0,
                        pad=49, bass=32, pattern="arpeggio", notes_per_bar=2, velocity=56),
    Mood.MYSTERIOUS: MoodStyle(tonic=64, mode="minor", tempo=70, progression=[1, 6, 3, 4], melody=8, accompaniment=46,
                               pad=52, bass=43, pattern="arpeggio", notes_per_bar=3, velocity=62),
    Mood.TRIUMPHANT: MoodStyle(tonic=60, mode="major", tempo=100, progression=[1, 4, 5, 1], melody=56,
                               accompaniment=61, pad=48, bass=58, pattern="block", notes_per_bar=4, velocity=92),
    Mood.EPIC: MoodStyle(tonic=60, mode="minor", tempo=84, progression=[1, 6, 3, 7], melody=60, accompaniment=48,
                         pad=52, bass=43, pattern="pulse", notes_per_bar=3, velocity=90),
}


class SectionScore(BaseModel):
    """One section's notes, in seconds from the section's own start (negative:
    the lead-in heard under the previous section's fade)."""

    model_config = {"arbitrary_types_allowed": True}

    start: float
    duration: float
    fade_in: float
    fade_out: float
    midi: object  # pretty_midi.PrettyMIDI


# -- composing ---------------------------------------------------------------------


def _chord(style: MoodStyle, degree: int, cadence: bool = False) -> list[int]:
    """Triad on a scale degree, as MIDI notes around the tonic; a minor key's V is
    made major at a cadence (harmonic minor), so the ending resolves."""
    scale = SCALES[style.mode]
    notes = []
    for step in (0, 2, 4):
        index = degree - 1 + step
        notes.append(style.tonic + scale[index % 7] + 12 * (index // 7))
    if cadence and degree == 5 and style.mode != "major":
        notes[1] += 1
    return notes


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "little")


def compose_section(section: MusicSection, *, first: bool, last: bool, seed: int = 0) -> SectionScore:
    pretty_midi = _pretty_midi()

    style = STYLES[section.mood]
    rng = np.random.default_rng(_seed(seed, section.scene_id, section.mood.value))
    beat = 60.0 / style.tempo
    # To the microsecond: a scene moved by an edit keeps its length but not always its last bits
    # (an end minus a start), and its notes, to the sample, must not change with them.
    length = round(section.duration, 6)
    bars = max(1, round(length / (4 * beat)))
    bar = length / bars  # the tempo bends a little so bars fill the section exactly
    beat = bar / 4
    degrees = [style.progression[i % len(style.progression)] for i in range(bars)]
    if last and bars >= 2:
        degrees[-2:] = [5, 1]
    elif last:
        degrees[-1] = 1
    lead_in = 0.0 if first else CROSSFADE / 2
    ring = CROSSFADE / 2 if not last else 0.0

    parts = {name: pretty_midi.Instrument(program=program, name=f"{section.scene_id} {name}")
             for name, program in (("melody", style.melody), ("accompaniment", style.accompaniment),
                                   ("pad", style.pad), ("bass", style.bass))}

    def add(part: str, pitch: int, start: float, end: float, velocity: int) -> None:
        velocity = int(np.clip(velocity + rng.integers(-4, 5), 1, 127))
        parts[part].notes.append(pretty_midi.Note(velocity=velocity, pitch=int(pitch), start=start, end=end))

    motif = _motif(style, rng)
    previous = style.tonic + 12
    for i, degree in enumerate(degrees):
        t0 = i * bar
        final = last and i == bars - 1
        chord = _chord(style, degree, cadence=last and i >= bars - 2)
        pad_start = t0 - lead_in if i == 0 else t0
        pad_end = t0 + bar + (ring if i == bars - 1 else 0.0)
        for pitch in chord:
            add("pad", pitch - 12, pad_start, pad_end, style.velocity - 22)
        add("bass", chord[0] - 24, pad_start, t0 + (bar if final else 2 * beat), style.velocity - 6)
        if not final:
            add("bass", chord[0] - 24 + (7 if rng.random() < 0.5 else 0), t0 + 2 * beat, t0 + bar, style.velocity - 10)
        _accompany(add, style, chord, t0, beat, final)
        if final:
            add("melody", _nearest(style.tonic + 12, previous), t0, t0 + bar, style.velocity)
            continue
        for onset, length, strong in motif:
            if strong:
                pitch = _nearest_of([p + 12 for p in chord], previous)
            else:
                pitch = _step(style, previous, int(rng.choice([-2, -1, 1, 2])))
            add("melody", pitch, t0 + onset * beat, t0 + (onset + length) * beat * 0.95, style.velocity)
            previous = pitch

    midi = pretty_midi.PrettyMIDI(initial_tempo=60.0 / beat)
    midi.instruments.extend(p for p in parts.values() if p.notes)
    return SectionScore(start=section.start, duration=section.duration, fade_in=lead_in * 2, fade_out=ring * 2, midi=midi)


def _motif(style: MoodStyle, rng: np.random.Generator) -> list[tuple[float, float, bool]]:
    """One bar's melody rhythm: (onset beat, length in beats, on a strong beat)."""
    count = max(1, style.notes_per_bar + int(rng.integers(-1, 2)))
    grid = np.arange(0, 4, 0.5)
    onsets = sorted({0.0, *rng.choice(grid[1:], size=min(count - 1, len(grid) - 1), replace=False).tolist()})
    ends = onsets[1:] + [4.0]
    return [(on, end - on, on in (0.0, 2.0)) for on, end in zip(onsets, ends)]


def _nearest(target: int, previous: int) -> int:
    return min((target + 12 * k for k in (-1, 0, 1)), key=lambda p: abs(p - previous))


def _nearest_of(chord: list[int], previous: int) -> int:
    return min((_nearest(p, previous) for p in chord), key=lambda p: abs(p - previous))


def _step(style: MoodStyle, previous: int, steps: int) -> int:
    """Move `steps` scale steps from `previous`, kept in the melody's range."""
    scale = [style.tonic + 12 * octave + s for octave in (-1, 0, 1, 2) for s in SCALES[style.mode]]
    index = min(range(len(scale)), key=lambda i: abs(scale[i] - previous))
    pitch = scale[int(np.clip(index + steps, 0, len(scale) - 1))]
    low, high = style.tonic + 3, style.tonic + 22
    return pitch if low <= pitch <= high else _step(style, previous, -steps)


def _accompany(add, style: MoodStyle, chord: list[int], t0: float, beat: float, final: bool) -> None:
    velocity = style.velocity - 14
    if final or style.pattern == "block":
        for pitch in chord:
            add("accompaniment", pitch, t0, t0 + (4 if final else 2) * beat, velocity)
        if not final:
            for pitch in chord:
                add("accompaniment", pitch, t0 + 2 * beat, t0 + 4 * beat, velocity - 6)
    elif style.pattern == "arpeggio":
        figure = [chord[0], chord[1], chord[2], chord[0] + 12, chord[2], chord[1], chord[2], chord[0] + 12]
        for k, pitch in enumerate(figure):
            add("accompaniment", pitch, t0 + k * beat / 2, t0 + (k + 1) * beat / 2 + beat, velocity - 4 * (k % 2))
    else:  # pulse: repeated short chords on every beat
        for k in range(4):
            for pitch in chord:
                add("accompaniment", pitch, t0 + k * beat, t0 + k * beat + 0.45 * beat, velocity - (0 if k % 2 == 0 else 8))


def compose(timeline: Timeline, seed: int = 0) -> list[SectionScore]:
    sections = timeline.music
    return [compose_section(s, first=i == 0, last=i == len(sections) - 1, seed=seed) for i, s in enumerate(sections)]


def write_midi(sections: list[SectionScore], path: Path) -> Path:
    """The whole score as one MIDI file (each section's parts as their own tracks), for an editor or DAW."""
    pretty_midi = _pretty_midi()

    score = pretty_midi.PrettyMIDI()
    for section in sections:
        for part in section.midi.instruments:
            shifted = pretty_midi.Instrument(program=part.program, name=part.name)
            shifted.notes = [pretty_midi.Note(n.velocity, n.pitch, max(0.0, n.start + section.start), n.end + section.start)
                             for n in part.notes]
            score.instruments.append(shifted)
    with atomic_path(path) as tmp:
        score.write(str(tmp))
    return path


# -- rendering -----------------------------------------------------------------------


def find_soundfont() -> Path | None:
    candidates = [os.environ.get(SOUNDFONT_ENV, "")] + SOUNDFONTS
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def _import_fluidsynth():
    # pyfluidsynth prints where it found the library when $CI is set, which
    # would break the JSON lines that `--log-json` writes to stdout.
    with contextlib.redirect_stdout(io.StringIO()):
        import fluidsynth
    return fluidsynth


def _pretty_midi():
    """pretty_midi, whose import loads libfluidsynth and fails outright (OSError) when the library is
    listed but broken or gone: then it is imported as if FluidSynth were not installed at all."""
    try:
        _import_fluidsynth()
    except (ImportError, OSError):
        sys.modules.setdefault("fluidsynth", None)  # `import fluidsynth` now raises ImportError, which it handles
    import pretty_midi

    return pretty_midi


def fluidsynth_available() -> bool:
    try:
        _import_fluidsynth()
    except (ImportError, OSError):  # the binding, or the libfluidsynth it loads, is missing
        return False
    return find_soundfont() is not None


def render_score(timeline: Timeline, sr: int = 48000, seed: int = 0, synth: str | None = None,
                 midi_path: Path | None = None) -> tuple[np.ndarray, str]:
    """The score as a float32 mono stem as long as the timeline, and the synth
    used ('fluidsynth' or 'builtin'; None chooses the best available)."""
    sections, synth = render_sections(timeline, sr, seed, synth, midi_path)
    out = np.zeros(round(timeline.duration * sr), dtype=np.float64)
    for at, audio in sections:
        start, skip = max(0, at), max(0, -at)
        end = min(len(out), start + len(audio) - skip)
        out[start:end] += audio[skip : skip + end - start]
    return _to_level(out, sr).astype(np.float32), synth


def render_sections(timeline: Timeline, sr: int = 48000, seed: int = 0, synth: str | None = None,
                    midi_path: Path | None = None,
                    cache: SectionCache | None = None) -> tuple[Iterator[tuple[int, np.ndarray]], str]:
    """The score one section at a time, rendered only when the iterator gets to
    it: (film sample where the audio starts, audio), in the order of
    `timeline.music`. A section starts up to CROSSFADE / 2 before its own start
    (its lead-in under the previous one's fade); the sections add up to the score
    (before `render_score` levels it), the film's closing fade included.
    With a `cache`, a section whose notes were rendered before is read back instead
    (its fades, which depend on where it sits, are applied after), and the SoundFont
    is loaded only if some section has to be rendered."""
    synth = synth or ("fluidsynth" if fluidsynth_available() else "builtin")
    sections = compose(timeline, seed)
    if midi_path is not None:
        write_midi(sections, midi_path)
    return _render_lazily(sections, timeline.duration, sr, synth, cache), synth


class SectionCache(Protocol):
    def get(self, kind: str, inputs: object, make: Callable[[], np.ndarray]) -> np.ndarray:
        """The audio `inputs` make: kept from an earlier mix, or `make()`."""
        ...


def made_from(midi, sr: int, synth: str) -> dict:
    """Everything a section's rendered audio depends on (the code aside): the rate, the synth
    and what it plays. FluidSynth plays notes on and off at whole samples, so a section moved
    by an edit, whose note times differ from before in their last bits, is still the same
    section; it also needs its SoundFont file. The built-in synth takes the notes as they are."""
    if synth != "fluidsynth":
        return {"rate": sr, "synth": synth, "parts": [
            [part.program, [[n.start, n.end, n.pitch, n.velocity] for n in part.notes]] for part in midi.instruments]}
    font = find_soundfont()
    info = font.stat() if font is not None else None
    programs, events = _FluidSynth.events(midi, sr)
    return {"rate": sr, "synth": synth, "programs": programs, "events": events,
            "soundfont": [str(font), info.st_size, info.st_mtime_ns] if info is not None else None}


def _render_lazily(sections: list[SectionScore], duration: float, sr: int, synth: str,
                   cache: SectionCache | None = None) -> Iterator[tuple[int, np.ndarray]]:
    # The closing fade ends one sample past the film, where the score always ended.
    fade = int(min(3.0, duration / 4) * sr)
    fade_start = round(duration * sr) + 1 - fade
    renderer: _FluidSynth | _Builtin | None = None

    def render(midi) -> np.ndarray:
        nonlocal renderer
        if renderer is None:  # the SoundFont loads when a section first needs it
            renderer = _FluidSynth(sr) if synth == "fluidsynth" else _Builtin(sr)
        return renderer.render(midi)

    try:
        for section in sections:
            midi = section.midi
            if cache is None:
                audio = render(midi)
            else:
                audio = cache.get("section", made_from(midi, sr, synth), lambda midi=midi: _compact(render(midi)))
            audio = _fades(audio, sr, section.fade_in, section.fade_out)
            at = round((section.start - _lead_in(midi)) * sr)
            lo, hi = max(at, fade_start), min(at + len(audio), fade_start + fade)
            if hi > lo:
                audio[lo - at : hi - at] *= np.linspace(0.0, 1.0, fade)[::-1][lo - fade_start : hi - fade_start]
            yield at, audio
    finally:
        if renderer is not None:
            renderer.close()


def _compact(audio: np.ndarray) -> np.ndarray:
    """`audio` in float32 when that holds it exactly (FluidSynth's 16-bit samples averaged to mono
    do), so a kept section takes half the space; else as it is."""
    narrow = audio.astype(np.float32)
    return narrow if np.array_equal(narrow, audio) else audio


def _lead_in(midi) -> float:
    """Seconds the section's first note sounds before the section's start (its lead-in)."""
    return -min((n.start for part in midi.instruments for n in part.notes), default=0.0)


def _fades(audio: np.ndarray, sr: int, fade_in: float, fade_out: float, equal_power: bool = True) -> np.ndarray:
    audio = audio.astype(np.float64, copy=True)
    for seconds, head in ((fade_in, True), (fade_out, False)):
        k = min(len(audio), int(seconds * sr))
        if k <= 0:
            continue
        ramp = np.linspace(0.0, 1.0, k)
        ramp = np.sin(ramp * np.pi / 2) if equal_power else ramp
        if head:
            audio[:k] *= ramp
        else:
            audio[-k:] *= ramp[::-1]
    return audio


def _to_level(audio: np.ndarray, sr: int) -> np.ndarray:
    import pyloudnorm

    loudness = pyloudnorm.Meter(sr).integrated_loudness(audio) if len(audio) > sr else -np.inf
    if not np.isfinite(loudness):
        return audio
    return audio * 10 ** ((MUSIC_LUFS - loudness) / 20)


def _trim_tail(audio: np.ndarray, sr: int, floor_db: float = -60.0) -> np.ndarray:
    """Cut the reverb tail once it is `floor_db` below the peak."""
    peak = np.max(np.abs(audio)) if len(audio) else 0.0
    if peak == 0:
        return audio
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (floor_db / 20))
    return audio[: loud[-1] + 1 + sr // 100]


class _FluidSynth:
    """A General MIDI SoundFont through libfluidsynth. Each section is rendered by a
    synth of its own, so it sounds the same whatever was rendered before it (a
    cached section must equal a fresh one): a synth carries its reverb and chorus,
    its dither and its 64-sample block grid from one section into the next, and
    `system_reset` clears none of them (measured: up to 0.1 apart). The first synth
    keeps its SoundFont loaded until `close`, so the next ones share its samples
    through FluidSynth's sample cache (a load in 0.05 s instead of 0.16 s)."""

    TAIL = 2.5  # seconds rendered after the last note-off, for the release and reverb

    def __init__(self, sr: int) -> None:
        self.sr = sr
        self.font_path = str(find_soundfont())
        self.holder, self.font = self._synth()
        self.used = False

    def _synth(self) -> tuple[object, int]:
        fluidsynth = _import_fluidsynth()
        synth = fluidsynth.Synth(samplerate=float(self.sr), gain=0.6)
        return synth, synth.sfload(self.font_path)

    def render(self, midi) -> np.ndarray:
        if not self.used:  # the first synth is as fresh as any
            self.used = True
            return self._render(self.holder, self.font, midi)
        synth, font = self._synth()
        try:
            return self._render(synth, font, midi)
        finally:
            synth.delete()

    @staticmethod
    def events(midi, sr: int) -> tuple[list[int], list[tuple[int, bool, int, int, int]]]:
        """The program on each channel, and the notes as (sample, on, channel, pitch, velocity)
        in the order they are played."""
        channels = [c for c in range(16) if c != 9]
        events = []
        offset = _lead_in(midi)
        for channel, part in zip(channels, midi.instruments):
            for note in part.notes:
                events.append((note.start + offset, True, channel, note.pitch, note.velocity))
                events.append((note.end + offset, False, channel, note.pitch, 0))
        events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same instant
        programs = [part.program for _, part in zip(channels, midi.instruments)]
        return programs, [(int(time * sr), on, channel, pitch, velocity) for time, on, channel, pitch, velocity in events]

    def _render(self, synth, font: int, midi) -> np.ndarray:
        programs, events = self.events(midi, self.sr)
        for channel, program in zip((c for c in range(16) if c != 9), programs):
            synth.program_select(channel, font, 0, program)
        chunks, now = [], 0
        for sample, on, channel, pitch, velocity in events:
            if sample > now:
                chunks.append(self._mono(synth.get_samples(sample - now)))
                now = sample
            if on:
                synth.noteon(channel, pitch, velocity)
            else:
                synth.noteoff(channel, pitch)
        chunks.append(self._mono(synth.get_samples(int(self.TAIL * self.sr))))
        return _trim_tail(np.concatenate(chunks), self.sr)

    @staticmethod
    def _mono(stereo: np.ndarray) -> np.ndarray:
        """Interleaved 16-bit stereo as float mono, a chunk at a time: a section's
        stereo float samples would take twice the memory of the mono result."""
        return (stereo.astype(np.float64).reshape(-1, 2) / 32768.0).mean(axis=1)

    def close(self) -> None:
        self.holder.delete()


class _Builtin:
    """Additive synthesis by instrument family, with a little room reverb: no SoundFont needed."""

    RATE = 24000  # synthesised here, then resampled: the score needs nothing above 12 kHz

    def __init__(self, sr: int) -> None:
        self.sr = sr
        rng = np.random.default_rng(7)
        n = int(1.2 * self.RATE)
        self.room = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.3 * self.RATE))  # ~2 s decay to -60 dB

    def render(self, midi) -> np.ndarray:
        """A section's notes alone: nothing carries from one section to the next."""
        from scipy.signal import fftconvolve, resample_poly

        offset = _lead_in(midi)
        end = max((n.end for part in midi.instruments for n in part.notes), default=0.0) + offset
        dry = np.zeros(int((end + 1.0) * self.RATE))
        for part in midi.instruments:
            for note in part.notes:
                tone = _voice(part.program, note.pitch, note.end - note.start, note.velocity / 127, self.RATE)
                at = int((note.start + offset) * self.RATE)
                stop = min(len(dry), at + len(tone))
                dry[at:stop] += tone[: stop - at]
        wet = fftconvolve(dry, self.room)[: len(dry) + len(self.room)]
        wet *= np.sqrt(np.mean(dry**2) / (np.mean(wet**2) + 1e-12)) * 0.35
        mixed = np.pad(dry, (0, len(wet) - len(dry))) + wet
        return _trim_tail(resample_poly(mixed, self.sr // 1000, self.RATE // 1000), self.sr)

    def close(self) -> None:
        pass


def _voice(program: int, pitch: int, length: float, loudness: float, sr: int) -> np.ndarray:
    """One note of a General MIDI program's family, as (attack, harmonics, decay, release)."""
    freq = 440.0 * 2 ** ((pitch - 69) / 12)
    family = program // 8
    plucked = family in (0, 1, 3) or program in (45, 46, 47)
    release = 0.08 if plucked else 0.25
    n = int((length + release) * sr)
    t = np.arange(n) / sr
    if family == 1:  # celesta, glockenspiel, music box: bell partials
        harmonics, decay, attack = (1.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.1), 0.7, 0.002
    elif plucked:  # piano, guitar, pizzicato, harp
        harmonics, decay, attack = (1.0, 0.5, 0.3, 0.18, 0.1, 0.06), 0.5 + 60 / freq, 0.004
    elif family == 4:  # bass
        harmonics, decay, attack = (1.0, 0.45, 0.15), 1.2, 0.01
    elif family in (5, 6, 11):  # strings, ensembles, choir, pads
        harmonics, decay, attack = tuple(0.9 / k for k in range(1, 9)), 0.0, 0.18
    elif family == 7:  # brass
        harmonics, decay, attack = tuple(1.0 / k**0.7 for k in range(1, 9)), 0.0, 0.05
    elif program in (71, 72):  # clarinets: odd harmonics
        harmonics, decay, attack = (1.0, 0.05, 0.45, 0.03, 0.25, 0.02, 0.12), 0.0, 0.04
    else:  # flutes, oboes, everything else: near-sine
        harmonics, decay, attack = (1.0, 0.3, 0.12, 0.05), 0.0, 0.05
    vibrato = 1 + (0.004 * np.sin(2 * np.pi * 5.2 * t) * np.minimum(t / 0.4, 1) if not plucked else 0)
    phase = 2 * np.pi * freq * np.cumsum(vibrato) / sr
    nyquist_ok = [(k, a) for k, a in enumerate(harmonics, start=1) if a and k * freq < sr / 2.2]
    tone = sum(a * np.sin(k * phase) for k, a in nyquist_ok)
    envelope = np.minimum(t / attack, 1.0)
    if decay:
        envelope *= np.exp(-t / decay)
    envelope *= np.clip((length + release - t) / release, 0.0, 1.0)
    return tone * envelope * loudness * 0.2
