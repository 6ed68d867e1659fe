"""Reading a premise into a structure before planning (`PremiseReading`): who it is
about (with count, age, size, traits and relations), the goal as a verb phrase, what
stands in the way, places, props, weather and time of day.

English is read by a small lexicon-driven parser: lemminflect's part-of-speech
lexicon and lemmas find the main verb and the noun phrases; the world data names
creatures, things and places; the tables below name story verbs and threats.
Chinese is segmented and tagged by jieba, with the world's Chinese names added to
its dictionary. Both run offline from data that pip installs.

Why not spaCy: its parser would find the verb as well, but its English pipeline
is on PyPI only as third-party re-uploads of Explosion's model; a package of
model weights from an unknown uploader is a supply-chain risk we do not need for
one-line premises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from storyagent.errors import PremiseError
from storyagent.storyboard import (
    Age,
    PremiseCharacter,
    PremiseReading,
    PremiseThing,
    Stature,
    StoryKind,
    Threat,
    TimeOfDay,
    Weather,
)
from storyagent.storyboard.language import cjk_characters, lemmas
from storyagent.world import World, world

GROUP = 4  # figures drawn for a group the premise does not count ("penguins", "a choir")
MAX_NAME_WORDS = 4


def detect_language(text: str) -> Literal["en", "zh"]:
    return "zh" if cjk_characters(text) * 3 >= len(text.replace(" ", "")) or cjk_characters(text) >= 4 else "en"


def read_premise(text: str, language: Literal["en", "zh"] | None = None) -> PremiseReading:
    """The premise read into a structure. Whatever the premise says, the reading has a
    story kind and at least one character, so every premise gives a film."""
    text = " ".join(text.split())
    if not text:
        raise PremiseError('the premise is empty; describe the story in a line, e.g. "polar bear visits penguins"')
    reading = _read_zh(text) if cjk_characters(text) else _read_en(text)
    return _completed(reading)


# -- story words (English) -------------------------------------------------------------

# The goal verb's lemma -> the story it tells. Verbs not listed tell a day of doing it.
STORY_VERBS: dict[StoryKind, str] = {
    StoryKind.BUILD: "build make bake cook craft paint draw knit sew repair fix mend plant grow dig carve decorate "
    "write compose create construct assemble invent sculpt weave prepare brew stitch restore open start found",
    StoryKind.SEARCH: "search look seek hunt find track lose miss recover retrieve",
    StoryKind.RESCUE: "rescue save help free protect guard heal nurse shelter defend",
    StoryKind.RACE: "race compete beat challenge chase outrun win battle",
    StoryKind.LEARN: "learn practise practice join train master study audition perform sing dance",
    StoryKind.SURVIVE: "weather survive endure brave escape outlast withstand hide",
    StoryKind.BEFRIEND: "befriend meet greet love adopt welcome",
    StoryKind.QUEST: "visit go travel sail fly walk climb cross explore journey return reach head deliver carry bring "
    "take swim ride row drive run migrate follow float cycle hike trek crawl",
}
STORY_OF_VERB = {verb: kind for kind, verbs in STORY_VERBS.items() for verb in verbs.split()}
# Verbs whose "to ..." says what the story is really about: "wants to join the choir".
LONGING = {"want", "try", "hope", "wish", "long", "dream", "decide", "need", "plan", "learn", "set", "promise",
           "love", "like", "refuse", "attempt", "must", "have", "start", "begin", "vow", "help"}
PHRASAL = {("look", "for"): "search", ("look", "after"): "protect", ("set", "off"): "travel", ("set", "out"): "travel",
           ("make", "friends"): "befriend", ("search", "for"): "search", ("hunt", "for"): "search",
           ("go", "looking"): "search", ("ride", "out"): "weather", ("get", "through"): "survive",
           ("take", "care"): "protect", ("put", "on"): "perform", ("clean", "up"): "clean"}
AUXILIARIES = {"is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "can", "could",
               "must", "should", "shall", "may", "might", "does", "do", "did", "gets", "get", "go", "goes"}
DETERMINERS = {"a", "an", "the", "his", "her", "their", "its", "my", "our", "your", "some", "this", "that", "these",
               "those", "every", "all", "each", "many", "several", "few"}
POSSESSIVES = {"his", "her", "their", "its", "my", "our", "your"}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "twin": 2, "twins": 2, "pair": 2, "couple": 2, "dozen": 12}
GROUP_NOUNS = {"flock", "herd", "pack", "school", "colony", "family", "group", "band", "team", "crew", "gang", "pod",
               "swarm", "troop", "choir", "orchestra", "class", "club", "troupe", "tribe", "crowd", "litter"}
# Group nouns that are the goal's object stand for a group of the place's creatures: "join the reef choir".
AGES = {"old": Age.OLD, "elderly": Age.OLD, "aged": Age.OLD, "ancient": Age.OLD, "grey": Age.OLD, "young": Age.YOUNG,
        "baby": Age.YOUNG, "little": Age.YOUNG, "tiny": Age.YOUNG, "newborn": Age.YOUNG, "teenage": Age.YOUNG}
STATURES = {"little": Stature.LITTLE, "tiny": Stature.LITTLE, "small": Stature.LITTLE, "wee": Stature.LITTLE,
            "big": Stature.BIG, "giant": Stature.BIG, "huge": Stature.BIG, "enormous": Stature.BIG,
            "great": Stature.BIG, "large": Stature.BIG}
CHILDREN = {"girl", "boy", "child", "kid", "baby", "granddaughter", "grandson", "grandchild", "sister", "brother",
            "daughter", "son"}
YOUNG_NOUNS = CHILDREN | {"cub", "puppy", "kitten", "chick", "duckling", "calf", "foal", "lamb", "bunny", "piglet",
                          "joey", "fawn", "owlet", "tadpole"}
# Words for time and the way, never a prop: 'find its way home at night'.
NOT_THINGS = {"way", "home", "time", "night", "day", "morning", "evening", "dawn", "dusk", "midnight", "life", "world",
              "everything", "something", "nothing", "anything", "one", "weekend", "summer", "winter", "spring",
              "autumn", "fall", "year", "today", "tomorrow", "tonight", "moment", "chance", "best", "help"}
OLD_NOUNS = {"grandpa", "grandma", "grandfather", "grandmother", "granny", "grandad", "grandpa's", "elder"}
KIN = {"grandpa", "grandma", "granny", "grandad", "grandfather", "grandmother", "mum", "mom", "dad", "papa", "mama",
       "mother", "father", "sister", "brother", "aunt", "uncle", "granddaughter", "grandson", "daughter", "son",
       "cousin", "grandchild", "baby"}
PEOPLE_SUFFIXES = ("er", "or", "ist", "ian", "man", "woman", "person", "keeper", "maker", "smith")
NOT_PEOPLE = {"water", "weather", "paper", "river", "tower", "winter", "summer", "flower", "letter", "ladder",
              "corner", "thunder", "silver", "dinner", "supper", "sweater", "computer", "harbor", "door", "floor",
              "anchor", "mirror", "tractor", "helicopter", "timber", "border", "number", "hammer", "poster", "sticker",
              "sculpture", "cucumber", "spider", "monster", "oyster", "lobster", "hamster", "rooster", "otter",
              "beaver", "tiger", "panther", "leopard", "butter", "color", "colour", "cover", "power", "order",
              "flour", "hour", "cellar", "calendar", "gutter", "shower", "scooter", "heater", "locker", "diaper"}
THREAT_WORDS: list[tuple[Threat, str]] = [
    (Threat.STORM, r"storms?|thunder\w*|hurricane|typhoon|gale|tempest|lightning|cyclone|tornado"),
    (Threat.SUN, r"sun|melts?|melting|heat|hot|summer|thaw\w*"),
    (Threat.NIGHT, r"night\w*|dark\w*|bedtime|nightfall|sundown|sunset"),
    (Threat.COLD, r"cold|freez\w*|blizzard|winter|frost\w*|ice storm|snowstorm"),
    (Threat.RAIN, r"rain|rainy|raining|rainstorm|flood\w*|downpour"),
    (Threat.FOG, r"fog\w*|mist\w*"),
    (Threat.RIVAL, r"rivals?|bully|bullies|versus|vs\.?|against"),
    (Threat.FEAR, r"shy|afraid|scared|fear\w*|nervous|timid|frightened|worried"),
    (Threat.DISTANCE, r"far|faraway|far-away|across the world|long way|distant|other side"),
    (Threat.TIME, r"before|tide|deadline|in time|leaves|closes|ends|tomorrow|morning|clock|runs out|starts"),
]
OBSTACLE_START = r"\b(?:before|until|till|while|during|despite|although|though|even though|in spite of|as soon as|" \
                 r"when|against the clock|but)\b"
WEATHER_WORDS = {Weather.STORM: r"storms?|thunder|thunderstorms?|hurricane|typhoon|gale|tempest|lightning|blizzard|"
                 r"snowstorm", Weather.RAIN: r"rain|rainy|raining|rainstorm|drizzle|downpour|puddles?",
                 Weather.SNOW: r"snow|snowy|snowing|snowfall|snowflakes?|winter|frost|frosty",
                 Weather.FOG: r"fog\w*|mist\w*", Weather.CLOUDY: r"cloudy|grey sky|overcast"}
TIME_WORDS = {TimeOfDay.NIGHT: r"night\w*|midnight|moonlight|dark|bedtime|stars", TimeOfDay.DAWN: r"dawn|sunrise|morning",
              TimeOfDay.DUSK: r"dusk|sunset|evening|twilight"}
FILLER = {"together", "again", "alone", "today", "tonight", "once", "at", "last", "finally", "all", "day", "long",
          "secretly", "quickly", "slowly", "happily", "bravely", "carefully"}


# -- the reading in progress -------------------------------------------------------------


@dataclass
class _Reading:
    text: str
    language: Literal["en", "zh"]
    story: StoryKind = StoryKind.DAY
    characters: list[PremiseCharacter] = field(default_factory=list)
    action: str = ""
    verb: str | None = None
    target: str | None = None
    obstacle: str = ""
    threat: Threat | None = None
    places: list[PremiseThing] = field(default_factory=list)
    props: list[PremiseThing] = field(default_factory=list)
    weather: Weather | None = None
    time_of_day: TimeOfDay | None = None
    notes: list[str] = field(default_factory=list)

    def add_character(self, character: PremiseCharacter) -> None:
        if not any(c.name == character.name and c.role == character.role for c in self.characters):
            self.characters.append(character)

    def add_place(self, name: str, kind: str | None) -> None:
        if not name.strip() or kind and any(p.kind == kind for p in self.places) or any(p.name == name for p in self.places):
            return
        self.places.append(PremiseThing(name=name, kind=kind))

    def add_prop(self, name: str, kind: str | None) -> None:
        if name.strip() and not any(p.name == name or kind and p.kind == kind for p in self.props):
            self.props.append(PremiseThing(name=name, kind=kind))


def _completed(r: _Reading) -> PremiseReading:
    if not r.characters:
        r.characters.append(PremiseCharacter(name="friend" if r.language == "en" else "小伙伴", kind="friend"))
        r.notes.append("the premise names nobody: the story follows a friend")
    heroes = [c for c in r.characters if c.role != "other"]
    if not heroes:
        r.characters[0] = r.characters[0].model_copy(update={"role": "hero"})
    if r.story in (StoryKind.RACE, StoryKind.BEFRIEND, StoryKind.RESCUE) and not any(c.role == "other" for c in r.characters):
        companions = [c for c in r.characters if c.role == "companion"]
        if companions:  # "the tortoise and the hare race": rivals, not fellow travellers
            r.characters = [c.model_copy(update={"role": "other"}) if c is companions[0] else c for c in r.characters]
    if r.story == StoryKind.BUILD and r.target:  # what is built is a prop, even a snowman
        built = [c for c in r.characters if c.role == "other" and c.kind == r.target]
        for character in built:
            r.characters.remove(character)
            r.add_prop(character.name, character.kind)
    r.notes += _drawn_as(r)
    if r.threat is None and any(c.traits for c in r.characters if c.role == "hero"):
        shy = {"shy", "afraid", "scared", "timid", "nervous", "frightened"}
        if any(t in shy for c in r.characters for t in c.traits):
            r.threat = Threat.FEAR
    return PremiseReading(text=r.text, story=r.story, characters=r.characters, action=r.action, verb=r.verb,
                          target=r.target, obstacle=r.obstacle, threat=r.threat, places=r.places, props=r.props,
                          weather=r.weather, time_of_day=r.time_of_day, notes=r.notes)


def _drawn_as(r: _Reading) -> list[str]:
    """What is drawn as its nearest kind: "'kitten' is drawn as a cat"."""
    w = world()
    notes = []
    for name, kind in [*((c.name, c.kind) for c in r.characters), *((p.name, p.kind) for p in r.props)]:
        creature = w.creatures.get(kind or "")
        if creature is None or kind in ("person", "friend"):
            continue
        names = {creature.key, creature.plural, *creature.zh, *creature.keywords}
        if not any(known and known in name.lower() for known in names):
            notes.append(f"'{name}' is drawn as {'a' if creature.key[0] not in 'aeiou' else 'an'} {creature.key}")
    return notes


# -- English ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    text: str
    lower: str




def _verb_lemma(word: str) -> str | None:
    known = lemmas(word.lower()).get("VERB")
    if known:
        return known[0]
    if word.lower() in STORY_OF_VERB:
        return word.lower()
    return None


FUNCTION_WORDS = {"of", "to", "in", "on", "at", "for", "with", "by", "from", "and", "or", "but", "into", "onto",
                  "across", "through", "over", "under", "near", "who", "that", "which", "so", "as", "than"}


def _is_noun(word: str, w: World) -> bool:
    lower = word.lower()
    if lower in FUNCTION_WORDS:
        return False
    known = lemmas(lower)
    return bool("NOUN" in known or "PROPN" in known or not known or _kind_of([lower], w) or lower in NUMBERS)


def _words(text: str) -> list[_Word]:
    return [_Word(m.group(), m.group().lower()) for m in re.finditer(r"[A-Za-z][\w'-]*|\d+", text)]


def _read_en(text: str) -> _Reading:
    w = world()
    r = _Reading(text=text, language="en")
    sentence = _main_sentence(text)
    clause, r.obstacle = _split_obstacle(sentence)
    words = _words(clause)
    verb_at = _main_verb(words, w)
    subject = words[:verb_at] if verb_at is not None else words
    for character in _noun_phrases(subject, w, role="hero"):
        r.add_character(character)
    if verb_at is not None:
        _read_predicate(words[verb_at:], r, w)
    _read_scene_words(text, r, w)
    _read_threat(text, r)
    return r


def _main_sentence(text: str) -> str:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return sentences[0].rstrip(".!?") if sentences else text


def _split_obstacle(sentence: str) -> tuple[str, str]:
    """'two robots build a snowman before the sun melts it' -> the clause and 'before the sun melts it'."""
    match = re.search(OBSTACLE_START, sentence, re.IGNORECASE)
    if not match or match.start() == 0:
        return sentence, ""
    return sentence[: match.start()].rstrip(" ,"), sentence[match.start():].strip(" ,.")


def _main_verb(words: list[_Word], w: World) -> int | None:
    """Where the predicate starts: the first word that can be a verb, right after a noun of the
    subject, in a form that agrees with it ('a seagull weather' is no verb; 'two robots build' is)."""
    plural_subject = False
    for i in range(1, len(words)):
        word, before = words[i], words[i - 1]
        if word.lower in ("and", "&", "with") or before.lower in ("and", "with"):
            plural_subject = plural_subject or word.lower in ("and", "&")
            continue
        if word.lower in ("named", "called"):
            continue
        if before.lower in ("named", "called"):
            continue
        if word.lower in AUXILIARIES and _is_noun(before.text, w):
            return i
        if before.lower in DETERMINERS or before.lower in NUMBERS or not _is_noun(before.text, w):
            continue
        if _kind_of([before.lower, word.lower], w) or _place_alias(f"{before.lower} {word.lower}", w):
            continue  # 'polar bear', 'coral reef': one name
        lemma = _verb_lemma(word.text)
        if lemma is None or (word.text[:1].isupper() and i > 0):
            continue
        plural = plural_subject or _plural_noun(before.lower, w) or any(x.lower in NUMBERS for x in words[:i])
        if plural or word.lower != lemma or lemma in ("must", "can") or word.lower.endswith("ed"):
            return i
    return None


def _plural_noun(word: str, w: World) -> bool:
    kind = _kind_of([word], w)
    if kind and w.creatures[kind].plural == word and word != kind:
        return True
    known = lemmas(word).get("NOUN")
    return bool(known and known[0] != word and word.endswith("s"))


def _read_predicate(words: list[_Word], r: _Reading, w: World) -> None:
    i = 0
    while i < len(words) and words[i].lower in AUXILIARIES and i + 1 < len(words) and _verb_lemma(words[i + 1].text):
        i += 1  # 'is looking for', 'will build'
    lemma = _verb_lemma(words[i].text) or words[i].lower
    # 'wants to join', 'tries to build', 'learns to fly': the story is the second verb's
    while lemma in LONGING and i + 2 < len(words) and words[i + 1].lower == "to" and _verb_lemma(words[i + 2].text):
        if lemma == "learn":
            r.story = StoryKind.LEARN
        if lemma in ("want", "hope", "wish", "long", "dream"):
            r.notes.append(f"the hero longs to: {' '.join(x.text for x in words[i + 2:])}")
        i += 2
        lemma = _verb_lemma(words[i].text) or words[i].lower
    rest = words[i + 1:]
    helped = _helped_then(rest, w) if lemma == "help" else None
    if helped is not None:  # 'helps grandma bake a cake': a story of baking, with grandma
        for character in _noun_phrases(rest[:helped], w, role="companion"):
            r.add_character(character)
        _read_predicate(rest[helped:], r, w)
        return
    particle = rest[0].lower if rest else ""
    verb = PHRASAL.get((lemma, particle), lemma)
    if (lemma, particle) in PHRASAL:
        rest = rest[1:]
        if particle == "friends" and rest and rest[0].lower == "with":
            rest = rest[1:]
    r.verb = verb
    if r.story != StoryKind.LEARN:
        r.story = STORY_OF_VERB.get(verb, StoryKind.DAY)
    if r.story == StoryKind.QUEST and verb in ("fly", "ride", "sail", "row", "drive", "float") and rest \
            and rest[0].lower not in LOCATIVE:  # 'fly a kite', 'sail a boat': a day of doing it, not a journey
        r.story = StoryKind.DAY
    particle_words = words[i + 1: len(words) - len(rest)]
    bare = bool(rest) and rest[0].lower not in DETERMINERS | NUMBERS.keys() | FUNCTION_WORDS \
        and not rest[0].text[:1].isupper() and _beings(_phrases(rest)[0][1], w)
    said = [x.text for x in particle_words] + (["the"] if bare else []) + [x.text for x in rest]  # 'visit the penguins'
    r.action = " ".join([lemma, *(word for word in said if word.lower() not in FILLER)])
    _read_object(rest, r, w)


def _helped_then(words: list[_Word], w: World) -> int | None:
    """Where the helped one's own verb starts: 'grandma bake a cake' -> 1."""
    for i in range(1, min(len(words), 5)):
        if words[i].lower == "to" and i + 1 < len(words):
            return i + 1
        lemma = _verb_lemma(words[i].text)
        if lemma and lemma in STORY_OF_VERB and words[i].lower == lemma and _beings(words[:i], w):
            return i
    return None


