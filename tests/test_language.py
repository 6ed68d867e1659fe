"""English number agreement as a reader hears it: 'an old keeper', 'the robots stand', 'two robots'."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storyagent.storyboard.language import (
    conjugate,
    count_phrase,
    disagreeing_subjects,
    indefinite,
    is_plural_noun,
    plural_noun,
    sky_words,
    wrong_articles,
)


@pytest.mark.parametrize(("phrase", "expected"), [
    ("old keeper", "an old keeper"),
    ("robot", "a robot"),
    ("umbrella", "an umbrella"),
    ("ugly duckling", "an ugly duckling"),
    ("unicorn", "a unicorn"),  # a vowel letter said as 'you'
    ("unimportant detail", "an unimportant detail"),
    ("one-eyed cat", "a one-eyed cat"),
    ("European robin", "a European robin"),
    ("hour", "an hour"),  # a silent h
    ("honest fox", "an honest fox"),
    ("Owl", "an Owl"),
])
def test_the_article_follows_the_first_sound(phrase: str, expected: str) -> None:
    assert indefinite(phrase) == expected


@pytest.mark.parametrize(("lemma", "singular", "plural"), [
    ("stand", "stands", "stand"),
    ("wave", "waves", "wave"),
    ("carry", "carries", "carry"),
    ("go", "goes", "go"),
    ("be", "is", "are"),
    ("have", "has", "have"),
    ("look around", "looks around", "look around"),
])
def test_the_verb_agrees_with_its_subject(lemma: str, singular: str, plural: str) -> None:
    assert conjugate(lemma, plural=False) == singular
    assert conjugate(lemma, plural=True) == plural


@pytest.mark.parametrize(("noun", "expected"), [
    ("robot", "robots"),
    ("polar bear", "polar bears"),
    ("lighthouse keeper", "lighthouse keepers"),
    ("child", "children"),
    ("mouse", "mice"),
    ("Wolf", "Wolves"),
    ("bus", "buses"),
    ("fish", "fish"),
    ("sheep", "sheep"),
    ("penguins", "penguins"),  # already plural
])
def test_plural_nouns(noun: str, expected: str) -> None:
    assert plural_noun(noun) == expected


def test_a_plural_noun_is_told_from_a_singular_one() -> None:
    assert is_plural_noun("robots") and is_plural_noun("children")
    assert not is_plural_noun("robot") and not is_plural_noun("news") and not is_plural_noun("sheep")


@pytest.mark.parametrize(("n", "noun", "expected"), [
    (1, "robot", "a robot"),
    (1, "old keeper", "an old keeper"),
    (2, "robot", "two robots"),
    (3, "little penguin", "three little penguins"),
    (0, "cloud", "no clouds"),
    (20, "fish", "20 fish"),
])
def test_count_phrases(n: int, noun: str, expected: str) -> None:
    assert count_phrase(n, noun) == expected


def test_chinese_is_cut_into_words_quietly_and_only_when_there_is_chinese() -> None:
    script = ("import sys\n"
              "from storyagent.edit.subtitles import wrap\n"
              "wrap('The robots stand in the snow, waiting for the sun to set over the hills.')\n"
              "assert 'jieba' not in sys.modules, 'jieba loaded for English'\n"
              "from storyagent.storyboard.language import chinese_words\n"
              "assert chinese_words('小熊猫在竹林里找风筝') == ['小熊猫', '在', '竹林', '里', '找', '风筝']\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "jieba announces building its dictionary"


@pytest.mark.parametrize(("text", "wrong"), [
    ("A old lighthouse keeper and an seagull.", ["A old", "an seagull"]),
    ("An old keeper, a unicorn, an hour, a one-eyed cat, an FBI agent.", []),
])
def test_wrong_articles(text: str, wrong: list[str]) -> None:
    assert wrong_articles(text) == wrong


@pytest.mark.parametrize(("text", "wrong"), [
    ("The robots stands still in the busy city.", ["The robots stands"]),
    ("The polar bear and the penguins waves hello.", ["The polar bear and the penguins waves"]),
    ("Two penguins waddles along.", ["Two penguins waddles"]),
    ("The robots stand still. The bear walks on. The waves crash.", []),
    ("The leader of the robots stands. The fish swims. Penguins gather round.", []),
])
def test_plural_subjects_with_singular_verbs(text: str, wrong: list[str]) -> None:
    assert disagreeing_subjects(text) == wrong


def test_sky_words_state_weather_unless_denied_and_know_when_it_is_over() -> None:
    assert [(s.words, s.sight, s.ended) for s in sky_words("The rain stopped, and the evening was warm.")] == [
        ("was warm", "warm", False), ("rain", "rain", True), ("evening", "dusk", False)]
    assert sky_words("There was no rain. Every night he slept. Before the sun melts it.") == []
    assert [(s.words, s.ended) for s in sky_words("雨停了，暴风雨过去了，雨林里没有雾。")] == [("暴风雨", True), ("雨", True)]


def test_weather_to_come_or_to_face_is_not_weather_seen_now() -> None:
    from storyagent.storyboard.language import sky_words

    assert sky_words("The air went heavy: the storm was on its way.") == []
    assert sky_words("They got ready to weather a storm.") == []
    assert sky_words("Before the rain comes, the boats must be home.") == []
    assert [w.sight for w in sky_words("The storm raged over the shore.")] == ["storm"]
