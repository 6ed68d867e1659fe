"""Understanding a premise: who the story is about, whom they go to, what they
want and where. English and Chinese; anything unknown still becomes a
character or a place, so every premise gives a story."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from storyagent.errors import PremiseError
from storyagent.storyboard.language import cjk_characters
from storyagent.world import World, world

Goal = Literal["visit", "meet", "look-for", "lose", "find", "go", "race", "help", "day", "learn"]


class Entity(BaseModel):
    """Someone or something the premise names."""

    name: str = Field(description="How narration names it, without article: 'polar bear', 'Mia', '北极熊'.")
    kind: str | None = Field(default=None, description="Key of its kind in the world data; empty when unknown.")
    noun: str = Field(description="English noun for icon keywords: 'polar bear', 'zorb'.")
    proper: bool = Field(default=False, description="A proper name takes no article.")
    plural: bool = False
    adjective: str | None = None


class Premise(BaseModel):
    text: str
    language: Literal["en", "zh"]
    goal: Goal
    hero: Entity
    companions: list[Entity] = Field(default_factory=list, description="Travel with the hero.")
    others: list[Entity] = Field(default_factory=list, description="Met, visited, raced, helped or lost.")
    places: list[str] = Field(default_factory=list, description="World place keys the premise names, in order.")
    destination: str | None = Field(default=None, description="Place key the hero heads for, when named.")
    skill: str | None = Field(default=None, description="What the hero longs to do, for 'learn': 'paint', '画画'.")
    activity: str | None = Field(default=None, description="What the hero does, in a premise no story verb "
                                 "covers: 'guards a castle'.")


def detect_language(text: str) -> Literal["en", "zh"]:
    return "zh" if cjk_characters(text) * 3 >= len(text.replace(" ", "")) or cjk_characters(text) >= 4 else "en"


def understand(text: str, language: Literal["en", "zh"] | None = None) -> Premise:
    text = " ".join(text.split())
    if not text:
        raise PremiseError("the premise is empty; describe the story in a line, e.g. \"polar bear visits penguins\"")
    language = language or detect_language(text)
    if cjk_characters(text):
        return _understand_zh(text, language)
    return _understand_en(text, language)


# -- English ------------------------------------------------------------------

VERBS: dict[Goal, str] = {
    "visit": r"visits|visit|visited|is visiting|goes to see|go to see|went to see|travels to see|pays a visit to|calls on",
    "meet": r"meets|meet|met|befriends|befriend|makes friends with|make friends with|greets|falls in love with",
    "look-for": r"looks for|look for|is looking for|searches for|search for|hunts for|seeks|goes looking for|tries to find",
    "lose": r"loses|lose|lost|drops|misplaces",
    "find": r"finds|find|found|discovers|discover|stumbles upon",
    "race": r"races against|races|race|raced|challenges|challenge|competes with|competes against|plays against|versus|vs\.?|beats",
    "help": r"helps|help|helped|rescues|rescue|rescued|saves|save|protects|takes care of|looks after|teaches",
    "go": r"goes to|go to|went to|travels to|travel to|sails to|flies to|fly to|walks to|journeys to|heads to|"
    r"sets off for|sets out for|crosses|cross|climbs|explores|explore|returns to|runs to|swims to|moves to|goes on a trip to",
    "learn": r"learns to|learn to|learned to|learnt to|is learning to|learns how to|wants to|want to|wanted to|"
    r"tries to|try to|tried to|longs to|hopes to|dreams to|wishes to|wishes she could|wishes he could|practises|practices",
}
KIN = {"grandma", "grandpa", "granny", "grandmother", "grandfather", "mum", "mom", "dad", "papa", "mama"}
MAX_WORD = 24  # letters kept of one word of a name, so a runaway premise still gives a readable title
DETERMINERS = {"a", "an", "the", "his", "her", "their", "its", "my", "our", "your", "some", "one", "this", "that",
               "these", "those", "two", "three", "many", "all", "every", "once", "upon", "time", "there", "was"}
ADJECTIVES = {"little", "big", "old", "young", "lonely", "brave", "tiny", "small", "curious", "shy", "clever", "lazy",
              "grumpy", "happy", "sad", "lost", "hungry", "sleepy", "giant", "baby", "wise", "kind", "fast", "slow",
              "proud", "gentle", "clumsy", "friendly", "new", "best", "missing", "magic", "golden", "tired", "white"}
# Everyday actions the story verbs above do not cover. In a premise with none of those verbs, the first
# of these ends the subject: "a dragon guards a castle" is about a dragon, not a "dragon guards".
ACTIONS = ("learn paint build guard sing dance play dream want try teach bake cook draw write read sleep wake "
           "live work fight save protect chase catch hide grow plant dig fix make build sail climb jump eat drink "
           "discover invent open close carry bring share watch wait wish hope need like love hate fear miss "
           "escape follow lead count collect deliver care celebrate wonder imagine become turn start begin").split()
ACTION_FORMS = r"(?:" + "|".join(sorted({f"{a}{end}" for a in ACTIONS for end in ("", "s", "es", "ed", "d", "ing")},
                                        key=len, reverse=True)) + r")"
STOP_WORDS = r"\b(?:in|at|on|across|through|over|from|to|near|under|by|during|because|who|which|when|after|before|" \
             r"while|for|so|but|with|into|far|and then)\b|[.;:!?]"
STOPS = STOP_WORDS + "|,"
TOGETHER = r"go|goes|went|travel|travels|sail|sails|fly|flies|walk|walks|head|heads|set off|set out|journey|" \
           r"journeys|run|runs|swim|swims|explore|explores|climb|climbs|cross|crosses"


def _understand_en(text: str, language: Literal["en", "zh"]) -> Premise:
    w = world()
    sentence = _main_sentence(text)
    places = _places_en(text, w)
    day = re.match(r"^(?:a|one) day in the life of (?P<a>.+)$", sentence, re.I)
    if day:
        return Premise(text=text, language=language, goal="day", hero=_entity_en(day["a"], w), places=places)
    together = re.match(rf"^(?P<a>.+?) and (?P<b>.+?) (?:{TOGETHER})(?: (?:to|for|across|into|through|on a trip to))? (?P<z>.+)$",
                        sentence, re.I)
    if together and _content(together["a"]) and _content(together["b"]):
        travellers = _entities_en(together["a"], w) + (_entities_en(together["b"], w) or [_entity_en(together["b"], w)])
        return Premise(text=text, language=language, goal="go", hero=travellers[0], companions=travellers[1:], places=places,
                       destination=_place_en(together["z"], w))
    for goal, start, verb_end in _verb_matches(sentence):
        subject, rest = sentence[:start].strip(), sentence[verb_end:].strip()
        if not _content(subject):
            continue
        subjects = _entities_en(subject, w) or [_entity_en(subject, w)]
        hero, companions, others = subjects[0], subjects[1:], []
        if goal in ("meet", "race"):  # "the tortoise and the hare race": rivals, not fellow travellers
            companions, others = [], companions
        if goal == "learn":
            skill = re.split(STOP_WORDS, rest, maxsplit=1, flags=re.I)[0].strip(" ,")
            if not _content(skill):
                continue
            skill = " ".join(skill.split()[:6])
            return Premise(text=text, language=language, goal=goal, hero=hero, companions=companions, places=places,
                           others=_free_mentions(rest, w, exclude={hero.noun}), skill=skill,
                           destination=places[-1] if places else w.place_to_practise(skill))
        destination = None
        if rest and goal in ("go", "visit") and _place_en(rest, w) and not _has_being(rest, w):
            destination = _place_en(rest, w)
        elif rest:
            others += _entities_en(rest, w)
        if goal == "go" and others and not destination:
            goal = "visit"
        if not others and goal in ("meet", "race", "help", "visit"):
            others = _free_mentions(text, w, exclude={hero.noun})
        return Premise(text=text, language=language, goal=goal, hero=hero, companions=companions, others=others,
                       places=places, destination=destination)
    return _free_en(text, language, w, places)


def _main_sentence(text: str) -> str:
    """The first sentence that names an action; a paragraph's first line sets the story."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    for sentence in sentences:
        if any(re.search(rf"\b(?:{pattern})\b", sentence, re.I) for pattern in VERBS.values()):
            return sentence.rstrip(".!?")
    return sentences[0].rstrip(".!?")


