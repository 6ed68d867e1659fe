"""The offline planner: premise -> story arc -> scenes -> shots, by film grammar.

What happens comes from data (`templates/arcs/*.json`: beats, who is on
screen, narration variants in each language; `world/`: where everyone lives,
what each biome allows). How it is filmed comes from the shot grammar below: every
scene opens wide, sizes change from shot to shot, travel is tracked with a
kept screen direction, emotion gets a push-in close-up, the film ends craning
up or pulling out, fading in and out and dissolving between scenes.

Deterministic for a premise and a seed; another seed picks other arcs,
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

from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import source_version
from storyagent.planners import Planner, PlanOptions
from storyagent.planners.premise import Entity, Premise, understand
from storyagent.planners.timing import MIN_SHOT, fit_durations, frame_transitions, seconds_needed
from storyagent.plugins import NoOptions
from storyagent.resources import TEMPLATES
from storyagent.storyboard import (
    PremiseReading,
    Camera,
    CameraAngle,
    CameraMovement,
    Character,
    Line,
    Location,
    Mood,
    Motion,
    OnScreen,
    Scene,
    ScreenDirection,
    Shot,
    ShotSize,
    SoundCue,
    Storyboard,
    TimeOfDay,
    Visual,
    Weather,
)
from storyagent.storyboard.language import cjk_characters
from storyagent.world import Biome, Creature, Place, World, world

SECONDS_PER_SHOT = 5.5  # average pace of a gentle storybook film
SECONDS_PER_SCENE = 15.0
ESTABLISHING = (ShotSize.EXTREME_WIDE, ShotSize.WIDE)


# -- the arcs, as data ------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variants(_Data):
    en: list[str]
    zh: list[str]


class Phrase(_Data):
    en: str
    zh: str


class ShotBeat(_Data):
    role: str = Field(description="Camera role: establish, reveal, travel, action, meeting, detail, emotion, danger, ending.")
    cast: str = Field(description="hero, other, both or none.")
    motion: str = Field(default="idle", description="A Motion value, or 'move' for the character's way of travelling.")
    action: str = ""
    sound: list[str] = Field(default_factory=list, description="Sound tags, or amb/steps/move/call/other_call.")
    optional: bool = Field(default=False, description="Dropped first when the film is short.")
    say: Variants
    when: str | None = Field(default=None, alias="if")


class Beat(_Data):
    id: str
    place: str = Field(description="home, dest or route:N.")
    mood: Mood
    time: TimeOfDay | None = None
    weather: Weather | None = None
    summary: Phrase
    shots: list[ShotBeat]
    when: str | None = Field(default=None, alias="if", description="'other' or 'no-other': only then.")


class Arc(_Data):
    id: str
    about: str
    needs_other: bool = False
    goals: dict[str, int] = Field(description="Premise goals this arc tells, with a weight.")
    title: Variants
    logline: Variants
    beats: list[Beat]


@lru_cache(maxsize=1)
def arcs() -> dict[str, Arc]:
    found = {}
    for path in sorted((TEMPLATES / "arcs").glob("*.json")):
        arc = Arc.model_validate(json.loads(path.read_text(encoding="utf-8")))
        found[arc.id] = arc
    return found


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
    "reveal": Framing((S.WIDE, S.EXTREME_WIDE), (A.LOW, A.EYE_LEVEL), (M.CRANE_DOWN, M.DOLLY_OUT, M.PAN_LEFT), 1.3),
    "travel": Framing((S.FULL, S.MEDIUM_WIDE, S.WIDE), (A.EYE_LEVEL, A.LOW), (M.TRACKING,), 1.1),
    "action": Framing((S.MEDIUM, S.MEDIUM_WIDE, S.FULL), (A.EYE_LEVEL, A.HIGH), (M.STATIC, M.PAN_RIGHT, M.HANDHELD), 1.0),
    "meeting": Framing((S.MEDIUM_WIDE, S.FULL, S.MEDIUM), (A.EYE_LEVEL,), (M.STATIC, M.ORBIT, M.TRUCK_LEFT), 1.1),
    "detail": Framing((S.INSERT, S.EXTREME_CLOSE_UP, S.CLOSE_UP), (A.EYE_LEVEL, A.HIGH), (M.ZOOM_IN, M.STATIC), 0.8),
    "emotion": Framing((S.CLOSE_UP, S.MEDIUM_CLOSE_UP), (A.EYE_LEVEL,), (M.DOLLY_IN,), 0.95),
    "danger": Framing((S.MEDIUM_WIDE, S.MEDIUM, S.FULL), (A.DUTCH, A.LOW), (M.HANDHELD,), 1.0),
    "ending": Framing((S.WIDE, S.EXTREME_WIDE), (A.HIGH, A.EYE_LEVEL), (M.CRANE_UP, M.DOLLY_OUT), 1.4),
}
TRAVELLING = {Motion.WALK, Motion.RUN, Motion.SWIM, Motion.FLY, Motion.JUMP}
ONE_SHOT_SOUNDS = {"whoosh", "magic-chime", "splash", "bell", "door", "thunder", "ice-crack", "ship-horn", "animal-call",
                   "crowd-cheer"}
UNKNOWN_NOUNS = {"hero", "friend"}  # what premise understanding calls someone it cannot name in English
MOTION_WORDS = {Motion.IDLE: "stands still", Motion.WALK: "walks on", Motion.RUN: "runs", Motion.SWIM: "swims",
                Motion.FLY: "flies", Motion.JUMP: "hops along", Motion.WAVE: "waves hello", Motion.SIT: "sits and rests",
                Motion.SLEEP: "sleeps", Motion.LOOK: "looks around", Motion.TALK: "talks", Motion.DANCE: "plays happily"}


# -- the cast of a story ----------------------------------------------------------------


@dataclass
class Role:
    """A premise entity cast as a character of this film."""

    entity: Entity
    kind: Creature | None
    id: str
    is_hero: bool

    def motion(self, wanted: str, biome: Biome) -> Motion:
        """The body motion for `wanted` here: things keep their own, travellers swim at sea."""
        kind = self.kind
        gait = Motion(kind.gait) if kind else None
        if gait and kind and kind.thing:
            return gait
        if biome.water and wanted in ("idle", "look", "talk", "wave") and not (kind and kind.flies):
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
class Story:
    """Everything the shots need: who, where, and the words that name them."""

    premise: Premise
    language: str
    arc: Arc
    heroes: list[Role]
    others: list[Role]
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


class TemplatePlanner(Planner):
    name = "template"
    version = source_version(__file__, TEMPLATES / "arcs")

    def __init__(self, options: NoOptions) -> None:
        pass

    def plan(self, premise: PremiseReading, options: PlanOptions) -> Storyboard:
        rng = random.Random(_seed(premise.text, options.seed))
        understood = understand(premise.text, options.language)
        language = options.language or understood.language
        story = _cast_story(understood, language, options.seed, rng)
        story.beats = _keep_beats(story.beats, options.duration)
        return _film(story, options, rng)


def _seed(premise: str, seed: int) -> int:
    # Stable across runs and machines (Python's hash() is salted per process).
    return int.from_bytes(hashlib.sha256(f"{seed}\x00{premise}".encode()).digest()[:8], "big")


def _cast_story(premise: Premise, language: str, seed: int, rng: random.Random) -> Story:
    w = world()
    ids: set[str] = set()
    heroes = [_role(e, w, ids, True, "hero") for e in [premise.hero, *premise.companions]]
    others = [_role(e, w, ids, False, "friend") for e in premise.others]
    arc = _pick_arc(premise.goal, bool(others), seed, rng)
    home = _home(premise, heroes[0], arc)
    dest = _destination(premise, home, others, w)
    mentioned = [p for p in premise.places if p not in (home, dest)]
    route = w.route(home, dest, mentioned)
    beats = [b for b in arc.beats if _fits(b.when, others, premise.activity)]
    story = Story(premise=premise, language=language, arc=arc, heroes=heroes, others=others, home=home, dest=dest,
                  route=route, beats=beats)
    story.words = _words(story, w)
    return story


def _keep_beats(beats: list[Beat], duration: float) -> list[Beat]:
    """A short film tells fewer scenes: the first, the last and evenly spaced ones between."""
    count = max(3, min(len(beats), round(duration / SECONDS_PER_SCENE)))
    if count >= len(beats):
        return beats
    return [beats[round(i * (len(beats) - 1) / (count - 1))] for i in range(count)]


def _fits(when: str | None, others: list[Role], activity: str | None = None) -> bool:
    """Beats and shots marked 'other' or 'no-other' play only when the story has (or lacks)
    someone to meet; 'activity' only when the premise says what the hero does all day."""
    if when == "activity":
        return bool(activity)
    return when is None or (when == "other") == bool(others)


def _role(entity: Entity, w: World, taken: set[str], is_hero: bool, fallback: str) -> Role:
    base = _slug(entity.name if entity.proper or entity.plural else entity.noun) or fallback
    if not re.match(r"^[a-z0-9]", base) or base == "narrator":
        base = fallback
    ident, n = base[:60], 2
    while ident in taken:
        ident, n = f"{base[:57]}-{n}", n + 1
    taken.add(ident)
    return Role(entity=entity, kind=w.kinds.get(entity.kind or ""), id=ident, is_hero=is_hero)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _pick_arc(goal: str, has_other: bool, seed: int, rng: random.Random) -> Arc:
    fitting = [(arc, arc.goals[goal]) for arc in arcs().values() if goal in arc.goals and (has_other or not arc.needs_other)]
    if not fitting:
        fitting = [(arc, 1) for arc in arcs().values() if not arc.needs_other]
    fitting.sort(key=lambda item: (-item[1], item[0].id))
    if seed == 0:  # the default film tells the premise's own kind of story
        return fitting[0][0]
    choices, weights = zip(*fitting)
    return rng.choices(choices, weights=weights)[0]


def _home(premise: Premise, hero: Role, arc: Arc) -> str:
    # A day-in-the-life or a contest happens where the premise says; a journey starts at the hero's home.
    staying = arc.id in ("day-in-the-life", "contest") and premise.places and not premise.destination
    if staying:
        return premise.places[0]
    if hero.kind:
        return hero.kind.home
    return premise.places[0] if premise.places and premise.places[0] != premise.destination else "meadow"


def _destination(premise: Premise, home: str, others: list[Role], w: World) -> str:
    if premise.destination:
        return premise.destination
    elsewhere = [p for p in premise.places if p != home]
    if elsewhere:
        return elsewhere[-1]
    homes = [o.kind.home for o in others if o.kind and o.kind.home != home]
    if homes:
        return homes[0]
    return w.places[home].via[0]


# -- words ------------------------------------------------------------------------------


def _words(story: Story, w: World) -> dict[str, str]:
    """Every placeholder the arcs' sentences use, in the story's language."""
    zh = story.language == "zh"
    place_name = (lambda key: w.places[key].zh) if zh else (lambda key: w.places[key].en)
    hero = _join([_name(r, zh) for r in story.heroes], zh)
    other = _join([_name(r, zh) for r in story.others], zh) if story.others else ("朋友" if zh else "a friend")
    words = {
        "hero": hero,
        "hero_short": _join([_short(r, zh) for r in story.heroes], zh),
        "a_hero": _join([_name(r, zh, indefinite=True) for r in story.heroes], zh),
        "other": other,
        "everyone": _join([_name(r, zh) for r in story.heroes + story.others], zh),
        "other_noun": story.others[0].entity.name if story.others else other,
        "home": place_name(story.home),
        "dest": place_name(story.dest),
        "at_home": _at(w.places[story.home], zh),
        "at_dest": _at(w.places[story.dest], zh),
        "route": _join([place_name(p) for p in story.route] or [place_name(story.dest)], zh),
    }
    goal = story.premise.goal
    words["skill"] = story.premise.skill or ("新本领" if zh else "do something new")
    words["activity"] = story.premise.activity or ""
    several = len(story.heroes) > 1 or story.heroes[0].entity.plural
    words["was"] = "" if zh else ("were" if several else "was")  # "the friends were awake"
    words["heros"] = hero if zh else hero + ("'" if hero.endswith("s") else "'s")  # "the friends' day"
    aims = {"visit": other, "go": words["dest"], "race": "终点" if zh else "the finish line",
            "meet": "朋友" if zh else "a friend", "day": words["home"], "learn": words["skill"]}
    words["aim"] = aims.get(goal, other)
    if zh:
        goals = {"visit": f"看望{other}", "go": words["dest"], "meet": "交一个新朋友", "race": "赢得比赛",
                 "help": f"帮助{other}", "day": "过好这一天", "learn": f"学会{words['skill']}"}
        words["goal"] = goals.get(goal, f"找到{other}")
    else:
        goals = {"visit": f"visit {other}", "go": f"reach {words['dest']}", "meet": "find a friend",
                 "race": "win the race", "help": f"help {other}", "day": "make the most of the day",
                 "learn": f"learn to {words['skill']}"}
        words["goal"] = goals.get(goal, f"find {other}")
    for key in list(words):
        words[key[0].upper() + key[1:]] = _capital(words[key])
    if not zh:
        words["Skill"] = _title_case(words["skill"])  # it ends titles: "The Girl Learns to Ride a Bike"
    return words


def _name(role: Role, zh: bool, indefinite: bool = False) -> str:
    entity = role.entity
    if zh or entity.proper:
        return entity.name
    words = f"{entity.adjective} {entity.name}" if indefinite and entity.adjective else entity.name
    if not indefinite or entity.plural:
        return f"the {entity.name}"
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _short(role: Role, zh: bool) -> str:
    """A shorter second name for variety: 'the polar bear' -> 'the bear'."""
    entity = role.entity
    if zh or entity.proper or " " not in entity.name:
        return _name(role, zh)
    return f"the {entity.name.split()[-1]}"


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


def _fill(template: str, story: Story, place: Place) -> str:
    zh = story.language == "zh"
    name, at = (place.zh if zh else place.en), _at(place, zh)
    return template.format_map({**story.words, "place": name, "Place": _capital(name), "at_place": at,
                                "At_place": _capital(at)})


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


def _film(story: Story, options: PlanOptions, rng: random.Random) -> Storyboard:
    w = world()
    language = story.language
    locations: dict[tuple[str, TimeOfDay, Weather], Location] = {}
    scene_locations: list[Location] = []
    drafts: list[Draft] = []
    used_lines: set[str] = set()
    for index, beat in enumerate(story.beats):
        key = story.place(beat.place)
        scene_locations.append(_location(key, w.places[key], beat, story, locations, rng))
        drafts += [
            _draft(index, shot_beat, story, used_lines, rng)
            for shot_beat in beat.shots
            if _fits(shot_beat.when, story.others, story.premise.activity)
        ]
    wanted = max(len(story.beats), round(options.duration / SECONDS_PER_SHOT))
    drafts = _extend(_trim(drafts, wanted), wanted, story, used_lines, rng)
    _frame(drafts, rng)
    _time(drafts, options.duration)
    _cue_sounds(drafts, story)
    scenes = []
    for index, beat in enumerate(story.beats):
        shots = [d.shot for d in drafts if d.scene == index]
        for number, shot in enumerate(shots, 1):
            shot.id = f"{beat.id}-{number}"
        place = w.places[story.place(beat.place)]
        scenes.append(Scene(id=beat.id, location=scene_locations[index].id, mood=beat.mood, shots=shots,
                            summary=_fill(getattr(beat.summary, language), story, place)))
    frame_transitions(scenes)
    dest = w.places[story.dest]
    title = _fill(rng.choice(getattr(story.arc.title, language)), story, dest)
    return Storyboard(
        title=title if language == "zh" else _title_case(title),
        logline=_fill(rng.choice(getattr(story.arc.logline, language)), story, dest),
        premise=PremiseReading(text=story.premise.text),
        language=language,
        target_duration=options.duration,
        characters=_characters(story, rng),
        locations=list({loc.id: loc for loc in scene_locations}.values()),
        scenes=scenes,
        **({"style": options.style} if options.style else {}),
    )


def _location(key: str, place: Place, beat: Beat, story: Story, known: dict, rng: random.Random) -> Location:
    """The place as this beat sees it. A place seen again keeps its layout and props; another time of day
    or weather makes it another location."""
    usual = story.weather.setdefault(key, Weather(rng.choice(place.weather[:2])))
    time = beat.time or TimeOfDay.DAY
    weather = beat.weather or usual
    allowed = world().biome(place.biome).weather
    # Weather the biome does not allow: a storm there is rain; rain falls as snow (a storm if it snows already).
    if weather == Weather.STORM and weather not in allowed:
        weather = Weather.RAIN
    elif weather == Weather.RAIN and weather not in allowed:
        weather = Weather.SNOW if usual != Weather.SNOW else Weather.STORM
    if (key, time, weather) in known:
        return known[(key, time, weather)]
    first = next((loc for (k, _, _), loc in known.items() if k == key), None)
    ident = key if first is None else f"{key}-{time.value}" if weather == usual else f"{key}-{weather.value}"
    while ident in {loc.id for loc in known.values()}:
        ident += "-2"
    location = Location(
        id=ident,
        name=place.zh if story.language == "zh" else _capital(place.en.removeprefix("the ")),
        description=f"{place.en} at {time.value}" + ("" if weather == Weather.CLEAR else f", {weather.value}"),
        biome=place.biome,
        time_of_day=time,
        weather=weather,
        props=first.props if first else sorted(rng.sample(place.props, k=min(len(place.props), rng.randint(2, 3)))),
        seed=first.seed if first else rng.randrange(2**32),
    )
    known[(key, time, weather)] = location
    return location


def _draft(scene: int, beat: ShotBeat, story: Story, used: set[str], rng: random.Random) -> Draft:
    place = world().places[story.place(story.beats[scene].place)]
    cast = {"hero": story.heroes, "other": story.others or story.heroes, "both": story.heroes + story.others,
            "none": []}[beat.cast]
    direction = ScreenDirection.LEFT_TO_RIGHT
    on_screen = []
    for role in cast:
        motion = role.motion(beat.motion, world().biome(place.biome))
        if role.kind and role.kind.thing:
            facing = ScreenDirection.NEUTRAL  # a lost ball or kite has no gaze to keep
        elif beat.role == "meeting":
            facing = ScreenDirection.LEFT_TO_RIGHT if role.is_hero else ScreenDirection.RIGHT_TO_LEFT
        elif motion in TRAVELLING and beat.role in ("travel", "danger", "reveal", "establish") and (
            role.is_hero or beat.cast == "other"
        ):
            facing = direction  # travellers keep one screen direction; whoever waits for them stays neutral
        else:
            facing = ScreenDirection.NEUTRAL
        action = beat.action or MOTION_WORDS[motion]
        if motion == Motion.SWIM and role.kind and not role.kind.swims and not role.kind.thing:
            action = "rides a little boat across the water"
        on_screen.append(OnScreen(character=role.id, action=action, motion=motion, direction=facing))
    variants = [_fill(v, story, place) for v in getattr(beat.say, story.language)]
    fresh = [v for v in variants if v not in used]
    text = rng.choice(fresh) if fresh else None  # a sentence said once is not said again: silence instead
    if text:
        used.add(text)
    framing = FRAMING[beat.role]
    camera = Camera(
        size=framing.sizes[0],
        angle=rng.choice(framing.angles),
        movement=rng.choice(framing.movements),
        duration=MIN_SHOT,
        subject=on_screen[0].character if on_screen else None,
    )
    names = " and ".join(_label(r) for r in cast) or "nobody"
    shot = Shot(
        id=f"{story.beats[scene].id}-draft",  # numbered once the film's shots are chosen
        description=f"{names.capitalize()} {on_screen[0].action if on_screen else 'is not in sight'} in {place.en}.",
        characters=on_screen,
        camera=camera,
        lines=[Line(text=text)] if text else [],
    )
    need = seconds_needed([text] if text else [], story.language)
    return Draft(scene=scene, beat=beat, shot=shot, need=need, weight=framing.weight)


def _label(role: Role) -> str:
    """English name for shot descriptions (they feed image-model prompts): 'the polar bear', 'Mia'."""
    entity = role.entity
    if entity.proper:
        return entity.name
    return f"the {entity.noun if role.kind and cjk_characters(entity.name) else entity.name}"


def _trim(drafts: list[Draft], wanted: int) -> list[Draft]:
    """Short films drop optional shots, then shots from the fullest scenes; every scene keeps its
    opening and the film keeps its last shot."""
    drafts = list(drafts)
    while len(drafts) > wanted:
        openings = {id(next(d for d in drafts if d.scene == scene)) for scene in {d.scene for d in drafts}}
        seen = Counter(on.character for d in drafts for on in d.shot.characters)
        droppable = [
            d for d in drafts[:-1]
            if id(d) not in openings and all(seen[on.character] > 1 for on in d.shot.characters)  # everyone stays seen
        ]
        if not droppable:
            break
        per_scene = {d.scene: sum(e.scene == d.scene for e in drafts) for d in droppable}
        drafts.remove(max(droppable, key=lambda d: (d.beat.optional, per_scene[d.scene], drafts.index(d))))
    return drafts


def _extend(drafts: list[Draft], wanted: int, story: Story, used: set[str], rng: random.Random) -> list[Draft]:
    """Long films film travel and action beats once more, so shots keep a storybook pace."""
    drafts = list(drafts)
    for draft in [d for d in drafts if d.beat.role in ("travel", "action", "meeting", "detail")]:
        if len(drafts) >= wanted:
            break
        drafts.insert(drafts.index(draft) + 1, _draft(draft.scene, draft.beat, story, used, rng))
    return drafts


def _frame(drafts: list[Draft], rng: random.Random) -> None:
    """Sizes: wide to open each scene and to end the film, never the same size twice in a row."""
    previous: ShotSize | None = None
    for i, draft in enumerate(drafts):
        camera = draft.shot.camera
        framing = FRAMING[draft.beat.role]
        opens_scene = i == 0 or drafts[i - 1].scene != draft.scene
        choices = [s for s in framing.sizes if s != previous] or list(framing.sizes)
        if opens_scene:
            choices = [s for s in ESTABLISHING if s != previous] or list(ESTABLISHING)
        size = rng.choice(choices[:2])
        movement = camera.movement
        if i == len(drafts) - 1:
            size = rng.choice([s for s in ESTABLISHING if s != previous])
            movement = rng.choice((M.CRANE_UP, M.DOLLY_OUT))
        elif opens_scene and draft.beat.role not in ("establish", "reveal", "ending", "travel"):
            movement = rng.choice(FRAMING["establish"].movements)
        directions = {on.direction for on in draft.shot.characters}
        if movement == M.TRACKING and ScreenDirection.RIGHT_TO_LEFT in directions - {ScreenDirection.LEFT_TO_RIGHT}:
            movement = M.TRUCK_LEFT
        draft.shot.camera = camera.model_copy(update={"size": size, "movement": movement})
        previous = size


def _time(drafts: list[Draft], target: float) -> None:
    """Share the target length by weight, never below what a shot's narration needs."""
    while sum(max(MIN_SHOT, d.need) for d in drafts) > target:
        spoken = [d for d in drafts if d.shot.lines]
        if not spoken:
            break
        quiet = min(spoken, key=lambda d: (d.beat.role not in ("establish", "reveal"), d.weight, -d.need))
        quiet.shot.lines = []
        quiet.need = 0.0
    seconds = fit_durations([d.need for d in drafts], [d.weight for d in drafts], target)
    for draft, length in zip(drafts, seconds):
        draft.shot.camera = draft.shot.camera.model_copy(update={"duration": length})


