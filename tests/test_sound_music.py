"""The score: follows the moods, cross-fades at scene changes, ends on a cadence."""

from __future__ import annotations

import numpy as np
import pytest

from storyagent.sound.music import SCALES, STYLES, compose, fluidsynth_available, render_score, write_midi
from storyagent.storyboard import Mood
from tests.helpers.sound_boards import score_timeline

SR = 48000


def _rms_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(audio.astype(np.float64) ** 2) + 1e-20))


def test_each_mood_sets_its_own_key_and_tempo():
    sections = compose(score_timeline(seconds=20.0))
    for section, mood in zip(sections, (Mood.CALM, Mood.TENSE, Mood.JOYFUL)):
        style = STYLES[mood]
        melody = next(p for p in section.midi.instruments if p.name.endswith("melody"))
        in_key = {(style.tonic + s) % 12 for s in SCALES[style.mode]} | {(style.tonic + 11) % 12}  # raised 7th at cadences
        assert all(n.pitch % 12 in in_key for n in melody.notes)
        bass = next(p for p in section.midi.instruments if p.name.endswith("bass"))
        downbeats = sorted({round(n.start, 3) for n in bass.notes if n.start >= 0})
        beat = (downbeats[2] - downbeats[0]) / 4  # two bass notes a bar
        assert 60 / beat == pytest.approx(style.tempo, rel=0.15)


def test_the_score_ends_on_a_tonic_chord_after_its_dominant():
    sections = compose(score_timeline())
    last, style = sections[-1], STYLES[Mood.JOYFUL]
    pad = sorted((n for n in next(p for p in last.midi.instruments if p.name.endswith("pad")).notes), key=lambda n: n.start)
    final = {n.pitch % 12 for n in pad if n.start == pad[-1].start}
    before = {n.pitch % 12 for n in pad if n.start == max(x.start for x in pad if x.start < pad[-1].start)}
    tonic = style.tonic % 12
    assert final == {tonic, (tonic + 4) % 12, (tonic + 7) % 12}
    assert (tonic + 7) % 12 in before and (tonic + 11) % 12 in before  # V: dominant root and leading tone


@pytest.mark.parametrize("synth", ["builtin", "fluidsynth"])
def test_rendered_score_fills_the_film_and_crossfades_without_a_gap(synth, tmp_path):
    if synth == "fluidsynth" and not fluidsynth_available():
        pytest.skip("pyfluidsynth or a General MIDI SoundFont is not installed")
    timeline = score_timeline()
    audio, used = render_score(timeline, SR, synth=synth, midi_path=tmp_path / "score.mid")
    assert used == synth
    assert len(audio) == round(timeline.duration * SR)
    assert np.max(np.abs(audio)) < 1.0
    windows = audio[: len(audio) // 4800 * 4800].reshape(-1, 4800)  # 100 ms
    levels = 10 * np.log10(np.mean(windows.astype(np.float64) ** 2, axis=1) + 1e-20)
    body = levels[5:-30]  # after the first notes' attack, before the final fade
    assert np.all(body > np.median(body) - 25), "a hole in the music"
    for boundary in (8.0, 16.0):  # scene changes: music keeps playing through the cross-fade
        around = audio[int((boundary - 0.8) * SR) : int((boundary + 0.8) * SR)]
        assert _rms_db(around) > np.median(body) - 12
    assert _rms_db(audio[-int(0.2 * SR) :]) < np.median(body) - 10  # faded out at the very end
    assert (tmp_path / "score.mid").stat().st_size > 500


def test_midi_file_holds_every_section_at_film_time(tmp_path):
    import pretty_midi

    timeline = score_timeline()
    path = write_midi(compose(timeline), tmp_path / "score.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    assert midi.get_end_time() == pytest.approx(timeline.duration, abs=1.0)
    assert len(midi.instruments) == 4 * len(timeline.music)


def test_loading_fluidsynth_prints_nothing_even_on_ci():
    """pyfluidsynth announces its library on stdout when $CI is set; `--log-json` needs stdout clean."""
    import os
    import subprocess
    import sys

    if not fluidsynth_available():
        pytest.skip("pyfluidsynth or a General MIDI SoundFont is not installed")
    code = "from storyagent.sound.music import fluidsynth_available; fluidsynth_available()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "CI": "1"}, check=True)
    assert done.stdout == ""


def test_a_broken_fluidsynth_library_leaves_the_score_to_the_built_in_synth(tmp_path):
    """A libfluidsynth that is listed but cannot load makes `import fluidsynth` raise OSError, which
    pretty_midi does not catch: the score is still composed and written, and nothing says FluidSynth works."""
    import os
    import subprocess
    import sys

    (tmp_path / "fluidsynth.py").write_text("raise OSError('libfluidsynth.so.3: cannot open shared object file')\n")
    code = ("from storyagent.sound.music import compose, fluidsynth_available, write_midi\n"
            "from tests.helpers.sound_boards import score_timeline\n"
            "import pathlib, sys\n"
            "assert not fluidsynth_available()\n"
            "write_midi(compose(score_timeline(), seed=1), pathlib.Path(sys.argv[1]))\n")
    path = os.pathsep.join([str(tmp_path), os.getcwd()])
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "score.mid")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path})
    assert done.returncode == 0, done.stderr[-800:]
    assert (tmp_path / "score.mid").stat().st_size > 0


@pytest.mark.parametrize("synth", ["builtin", "fluidsynth"])
def test_a_section_sounds_the_same_whatever_was_rendered_before_it(synth):
    """A section kept from an earlier mix must equal one rendered now: nothing (reverb, chorus,
    dither, the synth's block grid) carries from one section into the next."""
    from storyagent.sound import music

    if synth == "fluidsynth" and not fluidsynth_available():
        pytest.skip("pyfluidsynth or a General MIDI SoundFont is not installed")
    make = music._FluidSynth if synth == "fluidsynth" else music._Builtin
    first, second = (s.midi for s in compose(score_timeline())[:2])
    renderer = make(SR)
    renderer.render(first)
    after = renderer.render(second)
    renderer.close()
    alone = make(SR)
    assert np.array_equal(after, alone.render(second))
    alone.close()


def test_a_moved_section_whose_length_differs_in_its_last_bits_is_the_same_section():
    """An edit moves the scenes after it; their lengths, an end minus a start, may differ from
    before in the last bits. Their notes must not."""
    from storyagent.sound.music import compose_section, made_from

    section = score_timeline().music[1]
    moved = section.model_copy(update={"start": section.start + 0.9583333333333321,
                                       "duration": section.duration * (1 + 2e-16) + 1e-14})
    assert moved.duration != section.duration
    for synth in ("builtin", "fluidsynth"):
        scores = [compose_section(s, first=False, last=False).midi for s in (section, moved)]
        assert made_from(scores[0], SR, synth) == made_from(scores[1], SR, synth)
