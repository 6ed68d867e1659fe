"""Streaming: block-by-block meters agree with whole-signal ones, and the mix's
memory does not grow with the film's length."""

from __future__ import annotations

import tracemalloc
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from storyagent.sound.mix import BED_FADE, MAX_BED, ambience_placements, mix, true_peak_db
from storyagent.sound.music import CROSSFADE, render_score, render_sections
from storyagent.sound.stream import LoudnessMeter, PeakMeter
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline, build_timeline
from storyagent.voice import cast_voices
from storyagent.voice.speak import speak_lines
from tests.helpers.sound_boards import score_timeline, small_board

SR = 48000


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    t = np.arange(12 * SR) / SR
    noise = rng.standard_normal(len(t))
    return {
        "steady tone": 0.3 * np.sin(2 * np.pi * 997 * t),
        "noise with quiet stretches": noise * np.where((t % 3) < 2, 0.2, 0.002),  # the relative gate drops the quiet
        "bursts in silence": noise * 0.5 * ((t % 1.3) < 0.25),  # the absolute gate drops the silence
        "bass and treble": 0.2 * np.sin(2 * np.pi * 50 * t) + 0.05 * np.sin(2 * np.pi * 8000 * t),
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_streamed_loudness_matches_pyloudnorm(name):
    signal = _signals()[name]
    meter = LoudnessMeter(SR)
    for start in range(0, len(signal), 12345):  # blocks that fit neither 100 ms steps nor the signal
        meter.add(signal[start : start + 12345])
    assert meter.integrated() == pytest.approx(pyloudnorm.Meter(SR).integrated_loudness(signal), abs=0.1)


def test_silence_measures_minus_infinity():
    meter = LoudnessMeter(SR)
    meter.add(np.zeros(3 * SR))
    assert meter.integrated() == float("-inf")


def test_streamed_true_peak_matches_the_whole_signal():
    t = np.arange(5 * SR) / SR
    # A quarter-rate tone sampled 45 degrees off its crests: every sample 3 dB under the true peak.
    signal = 0.5 * np.sin(2 * np.pi * SR / 4 * t + np.pi / 4) * np.minimum(1.0, t)
    meter = PeakMeter()
    for start in range(0, len(signal), 4801):
        meter.add(signal[start : start + 4801])
    assert meter.db() == pytest.approx(true_peak_db(signal), abs=0.01)
    assert meter.db() > 20 * np.log10(np.max(np.abs(signal))) + 2.5  # it does see between the samples



def test_true_peaks_read_only_where_they_may_pass_a_level_are_the_true_peaks_there():
    """The limiter and the peak meter oversample only the stretches that may pass their level:
    there, the true peak is exactly what oversampling the whole signal gives; elsewhere it cannot
    pass the level."""
    from scipy.signal import resample_poly

    from storyagent.sound.stream import oversampled_peaks

    rng = np.random.default_rng(5)
    t = np.arange(3 * SR) / SR
    # Quiet noise with loud bursts, and inter-sample peaks: a quarter-rate tone 45 degrees off its crests.
    signal = 0.02 * rng.standard_normal(len(t)) + np.sin(2 * np.pi * SR / 4 * t + np.pi / 4) * ((t % 0.7) < 0.05)
    whole = np.abs(resample_poly(signal, 4, 1)).reshape(-1, 4).max(axis=1)
    for level in (0.5, 0.9, 1.2):
        peaks = oversampled_peaks(signal, level)
        may_pass = peaks > 0
        assert 0 < may_pass.mean() < 0.5  # most of the signal is not oversampled
        assert np.array_equal(peaks[may_pass], whole[may_pass])
        assert np.all(whole[~may_pass] <= level)
        assert np.array_equal(whole > level, peaks > level)

def test_score_sections_add_up_to_the_score():
    timeline = score_timeline()
    whole, _ = render_score(timeline, SR, synth="builtin")
    sections, _ = render_sections(timeline, SR, synth="builtin")
    summed = np.zeros(len(whole))
    for (at, audio), section in zip(sections, timeline.music):
        assert section.start * SR - CROSSFADE / 2 * SR <= at <= section.start * SR
        summed[at : at + len(audio)] += audio[: len(summed) - at]
    assert np.corrcoef(summed, whole)[0, 1] > 0.99999


def test_a_long_stay_in_one_place_gets_successive_cross_faded_beds():
    board = small_board("en").model_dump(mode="json")
    scene = board["scenes"][0]
    scene["shots"] = [dict(shot, id=f"{shot['id']}_{k}") for k in range(8) for shot in scene["shots"]]
    board = Storyboard.model_validate(dict(board, scenes=[scene]))
    timeline = build_timeline(board, [])
    beds = [b for b in ambience_placements(timeline, board) if b.tag == "wind"]
    assert timeline.duration > 3 * MAX_BED and len(beds) >= 3
    longest_shot = max(s.duration for s in timeline.shots)
    assert all(b.duration <= MAX_BED + longest_shot + BED_FADE for b in beds)
    for before, after in pairwise(beds):
        assert before.start + before.duration - after.start == pytest.approx(BED_FADE)  # no gap, a 1 s overlap


def _long_timeline(copies: int, out: Path) -> tuple[Timeline, Storyboard]:
    """The small board's two scenes over and over (new ids, the same spoken lines)."""
    base = small_board("en")
    spoken = speak_lines(cast_voices(base, "espeak"), out)
    data = base.model_dump(mode="json")
    scenes, lines = [], []
    for k in range(copies):
        for scene in data["scenes"]:
            scenes.append(dict(scene, id=f"{scene['id']}{k}",
                               shots=[dict(shot, id=f"{shot['id']}_{k}") for shot in scene["shots"]]))
        lines += [line.model_copy(update={"shot_id": f"{line.shot_id}_{k}"}) for line in spoken]
    board = Storyboard.model_validate(dict(data, scenes=scenes))
    return build_timeline(board, lines, title_seconds=2.0, credits_seconds=3.0), board


def test_mix_memory_does_not_grow_with_film_length(tmp_path):
    sr = 24000  # half the work of 48 kHz; the whole-film arrays this guards against would show just the same
    peaks = {}
    for copies in (3, 12):
        timeline, board = _long_timeline(copies, tmp_path / f"voice{copies}")
        tracemalloc.start()
        result = mix(timeline, board, tmp_path / f"voice{copies}", sr=sr)  # the film folder its lines were spoken into
        peaks[copies] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.loudness_lufs == pytest.approx(-16.0, abs=1.0) and result.true_peak_dbtp <= -1.0
        assert 75 < timeline.duration < 100 if copies == 3 else timeline.duration > 300
    assert peaks[12] < 1.3 * peaks[3], f"peak {peaks[3] / 2**20:.0f} MiB -> {peaks[12] / 2**20:.0f} MiB"
    assert peaks[12] < 250 * 2**20