def _cue_sounds(drafts: list[Draft], story: Story) -> None:
    w = world()
    for draft in drafts:
        scene_place = w.places[story.place(story.beats[draft.scene].place)]
        hero = story.heroes[0]
        motion = draft.shot.characters[0].motion if draft.shot.characters else Motion.IDLE
        tags: list[str] = []
        for tag in draft.beat.sound:
            tags += _resolve_sound(tag, scene_place, hero, story.others, motion)
        duration = draft.shot.camera.duration
        cues = []
        accents = 0
        for n, tag in enumerate(dict.fromkeys(t for t in tags if t)):
            if tag in ONE_SHOT_SOUNDS:  # accents land one after another, not on top of each other
                at = round(min(duration * (0.3 + 0.3 * accents), duration - 1.0), 1)
                accents += 1
                cues.append(SoundCue(tag=tag, at=max(0.0, at), duration=round(min(2.0, duration - max(0.0, at)), 1)))
            else:
                cues.append(SoundCue(tag=tag, at=0.0, volume_db=-6.0 if n == 0 else -9.0))
        draft.shot.sound = cues


def _resolve_sound(tag: str, place: Place, hero: Role, others: list[Role], motion: Motion) -> list[str | None]:
    if tag == "amb":
        return place.sounds[:1]
    if tag == "steps":
        return [place.footsteps if motion in (Motion.WALK, Motion.RUN, Motion.JUMP) else None]
    if tag == "move":
        return [{Motion.SWIM: "splash", Motion.FLY: "whoosh"}.get(motion, place.footsteps)]
    if tag == "call":
        return [hero.kind.call if hero.kind else None]
    if tag == "other_call":
        return [others[0].kind.call if others and others[0].kind else None]
    snowy = world().biome(place.biome).snow
    if tag == "wind" and snowy:
        return ["blizzard" if "blizzard" in place.sounds else "wind"]
    if tag == "rain" and snowy:  # it snows there
        return ["blizzard"]
    return [tag]