def _verb_matches(sentence: str) -> list[tuple[Goal, int, int]]:
    found = []
    for goal, pattern in VERBS.items():
        for match in re.finditer(rf"(?<!\w)(?:{pattern})(?!\w)", sentence, re.I):
            found.append((goal, match.start(), match.end()))
    return sorted(found, key=lambda item: (item[1], -(item[2] - item[1])))


def _content(phrase: str) -> bool:
    words = [w.lower() for w in re.findall(r"[\w'-]+", phrase)]
    return any(w not in DETERMINERS and w not in ADJECTIVES for w in words)


def _entities_en(phrase: str, w: World) -> list[Entity]:
    head = re.split(STOP_WORDS, phrase, maxsplit=1, flags=re.I)[0]  # "a fox, a rabbit and an owl" stays whole
    parts = [p for p in re.split(r",|\band\b|&", head, flags=re.I) if _content(p)]
    return [_entity_en(p, w) for p in parts]


def _entity_en(phrase: str, w: World) -> Entity:
    phrase = re.split(STOPS, phrase, maxsplit=1, flags=re.I)[0] or phrase
    words = re.findall(r"[A-Za-z][\w'-]*|[^\W\d_]+", phrase)
    named = bool(words) and words[0][:1].isupper() and words[0].lower() in KIN  # "Grandma bakes a cake"
    while words and words[0].lower() in DETERMINERS:
        words.pop(0)
    adjectives = []
    while len(words) > 1 and words[0].lower() in ADJECTIVES:
        adjectives.append(words.pop(0).lower())
    words = [word.removesuffix("'s")[:MAX_WORD] for word in words] or ["friend"]
    kind, plural, at = _kind_en(words, w)
    inner = [i for i, word in enumerate(words) if word.lower() in DETERMINERS]
    if inner and not kind:  # "print your system prompt" -> "system prompt"
        words = words[inner[-1] + 1 :] or ["friend"]
    proper_words = [word for word in words[:at] if word[:1].isupper() and word.lower() not in w.kinds]
    adjective = adjectives[0] if adjectives else None
    if kind and proper_words:  # "Rex the dog": a named creature
        return Entity(name=" ".join(proper_words), kind=kind, noun=kind, proper=True, adjective=adjective)
    if kind and named:
        return Entity(name=words[0], kind=kind, noun=kind, proper=True, adjective=adjective)
    if kind:
        noun_words = _before_a_verb(words[at:])  # "a fox naps" is about a fox
        name = " ".join(word.lower() for word in noun_words[-3:])
        return Entity(name=name, kind=kind, noun=kind, plural=plural, adjective=adjective)
    words = _before_a_verb(words)[-3:]
    if words[0][:1].isupper():
        return Entity(name=" ".join(words), kind="person", noun="person", proper=True, adjective=adjective)
    noun = " ".join(word.lower() for word in words)
    return Entity(name=noun, noun=_singular(noun), plural=noun != _singular(noun), adjective=adjective)


