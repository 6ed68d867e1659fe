"""Procedural sound effects: numpy/scipy synthesis, no sample files.

Every effect is a function of (samples, sample rate, random generator), so a
seed gives a repeatable variation. Tags are the storyboard's `SoundCue.tag`;
close names resolve through aliases ('seagulls' -> gulls), an unknown tag is a
warning and is skipped, never a crash. Each render is levelled to the
library loudness, so a cue's `volume_db` is relative to one common level.

`ambience_for(location)` picks the bed of sound a place has on its own
(wind on the ice, waves at sea, crickets at night), from its biome and weather.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Callable

import numpy as np
from scipy import signal

from storyagent.storyboard import Location, TimeOfDay, Weather
from storyagent.world import world

log = logging.getLogger(__name__)

LIBRARY_LUFS = -23.0
PEAK_CEILING = 10 ** (-1.0 / 20)
_EDGE_FADE = 0.01

Generator = Callable[[int, int, np.random.Generator], np.ndarray]
EFFECTS: dict[str, Generator] = {}


def effect(tag: str) -> Callable[[Generator], Generator]:
    def wrap(fn: Generator) -> Generator:
        EFFECTS[tag] = fn
        return fn

    return wrap


# -- building blocks ---------------------------------------------------------


def _band(x: np.ndarray, sr: int, lo: float | None, hi: float | None, order: int = 2) -> np.ndarray:
    nyq = sr / 2
    if lo and hi:
        sos = signal.butter(order, [lo / nyq, min(hi / nyq, 0.99)], "bandpass", output="sos")
    elif hi:
        sos = signal.butter(order, min(hi / nyq, 0.99), "lowpass", output="sos")
    else:
        sos = signal.butter(order, lo / nyq, "highpass", output="sos")
    return signal.sosfilt(sos, x)


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    pink = np.fft.irfft(spectrum, n)
    return pink / (np.std(pink) + 1e-12)


def _brown(n: int, rng: np.random.Generator) -> np.ndarray:
    brown = signal.lfilter([1.0], [1.0, -0.995], rng.standard_normal(n))
    return brown / (np.std(brown) + 1e-12)


def _drift(n: int, sr: int, rng: np.random.Generator, rate_hz: float, lo: float, hi: float) -> np.ndarray:
    """A smooth random curve between lo and hi, changing about `rate_hz` times a second."""
    points = max(4, int(n / sr * rate_hz) + 4)
    knots = rng.uniform(lo, hi, points)
    return np.interp(np.linspace(0, points - 3, n), np.arange(points), knots)


def _decay(n: int, sr: int, seconds: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (seconds * sr))


def _tone(freq: np.ndarray | float, n: int, sr: int, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(np.broadcast_to(np.asarray(freq, dtype=float), (n,))) / sr
    return sum(a * np.sin((k + 1) * phase) for k, a in enumerate(harmonics))


def _scatter(out: np.ndarray, sr: int, rng: np.random.Generator, every: float, jitter: float,
             make: Callable[[np.random.Generator], np.ndarray], start: float = 0.0) -> np.ndarray:
    """Add `make(rng)` events into `out` about every `every` seconds."""
    t = start + rng.uniform(0, jitter)
    while t * sr < len(out):
        event = make(rng)
        at = int(t * sr)
        if at < 0:  # an event already under way when the effect starts
            event, at = event[-at:], 0
        end = min(len(out), at + len(event))
        out[at:end] += event[: end - at]
        t += max(0.02, every + rng.uniform(-jitter, jitter))
    return out


def _varying_band(x: np.ndarray, sr: int, centres: np.ndarray, q: float, block: float = 0.05) -> np.ndarray:
    """Band-pass whose centre follows `centres` (per sample), updated every block."""
    step = int(block * sr)
    out = np.empty_like(x)
    zi = None
    for start in range(0, len(x), step):
        f = float(np.clip(centres[start], 40, sr * 0.45))
        b, a = signal.iirpeak(f, q, fs=sr)
        zi = signal.lfilter_zi(b, a) * x[start] if zi is None else zi
        out[start : start + step], zi = signal.lfilter(b, a, x[start : start + step], zi=zi)
    return out


def _once(n: int, event: np.ndarray) -> np.ndarray:
    """A one-shot event at the start of an `n`-sample effect (silence after)."""
    out = np.zeros(n)
    out[: min(n, len(event))] = event[:n]
    return out


# -- weather and water ---------------------------------------------------------


@effect("wind")
def wind(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    gusts = _drift(n, sr, rng, 0.4, 0.25, 1.0) ** 1.5
    body = _band(_pink(n, rng), sr, 80, 900) * gusts
    whistle = _varying_band(rng.standard_normal(n), sr, 380 + 500 * gusts, q=9) * gusts**2 * 0.5
    return body + whistle


@effect("blizzard")
def blizzard(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    gusts = _drift(n, sr, rng, 0.9, 0.45, 1.0)
    roar = _band(_pink(n, rng), sr, 60, 1400) * gusts
    howl = _varying_band(rng.standard_normal(n), sr, 500 + 700 * gusts, q=6) * gusts**2 * 0.7
    snow_hiss = _band(rng.standard_normal(n), sr, 3000, 9000) * gusts * 0.12
    return roar + howl + snow_hiss


@effect("waves")
def waves(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    swell = np.zeros(n)

    def one_wave(r: np.random.Generator) -> np.ndarray:
        length = int(r.uniform(4.0, 6.5) * sr)
        t = np.linspace(0, 1, length)
        return np.minimum(t / 0.25, 1.0) ** 2 * np.exp(-np.maximum(t - 0.25, 0) * 4.5) * r.uniform(0.7, 1.0)

    _scatter(swell, sr, rng, every=5.5, jitter=1.5, make=one_wave, start=-1.0)
    wash = _band(_pink(n, rng), sr, 150, 4000) * (0.15 + swell)
    fizz = _band(rng.standard_normal(n), sr, 2500, 9000) * swell**2 * 0.3
    return wash + fizz + _band(_brown(n, rng), sr, 30, 150) * 0.3


@effect("splash")
def splash(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(0.9 * sr)
    body = _varying_band(rng.standard_normal(m), sr, np.linspace(2500, 500, m), q=1.2) * _decay(m, sr, 0.18)
    thump = _tone(np.linspace(140, 60, m), m, sr) * _decay(m, sr, 0.08)
    drops = _scatter(np.zeros(m), sr, rng, 0.05, 0.04, lambda r: _droplet(r, sr)) * np.linspace(1, 0, m)
    return _once(n, body + 0.8 * thump + 0.3 * drops)


def _droplet(rng: np.random.Generator, sr: int) -> np.ndarray:
    m = int(0.03 * sr)
    f0 = rng.uniform(900, 2600)
    return _tone(np.linspace(f0, f0 * 1.6, m), m, sr) * _decay(m, sr, 0.008) * rng.uniform(0.3, 1.0)


@effect("underwater")
def underwater(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    murk = _band(_brown(n, rng), sr, 20, 320) * _drift(n, sr, rng, 0.3, 0.6, 1.0)

    def bubble(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(0.03, 0.08) * sr)
        f0 = r.uniform(300, 1100)
        return _tone(f0 * np.linspace(1, 1.8, m), m, sr) * np.sin(np.linspace(0, np.pi, m)) * r.uniform(0.2, 0.6)

    return murk + _scatter(np.zeros(n), sr, rng, 0.35, 0.3, bubble)


@effect("rain")
def rain(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    hiss = _band(_pink(n, rng), sr, 1500, 10000) * _drift(n, sr, rng, 0.2, 0.8, 1.0)
    drops = np.zeros(n)
    count = int(n / sr * 60)
    at = rng.integers(0, max(1, n - 400), count)
    drops[at] = rng.uniform(-1, 1, count) * 6
    return hiss + _band(drops, sr, 2000, 7000) + 0.3 * _band(_brown(n, rng), sr, 60, 300)


@effect("thunder")
def thunder(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(min(6.0, max(2.0, n / sr)) * sr)
    crack = _band(rng.standard_normal(m), sr, 300, 6000) * _decay(m, sr, 0.06) * 0.8
    rumble_env = _decay(m, sr, 1.4) * _drift(m, sr, rng, 3.0, 0.4, 1.0)
    rumble = _band(_brown(m, rng), sr, 25, 180, order=3) * rumble_env * 2.0
    return _once(n, crack + rumble)


@effect("ice-crack")
def ice_crack(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(1.6 * sr)
    clicks = np.zeros(m)
    times = np.sort(rng.uniform(0, 0.35, 14)) * sr
    clicks[times.astype(int)] = rng.uniform(0.5, 1.0, 14) * np.sign(rng.standard_normal(14))
    snap = _band(clicks, sr, 800, 9000) * 8
    ping = _tone(np.geomspace(3200, 900, m), m, sr, (1.0, 0.4)) * _decay(m, sr, 0.25) * 0.35
    boom = _tone(70.0, m, sr) * _decay(m, sr, 0.5) * 0.6
    return _once(n, snap + ping + boom)


# -- footsteps -------------------------------------------------------------------


def _steps(n: int, sr: int, rng: np.random.Generator, every: float, step: Callable[[np.random.Generator], np.ndarray]) -> np.ndarray:
    return _scatter(np.zeros(n), sr, rng, every, every * 0.08, step)


@effect("footsteps-snow")
def footsteps_snow(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def crunch(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(0.16, 0.22) * sr)
        grains = (r.random(m) < 0.02) * r.standard_normal(m) * 3 + 0.3 * r.standard_normal(m)
        env = np.sin(np.linspace(0, np.pi, m)) ** 0.6
        return _band(grains, sr, 700, 5000) * env * r.uniform(0.7, 1.0)

    return _steps(n, sr, rng, 0.55, crunch)


@effect("footsteps-ice")
def footsteps_ice(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def tap(r: np.random.Generator) -> np.ndarray:
        m = int(0.12 * sr)
        click = _band(r.standard_normal(m), sr, 1500, 8000) * _decay(m, sr, 0.006)
        f0 = r.uniform(1800, 2600)
        ring = _tone(f0, m, sr, (1.0, 0.3)) * _decay(m, sr, 0.03) * 0.25
        scrape = _band(r.standard_normal(m), sr, 3000, 9000) * _decay(m, sr, 0.05) * 0.1
        return (click + ring + scrape) * r.uniform(0.7, 1.0)

    return _steps(n, sr, rng, 0.5, tap)


@effect("footsteps-sand")
def footsteps_sand(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def shuffle(r: np.random.Generator) -> np.ndarray:
        m = int(0.25 * sr)
        env = np.sin(np.linspace(0, np.pi, m)) ** 1.5
        return _band(r.standard_normal(m), sr, 250, 2200) * env * r.uniform(0.7, 1.0)

    return _steps(n, sr, rng, 0.6, shuffle)


@effect("footsteps-wood")
def footsteps_wood(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def knock(r: np.random.Generator) -> np.ndarray:
        m = int(0.2 * sr)
        thump = _tone(r.uniform(95, 130), m, sr, (1.0, 0.5)) * _decay(m, sr, 0.035)
        board = _band(r.standard_normal(m), sr, 600, 2500, order=3) * _decay(m, sr, 0.012) * 0.8
        return (thump + board) * r.uniform(0.7, 1.0)

    return _steps(n, sr, rng, 0.5, knock)


# -- animals ---------------------------------------------------------------------


@effect("gulls")
def gulls(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def call(r: np.random.Generator) -> np.ndarray:
        out = np.zeros(int(1.2 * sr))
        base = r.uniform(1100, 1700)
        at = 0
        for _ in range(r.integers(1, 4)):
            m = int(r.uniform(0.18, 0.3) * sr)
            t = np.linspace(0, 1, m)
            contour = base * (1 + 0.35 * np.sin(np.pi * t) - 0.25 * t)
            voice = _tone(contour, m, sr, (1.0, 0.6, 0.35, 0.2)) * np.sin(np.pi * t) ** 0.5
            out[at : at + m] += voice[: len(out) - at]
            at += m + int(0.06 * sr)
            if at >= len(out):
                break
        return out * r.uniform(0.4, 1.0)

    return _scatter(np.zeros(n), sr, rng, 1.4, 0.8, call) + 0.05 * _band(_pink(n, rng), sr, 200, 3000)


@effect("penguin-colony")
def penguin_colony(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def bray(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(0.5, 1.1) * sr)
        t = np.arange(m) / sr
        pulses = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * r.uniform(5, 9) * t))  # the braying stutter
        f0 = r.uniform(280, 520) * (1 + 0.08 * np.sin(2 * np.pi * 3 * t))
        voice = _tone(f0, m, sr, (1.0, 0.8, 0.5, 0.3, 0.2)) * pulses
        return _band(voice, sr, 250, 3000) * np.sin(np.linspace(0, np.pi, m)) * r.uniform(0.2, 1.0)

    chatter = _scatter(np.zeros(n), sr, rng, 0.35, 0.3, bray)
    return chatter + 0.15 * _band(_pink(n, rng), sr, 200, 2000)


@effect("animal-call")
def animal_call(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(min(1.6, n / sr) * sr)
    t = np.linspace(0, 1, m)
    f0 = rng.uniform(160, 320) * (1 + 0.4 * np.sin(np.pi * t)) * (1 + 0.03 * np.sin(2 * np.pi * 6 * t * m / sr))
    growl = 1 + 0.3 * _band(rng.standard_normal(m), sr, 20, 60) / 0.05
    voice = _tone(f0, m, sr, (1.0, 0.7, 0.5, 0.35, 0.2)) * np.clip(growl, 0, 2)
    return _once(n, _band(voice, sr, 120, 3500) * np.sin(np.pi * t) ** 0.7)


@effect("forest-birds")
def forest_birds(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def phrase(r: np.random.Generator) -> np.ndarray:
        notes = []
        base = r.uniform(2500, 4500)
        for _ in range(r.integers(2, 7)):
            m = int(r.uniform(0.04, 0.12) * sr)
            f = base * r.uniform(0.8, 1.3) * np.linspace(1, r.uniform(0.7, 1.4), m)
            notes += [_tone(f, m, sr) * np.sin(np.linspace(0, np.pi, m)), np.zeros(int(0.03 * sr))]
        return np.concatenate(notes) * r.uniform(0.2, 0.8)

    air = 0.06 * _band(_pink(n, rng), sr, 300, 4000) * _drift(n, sr, rng, 0.3, 0.5, 1.0)
    return _scatter(np.zeros(n), sr, rng, 0.9, 0.7, phrase) + air


@effect("crickets")
def crickets(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    t = np.arange(n) / sr
    for _ in range(3):
        carrier = np.sin(2 * np.pi * rng.uniform(4200, 5200) * t)
        pulse = np.clip(np.sin(2 * np.pi * rng.uniform(28, 36) * t), 0, 1) ** 2
        chirp = (np.sin(2 * np.pi * rng.uniform(1.5, 2.5) * t + rng.uniform(0, 6)) > 0.3).astype(float)
        out += carrier * pulse * signal.lfilter([0.01], [1, -0.99], chirp) * rng.uniform(0.4, 1.0)
    return out + 0.02 * _band(_pink(n, rng), sr, 100, 2000)


# -- people, places, things -------------------------------------------------------


@effect("crowd-cheer")
def crowd_cheer(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = n
    t = np.linspace(0, 1, m)
    swell = np.minimum(t * m / sr / 0.6, 1.0) * (0.7 + 0.3 * _drift(m, sr, rng, 1.0, 0.6, 1.0))
    voices = np.zeros(m)
    for _ in range(14):
        f0 = rng.uniform(180, 420) * (1 + 0.15 * _drift(m, sr, rng, 1.5, -1, 1))
        formant = rng.choice([700, 900, 1200, 2400])
        voices += _band(_tone(f0, m, sr, (1.0, 0.6, 0.4, 0.3)), sr, formant * 0.6, formant * 1.5) * rng.uniform(0.3, 1.0)
    roar = _band(_pink(m, rng), sr, 300, 4000) * 1.5
    claps = _scatter(np.zeros(m), sr, rng, 0.03, 0.025,
                     lambda r: _band(r.standard_normal(int(0.015 * sr)), sr, 800, 6000) * r.uniform(0.2, 0.8))
    return (voices * 0.15 + roar + 0.5 * claps) * swell


@effect("heartbeat")
def heartbeat(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    def beat(r: np.random.Generator) -> np.ndarray:
        m = int(0.45 * sr)
        out = np.zeros(m)
        for at, amp in ((0, 1.0), (int(0.2 * sr), 0.7)):
            k = m - at
            out[at:] += _tone(np.linspace(70, 45, k), k, sr, (1.0, 0.6, 0.35)) * _decay(k, sr, 0.045) * amp
            # the thud's upper body, so the beat is heard on small speakers too
            out[at:] += _band(r.standard_normal(k), sr, 90, 450) * _decay(k, sr, 0.02) * amp * 0.6
        return out

    return _scatter(np.zeros(n), sr, rng, 60 / rng.uniform(66, 84), 0.02, beat)


@effect("magic-chime")
def magic_chime(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    root = rng.choice([880.0, 987.8, 1046.5, 1174.7])
    for i, step in enumerate([0, 4, 7, 12, 16, 19, 24]):
        at = int(i * 0.09 * sr)
        if at >= n:
            break
        m = min(n - at, int(1.8 * sr))
        f = root * 2 ** (step / 12)
        out[at : at + m] += _tone(f, m, sr, (1.0, 0.0, 0.2, 0.0, 0.08)) * _decay(m, sr, 0.5) * 0.6
    shimmer = _band(rng.standard_normal(n), sr, 6000, 12000) * _decay(n, sr, 0.8) * 0.08
    return out + shimmer * (rng.random(n) < 0.3)


@effect("ship-horn")
def ship_horn(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(min(3.0, n / sr) * sr)
    t = np.arange(m) / sr
    f0 = rng.uniform(85, 110) * (1 + 0.004 * np.sin(2 * np.pi * 5 * t))
    blast = _band(_tone(f0, m, sr, tuple(1 / (k + 1) for k in range(12))), sr, 60, 1500)
    env = np.minimum(t / 0.12, 1) * np.minimum((m / sr - t) / 0.4, 1)
    horn = blast * env
    echo = np.zeros(n)
    echo[: min(n, m)] += horn[: min(n, m)]
    delay = int(0.45 * sr)
    if n > delay:
        echo[delay : delay + m] += 0.3 * horn[: max(0, min(m, n - delay))]
    return echo


@effect("engine")
def engine(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    rpm = _drift(n, sr, rng, 0.3, 0.9, 1.1) * rng.uniform(22, 32)  # firing rate, Hz
    pulses = _tone(rpm, n, sr, tuple(0.8**k for k in range(24)))
    return _band(pulses, sr, 30, 1500) + 0.25 * _band(_brown(n, rng), sr, 40, 400)


@effect("city-traffic")
def city_traffic(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    rumble = _band(_pink(n, rng), sr, 40, 600) * 0.6

    def car(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(2.5, 4.5) * sr)
        t = np.linspace(-1, 1, m)
        swell = 1 / (1 + 12 * t**2)
        tyres = _varying_band(r.standard_normal(m), sr, 600 + 500 * swell, q=1.5)
        return tyres * swell * r.uniform(0.5, 1.2)

    cars = _scatter(np.zeros(n), sr, rng, 2.0, 1.5, car, start=-1.0)

    def honk(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(0.15, 0.4) * sr)
        return _tone(r.uniform(380, 480), m, sr, (1.0, 0.5, 0.3)) * 0.25

    return rumble + cars + _scatter(np.zeros(n), sr, rng, 7.0, 4.0, honk, start=2.0)


@effect("fire-crackle")
def fire_crackle(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    roar = _band(_brown(n, rng), sr, 40, 500) * _drift(n, sr, rng, 1.0, 0.5, 1.0) * 0.5

    def pop(r: np.random.Generator) -> np.ndarray:
        m = int(r.uniform(0.005, 0.03) * sr)
        return _band(r.standard_normal(m), sr, 1000, 8000) * _decay(m, sr, 0.004) * r.uniform(0.3, 2.0)

    return roar + _scatter(np.zeros(n), sr, rng, 0.09, 0.08, pop)


@effect("whoosh")
def whoosh(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(min(1.2, n / sr) * sr)
    t = np.linspace(0, 1, m)
    bell = np.exp(-((t - 0.55) ** 2) / 0.03)
    return _once(n, _varying_band(rng.standard_normal(m), sr, 300 + 2500 * bell, q=1.5, block=0.01) * bell)


@effect("door")
def door(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    m = int(min(1.6, n / sr) * sr)
    creak_len = int(m * 0.7)
    t = np.linspace(0, 1, creak_len)
    f = rng.uniform(180, 260) * (1 + 0.6 * t) * (1 + 0.05 * _drift(creak_len, sr, rng, 20, -1, 1))
    stick = (np.sin(2 * np.pi * np.cumsum(f) / sr) > 0.9).astype(float)  # stick-slip: the creak's rasp
    creak = _band(stick, sr, 300, 3000) * np.sin(np.pi * t) * 0.8
    k = m - creak_len
    slam = _tone(np.linspace(110, 70, k), k, sr, (1.0, 0.4)) * _decay(k, sr, 0.06)
    slam += _band(rng.standard_normal(k), sr, 400, 3000) * _decay(k, sr, 0.01)
    return _once(n, np.concatenate([creak, slam]))


@effect("bell")
def bell(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    base = rng.uniform(300, 520)
    partials = [(0.56, 0.6), (0.92, 0.5), (1.19, 0.4), (1.71, 0.3), (2.0, 0.35), (2.74, 0.2), (3.0, 0.2), (3.76, 0.1)]

    def strike(r: np.random.Generator) -> np.ndarray:
        m = int(3.0 * sr)
        return sum(a * _tone(base * p, m, sr) * _decay(m, sr, 1.8 / p) for p, a in partials)

    return _scatter(np.zeros(n), sr, rng, 2.5, 0.0, strike)


# -- names -----------------------------------------------------------------------

ALIASES = {
    "breeze": "wind", "gust": "wind", "snowstorm": "blizzard", "storm": "blizzard",
    "ocean": "waves", "sea": "waves", "surf": "waves", "shore": "waves",
    "dive": "splash", "splashing": "splash", "bubbles": "underwater", "bubble": "underwater",
    "footsteps": "footsteps-wood", "steps": "footsteps-wood", "walking": "footsteps-wood",
    "snow-steps": "footsteps-snow", "crunch": "footsteps-snow", "ice-steps": "footsteps-ice",
    "sand-steps": "footsteps-sand", "ice-break": "ice-crack", "crack": "ice-crack", "creak": "door",
    "seagull": "gulls", "seagulls": "gulls", "gull": "gulls", "penguin": "penguin-colony",
    "penguins": "penguin-colony", "colony": "penguin-colony", "animal": "animal-call", "roar": "animal-call",
    "growl": "animal-call", "howl": "animal-call", "swoosh": "whoosh", "swish": "whoosh",
    "lightning": "thunder", "thunderstorm": "thunder", "rainfall": "rain", "drizzle": "rain",
    "fire": "fire-crackle", "campfire": "fire-crackle", "crackle": "fire-crackle", "cheer": "crowd-cheer",
    "cheering": "crowd-cheer", "crowd": "crowd-cheer", "applause": "crowd-cheer", "heart": "heartbeat",
    "chime": "magic-chime", "magic": "magic-chime", "sparkle": "magic-chime", "twinkle": "magic-chime",
    "horn": "ship-horn", "foghorn": "ship-horn", "motor": "engine", "car": "engine", "traffic": "city-traffic",
    "city": "city-traffic", "birds": "forest-birds", "birdsong": "forest-birds", "cricket": "crickets",
    "night": "crickets", "knock": "door", "door-creak": "door", "door-slam": "door", "bells": "bell",
}


def resolve_tag(tag: str) -> str | None:
    """The library effect a cue's tag names, allowing aliases and near misses; None if none."""
    name = "-".join(tag.strip().lower().replace("_", " ").split())
    if name in EFFECTS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    close = difflib.get_close_matches(name, list(EFFECTS) + list(ALIASES), n=1, cutoff=0.8)
    if close:
        return ALIASES.get(close[0], close[0])
    return None


