"""The offline planner: premise reading -> story arc -> scenes -> shots, by film grammar.

What happens comes from the premise's reading (`planners/premise.py`: who, the
goal, the obstacle, places and props) and from data: `templates/arcs/*.json`
(one arc per kind of story: beats about the goal, who and what is on screen,
narration variants in each language) and `templates/threats.json` (how each
kind of obstacle looks, sounds and is told). The world (`world/`) says where
everyone lives and what each place allows.

Each scene keeps a state that words and picture share: the place, the time of
day, the weather, who is there and how far the goal's thing stands; the
narration, the sound cues and the location the renderer draws all read it, so
a line never states what the picture contradicts.

How it is filmed comes from the shot grammar below: every scene opens wide,
sizes change from shot to shot, travel is tracked wide with one screen
direction along the journey, an interaction is a two-shot, emotion gets a
push-in close-up, the climax is close enough to see everyone, the film ends
pulling out, fading in and out and dissolving between scenes. Within a scene
everyone keeps one facing and one side of the 180-degree line, written into
the shots' screen directions.

Deterministic for a reading and a seed; another seed picks other arcs,
variants, framings and weather.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import source_version
from storyagent.planners import Planner, PlanOptions
from storyagent.planners.premise import GROUP_NOUNS, detect_language, read_premise
from storyagent.planners.timing import MIN_SHOT, fit_durations, frame_transitions, seconds_needed
from storyagent.plugins import NoOptions
from storyagent.resources import TEMPLATES
from storyagent.storyboard import (
    Age,
    Camera,
    CameraAngle,
    CameraMovement,
    Character,
    Line,
    Location,
    Mood,
    Motion,
    OnScreen,
    PremiseCharacter,
    PremiseReading,
    Scene,
    ScreenDirection,
    Shot,
    ShotSize,
    SoundCue,
    Stature,
    Storyboard,
    StoryKind,
    Threat,
    TimeOfDay,
    Visual,
    Weather,
)
from storyagent.storyboard.acting import TRAVEL, interaction
from storyagent.storyboard.language import conjugate, count_phrase, indefinite, inflection, lemmas, plural_noun
from storyagent.world import Biome, Creature, Place, World, world

SECONDS_PER_SHOT = 5.5  # average pace of a gentle storybook film
SECONDS_PER_SCENE = 12.0
ESTABLISHING = (ShotSize.WIDE, ShotSize.EXTREME_WIDE)


# -- the arcs, as data ------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variants(_Data):
    en: list[str]
    zh: list[str]


class Phrase(_Data):
    en: str
    zh: str


Condition = Literal["other", "no-other", "threat", "no-threat", "target", "no-target"]


class ShotBeat(_Data):
    role: str = Field(description="Camera role: establish, reveal, travel, action, meeting, detail, emotion, danger, ending.")
    cast: list[Literal["hero", "other", "target", "everyone"]]
    motion: str = Field(default="idle", description="A Motion value, or 'move' for the character's way of travelling.")
    does: str | None = Field(default=None, description="'goal', 'threat' or English words for the on-screen action.")
    progress: float | None = Field(default=None, ge=0, le=1, description="How much of the goal's thing stands.")
    threat: bool = Field(default=False, description="This shot shows the obstacle.")
    sound: list[str] = Field(default_factory=list, description="Sound tags, or amb/steps/move/call/other_call/threat.")
    optional: bool = Field(default=False, description="Dropped first when the film is short.")
    say: Variants
    when: Condition | None = Field(default=None, alias="if")


class Beat(_Data):
    id: str
    place: str = Field(description="home, dest or route:N.")
    mood: Mood
    time: TimeOfDay | Literal["threat"] | None = None
    weather: Weather | Literal["threat"] | None = None
    summary: Phrase
    shots: list[ShotBeat]
    when: Condition | None = Field(default=None, alias="if")


class Arc(_Data):
    id: str
    about: str
    needs_other: bool = False
    stories: dict[StoryKind, int] = Field(description="The stories this arc tells, with a weight.")
    title: Variants
    logline: Variants
    beats: list[Beat]


class ThreatCard(_Data):
    time: TimeOfDay | None = None
    weather: Weather | None = None
    sound: list[str] = Field(default_factory=list)
    looms: Variants
    strikes: Variants
    passes: Variants




@lru_cache(maxsize=1)
def arcs() -> dict[str, Arc]:
    found = {}
    for path in sorted((TEMPLATES / "arcs").glob("*.json")):
        arc = Arc.model_validate(json.loads(path.read_text(encoding="utf-8")))
        found[arc.id] = arc
    return found


@lru_cache(maxsize=1)
def threats() -> dict[Threat, ThreatCard]:
    raw = json.loads((TEMPLATES / "threats.json").read_text(encoding="utf-8"))
    return {Threat(key): ThreatCard.model_validate(card) for key, card in raw.items()}



# -- shot grammar -------------------------------------------------------------------


@dataclass(frozen=True)
class Framing:
    sizes: tuple[ShotSize, ...]
    angles: tuple[CameraAngle, ...]
    movements: tuple[CameraMovement, ...]
    weight: float  # share of screen time relative to an ordinary shot


S, A, M = ShotSize, CameraAngle, CameraMovement
FRAMING = {
    "establish": Framing((S.EXTREME_WIDE, S.WIDE), (A.HIGH, A.EYE_LEVEL, A.BIRDS_EYE), (M.CRANE_DOWN, M.PAN_RIGHT, M.STATIC, M.TILT_DOWN), 1.25),
    "reveal": Framing((S.WIDE, S.FULL), (A.LOW, A.EYE_LEVEL), (M.CRANE_DOWN, M.DOLLY_OUT, M.PAN_LEFT), 1.3),
    "travel": Framing((S.WIDE, S.FULL), (A.EYE_LEVEL, A.LOW), (M.TRACKING,), 1.1),
    "action": Framing((S.MEDIUM_WIDE, S.FULL, S.MEDIUM), (A.EYE_LEVEL, A.HIGH), (M.STATIC, M.PAN_RIGHT, M.HANDHELD), 1.0),
    "meeting": Framing((S.MEDIUM_WIDE, S.FULL, S.WIDE), (A.EYE_LEVEL,), (M.STATIC, M.ORBIT, M.TRUCK_LEFT), 1.1),
    "detail": Framing((S.INSERT, S.CLOSE_UP, S.MEDIUM_CLOSE_UP), (A.EYE_LEVEL, A.HIGH), (M.ZOOM_IN, M.STATIC), 0.8),
    "emotion": Framing((S.CLOSE_UP, S.MEDIUM_CLOSE_UP), (A.EYE_LEVEL,), (M.DOLLY_IN,), 0.95),
    "danger": Framing((S.MEDIUM_WIDE, S.FULL, S.MEDIUM), (A.DUTCH, A.LOW), (M.HANDHELD,), 1.0),
    "ending": Framing((S.WIDE, S.FULL), (A.HIGH, A.EYE_LEVEL), (M.CRANE_UP, M.DOLLY_OUT), 1.4),
}
# An interaction (a greeting, a talk, a hug, a game) is a two-shot close enough to read it: medium-wide, at which
# the camera frames every partner (renderers/framing.py), or full after a medium-wide.
TWO_SHOT = (S.MEDIUM_WIDE, S.FULL)
TRAVELLING = {Motion.WALK, Motion.RUN, Motion.SWIM, Motion.FLY, Motion.JUMP}
ONE_SHOT_SOUNDS = {"whoosh", "magic-chime", "splash", "bell", "door", "thunder", "ice-crack", "ship-horn", "animal-call",
                   "crowd-cheer"}
# What a character does for each body motion, as a base-form verb phrase: conjugated per subject.
MOTION_VERBS = {Motion.IDLE: "stand still", Motion.WALK: "walk along", Motion.RUN: "run", Motion.SWIM: "swim",
                Motion.FLY: "fly", Motion.JUMP: "hop along", Motion.WAVE: "wave hello", Motion.SIT: "sit and rest",
                Motion.SLEEP: "sleep", Motion.LOOK: "look around", Motion.TALK: "talk", Motion.DANCE: "play happily",
                Motion.WORK: "work busily"}
# What facing the obstacle looks like, as a verb phrase; {target} and {obstacle} are filled in.
THREAT_ACTIONS = {Threat.SUN: "shield {target} from the sun", Threat.STORM: "shelter from the storm",
                  Threat.NIGHT: "keep going through the night", Threat.COLD: "huddle against the cold",
                  Threat.RAIN: "shelter from the rain", Threat.FOG: "feel the way through the fog",
                  Threat.DISTANCE: "push on, whatever the distance", Threat.RIVAL: "race to keep up with the rival",
                  Threat.FEAR: "face the fear", Threat.TIME: "hurry before time runs out"}
THREAT_NOUNS = {Threat.SUN: ("the sun", "太阳"), Threat.STORM: ("the storm", "暴风雨"), Threat.NIGHT: ("the night", "黑夜"),
                Threat.COLD: ("the cold", "寒冷"), Threat.RAIN: ("the rain", "大雨"), Threat.FOG: ("the fog", "大雾"),
                Threat.DISTANCE: ("the long way", "遥远的路"), Threat.RIVAL: ("the rival", "对手"),
                Threat.FEAR: ("the fear", "害怕"), Threat.TIME: ("the clock", "时间")}
# Chinese for the goal when the film's language is not the premise's: the English verb -> a Chinese verb.
VERBS_ZH = {"build": "建造", "make": "做", "bake": "烤", "knit": "织", "paint": "画", "repair": "修好", "plant": "种",
            "search": "寻找", "find": "找到", "rescue": "救", "help": "帮助", "protect": "保护", "race": "比赛",
            "learn": "学会", "join": "加入", "weather": "熬过", "survive": "熬过", "visit": "看望", "go": "去",
            "travel": "去", "fly": "飞", "befriend": "结识", "meet": "遇见", "deliver": "送", "sing": "唱",
            "dance": "跳舞", "climb": "爬上", "cross": "穿过", "dig": "挖", "carry": "搬"}
# What a group does when the story is about joining it: 'join the choir' -> the choir sings.
GROUP_ACTIVITIES = {"choir": "sing together", "band": "play music", "orchestra": "play music", "team": "play together",
                    "class": "learn together", "troupe": "dance together", "crew": "work together"}
PREPOSITIONS = {"search": ("for",), "look": ("for",), "hunt": ("for",), "wait": ("for",), "hide": ("from",),
                "care": ("for",)}  # 'search for the kite', not 'search the kite'
# What those the hero goes to do while the hero does the goal: they do not visit themselves.
RECEIVING = {StoryKind.QUEST: "welcome {hero}", StoryKind.BEFRIEND: "greet {hero}", StoryKind.RESCUE: "hold on to {hero}",
             StoryKind.SEARCH: "run to {hero}", StoryKind.RACE: "race {hero}"}
SIZE_OF = {Stature.LITTLE: 0.7, Stature.BIG: 1.3}
CHILD = 0.6  # a young person's height against a grown-up's


# -- the cast of a story ----------------------------------------------------------------


@dataclass
class Role:
    """Someone or something of the reading, cast as a character of this film."""

    id: str
    en: str  # English noun phrase without article: 'robots', 'lighthouse keeper', 'Mia'
    zh: str
    kind: Creature | None
    count: int
    proper: bool
    is_hero: bool
    thing: bool = False
    collective: bool = False  # 'the choir': many figures, one noun
    adjectives: list[str] = field(default_factory=list)
    source: PremiseCharacter | None = None

    @property
    def plural(self) -> bool:
        return self.count > 1 and not self.collective

    def motion(self, wanted: str, biome: Biome) -> Motion:
        """The body motion for `wanted` here: things keep their own, travellers swim at sea."""
        kind = self.kind
        gait = Motion(kind.gait) if kind else None
        if self.thing:
            return Motion.IDLE
        if biome.water and wanted in ("idle", "look", "talk", "wave", "work", "sit", "dance", "jump", "sleep") \
                and not (kind and kind.flies):
            return Motion.SWIM  # nobody stands about on open water
        if wanted != "move":
            return Motion(wanted)
        if kind and kind.flies:
            return Motion.FLY
        if biome.water and (kind is None or kind.swims or gait == Motion.SWIM):
            return Motion.SWIM
        if gait and gait in TRAVELLING:
            return gait
        return Motion.WALK


@dataclass
class State:
    """A scene as words and picture share it."""

    place: str
    time: TimeOfDay
    weather: Weather
    progress: float | None = None  # how much of the goal's thing stands


@dataclass
class Story:
    """Everything the shots need: who, where, and the words that name them."""

    reading: PremiseReading
    language: str
    arc: Arc
    heroes: list[Role]
    others: list[Role]
    target: Role | None
    home: str
    dest: str
    route: list[str]
    beats: list[Beat] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)
    weather: dict[str, Weather] = field(default_factory=dict, repr=False)  # each place's usual weather in this film

    def place(self, spec: str) -> str:
        if spec == "home":
            return self.home
        if spec == "dest":
            return self.dest
        index = int(spec.split(":")[1])
        return self.route[min(index, len(self.route) - 1)] if self.route else self.dest

    def fits(self, when: str | None) -> bool:
        """Beats and shots marked with a condition play only when the story has (or lacks) it."""
        has = {"other": bool(self.others), "threat": self.reading.threat is not None, "target": self.target is not None}
        if when is None:
            return True
        if when.startswith("no-"):
            return not has[when[3:]]
        return has[when]


class TemplatePlanner(Planner):
    name = "template"
    version = source_version(__file__, TEMPLATES)

    def __init__(self, options: NoOptions) -> None:
        pass

    def plan(self, premise: PremiseReading, options: PlanOptions) -> Storyboard:
        rng = random.Random(_seed(premise.text, options.seed))
        reading = premise if premise.story is not None else read_premise(premise.text, options.language)
        language = options.language or detect_language(reading.text)
        story = _cast_story(reading, language, options.seed, rng)
        story.beats = _keep_beats(story, options.duration)
        return _film(story, options, rng)


def _seed(premise: str, seed: int) -> int:
    # Stable across runs and machines (Python's hash() is salted per process).
    return int.from_bytes(hashlib.sha256(f"{seed}\x00{premise}".encode()).digest()[:8], "big")


def _cast_story(reading: PremiseReading, language: str, seed: int, rng: random.Random) -> Story:
    w = world()
    ids: set[str] = set()
    zh_premise = detect_language(reading.text) == "zh"
    heroes = [_role(c, w, ids, zh_premise) for c in reading.characters if c.role != "other"]
    others = [_role(c, w, ids, zh_premise) for c in reading.characters if c.role == "other"]
    target = _target(reading, w, ids, zh_premise, heroes + others)
    arc = _pick_arc(reading.story or StoryKind.DAY, bool(others), seed, rng)
    home, dest = _home_and_destination(reading, heroes, others, target, w)
    mentioned = [p.kind for p in reading.places if p.kind in w.places and p.kind not in (home, dest)]
    staying = home == dest and reading.story not in (StoryKind.QUEST, StoryKind.SEARCH)
    route = [home] if staying and not mentioned else w.route(home, dest, mentioned)
    story = Story(reading=reading, language=language, arc=arc, heroes=heroes, others=others, target=target, home=home,
                  dest=dest, route=route)
    story.beats = [b for b in arc.beats if story.fits(b.when)]
    story.words = _words(story, w)
    return story


def _role(character: PremiseCharacter, w: World, taken: set[str], zh_premise: bool) -> Role:
    kind = w.creatures.get(character.kind or "")
    english = character.name
    if zh_premise or not re.search(r"[A-Za-z]", english):
        english = kind.key if kind else "friend"
    proper = english[:1].isupper() and not (kind and english.lower() in (kind.key, kind.plural))
    collective = english.lower() in GROUP_NOUNS
    if not proper and character.count > 1 and not collective:
        english = plural_noun(english.lower())
    elif not proper and character.count == 1 and kind and english.lower() == kind.plural:
        english = kind.key
    zh = character.name if zh_premise else (kind.zh[0] if kind and kind.zh else english)
    adjectives = [a for a in [*character.traits, character.age.value if character.age == Age.OLD else "",
                              character.stature.value if character.stature else ""] if a]
    return Role(id=_unique_id(english, taken), en=english, zh=zh, kind=kind, count=character.count, proper=proper,
                is_hero=character.role != "other", collective=collective, adjectives=list(dict.fromkeys(adjectives)),
                source=character)


def _target(reading: PremiseReading, w: World, taken: set[str], zh_premise: bool, cast: list[Role]) -> Role | None:
    """The goal's thing as a character on screen: the snowman being built, the lost kite."""
    prop = next((p for p in reading.props if reading.target and reading.target in (p.kind, p.name)), None)
    if prop is None:
        return None
    kind = w.creatures.get(prop.kind or "")
    english = kind.key if kind else (reading.target or prop.name)
    if not re.search(r"[A-Za-z]", english):
        english = "treasure"
    zh = prop.name if zh_premise else (kind.zh[0] if kind and kind.zh else english)
    return Role(id=_unique_id(english, taken), en=english, zh=zh, kind=kind, count=1, proper=False, is_hero=False,
                thing=True)


