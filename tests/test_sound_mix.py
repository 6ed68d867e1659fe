"""The mix: broadcast loudness, speech on top, music ducked under it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from storyagent.media.audio import read_wav
from storyagent.sound.mix import limiter_gain, loudness, mix, true_peak_db, under_full_scale
from storyagent.timeline import build_timeline
from storyagent.voice import cast_voices
from storyagent.voice.speak import speak_lines
from tests.helpers.sound_boards import small_board


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = tmp_path_factory.mktemp("mix")
    board = small_board("en")
    timeline = build_timeline(board, speak_lines(cast_voices(board, "espeak"), out), title_seconds=2.0, credits_seconds=3.0)
    result = mix(timeline, board, out)
    stems = {name: read_wav(path)[0] for name, path in result.stems.items()}
    return timeline, result, stems, read_wav(result.mix)[0]


def _db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(audio.astype(np.float64) ** 2) + 1e-20))


def _mask(timeline, n: int, sr: int, pad: float) -> np.ndarray:
    """True during lines (shrunk by `pad` when negative, grown when positive)."""
    mask = np.zeros(n, dtype=bool)
    for p in timeline.voice:
        mask[max(0, int((p.start - pad) * sr)) : int((p.start + p.line.duration + pad) * sr)] = True
    return mask


def test_mix_is_at_broadcast_loudness_with_true_peak_under_minus_one(mixed):
    timeline, result, _, audio = mixed
    assert result.mix.exists() and len(audio) == round(timeline.duration * result.sample_rate)
    assert loudness(audio, 48000) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_db(audio) <= -1.0
    assert result.loudness_lufs == pytest.approx(-16.0, abs=1.0) and result.true_peak_dbtp <= -1.0


def test_music_ducks_at_least_8_db_under_speech(mixed):
    timeline, _, stems, _ = mixed
    music = stems["music"]
    during = _mask(timeline, len(music), 48000, pad=-0.15)
    pauses = ~_mask(timeline, len(music), 48000, pad=0.8)
    assert pauses.sum() > 48000 * 3  # the board leaves pauses to measure
    assert _db(music[pauses]) - _db(music[during]) >= 8.0


def test_speech_is_exactly_where_the_timeline_puts_lines(mixed):
    timeline, _, stems, _ = mixed
    voice, sr = stems["voice"], 48000
    for p in timeline.voice:
        start, end = int(p.start * sr), int((p.start + p.line.duration) * sr)
        line = voice[start:end]
        loud = np.flatnonzero(np.abs(line) > 0.1 * np.abs(line).max())
        assert loud[0] < 0.06 * sr and len(line) - loud[-1] < 0.06 * sr  # onset and end within 60 ms
        assert _db(line) > _db(voice) - 6
    silent = ~_mask(timeline, len(voice), sr, pad=0.02)
    assert np.max(np.abs(voice[silent])) < 1e-3  # nothing spoken between lines


def test_voice_sits_on_top_and_stems_add_up_to_the_mix(mixed):
    timeline, _, stems, audio = mixed
    during = _mask(timeline, len(audio), 48000, pad=-0.15)
    assert _db(stems["voice"][during]) - _db(stems["music"][during]) > 15
    assert _db(stems["voice"][during]) - _db(stems["effects"][during]) > 10
    total = stems["voice"] + stems["music"] + stems["effects"]
    assert np.max(np.abs(total - audio)) < 2 / 2**15  # to the 16-bit mix's rounding: the limiting is in the stems too


def test_no_stem_passes_full_scale(mixed):
    """An editor importing a stem as 16- or 24-bit PCM must not get a clipped sample."""
    _, _, stems, _ = mixed
    for name, stem in stems.items():
        assert np.max(np.abs(stem)) <= 1.0, f"{name} peaks at {20 * np.log10(np.max(np.abs(stem))):+.2f} dBFS"


def test_effects_stem_carries_cues_and_ambience(mixed):
    timeline, _, stems, _ = mixed
    effects, sr = stems["effects"], 48000
    cue = next(e for e in timeline.effects if e.tag == "penguin-colony")
    heard = effects[int(cue.start * sr) : int((cue.start + cue.duration) * sr)]
    quiet_shot = timeline.shot("a3")  # no cue there: only the ice's wind bed
    bed = effects[int((quiet_shot.start + 0.5) * sr) : int((quiet_shot.end - 0.8) * sr)]
    title = effects[: int(timeline.cards[0].duration * sr) - sr // 2]
    assert _db(heard) > _db(bed) > -70
    assert np.max(np.abs(title)) == 0.0  # the title card has music only


def test_limiter_holds_true_peak_on_a_hot_signal():
    sr = 48000
    t = np.arange(sr) / sr
    hot = 1.8 * np.sin(2 * np.pi * 11025.5 * t + 0.3)  # inter-sample peaks above the sample peaks
    limited = hot * limiter_gain(hot, sr, -1.5)
    assert true_peak_db(limited) <= -1.0


def test_mix_is_repeatable_and_leaves_only_its_outputs(mixed, tmp_path):
    timeline, result, _, _ = mixed
    shutil.copytree(result.mix.parent / "voice", tmp_path / "voice")  # the lines, where the timeline says they are
    again = mix(timeline, small_board("en"), tmp_path)
    assert again.mix.read_bytes() == result.mix.read_bytes()
    assert all(again.stems[name].read_bytes() == result.stems[name].read_bytes() for name in result.stems)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                  if ".storyagent" not in p.parts and p.parts[len(tmp_path.parts)] != "voice")
    assert left == ["mix.wav", "music.mid", "stems", "stems/effects.wav", "stems/music.wav", "stems/voice.wav"]
    assert not (tmp_path / ".storyagent" / "scratch").exists()
    # Mixed again in the same folder, the music and effects come from the stem cache, unchanged.
    cached = sorted(p.name for p in (tmp_path / ".storyagent" / "stems").iterdir() if not p.name.startswith("."))
    assert len(cached) == 4  # two stems and their loudness (each with its seal beside it)
    third = mix(timeline, small_board("en"), tmp_path)
    assert third.mix.read_bytes() == result.mix.read_bytes()
    assert sorted(p.name for p in (tmp_path / ".storyagent" / "stems").iterdir() if not p.name.startswith(".")) == cached


def test_a_stem_over_full_scale_is_held_under_it_there_and_nowhere_else():
    sr = 48000
    stem = 0.5 * np.sin(2 * np.pi * 220 * np.arange(sr) / sr)
    assert under_full_scale(stem, sr) is stem  # under full scale already: untouched
    stem[24000:24100] *= 2.4
    held = under_full_scale(stem, sr)
    assert np.max(np.abs(held)) <= 1.0
    assert np.array_equal(held[:23000], stem[:23000]) and np.array_equal(held[25100:], stem[25100:])


def test_an_edit_that_moves_the_cues_synthesises_only_the_cues_it_changed(mixed, tmp_path, monkeypatch):
    """A longer line moves every cue after it: the effects stem is made again from the cues kept by
    the last mix, and sounds exactly as it would made from scratch."""
    from storyagent.sound import mix as mixing
    from storyagent.timeline import Timeline

    timeline, result, _, _ = mixed
    assert timeline.effects
    shutil.copytree(result.mix.parent / "voice", tmp_path / "voice")
    mix(timeline, small_board("en"), tmp_path)
    moved = Timeline.model_validate({**timeline.model_dump(), "effects": [
        effect.model_copy(update={"start": effect.start + 0.5}) for effect in timeline.effects]})
    synthesised = []
    real = mixing.render_cue
    monkeypatch.setattr(mixing, "render_cue", lambda tag, *a, **k: synthesised.append(tag) or real(tag, *a, **k))
    again = mix(moved, small_board("en"), tmp_path)
    assert synthesised == []
    fresh = tmp_path / "fresh"
    shutil.copytree(result.mix.parent / "voice", fresh / "voice")
    assert again.stems["effects"].read_bytes() == mix(moved, small_board("en"), fresh).stems["effects"].read_bytes()
    assert synthesised  # from scratch, every cue is synthesised


def test_an_edit_that_moves_the_score_renders_no_section_again(mixed, tmp_path, monkeypatch):
    """A longer line moves every scene after it, and the music stem is made again: from the
    sections the last mix kept (its fades put back where the sections now sit), rendering
    none, and it sounds exactly, to the byte, as the mix of the moved film made from scratch."""
    from storyagent.sound import music
    from storyagent.timeline import Timeline

    timeline, result, _, _ = mixed
    assert len(timeline.music) >= 2
    shutil.copytree(result.mix.parent / "voice", tmp_path / "voice")
    mix(timeline, small_board("en"), tmp_path)
    moved = Timeline.model_validate({**timeline.model_dump(), "music": [timeline.music[0]] + [
        # later, and a length that is the same but for its last bits (an end minus a start)
        section.model_copy(update={"start": section.start + 0.25, "duration": section.duration * (1 + 2e-16) + 1e-14})
        for section in timeline.music[1:]]})
    rendered = []
    for renderer in (music._FluidSynth, music._Builtin):
        real = renderer.render
        monkeypatch.setattr(renderer, "render", lambda self, midi, real=real: rendered.append(midi) or real(self, midi))
    loaded = []
    real_init = music._FluidSynth.__init__
    monkeypatch.setattr(music._FluidSynth, "__init__", lambda self, sr: loaded.append(sr) or real_init(self, sr))
    again = mix(moved, small_board("en"), tmp_path)
    assert rendered == [] and loaded == []  # not even the SoundFont is loaded
    fresh = tmp_path / "fresh"
    shutil.copytree(result.mix.parent / "voice", fresh / "voice")
    scratch = mix(moved, small_board("en"), fresh)
    assert len(rendered) == len(timeline.music)  # from scratch, every section is rendered
    assert again.stems["music"].read_bytes() == scratch.stems["music"].read_bytes()
    assert again.mix.read_bytes() == scratch.mix.read_bytes()