def render_effect(tag: str, seconds: float, sr: int = 48000, seed: int = 0) -> np.ndarray:
    """`seconds` of effect `tag` as float32 mono at the library level. Unknown
    tags raise KeyError; `render_cue` is the forgiving entry for storyboards."""
    name = resolve_tag(tag)
    if name is None:
        raise KeyError(f"no sound effect '{tag}'; known: {', '.join(sorted(EFFECTS))}")
    n = max(1, round(seconds * sr))
    digest = hashlib.sha256(f"{name}:{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    audio = np.asarray(EFFECTS[name](n, sr, rng), dtype=np.float64)[:n]
    audio = np.pad(audio, (0, n - len(audio)))
    return _fade(_to_library_level(audio, sr), sr).astype(np.float32)


def render_cue(tag: str, seconds: float, sr: int = 48000, seed: int = 0) -> np.ndarray | None:
    """Like `render_effect`, but an unknown tag logs a warning and gives None."""
    try:
        return render_effect(tag, seconds, sr, seed)
    except KeyError as err:
        log.warning("%s; cue skipped", err.args[0])
        return None


def _to_library_level(audio: np.ndarray, sr: int) -> np.ndarray:
    import pyloudnorm

    measured = audio if len(audio) >= sr // 2 else np.pad(audio, (0, sr // 2 - len(audio)))
    loudness = pyloudnorm.Meter(sr).integrated_loudness(measured)
    if np.isfinite(loudness):
        audio = audio * 10 ** ((LIBRARY_LUFS - loudness) / 20)
    peak = np.max(np.abs(audio))
    return audio * (PEAK_CEILING / peak) if peak > PEAK_CEILING else audio


def _fade(audio: np.ndarray, sr: int) -> np.ndarray:
    k = min(len(audio) // 2, int(_EDGE_FADE * sr))
    if k:
        ramp = np.linspace(0, 1, k)
        audio[:k] *= ramp
        audio[-k:] *= ramp[::-1]
    return audio


# -- ambience --------------------------------------------------------------------

_WEATHER_BEDS: dict[Weather, list[tuple[str, float]]] = {
    Weather.SNOW: [("wind", -4.0)],
    Weather.RAIN: [("rain", -2.0)],
    Weather.STORM: [("blizzard", 0.0)],
    Weather.CLOUDY: [("wind", -8.0)],
}


def ambience_for(location: Location) -> list[tuple[str, float]]:
    """(tag, volume_db) beds that play under every shot in `location`: its biome card's ambience (by day or
    by night), then its weather's."""
    card = world().biome(location.biome)
    beds = list(card.sounds_at(night=location.time_of_day == TimeOfDay.NIGHT).items())
    weather = list(_WEATHER_BEDS.get(location.weather, []))
    if location.weather == Weather.STORM and not card.snow:
        weather = [("rain", 0.0), ("thunder", -2.0)]
    chosen: dict[str, float] = {}
    for tag, db in beds + weather:
        chosen[tag] = max(db, chosen.get(tag, -99.0))  # wind from the biome and the weather: once, louder
    return list(chosen.items())
