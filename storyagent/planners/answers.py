"""Reading what a language model answered, as the servers people run really answer.

Small local models, and servers that ignore `response_format`, wrap the JSON in a ```json fence with a
sentence before it, and write camera values in free words ("close up", "Dolly In", "zoom-in slowly").
Neither is worth a repair round trip: `json_object` finds the object in the reply, and `normalise`
maps every vocabulary value to the nearest one the storyboard knows, logging each mapping, before the
answer is validated. What still fails validation goes back to the model with its errors.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import re
import types
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

log = logging.getLogger(__name__)

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n?(.*?)```", re.DOTALL)


def json_object(reply: str) -> str:
    """The JSON object in a model's reply: the reply itself when it is JSON, else the first fenced
    block that holds an object, else the first balanced {...}; the reply as it is when there is none
    (validation then says what is wrong with it)."""
    text = reply.strip()
    if _parses(text):
        return text
    for block in _FENCE.findall(reply):
        if _parses(block.strip()):
            return block.strip()
    for start in (i for i, ch in enumerate(reply) if ch == "{"):
        end = _balanced_end(reply, start)
        if end is not None and _parses(reply[start:end]):
            return reply[start:end]
    return reply


def _parses(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _balanced_end(text: str, start: int) -> int | None:
    """The index after the brace that closes the one at `start`, skipping braces inside strings."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


# -- vocabulary ------------------------------------------------------------------------

# Words that say how, not what: "zoom-in slowly", "medium shot", "low angle camera".
FILLER = {"a", "the", "shot", "camera", "angle", "view", "slowly", "slow", "quickly", "fast", "gently", "gentle",
          "smoothly", "smooth", "steadily", "steady", "hard", "lens", "movement", "move", "frame", "framing"}

# What people call a value that neither its name nor its description says, normalised as `_words` does.
SYNONYMS: dict[str, dict[str, str]] = {
    "ShotSize": {"establishing": "wide", "long": "wide", "ls": "wide", "ws": "wide", "els": "extreme-wide",
                 "extreme-long": "extreme-wide", "ews": "extreme-wide", "cu": "close-up", "closeup": "close-up",
                 "ecu": "extreme-close-up", "mcu": "medium-close-up", "ms": "medium", "mid": "medium",
                 "medium-long": "medium-wide", "cowboy": "medium-wide", "full-body": "full", "detail": "insert"},
    "CameraAngle": {"eye": "eye-level", "straight-on": "eye-level", "overhead": "birds-eye", "top-down": "birds-eye",
                    "aerial": "birds-eye", "ground-level": "worms-eye", "canted": "dutch", "tilted": "dutch"},
    "CameraMovement": {"still": "static", "fixed": "static", "locked": "static", "locked-off": "static",
                       "none": "static", "push": "dolly-in", "push-in": "dolly-in", "pull-out": "dolly-out",
                       "pull-back": "dolly-out", "track": "tracking", "follow": "tracking", "follows": "tracking",
                       "track-left": "truck-left", "track-right": "truck-right", "crane": "crane-up",
                       "arc": "orbit", "circle": "orbit", "shaky": "handheld", "hand-held": "handheld"},
    "Motion": {"stand": "idle", "standing": "idle", "stands": "idle", "still": "idle", "build": "work",
               "building": "work", "dig": "work", "digging": "work", "sing": "talk", "singing": "talk",
               "speak": "talk", "celebrate": "dance", "hop": "jump", "rest": "sit", "watch": "look"},
    "Mood": {"happy": "joyful", "peaceful": "calm", "scary": "tense", "exciting": "adventurous",
             "melancholy": "sad", "warm": "tender", "whimsical": "playful", "grand": "epic", "hopeful": "adventurous"},
    "TimeOfDay": {"morning": "dawn", "sunrise": "dawn", "daytime": "day", "noon": "day", "afternoon": "day",
                  "evening": "dusk", "sunset": "dusk", "twilight": "dusk", "midnight": "night"},
    "Weather": {"sunny": "clear", "fair": "clear", "overcast": "cloudy", "windy": "storm", "thunderstorm": "storm",
                "blizzard": "storm", "misty": "fog", "mist": "fog", "snowing": "snow", "raining": "rain"},
    "TransitionKind": {"crossfade": "dissolve", "cross-fade": "dissolve", "mix": "dissolve", "straight": "cut"},
}