def _read_object(words: list[_Word], r: _Reading, w: World) -> None:
    """The goal's object and the phrases after it: whom, what, where."""
    for preposition, phrase in _phrases(words):
        if not phrase:
            continue
        head = phrase[-1].lower
        place = _place_in(phrase, w)
        if _weather_of(head):
            r.weather = r.weather or _weather_of(head)
            r.threat = r.threat or (Threat.STORM if _weather_of(head) == Weather.STORM else None)
            r.target = r.target or head
            continue
        group = head in GROUP_NOUNS or (len(phrase) > 1 and phrase[-2].lower in GROUP_NOUNS and phrase[-1].lower == "of")
        beings = _beings(phrase, w)
        if group and not beings:
            natives = _natives(phrase, r, w)
            r.add_character(PremiseCharacter(name=head, kind=natives, count=GROUP, role="other"))
            if natives:
                r.notes.append(f"the {head} is drawn as a group of {w.creatures[natives].plural}")
            if place:
                r.add_place(" ".join(x.lower for x in phrase if x.lower not in DETERMINERS and x.lower != head), place)
            r.target = r.target or head
            continue
        built = r.story == StoryKind.BUILD and not preposition  # 'build a straw house': a thing, not a place
        if place and not built and not _beings(phrase, w) and (preposition in LOCATIVE or not preposition):
            r.add_place(" ".join(x.lower for x in phrase if x.lower not in DETERMINERS), place)
            if r.story == StoryKind.QUEST and preposition in ("to", "into", ""):
                r.target = r.target or _place_word(phrase, w)
            continue
        if beings and r.story == StoryKind.BUILD and not preposition:  # what is built is a thing: a snowman
            beings = False
        if beings:
            role = "companion" if preposition == "with" and r.story not in (StoryKind.RACE, StoryKind.BEFRIEND) else "other"
            for character in _noun_phrases(phrase, w, role=role, known=r.characters):
                r.add_character(character)
                r.target = r.target or (None if role == "companion" else _english_name(character, w))
            continue
        noun = _thing_name(phrase, w)
        if noun and noun.split()[-1] not in NOT_THINGS:
            near = w.nearest([noun.split()[-1]])
            kind = _kind_of([noun], w) or _kind_of([head], w) or (near[0] if near and w.creatures[near[0]].thing else None)
            r.add_prop(noun, kind)
            r.target = r.target or noun
            if place:
                r.add_place(place, place)


