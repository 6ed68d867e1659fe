"""The acting table: from what a character does on screen (its `OnScreen.action`
words and its `motion`) to a performance a renderer can play so that it reads
without the narration: a wave raises an arm, sitting lowers the body, a
sleeper shows z's.

It lives beside the storyboard, not in a renderer, because the lint reads it
too: an action whose verb the table does not know falls back to the nearest
verb family (by its lemma, then a small synonym list, then the shot's
`motion`), and `acting_fallbacks` says where.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from storyagent.storyboard.model import Motion, OnScreen, Storyboard


class Performance(StrEnum):
    IDLE = "idle"  # stands, breathing
    WALK = "walk"
    RUN = "run"
    SWIM = "swim"
    FLY = "fly"
    WADDLE = "waddle"  # small steps, rocking side to side
    DRIFT = "drift"  # carried by the wind or the water, tumbling
    WAVE = "wave"  # an arm, paw or wing raised and waving
    GREET = "greet"  # a bow and a raised hand
    HUG = "hug"  # leans in, hearts
    PLAY = "play"  # hops around
    DANCE = "dance"
    WORK = "work"  # bends to the work: build, dig, carry, mend
    SIT = "sit"  # visibly lower, legs folded
    SLEEP = "sleep"  # lies low, z's
    LOOK = "look"  # the head turns one way and the other
    SEARCH = "search"  # walks a little, stops, looks left and right
    JUMP = "jump"  # a hop within the figure's framing
    LAUGH = "laugh"  # bounces
    CRY = "cry"  # droops, tears
    SHIVER = "shiver"  # trembles, a sweat drop
    THINK = "think"  # a question mark
    TALK = "talk"  # nods
    SING = "sing"  # music notes rise
    SURPRISE = "surprise"  # jumps back, "!"


P = Performance
# Verbs (as lemmas) and two-word phrases (lemma + the next word) the table knows.
ACTING: dict[str, Performance] = {
    "walk": P.WALK, "go": P.WALK, "travel": P.WALK, "set": P.WALK, "cross": P.WALK, "climb": P.WALK,
    "march": P.WALK, "follow": P.WALK, "lead": P.WALK, "head": P.WALK, "come": P.WALK, "return": P.WALK,
    "run": P.RUN, "race": P.RUN, "flee": P.RUN, "chase": P.PLAY, "escape": P.RUN,
    "swim": P.SWIM, "dive": P.SWIM, "sail": P.SWIM, "row": P.SWIM, "ride": P.SWIM,
    "fly": P.FLY, "waddle": P.WADDLE, "drift": P.DRIFT, "be carried": P.DRIFT, "be blown": P.DRIFT,
    "blow": P.DRIFT, "float": P.DRIFT,
    "wave": P.WAVE, "greet": P.GREET, "meet": P.GREET, "welcome": P.GREET, "bow": P.GREET, "visit": P.WALK,
    "hug": P.HUG, "love": P.HUG, "thank": P.HUG, "comfort": P.HUG,
    "play": P.PLAY, "dance": P.DANCE, "celebrate": P.DANCE, "cheer": P.DANCE,
    "build": P.WORK, "dig": P.WORK, "carry": P.WORK, "work": P.WORK, "make": P.WORK, "bake": P.WORK,
    "plant": P.WORK, "mend": P.WORK, "fix": P.WORK, "paint": P.WORK, "gather": P.WORK, "eat": P.WORK,
    "drink": P.WORK, "help": P.WORK, "save": P.WORK, "rescue": P.WORK, "deliver": P.WORK, "cook": P.WORK,
    "sit": P.SIT, "rest": P.SIT, "wait": P.SIT, "sleep": P.SLEEP, "lie": P.SLEEP, "dream": P.SLEEP,
    "look": P.LOOK, "watch": P.LOOK, "see": P.LOOK, "gaze": P.LOOK, "stare": P.LOOK, "listen": P.LOOK,
    "look for": P.SEARCH, "search": P.SEARCH, "seek": P.SEARCH, "find": P.SEARCH, "hunt": P.SEARCH,
    "explore": P.SEARCH, "jump": P.JUMP, "hop": P.JUMP, "leap": P.JUMP, "bounce": P.JUMP,
    "laugh": P.LAUGH, "smile": P.LAUGH, "cry": P.CRY, "weep": P.CRY, "miss": P.CRY,
    "shiver": P.SHIVER, "shelter": P.SHIVER, "hide": P.SHIVER, "face": P.SHIVER, "fear": P.SHIVER,
    "brave": P.SHIVER, "tremble": P.SHIVER, "think": P.THINK, "wonder": P.THINK, "plan": P.THINK,
    "talk": P.TALK, "speak": P.TALK, "say": P.TALK, "tell": P.TALK, "call": P.TALK, "ask": P.TALK, "agree": P.TALK,
    "sing": P.SING, "perform": P.SING, "gasp": P.SURPRISE, "notice": P.SURPRISE, "spot": P.SURPRISE,
    "be": P.IDLE, "stand": P.IDLE, "stay": P.IDLE,
}
# Verbs outside the table and the verb of the family they belong to: reported when used.
SYNONYMS: dict[str, str] = {
    "stroll": "walk", "wander": "walk", "trudge": "walk", "hike": "walk", "tiptoe": "walk", "move": "walk",
    "dash": "run", "hurry": "run", "rush": "run", "sprint": "run", "scurry": "run",
    "paddle": "swim", "splash": "swim", "soar": "fly", "glide": "fly", "flutter": "fly",
    "embrace": "hug", "cuddle": "hug", "snuggle": "hug", "nap": "sleep", "doze": "sleep", "snooze": "sleep",
    "relax": "sit", "sob": "cry", "giggle": "laugh", "chuckle": "laugh", "grin": "laugh",
    "ponder": "think", "puzzle": "think", "imagine": "think", "chat": "talk", "whisper": "talk",
    "shout": "talk", "explain": "talk", "hum": "sing", "whistle": "sing", "skip": "jump",
    "repair": "mend", "craft": "make", "collect": "gather", "pick": "gather", "stack": "build",
    "huddle": "shelter", "cower": "hide", "frolic": "play", "romp": "play", "greet": "greet",
    "salute": "wave", "party": "dance", "peer": "look", "peek": "look", "scan": "look", "observe": "watch",
}
# Words of Chinese actions and their verb.
CHINESE: dict[str, str] = {
    "挥手": "wave", "打招呼": "greet", "拥抱": "hug", "跳舞": "dance", "唱": "sing", "睡": "sleep",
    "坐": "sit", "休息": "rest", "哭": "cry", "笑": "laugh", "发抖": "shiver", "躲": "shelter", "想": "think",
    "说": "talk", "讲": "talk", "找": "search", "寻": "search", "看": "look", "望": "look", "瞧": "look", "玩": "play", "跳": "jump", "建": "build", "堆": "build",
    "挖": "dig", "搬": "carry", "做": "make", "吃": "eat", "喝": "drink", "走": "walk", "跑": "run",
    "游": "swim", "飞": "fly",
}
# Verbs too general to overrule the storyboard's `motion` ('rests' may be sitting or sleeping): they name
# their act only for a character left idle.
GENERAL = frozenset({"be", "stand", "stay", "rest", "wait"})
FROM_MOTION: dict[Motion, Performance] = {
    Motion.IDLE: P.IDLE, Motion.WALK: P.WALK, Motion.RUN: P.RUN, Motion.SWIM: P.SWIM, Motion.FLY: P.FLY,
    Motion.JUMP: P.JUMP, Motion.WAVE: P.WAVE, Motion.SIT: P.SIT, Motion.SLEEP: P.SLEEP, Motion.LOOK: P.LOOK,
    Motion.TALK: P.TALK, Motion.DANCE: P.DANCE, Motion.WORK: P.WORK,
}
TRAVEL = frozenset({Motion.WALK, Motion.RUN, Motion.SWIM, Motion.FLY})
# What a traveller can do on the way; any other act gives way to the gait of its `motion`.
ON_THE_WAY = frozenset({P.SEARCH, P.DRIFT, P.WADDLE})
# Acts that are ways of travelling: someone the storyboard does not move plays its `motion` instead,
# rather than walking on the spot.
GAITS = frozenset({P.WALK, P.RUN, P.SWIM, P.FLY, P.WADDLE})
# Acts done with someone: in a shot with others, whoever does one (and is not on the way somewhere) turns to them.
WITH_OTHERS = frozenset({P.GREET, P.TALK, P.HUG, P.PLAY, P.WAVE, P.DANCE})


@dataclass(frozen=True)
class Casting:
    """How one on-screen action is played, and how the table came to it."""

    performance: Performance
    verb: str | None  # the action's verb, as read
    via: Literal["table", "synonym", "motion"]


@dataclass(frozen=True)
class Fallback:
    """An action the table did not know, and what it is played as."""

    shot: str
    character: str
    action: str
    verb: str | None
    performance: Performance
    via: Literal["synonym", "motion"]


def performance(on: OnScreen) -> Performance:
    return casting(on).performance


def casting(on: OnScreen) -> Casting:
    """The performance of an on-screen action. A traveller keeps its gait (the storyboard moves it)
    unless its act is one done on the way; anyone else plays the act its words name."""
    verb, act, via = _read(on.action)
    if on.motion in TRAVEL:
        if act in ON_THE_WAY and (act != P.WADDLE or on.motion == Motion.WALK):
            return Casting(act, verb, via)
        return Casting(FROM_MOTION[on.motion], verb, via if act is not None else "table")
    if act is None:
        return Casting(FROM_MOTION[on.motion], verb, "motion" if verb or on.action.strip() else "table")
    if act in GAITS or (verb in GENERAL and on.motion != Motion.IDLE):
        return Casting(FROM_MOTION[on.motion], verb, via)
    return Casting(act, verb, via)


def interaction(on_screen: list[OnScreen], speakers: Collection[str] = ()) -> bool:
    """Whether a shot shows characters doing something with each other rather than each on its own: someone
    who does not travel greets, talks, hugs, plays, waves or dances with others, or speaks a line to the one
    other character. Partners in an interaction face each other."""
    if len(on_screen) < 2:
        return False
    if any(on.motion not in TRAVEL and performance(on) in WITH_OTHERS for on in on_screen):
        return True
    return len(on_screen) == 2 and any(on.character in speakers for on in on_screen)


def acting_fallbacks(board: Storyboard) -> list[Fallback]:
    """Every on-screen action whose verb the table does not know, in storyboard order."""
    found = []
    for shot in board.shots():
        for on in shot.characters:
            cast = casting(on)
            if cast.via != "table":
                found.append(Fallback(shot.id, on.character, on.action, cast.verb, cast.performance, cast.via))
    return found


@functools.lru_cache(maxsize=1024)
def _read(action: str) -> tuple[str | None, Performance | None, Literal["table", "synonym", "motion"]]:
    """The action's verb and the performance its words name (None: unknown), and whether the table
    named it or a synonym did."""
    text = action.strip().lower()
    if not text:
        return None, None, "table"
    if not re.search(r"[a-z]", text):
        verb = next((CHINESE[word] for word in sorted(CHINESE, key=len, reverse=True) if word in text), None)
        return (verb, ACTING[verb], "table") if verb else (text, None, "motion")
    words = re.findall(r"[a-z']+", text)
    for i, word in enumerate(words):
        lemma = _verb_lemma(word)
        if lemma is None:
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        for key in (f"{lemma} {_verb_lemma(following) or following}", f"{lemma} {following}", lemma):
            if key in ACTING:
                return key, ACTING[key], "table"
        if lemma in SYNONYMS:
            return lemma, ACTING[SYNONYMS[lemma]], "synonym"
        return lemma, None, "motion"
    return words[0] if words else text, None, "motion"


@functools.lru_cache(maxsize=4096)
def _verb_lemma(word: str) -> str | None:
    """The verb a word is a form of, or None when it cannot be a verb ('the', 'snowman')."""
    if word in ACTING or word in SYNONYMS:
        return word
    import lemminflect  # loads its tables once, only when an action is read

    lemmas = lemminflect.getAllLemmas(word).get("VERB")
    if lemmas:
        return lemmas[0]
    unknown = lemminflect.getAllLemmasOOV(word, upos="VERB").get("VERB")
    return unknown[0] if unknown and word.endswith(("s", "ed", "ing")) and not _noun(word) else None


def _noun(word: str) -> bool:
    import lemminflect

    return bool(lemminflect.getAllLemmas(word).get("NOUN"))
