"""Language facts the planner, the lint and the subtitles share: how long text
takes to say (Chinese is measured in characters, other languages in words), and
which characters the bundled font can draw."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

from storyagent.resources import ASSETS

# Noto Sans SC, subset (assets/fonts/README.md): Latin (most of U+0020-024F), Greek, Cyrillic, kana,
# punctuation and the 6,763 simplified hanzi of GB 2312. Cards, sheets and burned subtitles use it.
FONTS = ASSETS / "fonts"
FONT_FILE = FONTS / "NotoSansSC-Regular.subset.ttf"  # the bold file covers the same characters

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


def chinese_words(text: str) -> list[str]:
    """`text` cut into words where a line may break: Chinese by jieba's dictionary ('小熊猫', '风筝'),
    other text, spaces and punctuation as jieba passes them through. Joined, the pieces are `text`."""
    return _jieba().lcut(text)


@functools.cache
def _jieba():  # the jieba module, loaded on the first Chinese text: building its dictionary takes a moment
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces "Building prefix dict ..." on stderr otherwise
    return jieba


def lines_seconds(texts: list[str], language: str) -> float:
    """Estimated time to say several lines one after another, with breaths."""
    if not texts:
        return 0.0
    return sum(speech_seconds(t, language) for t in texts) + PAUSE_BETWEEN_LINES * (len(texts) - 1)


# -- what the bundled font draws -------------------------------------------------------------


@functools.cache
def _font_face():  # a skia.Typeface; skia is imported only when text is checked
    import skia

    face = skia.FontMgr.New_Custom_Empty().makeFromFile(str(FONT_FILE))
    if face is None:
        raise FileNotFoundError(f"{FONT_FILE}: bundled font missing; reinstall storyagent")
    return face


def undrawable(text: str) -> list[str]:
    """The characters of `text` (once each, in order) the bundled font has no glyph for;
    spaces and line breaks are never drawn, so never listed."""
    chars = [ch for ch in dict.fromkeys(text) if not ch.isspace()]
    glyphs = _font_face().unicharsToGlyphs([ord(ch) for ch in chars]) if chars else []
    return [ch for ch, glyph in zip(chars, glyphs) if glyph == 0]


def script(ch: str) -> str:
    """The writing system of a letter, as Unicode names it: 'Latin', 'Arabic', 'Han', 'Katakana' ..."""
    name = unicodedata.name(ch, "")
    if name.startswith("CJK "):
        return "Han"
    words = name.split()
    if words and words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1:
        words = words[1:]
    return words[0].capitalize() if words else "unknown"


def shown(chars: list[str], limit: int = 5) -> str:
    """Characters for a message: 'ع' (U+0639, Arabic), ... at most `limit` of them."""
    listed = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in chars[:limit])
    return listed + (f" and {len(chars) - limit} more" if len(chars) > limit else "")


# -- English number agreement ----------------------------------------------------------------
# The planner writes "an old keeper", "the robots stand", "two robots"; the lint checks the same.
# Verb and noun forms come from lemminflect's tables (imported on first use: it loads data).

# Words spelled with a vowel that are said with a consonant ("a unicorn", "a one-eyed cat") and words
# spelled with a consonant that are said with a vowel ("an hour"). Small on purpose: the common cases.
_CONSONANT_SOUND = re.compile(r"(?:one\b|once\b|uni(?!n|mp|dent)|use|usu|uti|ure|uro|eu|ewe|ufo|uk|ubiq)")
_VOWEL_SOUND = re.compile(r"(?:hour|honest|honou?r|heir)")
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
# Nouns whose plural is the singular; lemminflect lists "fishes" first.
_SAME_PLURAL = {"fish", "sheep", "deer", "moose", "bison", "salmon", "trout", "shrimp", "aircraft", "species",
                "series", "offspring"}


def indefinite(phrase: str) -> str:
    """The phrase with the article its first sound takes: 'old keeper' -> 'an old keeper',
    'unicorn' -> 'a unicorn', 'hour' -> 'an hour'."""
    return f"{article(phrase)} {phrase}"


def article(phrase: str) -> str:
    """'a' or 'an' for the phrase, by the sound of its first word (spelling plus known exceptions)."""
    word = phrase.strip().lower()
    if _VOWEL_SOUND.match(word):
        return "an"
    if _CONSONANT_SOUND.match(word):
        return "a"
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


@functools.cache
def lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """A word's lemmas by part of speech, from lemminflect's tables: 'leaves' -> {'NOUN': ('leave', 'leaf'),
    'VERB': ('leave',)}; {} for a word the tables do not know. The tables load on first use (~0.3 s)."""
    from lemminflect import getAllLemmas

    return getAllLemmas(word)


def inflection(lemma: str, tag: str) -> str:
    """A lemma in the form a Penn tag names ('build', 'VBD' -> 'built'); the lemma itself when unknown."""
    from lemminflect import getInflection

    forms = getInflection(lemma, tag)
    return forms[0] if forms else lemma


def conjugate(lemma: str, plural: bool) -> str:
    """The present-tense verb for a subject of that number: ('stand', False) -> 'stands',
    ('stand', True) -> 'stand', ('be', False) -> 'is'. A phrasal verb bends its first word
    ('look around' -> 'looks around'), and verbs joined by 'and' bend each ('sit and rest' -> 'sits and rests')."""
    parts = [part.partition(" ") for part in lemma.strip().split(" and ")]
    if len(parts) > 1 and all(lemmas(verb).get("VERB") for verb, _, _ in parts):
        return " and ".join(conjugate(part, plural) for part in lemma.strip().split(" and "))
    verb, _, rest = lemma.strip().partition(" ")
    if verb == "be":
        form = "are" if plural else "is"
    elif plural:
        form = verb
    else:
        form = inflection(verb, "VBZ")
    return f"{form} {rest}".strip()


def plural_noun(noun: str) -> str:
    """The plural of a noun or noun phrase (its last word bends): 'robot' -> 'robots',
    'polar bear' -> 'polar bears', 'child' -> 'children', 'fish' -> 'fish'. A plural stays."""
    head, _, last = noun.strip().rpartition(" ")
    if is_plural_noun(last) or last.lower() in _SAME_PLURAL:
        return noun.strip()
    from lemminflect import getInflection

    plural = getInflection(last.lower(), "NNS")[0]
    if last[:1].isupper():
        plural = plural[:1].upper() + plural[1:]
    return f"{head} {plural}".strip()


def is_plural_noun(word: str) -> bool:
    """True for a word that is only the plural of a noun ('robots', 'penguins', 'children');
    False for singulars, for zero plurals ('sheep') and for words that are also something else."""
    from lemminflect import getAllLemmas, getInflection

    lemmas = getAllLemmas(word.lower())
    nouns = lemmas.get("NOUN", ())
    return bool(nouns) and word.lower() not in nouns and any(
        word.lower() in getInflection(lemma, "NNS") for lemma in nouns)


def count_phrase(n: int, noun: str) -> str:
    """How many of a thing, in words: (1, 'robot') -> 'a robot', (2, 'robot') -> 'two robots',
    (0, 'robot') -> 'no robots', (20, 'robot') -> '20 robots'."""
    if n == 1:
        return indefinite(noun)
    number = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{number} {plural_noun(noun)}"


# -- weather and light that words state ----------------------------------------------------------
# A line that says "rain" or "at sunset" states what the picture must show. The lint compares them;
# each word names a sight: rain, snow, storm, fog, night, dark, dusk, dawn, morning, sunny, warm.

SKY_WORDS: dict[str, str] = {
    **dict.fromkeys(["rain", "rains", "raining", "rained", "rainy", "raindrops", "drizzle", "drizzling",
                     "downpour"], "rain"),
    **dict.fromkeys(["snow", "snowing", "snowed", "snowy", "snowflakes", "snowfall"], "snow"),
    **dict.fromkeys(["storm", "storms", "stormy", "thunder", "thunderstorm", "lightning", "blizzard", "gale"],
                    "storm"),
    **dict.fromkeys(["fog", "foggy", "mist", "misty"], "fog"),
    **dict.fromkeys(["night", "nights", "midnight", "tonight", "moon", "moonlight", "moonlit", "stars", "starry",
                     "starlight"], "night"),
    "dark": "dark",
    **dict.fromkeys(["sunset", "evening", "dusk", "twilight"], "dusk"),
    **dict.fromkeys(["dawn", "sunrise", "daybreak"], "dawn"),
    "morning": "morning",
    **dict.fromkeys(["sunny", "sunshine", "sunlight", "sunlit"], "sunny"),
}
ZH_SKY_WORDS: dict[str, str] = {
    **dict.fromkeys(["暴风雨", "暴风雪", "风暴", "雷", "闪电"], "storm"),
    "雨": "rain",
    "雪": "snow",
    "雾": "fog",
    **dict.fromkeys(["夜", "月亮", "月光", "星星"], "night"),
    "天黑": "dark",
    **dict.fromkeys(["黄昏", "傍晚", "夕阳", "日落"], "dusk"),
    **dict.fromkeys(["清晨", "黎明", "日出", "天亮"], "dawn"),
    **dict.fromkeys(["早晨", "早上"], "morning"),
    **dict.fromkeys(["阳光", "晴朗"], "sunny"),
}
# Chinese words that hold a sky word and name something else: a rainforest, a snowman, a sled, a nightingale.
_ZH_NOT_SKY = ("雨林", "雪人", "雪橇", "夜莺", "雪糕")
# Said before a sky word, these deny it or make it a habit or a greeting ('every night', 'good morning').
_NOT_NOW = {"no", "not", "never", "without", "nor", "neither", "isn't", "wasn't", "didn't", "don't", "won't",
            "every", "each", "good"}
_ZH_NEGATIONS = ("没有", "没", "不", "无")
# Words that say a sight is over or past: it must have been shown, not be shown now.
_ENDED_AFTER = {"stopped", "stops", "ended", "ends", "passed", "passes", "cleared", "clears", "lifted", "lifts",
                "faded", "fades", "over", "gone", "eased", "eases", "died"}
_ENDED_BEFORE = {"after", "since"}
_ZH_ENDED = ("停", "过去", "散", "结束", "退")
# "a warm smile" says nothing of the weather; "the evening was warm" does.
_WARM = re.compile(r"\b(?:(?:was|is|felt|grew|became) warm|warm (?:day|evening|morning|night|air|weather|sun|"
                   r"sunshine|breeze|wind))\b", re.IGNORECASE)


class SkyWord(NamedTuple):
    """Weather or light a line states."""

    words: str  # as the line says it: 'rained', '傍晚'
    sight: str  # what the picture must show: a value of SKY_WORDS
    ended: bool  # said as over ('the rain stopped'): an earlier picture must have shown it


def sky_words(text: str) -> list[SkyWord]:
    """The weather and light `text` asserts, leaving out what it denies or makes a habit of ('no rain',
    'every night', '没有下雨')."""
    if _CJK.search(text):
        return _zh_sky_words(text)
    found = [SkyWord(m.group(), "warm", False) for m in _WARM.finditer(text)]
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())
    for i, word in enumerate(words):
        sight = SKY_WORDS.get(word)
        if sight is None or _NOT_NOW & set(words[max(0, i - 2):i]) or _coming(words, i):
            continue
        ended = bool(_ENDED_AFTER & set(words[i + 1:i + 3]) or _ENDED_BEFORE & set(words[max(0, i - 2):i]))
        found.append(SkyWord(word, sight, ended))
    return found


# Said around a sky word, these make it something to come or to face, not what is seen now: 'the storm was on
# its way', 'ready to weather a storm', 'before the rain comes'.
_COMING_BEFORE = {"to", "before", "until", "against", "brave", "weather", "survive", "for", "face", "expecting"}
_ON_ITS_WAY = re.compile(r"\b(?:on (?:its|the) way|coming|about to|soon|tomorrow|approach\w*|loom\w*|brewing|gathering)\b")


def _coming(words: list[str], i: int) -> bool:
    before = set(words[max(0, i - 3):i])
    sentence = " ".join(words[i:i + 6])
    return bool(before & _COMING_BEFORE) or bool(_ON_ITS_WAY.search(sentence))


def _zh_sky_words(text: str) -> list[SkyWord]:
    masked = text
    for other in _ZH_NOT_SKY:
        masked = masked.replace(other, "·" * len(other))
    found = []
    for word in sorted(ZH_SKY_WORDS, key=len, reverse=True):  # 暴风雨 before 雨
        for match in re.finditer(word, masked):
            before, after = masked[max(0, match.start() - 3):match.start()], masked[match.end():match.end() + 3]
            masked = masked[:match.start()] + "·" * len(word) + masked[match.end():]
            if any(neg in before for neg in _ZH_NEGATIONS):
                continue
            found.append(SkyWord(word, ZH_SKY_WORDS[word], any(end in after for end in _ZH_ENDED)))
    return found


# -- agreement mistakes in written English ---------------------------------------------------------

_ARTICLE_AND_WORD = re.compile(r"\b(a|an|A|An)\s+([A-Za-z][\w-]*)")
_SENTENCE = re.compile(r"[^.!?;:]+")
_DETERMINERS = {"the", "a", "an", *_NUMBER_WORDS[2:]}


def wrong_articles(text: str) -> list[str]:
    """Each 'a'/'an' before a word that takes the other ('A old keeper' -> ['A old']). Words in capitals
    ('an FBI agent') are left alone: how they are read aloud is not in their spelling."""
    return [m.group() for m in _ARTICLE_AND_WORD.finditer(text)
            if not (len(m.group(2)) > 1 and m.group(2).isupper()) and m.group(1).lower() != article(m.group(2))]


def disagreeing_subjects(text: str) -> list[str]:
    """Each sentence opening 'The robots stands' or 'The bear and the penguins waves': a plural subject
    (a plural noun, two or more joined by 'and', or counted) before a verb in the singular. Only
    sentences that open with a determiner and reach the verb through nouns and adjectives are read,
    so a sentence it cannot parse is never reported."""
    found = []
    for sentence in _SENTENCE.findall(text):
        words = re.findall(r"[A-Za-z]+(?:'[a-z]*)?", sentence)
        if not words or words[0].lower() not in _DETERMINERS:
            continue
        verb_at = _singular_verb_after_subject(words)
        if verb_at is not None and _plural_subject(words[:verb_at]):
            found.append(" ".join(words[:verb_at + 1]))
    return found


def _singular_verb_after_subject(words: list[str]) -> int | None:
    """Where the subject's verb is, when it is in the singular ('stands', 'is', 'was') and everything
    before it is determiners, 'and', nouns and adjectives; else None."""
    from lemminflect import getAllLemmas

    for i, word in enumerate(words[1:], start=1):
        lower = word.lower()
        if i >= 2 and _is_singular_verb(lower) and "NOUN" in getAllLemmas(words[i - 1].lower()):
            return i
        if lower in _DETERMINERS or lower == "and":
            continue
        kinds = getAllLemmas(lower)
        if not ({"NOUN", "ADJ", "PROPN"} & set(kinds) or word[:1].isupper()):
            return None
    return None


def _is_singular_verb(word: str) -> bool:
    from lemminflect import getAllLemmas, getInflection

    if word in ("is", "was", "has", "does"):
        return True
    return any(word != lemma and word in getInflection(lemma, "VBZ")
               for lemma in getAllLemmas(word).get("VERB", ()))


def _plural_subject(words: list[str]) -> bool:
    lowered = [w.lower() for w in words]
    return "and" in lowered or lowered[0] in _NUMBER_WORDS[2:] or is_plural_noun(lowered[-1])