LOCATIVE = {"in", "at", "on", "across", "through", "over", "into", "around", "under", "near", "to", "from", "inside",
            "beyond", "up", "down", "along", "past", "toward", "towards", "onto", "behind"}


def _phrases(words: list[_Word]) -> list[tuple[str, list[_Word]]]:
    """The words after a verb cut at prepositions and 'and': [('', 'a snowman'), ('in', 'the park')]."""
    out: list[tuple[str, list[_Word]]] = [("", [])]
    participle = False
    prepositions = {"in", "at", "on", "across", "through", "over", "into", "around", "under", "near", "to", "from",
                    "for", "with", "of", "inside", "beyond", "and", "by", "up", "down", "along", "past", "toward",
                    "towards", "onto", "behind", "after"}
    for word in words:
        known = lemmas(word.lower)
        if out[-1][1] and "VERB" in known and "NOUN" not in known and word.lower.endswith(("ed", "en", "ing")):
            out.append(("that", []))  # 'a sea turtle tangled in a net': what follows describes, it names nothing
            participle = True
        elif word.lower in prepositions and not (word.lower == "of" and out[-1][1] and out[-1][1][-1].lower in GROUP_NOUNS):
            out.append((word.lower if word.lower != "and" else out[-1][0], []))
        elif word.lower not in FILLER and not (participle and out[-1][0] == "that"):
            out[-1][1].append(word)
    return out


