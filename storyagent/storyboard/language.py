"""Language facts the planner, the lint and the subtitles share: how long text
takes to say. Chinese is measured in characters, other languages in words."""

from __future__ import annotations

import re

# Unhurried storytelling pace, a little slower than conversation, so lines fit.
WORDS_PER_SECOND = {"en": 2.5}
CJK_CHARS_PER_SECOND = {"zh": 4.0}
PAUSE_BETWEEN_LINES = 0.35  # seconds of breath the timeline leaves between lines
LEAD_IN = 0.4  # seconds of picture before the first line of a shot
TAIL = 0.6  # seconds of picture after the last line, so speech never runs into a cut

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def is_cjk(language: str) -> bool:
    return language in CJK_CHARS_PER_SECOND


def cjk_characters(text: str) -> int:
    return len(_CJK.findall(text))


def words(text: str) -> int:
    return len(_WORD.findall(_CJK.sub(" ", text)))


def speech_seconds(text: str, language: str) -> float:
    """Estimated time to narrate `text` at a storytelling pace."""
    if is_cjk(language):
        seconds = cjk_characters(text) / CJK_CHARS_PER_SECOND[language]
        return seconds + words(text) / WORDS_PER_SECOND["en"]  # Latin words inside Chinese text
    return words(text) / WORDS_PER_SECOND.get(language, WORDS_PER_SECOND["en"])


def lines_seconds(texts: list[str], language: str) -> float:
    """Estimated time to say several lines one after another, with breaths."""
    if not texts:
        return 0.0
    return sum(speech_seconds(t, language) for t in texts) + PAUSE_BETWEEN_LINES * (len(texts) - 1)