def _unique_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "friend"
    if base == "narrator" or not re.match(r"^[a-z0-9]", base):
        base = "friend"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base[:57]}-{n}", n + 1
    taken.add(ident)
    return ident


def _pick_arc(story: StoryKind, has_other: bool, seed: int, rng: random.Random) -> Arc:
    fitting = [(arc, arc.stories[story]) for arc in arcs().values()
               if story in arc.stories and (has_other or not arc.needs_other)]
    if not fitting:
        fitting = [(arc, 1) for arc in arcs().values() if StoryKind.DAY in arc.stories] or \
                  [(arc, 1) for arc in arcs().values() if not arc.needs_other]
    fitting.sort(key=lambda item: (-item[1], item[0].id))
    if seed == 0:  # the default film tells the premise's own kind of story
        return fitting[0][0]
    choices, weights = zip(*fitting)
    return rng.choices(choices, weights=weights)[0]


def _home_and_destination(reading: PremiseReading, heroes: list[Role], others: list[Role], target: Role | None,
                          w: World) -> tuple[str, str]:
    """Where the story starts and where it leads. A journey starts at the hero's home and ends where the
    premise points; every other story happens where the premise says, else where its thing belongs."""
    named = [p.kind for p in reading.places if p.kind in w.places]
    hero_home = next((r.kind.home for r in heroes if r.kind and r.kind.home), "meadow")
    other_home = next((r.kind.home for r in others if r.kind and r.kind.home and r.kind.home != hero_home), None)
    thing_home = target.kind.home if target and target.kind and target.kind.home else None
    if reading.story == StoryKind.QUEST:
        dest = named[-1] if named else other_home or thing_home or w.places[hero_home].via[0]
        home = named[0] if len(named) > 1 else hero_home
        return home, dest if dest != home else w.places[home].via[0]
    home = named[0] if named else thing_home or (other_home if reading.story == StoryKind.RESCUE else None) or hero_home
    if len(named) > 1:
        return home, named[-1]
    if reading.story == StoryKind.SEARCH:
        return home, thing_home if thing_home and thing_home != home else w.places[home].via[0]
    return home, other_home if other_home and reading.story == StoryKind.BEFRIEND else home