def _characters(story: Story, rng: random.Random) -> list[Character]:
    people = []
    for role in story.heroes + story.others:
        entity, kind = role.entity, role.kind
        if kind:
            look = kind.look + (f"; {entity.adjective}" if entity.adjective else "")
        else:
            look = entity.name if entity.noun in UNKNOWN_NOUNS else f"a {entity.adjective or ''} {entity.noun}"
        seed = rng.randrange(2**32)
        people.append(
            Character(
                id=role.id,
                name=entity.name if story.language == "zh" or entity.proper else _title_case(entity.name),
                description=_capital(" ".join(look.split())) + ".",
                visual=Visual(keywords=_keywords(role), scale=kind.size if kind else 1.0,
                              count=3 + seed % 3 if entity.plural else 1,  # "penguins": a small colony
                              facing="right" if role.is_hero else "left"),
                seed=seed,
            )
        )
    return people


def _keywords(role: Role) -> list[str]:
    """Nouns for the icon and for image-model prompts, most specific first."""
    entity = role.entity
    if role.kind:
        return list(role.kind.keywords)
    if entity.noun in UNKNOWN_NOUNS:  # a Chinese name the world data does not know
        return [entity.name]
    return list(dict.fromkeys([entity.noun, entity.noun.split()[-1]]))