def _before_a_verb(words: list[str]) -> list[str]:
    """An unknown noun ends where a verb the lists do not know begins: after a
    singular word, a lower-case word in -s reads as one ("a little cloud cries")."""
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if (word.islower() and word.endswith("s") and not word.endswith(("ss", "us", "is"))
                and not before.lower().endswith("s")):
            return words[:i]
    return words


def _kind_en(words: list[str], w: World) -> tuple[str | None, bool, int]:
    """The longest run of words naming a known kind: (kind, plural?, index where it starts)."""
    lowered = [word.lower() for word in words]
    for size in (3, 2, 1):
        for start in range(len(lowered) - size, -1, -1):
            candidate = " ".join(lowered[start : start + size])
            for key, kind in w.kinds.items():
                if candidate == key:
                    return key, False, start
                if candidate == kind.plural:
                    return key, kind.plural != key, start
    return None, False, 0


def _singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "xes")):
        return noun[:-2]
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def _places_en(text: str, w: World) -> list[str]:
    found: list[tuple[int, str]] = []
    for key, place in w.places.items():
        for alias in place.aliases:
            match = re.search(rf"\b{re.escape(alias)}\b", text, re.I)
            if match:
                found.append((match.start(), key))
    return list(dict.fromkeys(key for _, key in sorted(found)))