def _noun_phrases(words: list[_Word], w: World, role: str,
                  known: list[PremiseCharacter] | None = None) -> list[PremiseCharacter]:
    """Characters named in a run of words: 'an old lighthouse keeper and a seagull' -> two."""
    parts: list[list[_Word]] = [[]]
    for word in words:
        if word.lower in ("and", "&", ",", "with", "plus"):
            parts.append([])
        else:
            parts[-1].append(word)
    found: list[PremiseCharacter] = []
    for part in parts:
        character = _character(part, w, role, [*(known or []), *found])  # 'its mother': whose
        if character:
            found.append(character)
            role = "companion" if role == "hero" else role
    return found


def _character(words: list[_Word], w: World, role: str, before: list[PremiseCharacter]) -> PremiseCharacter | None:
    words = [x for x in words if x.lower not in FILLER and x.lower not in ("named", "called")]
    count, age, stature, traits, relation = 1, None, None, [], ""
    owner = None
    rest: list[_Word] = []
    for at, word in enumerate(words):
        lower = word.lower
        if lower in POSSESSIVES:
            owner = before[-1] if before else None
        elif lower in NUMBERS and at + 1 < len(words):
            count = NUMBERS[lower]
        elif re.fullmatch(r"\d+", lower):
            count = min(50, int(lower))
        elif lower in DETERMINERS or lower == "of":
            continue
        elif not rest and (lower in AGES or lower in STATURES) and at + 1 < len(words):
            age = age or AGES.get(lower)
            stature = stature or STATURES.get(lower)
        elif not rest and at + 1 < len(words) and "ADJ" in lemmas(lower) and not _kind_of([lower, words[at + 1].lower], w):
            traits.append(lower)
        else:
            rest.append(word)
    if not rest:
        return None
    if rest[0].lower in GROUP_NOUNS and len(rest) > 1:  # 'a flock of sheep'
        rest = rest[1:]
        count = max(count, GROUP)
    proper = [x.text for x in rest if x.text[:1].isupper() and not _kind_of([x.lower], w)]
    nouns = [x.lower for x in rest]
    kind = _kind_of(nouns[-3:], w) or _kind_of(nouns[-2:], w) or _kind_of(nouns[-1:], w)
    living = [k for k in (_kind_of([n], w) for n in nouns[:-1]) if k and not w.creatures[k].thing]
    if living and (kind is None or kind == "person" or _person_word(_singular(nouns[-1]))):
        if _singular(nouns[-1]) in YOUNG_NOUNS:  # 'a fox cub' is a young fox
            age = age or Age.YOUNG
        else:  # 'a penguin postman' is a penguin who is a postman
            traits.append(_singular(nouns[-1]))
        kind = living[-1]
    name = " ".join(x.text if x.text in proper else x.lower for x in rest[-MAX_NAME_WORDS:])
    if proper and kind:  # 'Rex the dog', 'Zoë the fox': a named creature
        name = " ".join(proper[:MAX_NAME_WORDS])
    head = nouns[-1]
    if count == 1 and _plural_noun(head, w):
        count = GROUP
    singular = w.creatures[kind].key if kind else _singular(head)
    near = w.nearest([singular]) if kind is None and not proper and not _person_word(singular) else None
    if near and not w.creatures[near[0]].thing:  # a kitten is drawn as a cat
        kind = near[0]
    if kind is None and (_person_word(singular) or proper):
        kind = "person"
    if kind and w.creatures[kind].thing and role == "other":
        return None  # a thing met or sought is a prop; a thing that acts ('a lonely snowman') is a character
    if kind is None and not _is_noun(head, w):
        return None
    if singular in YOUNG_NOUNS and age is None:
        age = Age.YOUNG
    if singular in OLD_NOUNS and age is None:
        age = Age.OLD
    people = {None, "person", *(key for key in w.creatures if _person_word(key))}
    if owner is not None and singular in KIN and owner.kind not in people:
        kind = owner.kind  # an elephant's little brother is an elephant, a duckling's mother a duck
    if owner is not None:
        relation = f"{singular} of {owner.name}"
    elif singular in KIN and before:
        relation = f"{singular} of {before[0].name}"
    return PremiseCharacter(name=name, kind=kind, count=count, age=age, stature=stature, traits=traits,
                            relation=relation, role=role)