def _keep_beats(story: Story, duration: float) -> list[Beat]:
    """A short film tells fewer scenes, but always the want (the first), the goal being done, the
    obstacle, the climax with everyone and the end; then evenly spaced others."""
    beats = story.beats
    count = max(3, min(len(beats), round(duration / SECONDS_PER_SCENE)))
    if count >= len(beats):
        return beats
    about_goal = [i for i, b in enumerate(beats) if any(s.does == "goal" or s.progress is not None for s in b.shots)]
    climax = [i for i in about_goal if any(s.does == "goal" and "everyone" in s.cast for s in beats[i].shots)]
    threat = [i for i, b in enumerate(beats) if any(s.threat for s in b.shots)]
    threat.sort(key=lambda i: "threat" not in (beats[i].time, beats[i].weather))  # where it strikes, not looms
    low = [i for i, b in enumerate(beats) if b.mood in (Mood.SAD, Mood.TENSE)]
    spaced = [round(i * (len(beats) - 1) / (count - 1)) for i in range(count)]
    keep: list[int] = []
    for index in [0, len(beats) - 1, *climax[-1:], *threat[:1], *low[:1], *[i for i in about_goal if i > 0][:1],
                  *spaced]:
        if len(keep) < count and index not in keep:
            keep.append(index)
    return [b for i, b in enumerate(beats) if i in keep]