def _place_en(phrase: str, w: World) -> str | None:
    places = _places_en(phrase, w)
    return places[0] if places else None


def _has_being(phrase: str, w: World) -> bool:
    words = re.findall(r"[\w'-]+", phrase)
    return _kind_en(words, w)[0] is not None


def _free_mentions(text: str, w: World, exclude: set[str]) -> list[Entity]:
    """Known creatures and things named anywhere in the text, in order."""
    hits: list[tuple[int, Entity]] = []
    lowered = text.lower()
    for key, kind in sorted(w.kinds.items(), key=lambda item: -len(item[0])):
        if key in exclude:
            continue
        for form in (kind.plural, key):
            match = re.search(rf"\b{re.escape(form)}\b", lowered)
            if match and not any(start <= match.start() < start + len(e.name) for start, e in hits):
                hits.append((match.start(), Entity(name=form, kind=key, noun=key, plural=form != key)))
                break
    return [entity for _, entity in sorted(hits, key=lambda item: item[0])]


def _free_en(text: str, language: Literal["en", "zh"], w: World, places: list[str]) -> Premise:
    """No known story verb: the first named being is the hero, the next ones its friends.
    When a verb ends the subject, the subject is the hero even if no list knows it, and
    creatures named after the verb are whom it meets ("a lighthouse keeper adopts a seal")."""
    first = re.split(rf"\b(?:is|was|are|were|has|had|can|cannot|will|who|that|{ACTION_FORMS})\b|[,.;:!?]",
                     text, maxsplit=1, flags=re.I)[0]
    words = first.split()
    subject = _before_a_verb(words)
    acted = len(subject) < len(words) or bool(re.match(rf"\s*(?:{ACTION_FORMS})\b", text[len(first):], re.I))
    named = _entities_en(" ".join(subject), w)  # "Peter and the wolf"
    if acted and named:
        after = text[len(" ".join(subject)):]  # `understand` left single spaces, so the subject starts the text
        met = [e for e in _free_mentions(after, w, exclude={e.noun for e in named}) if not w.kinds[e.kind].thing]
        mentions = [*named, *met]
    elif any(e.kind for e in named) or len(named) > 1:
        mentions = named
    else:
        mentions = _free_mentions(text, w, exclude=set())
    mentions = mentions or named or [_entity_en(text, w)]
    hero, others = mentions[0], mentions[1:3]
    return Premise(text=text, language=language, goal="meet" if others else "day", hero=hero, others=others,
                   places=places, activity=_activity(_main_sentence(text), hero))


def _activity(sentence: str, hero: Entity) -> str | None:
    """What the sentence says the hero does, after its name: 'a dragon guards a castle' -> 'guards a castle'."""
    at = re.search(rf"\b{re.escape(hero.name)}\b", sentence, re.I)
    if not at:
        return None
    rest = re.split(r"[.;:!?]", sentence[at.end():], maxsplit=1)[0].strip(" ,")
    words = rest.split()
    if not words or not re.fullmatch(r"[a-z][a-z'-]*", words[0]) or words[0] in ("and", "is", "was", "who", "that"):
        return None
    return " ".join(words[:8])


# -- Chinese --------------------------------------------------------------------

ZH_VERBS: list[tuple[Goal, str]] = [
    ("learn", r"学会|想学|想要学|学习|梦想着|努力学"),
    ("day", r"的一天|一天的生活"),
    ("race", r"比赛|赛跑|挑战|比一比|较量"),
    ("lose", r"弄丢了|丢了|丢失了|弄丢|丢失"),
    ("find", r"找到了|找到|发现了|发现"),
    ("look-for", r"寻找|找寻|去找|在找|找"),
    ("visit", r"看望|拜访|探望|去看|看看"),
    ("meet", r"遇见|遇到|认识|结识|邂逅|碰到|交朋友"),
    ("help", r"帮助|帮忙|拯救|救了|救|照顾"),
    ("go", r"前往|来到|去|走进|穿越|回到|飞向|游向|出发"),
]
ZH_LEADS = r"^(?:从前|很久以前|有一天|有|一只|一个|一头|一条|一位|一群|那只|这只|关于)+"
ZH_MARKERS = r"和|与|跟|在|去|从|穿越|带着|想要|想|要"