def _person_word(noun: str) -> bool:
    return noun in KIN or noun in CHILDREN or (noun.endswith(PEOPLE_SUFFIXES) and noun not in NOT_PEOPLE)


def _singular(noun: str) -> str:
    known = lemmas(noun).get("NOUN")
    return known[0] if known else noun


def _beings(words: list[_Word], w: World) -> bool:
    nouns = [x.lower for x in words if x.lower not in DETERMINERS]
    if not nouns:
        return False
    kind = _kind_of(nouns[-3:], w) or _kind_of(nouns[-2:], w) or _kind_of(nouns[-1:], w)
    if kind:
        return not w.creatures[kind].thing
    head = _singular(nouns[-1])
    return _person_word(head) or any(x.text[:1].isupper() for x in words if x.lower not in DETERMINERS)


def _thing_name(words: list[_Word], w: World) -> str | None:
    """The thing a phrase names: its last word, with a noun before it that makes a compound
    ('birthday cake', 'straw house'); 'lost', 'leaky' and 'red' describe, they do not name."""
    content = [x.lower for x in words if x.lower not in DETERMINERS and x.lower not in NUMBERS
               and x.lower not in FUNCTION_WORDS]
    if not content:
        return None
    head = content[-1]
    kind = _kind_of(content[-2:], w)
    if kind:
        return kind
    compound = content[-2] if len(content) > 1 and _noun_not_modifier(content[-2]) else None
    return " ".join([*([compound] if compound else []), _singular(head)])


def _noun_not_modifier(word: str) -> bool:
    """'kite', 'bike' (nouns that can be verbs) but not 'lost', 'leaky' or 'red' before a noun."""
    known = lemmas(word)
    return "NOUN" in known and "ADJ" not in known or not known


def _natives(words: list[_Word], r: _Reading, w: World) -> str | None:
    """Who a group is made of: the creatures of the place named with it ('the reef choir': fish),
    else the hero's own kind."""
    place = _place_in(words, w) or (r.places[0].kind if r.places else None)
    if place:
        living = [key for key, c in w.kinds.items() if c.home == place and not c.thing]
        if living:
            return living[0]
    heroes = [c.kind for c in r.characters if c.role == "hero" and c.kind and c.kind not in ("person", "friend")]
    return heroes[0] if heroes else None


def _english_name(character: PremiseCharacter, w: World) -> str:
    return w.creatures[character.kind].key if character.kind and character.kind != "person" else _singular(character.name.split()[-1])