# -- words ------------------------------------------------------------------------------


def _words(story: Story, w: World) -> dict[str, str]:
    """Every placeholder the arcs' sentences use, in the story's language."""
    zh = story.language == "zh"
    reading = story.reading
    place_name = (lambda key: w.places[key].zh) if zh else (lambda key: w.places[key].en)
    # Two or more heroes are named short ('the keeper and the seagull'): they are named in nearly every line.
    hero = _join([_name(r, zh) if len(story.heroes) == 1 else _short(r, zh) for r in story.heroes], zh)
    other = _join([_name(r, zh) for r in story.others], zh) if story.others else ("朋友" if zh else "a friend")
    words = {
        "hero": hero,
        "hero_short": _join([_short(r, zh) for r in story.heroes], zh),
        "a_hero": _join([_name(r, zh, indefinite_article=True) for r in story.heroes], zh),
        "other": other,
        "everyone": _join([_name(r, zh) for r in story.heroes + story.others], zh),
        "home": place_name(story.home),
        "dest": place_name(story.dest),
        "at_home": _at(w.places[story.home], zh),
        "at_dest": _at(w.places[story.dest], zh),
        "route": _join([place_name(p) for p in story.route] or [place_name(story.dest)], zh),
        "target": _target_name(story, zh),
        "skill": _goal(story, zh) if reading.story == StoryKind.LEARN else ("新本领" if zh else "do something new"),
    }
    several = len(story.heroes) > 1 or story.heroes[0].plural
    words["was"] = "" if zh else ("were" if several else "was")
    crowd = len(story.others) > 1 or any(r.plural for r in story.others)
    words["other_was"] = "" if zh else ("were" if crowd else "was")
    words["goal"] = _goal(story, zh)
    words["goal_past"] = words["goal"] if zh else _bend(words["goal"], "VBD")
    words["goal_ing"] = words["goal"] if zh else _bend(words["goal"], "VBG")
    words["obstacle"] = _obstacle(story, zh)
    words["deadline"] = reading.obstacle if (zh == (detect_language(reading.text) == "zh")) else words["obstacle"]
    return dict(_Capitalised(words).all())


class _Capitalised(dict):
    """Placeholders, and each with a capital first letter under its capitalised name: {Hero}."""

    def __missing__(self, key: str) -> str:
        lower = key[:1].lower() + key[1:]
        if lower in self:
            return _capital(self[lower])
        raise KeyError(key)

    def all(self) -> dict[str, str]:
        return {**self, **{key[:1].upper() + key[1:]: _capital(value) for key, value in self.items()}}


def _goal(story: Story, zh: bool) -> str:
    reading = story.reading
    premise_zh = detect_language(reading.text) == "zh"
    if zh == premise_zh and reading.action:
        return reading.action
    verb = reading.verb or "play"
    if zh:
        return VERBS_ZH.get(verb, "完成心愿") + (_target_name(story, True) if story.target else "")
    verb = " ".join([verb, *PREPOSITIONS.get(verb, ())])
    return f"{verb} {_target_name(story, False)}" if story.target else verb


def _target_name(story: Story, zh: bool) -> str:
    if story.target:
        return story.target.zh if zh else f"the {story.target.en}"
    if story.others:
        return _join([_name(r, zh) for r in story.others], zh)
    if zh:
        return "心愿"
    return f"the {story.reading.target}" if story.reading.target else "the plan"


def _obstacle(story: Story, zh: bool) -> str:
    """The obstacle as a noun phrase: 'before the sun melts it' -> 'the sun'."""
    reading = story.reading
    if reading.threat is None:
        return "困难" if zh else "trouble"
    noun_en, noun_zh = THREAT_NOUNS[reading.threat]
    if zh:
        return noun_zh
    match = re.search(r"\b(?:the|a|an)\s+([a-z]+(?:\s+[a-z]+)?)", reading.obstacle.lower())
    if match:
        words = match.group(1).split()
        return "the " + (words[0] if len(words) == 1 or "VERB" in lemmas(words[1]) else " ".join(words))
    return noun_en


def _bend(phrase: str, tag: str) -> str:
    """The phrase with its first word (the verb) in another form: VBD 'built a snowman', VBG 'building'."""
    verb, _, rest = phrase.partition(" ")
    return f"{inflection(verb, tag)} {rest}".strip()


def _name(role: Role, zh: bool, indefinite_article: bool = False) -> str:
    if zh:
        return role.zh
    if role.proper:
        return role.en
    if indefinite_article:
        described = " ".join([*role.adjectives, role.en])
        return count_phrase(role.count, " ".join([*role.adjectives, role.kind.key if role.kind else role.en])) \
            if role.plural else indefinite(described)
    return f"the {role.en}"


def _short(role: Role, zh: bool) -> str:
    """A shorter second name for variety: 'the polar bear' -> 'the bear'."""
    if zh or role.proper or " " not in role.en:
        return _name(role, zh)
    return f"the {role.en.split()[-1]}"


def _join(names: list[str], zh: bool) -> str:
    if zh:
        return names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "and", "of", "to", "in", "on", "with", "for", "at", "by"}
    words = text.split()
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


THREAT_PARTS = ("looms", "strikes", "passes")


def _expand(templates: list[str], story: Story) -> list[str]:
    """Sentences with a threat line in them, once for each way threats.json tells it."""
    card = threats().get(story.reading.threat) if story.reading.threat else None
    out = []
    for template in templates:
        parts = [part for part in THREAT_PARTS if f"{{threat_{part}}}" in template]
        if not parts:
            out.append(template)
            continue
        if card is None:
            continue
        slot = f"{{threat_{parts[0]}}}"
        for variant in getattr(getattr(card, parts[0]), story.language):
            if f": {slot}" in template:  # 'Halfway there: grey clouds rolled in', not 'Grey'
                variant = variant[:2].lower() + variant[2:] if variant.startswith("{") else variant[:1].lower() + variant[1:]
            out.append(template.replace(slot, variant))
    out = [t for t in out if "{threat_" not in t] or out
    if story.home == story.dest:  # no 'from the river to the river' in a story that stays in one place
        out = [t for t in out if not (re.search(r"\{(?:[Aa]t_)?[Hh]ome\}", t) and re.search(r"\{(?:[Aa]t_)?[Dd]est\}|\{[Rr]oute\}", t))] or out
    return out


