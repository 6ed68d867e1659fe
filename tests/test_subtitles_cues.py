"""Subtitles: readable lines, timed to the speech, in SRT, WebVTT and ASS."""

from __future__ import annotations

from itertools import pairwise

import pysubs2
import pytest

from storyagent.edit.subtitles import CJK_CHARS_PER_LINE, MAX_LINE_WIDTH, subtitle_cues, wrap, write_subtitles
from storyagent.storyboard.language import chinese_words
from storyagent.timeline import build_timeline
from storyagent.voice import cast_voices
from storyagent.voice.speak import speak_lines
from tests.helpers.sound_boards import small_board


@pytest.fixture(scope="module", params=["en", "zh"])
def timeline(request, tmp_path_factory):
    board = small_board(request.param)
    return build_timeline(board, speak_lines(cast_voices(board, "espeak"), tmp_path_factory.mktemp("subs")))


def test_latin_lines_hold_at_most_42_characters_and_two_lines():
    text = ("Every night, he dreamed of little birds in black coats, and of a sea so wide "
            "that no bear had ever crossed it, not even his grandmother.")
    cues = wrap(text)
    assert len(cues) == 2
    assert all(len(cue) <= 2 and all(len(line) <= MAX_LINE_WIDTH for line in cue) for cue in cues)
    assert " ".join(" ".join(cue) for cue in cues) == text


def test_chinese_lines_hold_at_most_16_characters_and_never_start_with_punctuation():
    text = "他每天晚上都梦见穿着黑色外套的小鸟，梦见一片没有一只熊游过的大海，连他的奶奶也没有。"
    cues = wrap(text)
    lines = [line for cue in cues for line in cue]
    assert all(len(line) <= CJK_CHARS_PER_LINE for line in lines)
    assert all(line[0] not in "，。！？、；：”" for line in lines)
    assert "".join(lines) == text
    assert wrap("在遥远的北方，住着一只小北极熊。") == [["在遥远的北方，住着一只小北极熊。"]]


@pytest.mark.parametrize(("text", "word"), [
    ("小熊猫和爷爷一起在山上放风筝那天的风很大很大吹得很高", "风筝"),
    ("小熊猫和爷爷一起慢慢走进竹林里面寻找那个丢失的红色风筝", "竹林"),
    ("今天早上爷爷和他的小熊猫去山上的竹林里放风筝", "小熊猫"),
])
def test_chinese_lines_break_between_words_never_inside_one(text: str, word: str):
    # Cut by character count, each of these lines would break inside `word`.
    lines = [line for cue in wrap(text) for line in cue]
    assert len(lines) == 2 and "".join(lines) == text
    assert any(word in line for line in lines)
    words = chinese_words(text)
    word_edges = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}
    assert len(lines[0]) in word_edges


def test_a_chinese_line_never_starts_with_punctuation_after_a_word():
    lines = [line for cue in wrap("“我们一起去竹林里找风筝吧！”小熊猫对爷爷说，爷爷笑着点了点头。") for line in cue]
    assert all(line[0] not in "，。！？、；：”" for line in lines)


def test_cues_cover_every_spoken_sentence_in_order(timeline):
    cues = subtitle_cues(timeline)
    joined = "".join("".join(c.lines).replace(" ", "") for c in cues)
    spoken = "".join(p.line.text.replace(" ", "") for p in timeline.voice)
    assert joined == spoken
    assert all(a.end <= b.start for a, b in pairwise(cues))
    for placement in timeline.voice:  # each line's words are on screen while it is spoken
        inside = [c for c in cues if placement.start - 0.01 <= c.start < placement.start + placement.line.duration]
        assert inside and inside[0].start == pytest.approx(placement.start, abs=0.01)
        assert inside[-1].end >= placement.start + placement.line.duration - 0.01


def test_files_parse_back_with_the_same_cues(timeline, tmp_path):
    paths = write_subtitles(timeline, tmp_path)
    cues = subtitle_cues(timeline)
    for fmt in ("srt", "vtt", "ass"):
        parsed = pysubs2.load(str(paths[fmt]), encoding="utf-8")
        assert len(parsed) == len(cues)
        for event, cue in zip(parsed, cues):
            assert event.start == pytest.approx(cue.start * 1000, abs=10)  # ASS keeps centiseconds
            assert event.plaintext.replace("\n", "") == "".join(cue.lines)
    ass = pysubs2.load(str(paths["ass"]))
    assert ass.info["PlayResY"] == str(timeline.height)