def _kind_of(words: list[str], w: World) -> str | None:
    """The creature or thing the words name together ('sea turtle', 'penguins')."""
    if not words:
        return None
    candidate = " ".join(words)
    for key, creature in w.creatures.items():
        if candidate == key or candidate == creature.plural:
            return key
    return None


def _place_alias(phrase: str, w: World) -> str | None:
    for key, place in w.places.items():
        if phrase in place.aliases:
            return key
    return None


def _place_in(words: list[_Word], w: World) -> str | None:
    lowered = [x.lower for x in words]
    for size in (3, 2, 1):
        for start in range(len(lowered) - size + 1):
            found = _place_alias(" ".join(lowered[start:start + size]), w)
            if found:
                return found
    return None


def _place_word(words: list[_Word], w: World) -> str | None:
    return " ".join(x.lower for x in words if x.lower not in DETERMINERS) or None


def _weather_of(word: str) -> Weather | None:
    for weather, pattern in WEATHER_WORDS.items():
        if re.fullmatch(pattern, word, re.IGNORECASE):
            return weather
    return None


def _read_scene_words(text: str, r: _Reading, w: World) -> None:
    """Places, creatures, things, weather and time named anywhere in the text."""
    lowered = text.lower()
    # 'sea turtle' names no sea; a 'lighthouse keeper' keeps a lighthouse
    taken = [(m.start(), m.end()) for name in [*(c.name for c in r.characters
                                                  if not _person_word(_singular(c.name.split()[-1].lower()))),
                                                *(p.name for p in r.props)] if " " in name
             for m in re.finditer(re.escape(name.lower()), lowered)]
    for key, place in sorted(w.places.items(), key=lambda item: -max(len(a) for a in item[1].aliases)):
        for alias in sorted(place.aliases, key=len, reverse=True):
            match = re.search(rf"\b{re.escape(alias)}\b", lowered)
            if match and not any(a <= match.start() < b for a, b in taken):
                taken.append((match.start(), match.end()))
                r.add_place(alias, key)
                break
    r.places.sort(key=lambda p: lowered.find(p.name) if p.name in lowered else len(lowered))
    named = {c.name for c in r.characters} | {c.kind for c in r.characters if c.kind}
    for key, creature in sorted(w.creatures.items(), key=lambda item: -len(item[0])):
        for form in (creature.plural, key):
            if not form or not re.search(rf"\b{re.escape(form)}\b", lowered):
                continue
            if any(form in n or n in form for n in named) or any(form in p.name for p in [*r.places, *r.props]):
                break
            if creature.thing:
                r.add_prop(key, key)
            elif creature.home:
                r.add_character(PremiseCharacter(name=form, kind=key, count=GROUP if form != key else 1, role="other"))
            named.add(form)
            break
    for weather, pattern in WEATHER_WORDS.items():
        if r.weather is None and re.search(rf"\b(?:{pattern})\b", lowered):
            r.weather = weather
    for time, pattern in TIME_WORDS.items():
        if r.time_of_day is None and re.search(rf"\b(?:{pattern})\b", lowered):
            r.time_of_day = time


def _read_threat(text: str, r: _Reading) -> None:
    where = r.obstacle or text
    for threat, pattern in THREAT_WORDS:
        if re.search(rf"\b(?:{pattern})\b", where, re.IGNORECASE):
            r.threat = r.threat or threat
            break
    if r.threat is None and r.obstacle:
        r.threat = Threat.TIME


# -- Chinese --------------------------------------------------------------------------------

ZH_STORY_VERBS: list[tuple[str, str]] = [  # (Chinese verb, English verb): the longest first where they overlap
    ("寻找", "search"), ("找寻", "search"), ("找到", "find"), ("去找", "search"), ("在找", "search"), ("找", "search"),
    ("堆", "build"), ("搭", "build"), ("建造", "build"), ("盖", "build"), ("造", "build"), ("做", "make"),
    ("烤", "bake"), ("织", "knit"), ("画", "paint"), ("种", "plant"), ("修补", "repair"), ("修理", "repair"),
    ("修", "repair"), ("拯救", "rescue"), ("救", "rescue"), ("帮助", "help"), ("帮", "help"), ("保护", "protect"),
    ("照顾", "protect"), ("比赛", "race"), ("赛跑", "race"), ("挑战", "challenge"), ("加入", "join"), ("学会", "learn"),
    ("学习", "learn"), ("学", "learn"), ("练习", "practise"), ("度过", "weather"), ("熬过", "weather"),
    ("躲过", "weather"), ("躲避", "hide"), ("抵御", "weather"), ("看望", "visit"), ("拜访", "visit"), ("探望", "visit"),
    ("送", "deliver"), ("认识", "befriend"), ("交朋友", "befriend"), ("结识", "befriend"), ("遇见", "meet"),
    ("前往", "travel"), ("飞向", "fly"), ("飞往", "fly"), ("飞", "fly"), ("去", "go"), ("穿越", "cross"), ("穿过", "cross"),
    ("爬回", "crawl"), ("爬", "crawl"), ("登上", "climb"), ("唱歌", "sing"), ("唱", "sing"), ("跳舞", "dance"),
    ("游", "swim"), ("放", "fly"), ("钓鱼", "fish"), ("钓", "fish"), ("搬", "carry"), ("运", "carry"), ("挖", "dig"),
    ("回到", "return"), ("回家", "return"),
]
# Verbs of getting somewhere: when a premise has another story verb too, that one is the goal
# ('穿过冰山给海豹送信' is a delivery across the icebergs).
WAYS = {"go", "travel", "cross", "crawl", "climb", "fly", "swim", "walk", "run", "return"}
ZH_ALONG = ("带着", "带", "陪着", "陪", "和", "与", "跟", "同", "、")  # words that join a companion to the hero
ZH_COUNTS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ZH_GROUP = ("一群", "很多", "许多", "一些", "几")
ZH_KIN = {"爷爷": "grandpa", "奶奶": "grandma", "外公": "grandpa", "外婆": "grandma", "姥姥": "grandma", "妈妈": "mother",
          "爸爸": "father", "哥哥": "brother", "姐姐": "sister", "弟弟": "brother", "妹妹": "sister", "孙女": "granddaughter",
          "孙子": "grandson"}