def _fill(template: str, story: Story, place: Place) -> str:
    zh = story.language == "zh"
    name, at = (place.zh if zh else place.en), _at(place, zh)
    text = template.format_map({**story.words, "place": name, "Place": _capital(name), "at_place": at,
                                "At_place": _capital(at)})
    return " ".join(text.split())


def _at(place: Place, zh: bool) -> str:
    return f"在{place.zh}" if zh else f"{place.at} {place.en}"


# -- the film ---------------------------------------------------------------------------


@dataclass
class Draft:
    """A shot before its length is known."""

    scene: int
    beat: ShotBeat
    shot: Shot
    need: float  # seconds the narration needs, with a lead-in and a tail
    weight: float
    shorter: list[str] = field(default_factory=list)  # the other fresh variants, shortest first


def _film(story: Story, options: PlanOptions, rng: random.Random) -> Storyboard:
    w = world()
    language = story.language
    locations: dict[tuple[str, TimeOfDay, Weather], Location] = {}
    scene_locations: list[Location] = []
    drafts: list[Draft] = []
    used_lines: set[str] = set()
    state = State(place=story.home, time=story.reading.time_of_day or TimeOfDay.DAY, weather=Weather.CLEAR)
    for index, beat in enumerate(story.beats):
        state = _next_state(state, story, beat, rng)
        scene_locations.append(_location(state, w.places[state.place], story, locations, rng))
        for shot_beat in beat.shots:
            if story.fits(shot_beat.when):
                drafts.append(_draft(index, shot_beat, story, state, used_lines, rng))
    wanted = max(len(story.beats), round(options.duration / SECONDS_PER_SHOT))
    drafts = _extend(_trim(drafts, wanted), wanted, story, used_lines, rng)
    while sum(max(MIN_SHOT, d.need) for d in drafts) > options.duration:  # fewer shots rather than silent ones
        fewer = _trim(drafts, len(drafts) - 1)
        if len(fewer) == len(drafts):
            break
        drafts = fewer
    _hold_the_line(drafts, story)
    _frame(drafts, rng)
    _time(drafts, options.duration, story.language)
    _cue_sounds(drafts, story, scene_locations)
    scenes = []
    for index, beat in enumerate(story.beats):
        shots = [d.shot for d in drafts if d.scene == index]
        for number, shot in enumerate(shots, 1):
            shot.id = f"{beat.id}-{number}"
        place = w.places[story.place(beat.place)]
        scenes.append(Scene(id=beat.id, location=scene_locations[index].id, mood=beat.mood, shots=shots,
                            summary=_fill(getattr(beat.summary, language), story, place)))
    scenes = [scene for scene in scenes if scene.shots]
    frame_transitions(scenes)
    dest = w.places[story.dest]
    title = _fill(rng.choice(getattr(story.arc.title, language)), story, dest)
    characters = _characters(story, rng)
    locations_used = list({loc.id: loc for loc in scene_locations if any(s.location == loc.id for s in scenes)}.values())
    return Storyboard(
        title=title if language == "zh" else _title_case(title),
        logline=_fill(rng.choice(getattr(story.arc.logline, language)), story, dest),
        premise=_shown(story, characters, locations_used),
        language=language,
        target_duration=options.duration,
        characters=characters,
        locations=locations_used,
        scenes=scenes,
        **({"style": options.style} if options.style else {}),
    )


def _next_state(before: State, story: Story, beat: Beat, rng: random.Random) -> State:
    """The scene after `before`: its place, and time and weather as the beat sets them, else as they were
    (time) or as the place usually has it in this film (weather); the goal's thing as it stood."""
    w = world()
    key = story.place(beat.place)
    place = w.places[key]
    card = threats().get(story.reading.threat) if story.reading.threat else None
    time = before.time
    if beat.time == "threat":
        time = card.time if card and card.time else time
    elif beat.time is not None:
        time = beat.time
    usual = story.weather.setdefault(key, _usual_weather(story, place, rng))
    weather = usual
    if beat.weather == "threat":
        weather = card.weather if card and card.weather else usual
    elif beat.weather is not None:
        weather = beat.weather
    return State(place=key, time=time, weather=_allowed(weather, w.biome(place.biome), usual), progress=before.progress)


def _usual_weather(story: Story, place: Place, rng: random.Random) -> Weather:
    """The premise's weather where the place allows it (a snowman's snow), else one of the place's own."""
    wanted = story.reading.weather
    if wanted and wanted != Weather.STORM and wanted in world().biome(place.biome).weather:
        return wanted
    if story.target and story.target.kind and story.target.kind.home == "snowy-mountains" and Weather.SNOW in world().biome(place.biome).weather:
        return Weather.SNOW  # a snowman stands in snow
    return Weather(rng.choice(place.weather[:2]))


def _allowed(weather: Weather, biome: Biome, usual: Weather) -> Weather:
    """Weather the biome does not allow: a storm there is rain; rain falls as snow (a storm if it snows already)."""
    if weather in biome.weather:
        return weather
    if weather == Weather.STORM and Weather.RAIN in biome.weather:
        return Weather.RAIN
    if weather == Weather.RAIN and Weather.SNOW in biome.weather:
        return Weather.SNOW if usual != Weather.SNOW else Weather.STORM
    return usual if usual in biome.weather else Weather.CLEAR


def _location(state: State, place: Place, story: Story, known: dict, rng: random.Random) -> Location:
    """The place as this scene sees it. A place seen again keeps its layout and props; another time of day
    or weather makes it another location."""
    key, time, weather = state.place, state.time, state.weather
    if (key, time, weather) in known:
        return known[(key, time, weather)]
    first = next((loc for (k, _, _), loc in known.items() if k == key), None)
    usual = story.weather.get(key, weather)
    ident = key if first is None else f"{key}-{time.value}" if weather == usual else f"{key}-{weather.value}"
    while ident in {loc.id for loc in known.values()}:
        ident += "-2"
    props = first.props if first else _props(place, story, rng)
    location = Location(
        id=ident,
        name=place.zh if story.language == "zh" else _capital(place.en.removeprefix("the ")),
        description=_place_words(key, story) + f"{place.en} at {time.value}"
        + ("" if weather == Weather.CLEAR else f", {weather.value}"),
        biome=place.biome,
        time_of_day=time,
        weather=weather,
        props=props,
        seed=first.seed if first else rng.randrange(2**32),
    )
    known[(key, time, weather)] = location
    return location


def _place_words(key: str, story: Story) -> str:
    """The premise's own words for a place drawn as `key` ('a windy hill: '), so the reader and an image
    model see what the premise named; a place the world does not know is seen at the story's home."""
    named = [p.name for p in story.reading.places
             if p.kind == key or (p.kind not in world().places and key == story.home)]
    return f"{', '.join(dict.fromkeys(named))}: " if named else ""