def normalise(model: type[BaseModel], data: Any, where: str = "") -> Any:
    """`data` with every value of a vocabulary field of `model` (an enum, or a Literal of strings),
    nested models and lists included, mapped to the value it means. Values that mean nothing known
    are left for validation to report."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, field in model.model_fields.items():
        if name in out:
            out[name] = _normalise_value(field.annotation, out[name], f"{where}.{name}" if where else name)
    return out


def _normalise_value(annotation: Any, value: Any, where: str) -> Any:
    choices = _choices(annotation)
    if choices and isinstance(value, str):
        return _mapped(choices, value, where)
    if isinstance(value, list):
        inner = _list_item(annotation)
        if inner is not None:
            return [_normalise_value(inner, item, f"{where}[{i}]") for i, item in enumerate(value)]
    nested = _model(annotation)
    if nested is not None:
        return normalise(nested, value, where)
    return value


def _mapped(choices: tuple[list[str], dict[str, str]], value: str, where: str) -> str:
    values, synonyms = choices
    if value in values:
        return value
    found = _meaning(values, synonyms, value)
    if found is None:
        return value
    log.info("%s '%s' -> %s", where, value, found)
    return found


def meaning(vocabulary: type[Enum], text: str) -> str | None:
    """The value of `vocabulary` (`ShotSize`, `Mood` ...) that `text` means, or None."""
    values, synonyms = _vocabulary(vocabulary)
    return _meaning(values, synonyms, text)


def _meaning(values: list[str], synonyms: dict[str, str], text: str) -> str | None:
    """The one of `values` that `text` means: the exact value once case, spaces, hyphens, underscores and
    filler words are set aside; else a synonym (of `synonyms`, or a word of one value's description);
    else the one value that a single word of it names; else the nearest value by spelling (difflib);
    else None."""
    words = _words(text)
    # 'walks', 'walking' and 'walk' mean one motion
    candidates = [c for c in dict.fromkeys((words, words.removesuffix("s"), words.removesuffix("ing"))) if c]
    for candidate in candidates:
        if candidate in values:
            return candidate
        if candidate in synonyms:
            return synonyms[candidate]
    # one word of several that names a value alone: 'night time', 'light snow'
    named = {synonyms.get(w, w) for w in words.split("-") if w in values or w in synonyms}
    if len(named) == 1:
        return named.pop()
    for candidate in candidates:
        close = difflib.get_close_matches(candidate, [*values, *synonyms], n=1, cutoff=0.7)
        if close:
            return synonyms.get(close[0]) or close[0]
    return None


def _words(text: str) -> str:
    words = re.sub(r"['’]", "", text.lower())
    words = re.split(r"[\s_\-]+", re.sub(r"[^\w\s\-]", " ", words))
    return "-".join(w for w in words if w and w not in FILLER)


def _choices(annotation: Any) -> tuple[list[str], dict[str, str]] | None:
    """(values, synonyms) of a vocabulary annotation (`Mood`, `Mood | None`, `Literal['a', 'b']`)."""
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, Enum):
            return _vocabulary(option)
        if get_origin(option) is Literal and all(isinstance(a, str) for a in get_args(option)):
            return list(get_args(option)), {}
    return None


@functools.cache
def _vocabulary(vocabulary: type[Enum]) -> tuple[list[str], dict[str, str]]:
    return [str(m.value) for m in vocabulary], {**_described(vocabulary), **SYNONYMS.get(vocabulary.__name__, {})}


def _described(vocabulary: type[Enum]) -> dict[str, str]:
    """Words and hyphenated phrases of the members' descriptions that only one member's description
    holds ('push-in' -> dolly-in, 'sunset' -> dusk), as synonyms."""
    owners: dict[str, set[str]] = {}
    for member in vocabulary:
        for word in re.findall(r"[a-z][a-z\-]+", str(getattr(member, "description", "")).lower()):
            if word not in FILLER and len(word) > 3:
                owners.setdefault(word, set()).add(str(member.value))
    return {word: next(iter(members)) for word, members in owners.items() if len(members) == 1}


def _options(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _list_item(annotation: Any) -> Any:
    for option in _options(annotation):
        if get_origin(option) is list:
            return get_args(option)[0]
    return None


def _model(annotation: Any) -> type[BaseModel] | None:
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None