ZH_TRAITS = {"害羞": "shy", "勇敢": "brave", "孤独": "lonely", "好奇": "curious", "胆小": "timid", "聪明": "clever",
             "懒惰": "lazy", "快乐": "happy", "善良": "kind"}
ZH_OBSTACLE = r"(?:赶在|趁|在)?[^，。,在]{1,12}?(?:来临|到来|上涨|落山|升起|融化|天黑)?(?:之前|以前|前)(?=[^面边]|$)|" \
              r"直到[^，。,]*|(?:在)?(?:暴风雨|风暴|雷雨|暴风雪|大雨|大雪)(?:中|里|之中|来临前)?"
ZH_THREATS: list[tuple[Threat, str]] = [
    (Threat.STORM, r"暴风雨|风暴|雷雨|台风|暴风雪|雷"), (Threat.SUN, r"太阳|融化|晒|夏天"), (Threat.NIGHT, r"天黑|夜|黑暗"),
    (Threat.COLD, r"寒冷|冬天|结冰|冷"), (Threat.RAIN, r"下雨|大雨|洪水"), (Threat.FOG, r"雾"),
    (Threat.RIVAL, r"比赛|对手|挑战"), (Threat.FEAR, r"害羞|害怕|胆小|紧张"), (Threat.DISTANCE, r"遥远|很远|远方"),
    (Threat.TIME, r"之前|以前|来不及|赶在|前"),
]
ZH_WEATHER = {Weather.STORM: r"暴风雨|风暴|雷雨|台风|暴风雪", Weather.RAIN: r"下雨|雨", Weather.SNOW: r"雪|冬天",
              Weather.FOG: r"雾"}
ZH_WEATHER_WORDS = ("暴风雨", "风暴", "雷雨", "台风", "暴风雪", "大雨", "大雪", "雨", "雪", "雾", "风")
ZH_TIME = {TimeOfDay.NIGHT: r"夜|晚上|星星|月光", TimeOfDay.DAWN: r"清晨|黎明|早晨|日出", TimeOfDay.DUSK: r"黄昏|傍晚|夕阳"}