def _props(place: Place, story: Story, rng: random.Random) -> list[str]:
    """The place's own props, and the premise's props that are not on screen as the goal's thing."""
    own = sorted(rng.sample(place.props, k=min(len(place.props), rng.randint(2, 3))))
    target = story.target.kind.key if story.target and story.target.kind else (story.target.en if story.target else None)
    named = [p.kind or p.name for p in story.reading.props if (p.kind or p.name) != target]
    english = [name for name in named if re.fullmatch(r"[A-Za-z][A-Za-z '-]*", name)]
    return list(dict.fromkeys([*own, *english[:3]]))


def _draft(scene: int, beat: ShotBeat, story: Story, state: State, used: set[str], rng: random.Random) -> Draft:
    w = world()
    place = w.places[state.place]
    cast = _cast_of(beat, story)
    if beat.progress is not None:
        state.progress = beat.progress
    # In a search, the scene where things go wrong is the one where the sought thing is lost.
    leaving = story.reading.story == StoryKind.SEARCH and story.beats[scene].mood == Mood.SAD
    performed = [_on_screen(role, beat, story, state, w.biome(place.biome), leaving) for role in cast]
    on_screen = [on for on, _ in performed]
    variants = [_fill(v, story, place) for v in _expand(getattr(beat.say, story.language), story)]
    fresh = [v for v in variants if v and v not in used]
    text = rng.choice(fresh) if fresh else None  # a sentence said once is not said again: silence instead
    if text:
        used.add(text)
    shorter = sorted((v for v in fresh if len(v) < len(text or "")), key=len)
    framing = FRAMING[beat.role]
    subject = next((o.character for o in on_screen if not _is_thing(o.character, story)), None)
    if leaving and story.target and any(o.character == story.target.id for o in on_screen):
        subject = story.target.id  # the camera watches the kite go
    camera = Camera(
        size=framing.sizes[0],
        angle=rng.choice(framing.angles),
        movement=rng.choice(framing.movements),
        duration=MIN_SHOT,
        subject=subject or (on_screen[0].character if on_screen else None),
    )
    shot = Shot(
        id=f"{story.beats[scene].id}-draft",  # numbered once the film's shots are chosen
        description=_describe(cast, [base for _, base in performed], place),
        characters=on_screen,
        camera=camera,
        lines=[Line(text=text)] if text else [],
    )
    need = seconds_needed([text] if text else [], story.language)
    return Draft(scene=scene, beat=beat, shot=shot, need=need, weight=framing.weight, shorter=shorter)


def _cast_of(beat: ShotBeat, story: Story) -> list[Role]:
    cast: list[Role] = []
    sought = story.reading.story == StoryKind.SEARCH  # what is searched for is away until it is found
    if beat.does == "goal" and story.target and "target" not in beat.cast and not sought:
        beat = beat.model_copy(update={"cast": [*beat.cast, "target"]})  # the kite is flown, the cake delivered
    for who in beat.cast:
        if who == "hero":
            cast += story.heroes
        elif who == "other":
            cast += story.others or story.heroes
        elif who == "everyone":
            cast += story.heroes + story.others
        elif who == "target" and story.target:
            cast.append(story.target)
    return list({role.id: role for role in cast}.values())


def _is_thing(character_id: str, story: Story) -> bool:
    return bool(story.target and story.target.id == character_id)


def _on_screen(role: Role, beat: ShotBeat, story: Story, state: State, biome: Biome,
               leaving: bool) -> tuple[OnScreen, str]:
    """The character in the shot, and what it does as a base-form verb phrase ('sit and rest'): its
    `action` agrees with it alone, the shot's description with everyone who does the same."""
    if role.thing and leaving:  # the kite the story will look for blows away
        base = "be carried away"
        return OnScreen(character=role.id, action=conjugate(base, False), motion=Motion.FLY,
                        direction=ScreenDirection.LEFT_TO_RIGHT), base
    if role.thing:
        base = _thing_state(state.progress) if story.reading.story == StoryKind.BUILD else "be there"
        return OnScreen(character=role.id, action=conjugate(base, False), motion=Motion.IDLE,
                        direction=ScreenDirection.NEUTRAL,
                        progress=state.progress if state.progress is not None and state.progress < 1 else None), base
    motion = role.motion(beat.motion, biome)
    facing = ScreenDirection.NEUTRAL  # who faces whom is the scene's (`_hold_the_line`)
    if motion in TRAVELLING and beat.role in ("travel", "danger", "reveal", "establish", "meeting"):
        facing = ScreenDirection.LEFT_TO_RIGHT  # travellers keep one screen direction along the journey
    base = _action(role, beat, story, motion)
    return OnScreen(character=role.id, action=conjugate(base, role.plural), motion=motion, direction=facing), base


def _thing_state(progress: float | None) -> str:
    if progress is None or progress >= 1:
        return "stand finished"
    if progress < 0.35:
        return "be only just begun"
    return "stand half done" if progress < 0.75 else "stand nearly finished"


def _action(role: Role, beat: ShotBeat, story: Story, motion: Motion) -> str:
    """What the character does, as a base-form verb phrase: 'build a snowman', 'search for the kite'."""
    reading = story.reading
    if motion == Motion.SWIM and role.kind and not role.kind.swims and not role.kind.flies:
        return "ride a little boat across the water"
    if beat.does == "goal" and reading.verb == "join" and not role.is_hero:  # the choir sings; the octopus joins it
        return GROUP_ACTIVITIES.get(role.en.lower(), "perform together")
    if beat.does == "goal" and not role.is_hero and reading.story in RECEIVING:  # the penguins welcome the bear
        return RECEIVING[reading.story].format(hero=_join([_name(r, False) for r in story.heroes], False))
    if beat.does == "goal" and reading.verb:
        return _goal(story, zh=False)
    if (beat.does == "threat" or beat.threat and not beat.does and role.is_hero) and reading.threat:
        return THREAT_ACTIONS[reading.threat].format(target=_target_name(story, False), obstacle=_obstacle(story, False))
    if beat.does and beat.does not in ("goal", "threat"):
        return beat.does
    return MOTION_VERBS[motion]


def _describe(cast: list[Role], actions: list[str], place: Place) -> str:
    """One sentence of what the viewer sees, for readers and image-model prompts: subjects that do the same
    thing share one verb ('The polar bear and the penguins wave hello in the snow')."""
    if not cast:
        return f"Nobody is in sight in {place.en}."
    groups: dict[str, list[Role]] = {}
    for role, action in zip(cast, actions):
        groups.setdefault(action, []).append(role)
    clauses = []
    for action, roles in groups.items():
        names = _join([_name(r, False) for r in roles], False)
        clauses.append(f"{names} {conjugate(action, len(roles) > 1 or roles[0].plural)}")
    return _capital("; ".join(clauses)) + f" {place.at} {place.en}."


