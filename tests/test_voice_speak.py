"""The voice stage: every line spoken once, measured, timed by sentence, cached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyagent import voice
from storyagent.errors import VoiceError
from storyagent.media.audio import read_wav
from storyagent.voice import cast_voices, speak
from storyagent.voice.speak import speak_lines, split_sentences
from tests.helpers.sound_boards import small_board


@pytest.fixture(scope="module")
def spoken_en(tmp_path_factory):
    out = tmp_path_factory.mktemp("voice-en")
    return out, speak_lines(cast_voices(small_board("en"), "espeak"), out)


def test_every_line_is_spoken_into_its_own_wav(spoken_en):
    out, spoken = spoken_en
    board = small_board("en")
    expected = [(shot.id, i, line.text) for shot in board.shots() for i, line in enumerate(shot.lines)]
    assert [(s.shot_id, s.index, s.text) for s in spoken] == expected
    for line in spoken:
        audio, sr = read_wav(out / line.audio)
        assert Path(line.audio).parent == Path("voice")  # relative to the film folder, so it can move
        assert len(audio) / sr == pytest.approx(line.duration, abs=1e-3)
        # trimmed: speech starts and ends within 60 ms of the file's edges
        loud = np.flatnonzero(np.abs(audio) > 0.05 * np.abs(audio).max())
        assert loud[0] / sr < 0.06 and (len(audio) - loud[-1]) / sr < 0.06


def test_sentence_timings_follow_the_speech(spoken_en):
    out, spoken = spoken_en
    first = spoken[0]  # two sentences: "Far in the north ... polar bear. He was curious."
    assert [s.text for s in first.sentences] == ["Far in the north, on the endless ice, lived a polar bear.", "He was curious."]
    a, b = first.sentences
    assert a.start == 0.0 and b.end == pytest.approx(first.duration, abs=1e-3)
    assert b.start - a.end > 0.2  # the breath between them
    audio, sr = read_wav(out / first.audio)
    gap = audio[int((a.end + 0.05) * sr) : int((b.start - 0.05) * sr)]
    assert np.sqrt(np.mean(gap**2)) < 0.01 * np.sqrt(np.mean(audio**2)) + 1e-4


def test_lines_are_levelled_to_one_loudness(spoken_en):
    import pyloudnorm

    out, spoken = spoken_en
    levels = []
    for line in spoken:
        audio, sr = read_wav(out / line.audio)
        levels.append(pyloudnorm.Meter(sr).integrated_loudness(np.pad(audio, (0, sr)).astype(np.float64)))
    assert max(levels) - min(levels) < 2.5
    assert all(np.max(np.abs(read_wav(out / line.audio)[0])) < 0.95 for line in spoken)


def test_second_run_reuses_every_line(spoken_en, monkeypatch):
    out, first = spoken_en

    def no_synthesis(*args, **kwargs):
        raise AssertionError("a cached line was synthesised again")

    monkeypatch.setattr(speak, "get_narrator", no_synthesis)
    again = speak_lines(cast_voices(small_board("en"), "espeak"), out)
    assert again == first


def test_an_edited_line_is_the_only_one_spoken_again(spoken_en, tmp_path):
    out, first = spoken_en
    board = small_board("en")
    board.scenes[1].shots[1].lines[0].text = "Hello, big bear!"
    again = speak_lines(cast_voices(board, "espeak"), out)
    changed = [a.audio != b.audio for a, b in zip(first, again)]
    assert changed == [False, False, False, True]


def test_a_sentence_added_to_a_line_is_the_only_sentence_said_again(tmp_path, monkeypatch):
    board = cast_voices(small_board("en"), "espeak")
    speak_lines(board, tmp_path / "edited")
    line = next(line for shot in board.shots() for line in shot.lines)
    line.text += " The ice was thin."
    said = []
    real = speak.get_narrator

    def counting(name):
        narrator = real(name)
        synthesize = narrator.synthesize
        narrator.synthesize = lambda text, *args: said.append(text) or synthesize(text, *args)
        return narrator

    monkeypatch.setattr(speak, "get_narrator", counting)
    edited = speak_lines(board, tmp_path / "edited")
    assert said == ["The ice was thin."]
    fresh = speak_lines(board, tmp_path / "fresh")
    every = [sentence for shot in board.shots() for line in shot.lines for sentence in split_sentences(line.text)]
    assert said[1:] == every, "a new folder says every sentence"
    # espeak's timing varies a little with what it said before: the same speech, not the same bytes.
    assert edited[0].duration == pytest.approx(fresh[0].duration, abs=0.01)
    assert [s.text for s in edited[0].sentences] == [s.text for s in fresh[0].sentences]
    kept = list((tmp_path / "edited" / ".storyagent" / "sentences").glob("*.wav"))
    assert len(kept) == len(set(every)), "the cache holds the storyboard's sentences only"


def test_the_voice_stage_reads_the_cast_voices_and_casts_nothing(spoken_en, monkeypatch):
    out, first = spoken_en
    cast = cast_voices(small_board("en"), "espeak")
    monkeypatch.setattr(voice, "cast_voices", lambda *args, **kwargs: pytest.fail("the voice stage cast again"))
    cast.narrator = cast.narrator.model_copy(update={"pitch": 2.0})  # the director changes the narrator's voice
    again = speak_lines(cast, out)
    narrated = [line.speaker == "narrator" for line in first]
    assert [a.audio != b.audio for a, b in zip(first, again)] == narrated  # only narration is spoken anew


def test_a_speaker_without_a_voice_is_a_clear_error(tmp_path):
    with pytest.raises(VoiceError, match="'narrator' has no voice: cast the storyboard first"):
        speak_lines(small_board("en"), tmp_path)


def test_chinese_lines_are_spoken_in_mandarin_at_a_plausible_pace(tmp_path):
    spoken = speak_lines(cast_voices(small_board("zh")), tmp_path)
    for line in spoken:
        chars = sum("\u4e00" <= c <= "\u9fff" for c in line.text)
        assert 2.5 < chars / line.duration < 7.0, line.text
    assert [s.text for s in spoken[0].sentences] == ["在遥远的北方，住着一只小北极熊。", "他很好奇。"]


def test_sentences_split_on_latin_and_cjk_punctuation():
    assert split_sentences('Mr. Bear said "Hi!" and left. Then? Snow') == ['Mr. Bear said "Hi!" and left.', "Then?", "Snow"]
    assert split_sentences("他说：“你好！”我们走吧。好") == ["他说：“你好！”", "我们走吧。", "好"]