@lru_cache(maxsize=1)
def _segmenter():
    """jieba's tagger with the world's Chinese names as words (loaded once: ~0.5 s)."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    w = world()
    for creature in w.creatures.values():
        for name in creature.zh:
            jieba.add_word(name, tag="n")
    for place in w.places.values():
        for name in [place.zh, *place.zh_aliases]:
            jieba.add_word(name, tag="ns")
    for verb, _ in ZH_STORY_VERBS:
        jieba.add_word(verb, tag="v")
    return jieba.posseg


def _read_zh(text: str) -> _Reading:
    w = world()
    r = _Reading(text=text, language="zh")
    beings = {name: key for key, c in w.creatures.items() for name in c.zh}
    places = {name: key for key, p in w.places.items() for name in [p.zh, *p.zh_aliases]}
    obstacle = re.search(ZH_OBSTACLE, text)
    r.obstacle = obstacle.group().strip("，。,") if obstacle and obstacle.start() > 0 else ""
    clause = text.replace(r.obstacle, " ") if r.obstacle else text  # the goal is read without the obstacle
    tagged = _split_verbs([(pair.word, pair.flag) for pair in _segmenter().cut(clause) if pair.word.strip()], beings)
    tagged = _split_places(tagged, places)
    verbs = [i for i, (word, _) in enumerate(tagged) if _zh_verb(word)]
    strong = [i for i in verbs if _zh_verb(tagged[i][0]) not in WAYS]
    verb_at = (strong or verbs or [None])[0]
    if verb_at is not None and strong and verbs and verbs[0] < verb_at:  # '穿过冰山给海豹送信': cross, to deliver
        r.notes.append(f"on the way: {_zh_verb(tagged[verbs[0]][0])}")
    subject_end = min([i for i in verbs if i <= (verb_at if verb_at is not None else len(tagged))] or [len(tagged)])
    _zh_characters(tagged[:subject_end], r, beings, w, role="hero")
    if verb_at is not None:
        _zh_characters(tagged[subject_end:verb_at], r, beings, w, role="other")  # '给海豹送信': the seal is met
        _zh_predicate(tagged[verb_at:], r, beings, places, w)
    for word, _ in tagged:
        if word in places:
            r.add_place(word, places[word])
    for weather, pattern in ZH_WEATHER.items():
        if r.weather is None and re.search(pattern, text):
            r.weather = weather
    for time, pattern in ZH_TIME.items():
        if r.time_of_day is None and re.search(pattern, text):
            r.time_of_day = time
    for threat, pattern in ZH_THREATS:
        if re.search(pattern, r.obstacle or text):
            r.threat = threat
            break
    return r


def _zh_verb(word: str) -> str | None:
    return next((en for zh, en in ZH_STORY_VERBS if word == zh), None)


def _zh_kind(word: str, beings: dict[str, str]) -> tuple[str | None, Age | None, Stature | None]:
    """The creature a Chinese word names: '小鸭子' is a little duck, '老渔夫' an old fisherman."""
    if word in beings:
        return beings[word], None, None
    if word.removesuffix("子") in beings:
        return beings[word.removesuffix("子")], None, None
    if word[:1] in "小老大" and len(word) >= 2:  # '小熊' too: a little bear
        for stem in (word[1:], word[1:].removesuffix("子")):
            if stem in beings:
                age = Age.OLD if word[0] == "老" else (Age.YOUNG if word[0] == "小" else None)
                return beings[stem], age, Stature.BIG if word[0] == "大" else None
    return None, None, None


def _split_verbs(tagged: list[tuple[str, str]], beings: dict[str, str]) -> list[tuple[str, str]]:
    """jieba keeps some verb-object phrases whole ('堆雪人', '放风筝'): split off a story verb it starts with."""
    out = []
    for word, flag in tagged:
        verb = next((v for v, _ in ZH_STORY_VERBS if word.startswith(v) and len(word) > len(v)), None)
        named = verb and _zh_kind(word[len(verb):], beings)[0] is not None  # '放风筝', '送信': a verb and a thing
        if verb and _zh_kind(word, beings)[0] is None and (named or not flag.startswith("n")):
            out += [(verb, "v"), (word[len(verb):], "n")]
        else:
            out.append((word, flag))
    return out


ZH_LOCATIVES = ("里", "上", "中", "边", "旁", "外", "下")


def _split_places(tagged: list[tuple[str, str]], places: dict[str, str]) -> list[tuple[str, str]]:
    """jieba keeps a place and its locative together, sometimes as a name ('花园里' tagged a person's name):
    split them, so the garden is the place and nobody is called 花园里."""
    split = []
    for word, flag in tagged:
        if len(word) > 1 and word.endswith(ZH_LOCATIVES) and word[:-1] in places:
            split += [(word[:-1], "ns"), (word[-1], "f")]
        else:
            split.append((word, flag))
    return split


def _zh_characters(tagged: list[tuple[str, str]], r: _Reading, beings: dict[str, str], w: World, role: str) -> None:
    count, traits, old = 1, [], False
    for i, (word, flag) in enumerate(tagged):
        before = tagged[i - 1][0] if i else ""
        if word in ZH_ALONG or word in ZH_WEATHER_WORDS:
            continue
        if word[0] in ZH_COUNTS and (len(word) == 1 or word[1:] in ("只", "个", "头", "条", "位", "匹", "群")):
            count = ZH_COUNTS[word[0]] if "群" not in word else GROUP
            continue
        if word in ("只", "个", "头", "条", "位", "匹") and before and before[0] in ZH_COUNTS:
            continue
        if word in ZH_TRAITS:
            traits.append(ZH_TRAITS[word])
            continue
        if word in ("老", "年迈"):
            old = True
            continue
        kind, age, stature = _zh_kind(word, beings)
        if kind and before in ("小", "老", "大"):  # jieba cut '小企鹅' in two
            word = before + word
            age = age or (Age.YOUNG if before == "小" else Age.OLD if before == "老" else None)
        if word in ZH_KIN and r.characters and before and _zh_kind(before, beings)[0] == r.characters[-1].kind:
            last = r.characters[-1]  # '熊妈妈': the bear is a mother
            r.characters[-1] = last.model_copy(update={"name": last.name + word, "relation": ZH_KIN[word]})
            continue
        if word in ZH_KIN:  # a red panda's 妈妈 is a red panda; a girl's, a person
            hero = next((c for c in r.characters if c.role != "other"), None)
            people = {None, "person", *(key for key in w.creatures if _person_word(key))}
            kind = hero.kind if hero is not None and hero.kind not in people else kind or "person"
        if kind is None and flag in ("nr", "nrt") and len(word) <= 4:
            kind = "person"
        if kind is None or (w.creatures[kind].thing if kind in w.creatures else False):
            continue
        after = tagged[i + 1][0] if i + 1 < len(tagged) else ""
        if any(g in before for g in ZH_GROUP) or word.endswith("们") or after == "们":
            count = max(count, GROUP)
        heroes = [c for c in r.characters if c.role != "other"]
        relation = f"{ZH_KIN[word]} of {heroes[0].name}" if word in ZH_KIN and heroes else ""
        kin = ZH_KIN.get(word, "")
        age = Age.OLD if old or kin in ("grandpa", "grandma") else age
        age = Age.YOUNG if kin in ("granddaughter", "grandson") else age
        this_role = role if not r.characters or role == "other" else "companion"
        r.add_character(PremiseCharacter(name=word, kind=kind, count=count, age=age, stature=stature, traits=traits,
                                         relation=relation, role=this_role))
        count, traits, old = 1, [], False


def _zh_predicate(tagged: list[tuple[str, str]], r: _Reading, beings: dict[str, str], places: dict[str, str],
                  w: World) -> None:
    english = _zh_verb(tagged[0][0]) or "do"
    rest = tagged[1:]
    then = next((i for i, (word, _) in enumerate(rest[:4]) if _zh_verb(word)), None)
    if english == "help" and then is not None:  # '帮助奶奶寻找眼镜': a search, with grandma
        _zh_characters(rest[:then], r, beings, w, role="companion")
        _zh_predicate(rest[then:], r, beings, places, w)
        return
    if english in ("learn", "practise") and rest:  # 学会游泳: the skill is the story's
        r.story = StoryKind.LEARN
    r.verb = english if english != "make" else "build"
    r.story = r.story if r.story == StoryKind.LEARN else STORY_OF_VERB.get(r.verb, StoryKind.DAY)
    if r.story == StoryKind.QUEST and r.verb in ("fly", "ride", "sail") and any(
            (_zh_kind(word, beings)[0] or "") in w.creatures and w.creatures[_zh_kind(word, beings)[0]].thing
            for word, _ in rest[:2]):
        r.story = StoryKind.DAY  # '放风筝': a day of flying a kite, not a journey
    end = next((i for i, (word, _) in enumerate(rest) if word in ("，", "。", ",", "!", "！", "在", "趁", "直到")), len(rest))
    r.action = "".join(word for word, _ in tagged[: end + 1]).strip()
    others = [(word, flag) for word, flag in rest[:end] if word not in ZH_WEATHER_WORDS]
    _zh_characters(others, r, beings, w, role="other")
    for word, flag in others:
        kind = _zh_kind(word, beings)[0]
        if kind and w.creatures[kind].thing:
            r.add_prop(word, kind)
            r.target = r.target or kind
        elif word in places:
            r.add_place(word, places[word])
            r.target = r.target or w.places[places[word]].en.removeprefix("the ")
        elif kind:
            r.target = r.target or kind
    if r.target is None:
        nouns = [word for word, flag in others if flag.startswith("n") and word not in beings and len(word) > 1]
        if nouns:
            r.add_prop(nouns[-1], None)
            r.target = nouns[-1]
            r.notes.append(f"'{nouns[-1]}' is not in the world data; it is drawn from the icon its words name")