def _understand_zh(text: str, language: Literal["en", "zh"]) -> Premise:
    w = world()
    beings = _scan_zh(text, {form: key for key, kind in w.kinds.items() for form in kind.zh})
    places = _scan_zh(text, {form: key for key, place in w.places.items() for form in place.zh_aliases}, skip=beings)
    goal, verb_at, verb_end = next(((g, m.start(), m.end()) for g, p in ZH_VERBS for m in [re.search(p, text)] if m),
                                   ("day", len(text), len(text)))
    heroes = [b for b in beings if b[0] < verb_at] or []
    if heroes:
        hero = _entity_zh(text, heroes[0], w)
        rest = [b for b in beings if b is not heroes[0]]
    else:
        subject = re.sub(ZH_LEADS, "", text[:verb_at]).removesuffix("的故事").removesuffix("故事") or text
        subject = re.split(ZH_MARKERS, subject, maxsplit=1)[0].strip()
        hero = Entity(name=_short_zh(subject) or "主人公", noun="hero", proper=True)
        rest = beings
    joined = len(heroes) > 1 and re.search(r"和|与|跟", text[heroes[0][0] : heroes[1][0]])
    companions: list[Entity] = []
    if joined and goal in ("go", "look-for", "day", "visit") and len(beings) >= 2:
        companions = [_entity_zh(text, heroes[1], w)]
        rest = [b for b in rest if b is not heroes[1]]
    others = [_entity_zh(text, b, w) for b in rest][:3]
    place_keys = list(dict.fromkeys(key for _, _, key in places))
    if goal == "learn":
        skill = re.split(r"[，,。.！!？?]|在|和|跟", text[verb_end:], maxsplit=1)[0].strip()[:12] or "新本领"
        return Premise(text=text, language=language, goal=goal, hero=hero, companions=companions, others=others,
                       places=place_keys, skill=skill,
                       destination=place_keys[-1] if place_keys else w.place_to_practise(skill))
    if not others and goal != "go":
        others = _unknown_object_zh(text[verb_at:], [w.places[key].zh for _, _, key in places])
    destination = None
    if goal == "go" and place_keys and not others:
        destination = place_keys[-1]
    return Premise(text=text, language=language, goal=goal, hero=hero, companions=companions, others=others,
                   places=place_keys, destination=destination)


def _unknown_object_zh(after_verb: str, place_names: list[str]) -> list[Entity]:
    """'寻找丢失的蜂蜜' -> 蜂蜜: the words after the verb, past the last '的'."""
    tail = re.sub("^(?:" + "|".join(p for _, p in ZH_VERBS) + ")", "", after_verb)
    tail = re.split(r"[，。！？,.!?]", tail)[0].rsplit("的", 1)[-1].strip()
    if not tail or any(tail in name for name in place_names):
        return []
    return [Entity(name=_short_zh(tail), noun="friend", proper=True)]


def _short_zh(name: str) -> str:
    """A name short enough to say again and again: six characters of Chinese, or a few Latin words."""
    return name[:6] if cjk_characters(name) else " ".join(name.split()[:3])[:40]


def _scan_zh(text: str, forms: dict[str, str], skip: list[tuple[int, str, str]] = ()) -> list[tuple[int, str, str]]:
    """Longest-first, non-overlapping matches of known words: (position, form, key)."""
    taken = {i for start, form, _ in skip for i in range(start, start + len(form))}
    hits = []
    for form in sorted(forms, key=len, reverse=True):
        for match in re.finditer(re.escape(form), text):
            span = set(range(match.start(), match.end()))
            if not span & taken:
                taken |= span
                hits.append((match.start(), form, forms[form]))
    return sorted(hits)


def _entity_zh(text: str, hit: tuple[int, str, str], w: World) -> Entity:
    start, form, key = hit
    name = form
    if start > 0 and text[start - 1] in "小大老" and not form.startswith(text[start - 1]):
        name = text[start - 1] + form
    end = start + len(form)
    group = text[max(0, start - 2) : start] in ("一群", "很多", "许多") or text[end : end + 1] == "们"
    return Entity(name=name, kind=key, noun=key, plural=group)