def _trim(drafts: list[Draft], wanted: int) -> list[Draft]:
    """Short films drop optional shots, then shots from the fullest scenes; every scene keeps its
    opening, the film keeps its last shot and every shot that shows the goal or the obstacle."""
    drafts = list(drafts)
    while len(drafts) > wanted:
        openings = {id(next(d for d in drafts if d.scene == scene)) for scene in {d.scene for d in drafts}}
        seen = Counter(on.character for d in drafts for on in d.shot.characters)
        goal_shots = sum(d.beat.does == "goal" for d in drafts)
        threat_shots = sum(d.beat.threat for d in drafts)
        droppable = [
            d for d in drafts[:-1]
            if id(d) not in openings and all(seen[on.character] > 1 for on in d.shot.characters)
            and not (d.beat.does == "goal" and goal_shots < 2) and not (d.beat.threat and threat_shots < 2)
        ]
        per_scene = {d.scene: sum(e.scene == d.scene for e in drafts) for d in drafts}
        if not droppable:  # a short film: a scene may open on its next shot, framed wide in its turn
            droppable = [d for d in drafts[:-1] if id(d) in openings and per_scene[d.scene] > 1
                         and all(seen[on.character] > 1 for on in d.shot.characters)]
        if not droppable:
            break
        drafts.remove(max(droppable, key=lambda d: (d.beat.optional, per_scene[d.scene], drafts.index(d))))
    return drafts


def _extend(drafts: list[Draft], wanted: int, story: Story, used: set[str], rng: random.Random) -> list[Draft]:
    """Long films film travel, action and goal beats once more, so shots keep a storybook pace."""
    drafts = list(drafts)
    for draft in [d for d in drafts if d.beat.role in ("travel", "action", "meeting", "detail")]:
        if len(drafts) >= wanted:
            break
        state = State(place=_place_of(draft, story), time=TimeOfDay.DAY, weather=Weather.CLEAR,
                      progress=next((on.progress for on in draft.shot.characters if on.progress is not None), None))
        again = _draft(draft.scene, draft.beat, story, state, used, rng)
        drafts.insert(drafts.index(draft) + 1, again)
    return drafts


def _place_of(draft: Draft, story: Story) -> str:
    return story.place(story.beats[draft.scene].place)


def _hold_the_line(drafts: list[Draft], story: Story) -> None:
    """The 180-degree line: within a scene each character keeps one facing from shot to shot, so one seen on
    the left looking right is seen so again after the cut. A shot of an interaction is left to the staging,
    which turns the partners to each other."""
    for scene in dict.fromkeys(d.scene for d in drafts):
        shots = [d.shot for d in drafts if d.scene == scene]
        facings = _scene_facings(shots, story)
        for shot in shots:
            turning = _interaction(shot)
            for on in shot.characters:
                if on.direction == ScreenDirection.NEUTRAL and on.character in facings \
                        and not (turning and on.motion not in TRAVEL):
                    on.direction = facings[on.character]


def _scene_facings(shots: list[Shot], story: Story) -> dict[str, ScreenDirection]:
    """Each character's facing in a scene: the way a shot of the scene turns it, else the way it travels there
    (the journey's way). Companions the scene leaves unturned face each other, the cast listed from the left:
    the heroes face right to meet the others, or the first half of the heroes faces the second; one alone
    keeps its own facing."""
    right, left = ScreenDirection.LEFT_TO_RIGHT, ScreenDirection.RIGHT_TO_LEFT
    present = [on for shot in shots for on in shot.characters]
    line = [role.id for role in story.heroes + story.others if role.id in {on.character for on in present}]
    heroes = sum(role.id in line for role in story.heroes)
    meeting = 0 < heroes < len(line)  # the others stand across from the heroes
    facings: dict[str, ScreenDirection] = {}
    for on in present:
        if on.character in line and on.direction in (right, left):
            facings.setdefault(on.character, on.direction)
    for on in present:
        if on.character in line and on.motion in TRAVELLING:
            facings.setdefault(on.character, right)
    if len(line) < 2:
        return facings
    for k, who in enumerate(line):
        if who in facings:
            continue
        if any(facings.get(after) == right for after in line[k + 1:]):
            facings[who] = right  # whoever faces right stands left of whoever faces left
        elif any(facings.get(before) == left for before in line[:k]):
            facings[who] = left
        else:
            facings[who] = right if k < (heroes if meeting else len(line) / 2) else left
    return facings


def _frame(drafts: list[Draft], rng: random.Random) -> None:
    """Sizes: wide to open each scene and to end the film, never the same size twice in a row; interactions in
    two-shots, emotions close, journeys wide; shots with several figures close enough to see them all."""
    previous: ShotSize | None = None
    for i, draft in enumerate(drafts):
        camera = draft.shot.camera
        opens_scene = i == 0 or drafts[i - 1].scene != draft.scene
        sizes = ESTABLISHING if opens_scene else _sizes(draft)
        choices = [s for s in sizes if s != previous] or list(sizes)
        size = choices[0] if sizes == TWO_SHOT else rng.choice(choices[:2])
        movement = camera.movement
        if i == len(drafts) - 1:
            size = ShotSize.WIDE if previous != ShotSize.WIDE or opens_scene else ShotSize.FULL
            movement = rng.choice((M.CRANE_UP, M.DOLLY_OUT))
        elif opens_scene and draft.beat.role not in ("establish", "reveal", "ending", "travel"):
            movement = rng.choice(FRAMING["establish"].movements)
        if size == ShotSize.EXTREME_WIDE and (draft.beat.does == "goal" or draft.beat.threat or len(draft.shot.characters) > 1):
            size = ShotSize.WIDE  # what the story is about is seen, not specks
        directions = {on.direction for on in draft.shot.characters}
        if movement == M.TRACKING and ScreenDirection.RIGHT_TO_LEFT in directions - {ScreenDirection.LEFT_TO_RIGHT}:
            movement = M.TRUCK_LEFT
        draft.shot.camera = camera.model_copy(update={"size": size, "movement": movement})
        previous = size
    _vary_sizes(drafts)


MIN_SIZES = 4  # a film framed in fewer sizes looks flat


def _sizes(draft: Draft) -> tuple[ShotSize, ...]:
    """The sizes a shot's beat is told in, the likeliest first: interactions in two-shots, else by its role
    (emotions close, journeys wide)."""
    return TWO_SHOT if _interaction(draft.shot) else FRAMING[draft.beat.role].sizes


def _interaction(shot: Shot) -> bool:
    return interaction(shot.characters, {line.speaker for line in shot.lines})


def _vary_sizes(drafts: list[Draft]) -> None:
    """Shots inside scenes take a size of their role not used yet, until the film has a few."""
    for i, draft in enumerate(drafts[1:-1], 1):
        used = {d.shot.camera.size for d in drafts}
        if len(used) >= MIN_SIZES:
            return
        if drafts[i - 1].scene != draft.scene:
            continue  # a scene's opening stays wide
        neighbours = {drafts[i - 1].shot.camera.size, drafts[i + 1].shot.camera.size}
        fresh = [size for size in _sizes(draft) if size not in used | neighbours]
        if fresh:
            draft.shot.camera = draft.shot.camera.model_copy(update={"size": fresh[0]})


def _time(drafts: list[Draft], target: float, language: str) -> None:
    """Share the target length by weight, never below what a shot's narration needs. A film too short
    for its lines says shorter ones first, then leaves the least needed shots silent."""
    said = {line.text for d in drafts for line in d.shot.lines}
    while sum(max(MIN_SHOT, d.need) for d in drafts) > target:
        longest = max((d for d in drafts if d.shorter and d.shot.lines), key=lambda d: d.need, default=None)
        if longest is None:
            break
        shorter = next((text for text in longest.shorter if text not in said), None)
        longest.shorter = []
        if shorter:
            said.add(shorter)
            longest.shot.lines = [Line(text=shorter)]
            longest.need = seconds_needed([shorter], language)
    while sum(max(MIN_SHOT, d.need) for d in drafts) > target:
        spoken = [d for d in drafts if d.shot.lines]
        if not spoken:
            break
        quiet = min(spoken, key=lambda d: (d.beat.does == "goal" or d.beat.threat,
                                           d.beat.role not in ("establish", "reveal"), d.weight, -d.need))
        quiet.shot.lines = []
        quiet.need = 0.0
    seconds = fit_durations([d.need for d in drafts], [d.weight for d in drafts], target)
    for draft, length in zip(drafts, seconds):
        draft.shot.camera = draft.shot.camera.model_copy(update={"duration": length})


def _cue_sounds(drafts: list[Draft], story: Story, locations: list[Location]) -> None:
    w = world()
    card = threats().get(story.reading.threat) if story.reading.threat else None
    for draft in drafts:
        location = locations[draft.scene]
        place = w.places[story.place(story.beats[draft.scene].place)]
        motion = draft.shot.characters[0].motion if draft.shot.characters else Motion.IDLE
        tags: list[str] = []
        for tag in draft.beat.sound:
            if tag == "threat":
                tags += card.sound if card else []
            else:
                tags += _resolve_sound(tag, place, story, motion, location)
        tags = [t for t in dict.fromkeys(t for t in tags if t) if w.sound_fits(t, location.biome)]
        duration = draft.shot.camera.duration
        cues = []
        accents = 0
        for n, tag in enumerate(tags):
            if tag in ONE_SHOT_SOUNDS:  # accents land one after another, not on top of each other
                at = round(min(duration * (0.3 + 0.3 * accents), duration - 1.0), 1)
                accents += 1
                cues.append(SoundCue(tag=tag, at=max(0.0, at), duration=round(min(2.0, duration - max(0.0, at)), 1)))
            else:
                cues.append(SoundCue(tag=tag, at=0.0, volume_db=-6.0 if n == 0 else -9.0))
        draft.shot.sound = cues


def _resolve_sound(tag: str, place: Place, story: Story, motion: Motion, location: Location) -> list[str | None]:
    if tag == "amb":
        return place.sounds[:1]
    if tag == "steps":
        return [place.footsteps if motion in (Motion.WALK, Motion.RUN, Motion.JUMP) else None]
    if tag == "move":
        return [{Motion.SWIM: "splash", Motion.FLY: "whoosh"}.get(motion, place.footsteps)]
    if tag == "call":
        return [story.heroes[0].kind.call if story.heroes[0].kind else None]
    if tag == "other_call":
        return [story.others[0].kind.call if story.others and story.others[0].kind else None]
    snowy = world().biome(place.biome).snow
    if tag == "crowd-cheer" and sum(r.count for r in story.heroes + story.others) < 3:
        return ["magic-chime"]  # a cheer needs a crowd on screen
    if tag in ("rain", "thunder", "blizzard") and location.weather not in (Weather.RAIN, Weather.STORM, Weather.SNOW):
        return [None]  # no rain is heard where none falls
    if tag == "wind" and snowy:
        return ["blizzard" if location.weather in (Weather.STORM, Weather.SNOW) else "wind"]
    if tag == "rain" and snowy:  # it snows there
        return ["blizzard"]
    return [tag]


def _characters(story: Story, rng: random.Random) -> list[Character]:
    w = world()
    people = []
    for role in story.heroes + story.others + ([story.target] if story.target else []):
        kind = role.kind
        look = kind.look if kind and kind.look else f"a {role.en}"
        described = ", ".join(role.adjectives)
        seed = rng.randrange(2**32)
        age = role.source.age if role.source else None
        icon = w.icon_for_age(kind.key, age.value) if kind and age else None
        people.append(
            Character(
                id=role.id,
                name=role.zh if story.language == "zh" else (role.en if role.proper else _title_case(role.en)),
                description=_capital(" ".join(f"{look}{'; ' + described if described else ''}".split())) + ".",
                visual=Visual(keywords=_keywords(role), scale=_scale(role), count=role.count, icon=icon,
                              facing="right" if role.is_hero else "left"),
                seed=seed,
            )
        )
    return people


def _scale(role: Role) -> float:
    """Height against a grown-up human: the kind's size, smaller for a little one or a child."""
    size = role.kind.size if role.kind else 1.0
    source = role.source
    if source and source.age == Age.YOUNG and size >= 0.9:
        size *= CHILD
    if source and source.stature:
        size *= SIZE_OF[source.stature]
    return round(min(20.0, max(0.05, size)), 2)


def _keywords(role: Role) -> list[str]:
    """Nouns for the icon and for image-model prompts, most specific first."""
    if role.kind:
        return list(dict.fromkeys([*role.kind.keywords] or [role.kind.key]))
    noun = role.en.lower()
    return list(dict.fromkeys([noun, noun.split()[-1]]))


def _shown(story: Story, characters: list[Character], locations: list[Location]) -> PremiseReading:
    """The reading with what shows each element: the character, location or prop."""
    reading = story.reading
    roles = {id(role.source): role.id for role in story.heroes + story.others if role.source is not None}
    cast = [c.model_copy(update={"shown_as": roles.get(id(c), c.shown_as)}) for c in reading.characters]
    places = []
    for place in reading.places:
        where = next((loc.id for loc in locations if loc.id.split("-")[0] == (place.kind or "").split("-")[0]
                      and world().places.get(place.kind or "") and loc.biome == world().places[place.kind].biome), None)
        places.append(place.model_copy(update={"shown_as": where}))
    props = []
    for prop in reading.props:
        shown = story.target.id if story.target and prop.kind == (story.target.kind.key if story.target.kind else None) \
            or (story.target and prop.name in (story.target.en, story.target.zh)) else None
        if shown is None and any(prop.kind in loc.props for loc in locations if prop.kind):
            shown = prop.kind
        props.append(prop.model_copy(update={"shown_as": shown}))
    return reading.model_copy(update={"characters": cast, "places": places, "props": props})
