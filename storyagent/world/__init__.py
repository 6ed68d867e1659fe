"""The world every stage draws on, read from package data in this folder:

- `biomes.json`: one card per biome: its default props, the animatic's
  scenery, the words an image model reads, its ambience, the weather it
  allows and whether travellers swim or walk on snow there; plus the props'
  heights;
- `creatures.json`: one table of every creature and thing: its icon (and the
  icons of its old and young), its size relative to a grown-up human, its
  gait, and what the template planner needs to cast it;
- `places.json`: the places the template planner sends a story to, and where
  a skill is practised.

Adding a biome, a creature or a place is one JSON entry. To extend the world
without touching the package, point `STORYAGENT_WORLD` at one or more JSON
files (separated by the platform's path separator, ':' on Linux) with any of
the sections above (`biomes`, `creatures`, `things`, `places`, `skills`,
`prop_heights`, `drawn_props`): their entries are added to the packaged ones,
and an entry with a packaged key replaces it. `world()` reads everything once
per process; `world.cache_clear()` makes it read again.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from storyagent.errors import WorldError
from storyagent.world.scenery import STEP_NAMES, Scenery

ENV = "STORYAGENT_WORLD"
PACKAGED = ("biomes.json", "creatures.json", "places.json")
SECTIONS = ("biomes", "creatures", "things", "places", "skills", "prop_heights", "drawn_props")
POLAR = {"far-north", "far-south"}

# The sound library's effect names: the only tags a planner may put in a shot.
SOUND_TAGS = (
    "wind", "blizzard", "waves", "splash", "footsteps-snow", "footsteps-ice", "footsteps-sand", "footsteps-wood",
    "ice-crack", "gulls", "penguin-colony", "animal-call", "whoosh", "heartbeat", "magic-chime", "ship-horn",
    "forest-birds", "crickets", "rain", "thunder", "fire-crackle", "crowd-cheer", "bell", "door", "city-traffic",
    "engine", "underwater",
)

# Sounds of the film rather than of a place (a reveal, a heartbeat, magic): they fit anywhere.
FILM_SOUNDS = ("whoosh", "heartbeat", "magic-chime")

# The storyboard's Weather, Motion and Age values, as plain strings: the world sits below the storyboard.
Weather = Literal["clear", "cloudy", "snow", "rain", "fog", "storm"]
Gait = Literal["idle", "walk", "run", "swim", "fly", "jump"]
Age = Literal["young", "grown", "old"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Biome(_Data):
    """A kind of place, as every stage sees it."""

    key: str = ""
    description: str = Field(description="One line for the storyboard's schema and the LLM planner.")
    props: list[str] = Field(description="What stands there when the storyboard names nothing.")
    prompt: str = Field(description="The words an image model reads for the setting.")
    ambience: dict[str, float] = Field(description="Sound tag -> level in dB, under every shot there.")
    night_ambience: dict[str, float] | None = Field(default=None, description="Replaces `ambience` at night.")
    weather: list[Weather] = Field(description="The weather it allows.")
    water: bool = Field(default=False, description="Open water: travellers swim, nobody stands about.")
    snow: bool = Field(default=False, description="Snow lies: rain falls as snow, a storm is a blizzard.")
    underwater: bool = Field(default=False, description="Below the surface: no sky, bubbles instead of weather.")
    indoors: bool = Field(default=False, description="Inside: no sky, no weather.")
    starry: bool = Field(default=False, description="Stars shine at any time of day.")
    sounds: list[str] | None = Field(default=None, description="The one-shot sound tags that can happen here "
                                     "besides its ambience and the film's own (whoosh, heartbeat, magic-chime); "
                                     "empty means any.")
    scenery: Scenery = Field(description="How the animatic draws it.")

    @property
    def surface(self) -> bool:
        """The ground is open water: a swimmer shows only above the waterline."""
        return self.water and not self.underwater

    def sounds_at(self, night: bool) -> dict[str, float]:
        return self.night_ambience if night and self.night_ambience is not None else self.ambience


class Place(_Data):
    key: str = ""
    en: str = Field(description="English name with its article, e.g. 'the open sea'.")
    at: str = Field(description="English preposition for being there: 'on' the ice, 'in' the forest.")
    zh: str
    biome: str = Field(description="Key of its biome card.")
    region: str = Field(description="Rough part of the world; polar regions are across the sea from everything else.")
    weather: list[Weather]
    props: list[str]
    sounds: list[str] = Field(description="Ambient sound tags heard there.")
    footsteps: str | None = Field(description="Sound tag of walking there, or none (grass, water).")
    aliases: list[str]
    zh_aliases: list[str]
    via: list[str] = Field(description="Neighbouring places a traveller leaving this one passes through.")


class Creature(_Data):
    """A creature or thing: anything that can be on screen."""

    key: str = ""
    icon: str = Field(description="The Fluent Emoji icon that draws it.")
    tint: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="A colour (#rrggbb) "
                             "washed over the icon when it only nearly fits (a gull drawn with a grey dove).")
    ages: dict[Age, str] = Field(default_factory=dict, description="The icon that draws an old or young one "
                                 "of its kind ('old': 'old-man'), where it differs.")
    size: float = Field(gt=0, le=20, description="Height relative to a grown-up human (1.0).")
    gait: Gait = Field(description="How it moves on its own.")
    swims: bool = False
    flies: bool = False
    thing: bool = Field(default=False, description="An object (a kite, a key), not a being.")
    home: str | None = Field(default=None, description="Place key where it lives; none: the template planner "
                             "never casts it, it is only drawn at its size.")
    plural: str = ""
    zh: list[str] = Field(default_factory=list, description="Chinese names.")
    keywords: list[str] = Field(default_factory=list, description="Nouns for icons and model prompts.")
    look: str = ""
    call: str | None = Field(default=None, description="Sound tag of its voice or typical noise.")


class World(_Data):
    biomes: dict[str, Biome]
    creatures: dict[str, Creature]
    places: dict[str, Place]
    skills: dict[str, str] = {}  # a skill's word (English or Chinese) -> the place to practise it
    prop_heights: dict[str, float] = Field(default_factory=dict, description="A prop's height by icon.")
    drawn_props: dict[str, str] = Field(default_factory=dict, description="Props the scenery draws itself, "
                                        "-> the step that draws them.")

    @model_validator(mode="after")
    def _consistent(self) -> World:
        problems = [*_place_problems(self), *_creature_problems(self)]
        if problems:
            raise ValueError(problems[0])
        return self

    # -- biomes ------------------------------------------------------------------------

    def biome(self, name: str) -> Biome:
        return self.biomes[name]

    def biome_names(self) -> list[str]:
        return list(self.biomes)

    def biome_glossary(self) -> str:
        return "; ".join(f"{key}: {card.description}" for key, card in self.biomes.items())

    # -- creatures ---------------------------------------------------------------------

    @property
    def kinds(self) -> dict[str, Creature]:
        """The creatures and things the template planner can cast: those with a home."""
        return {key: c for key, c in self.creatures.items() if c.home}

    def creature_named(self, words: list[str]) -> Creature | None:
        """The creature the first of `words` that names one names ('penguins' -> penguin)."""
        plurals = {c.plural: c for c in self.creatures.values() if c.plural}
        for word in words:
            word = " ".join(word.lower().split())
            found = self.creatures.get(word) or plurals.get(word)
            if found:
                return found
        return None

    def nearest(self, words: list[str]) -> tuple[str, bool] | None:
        """The creature or thing the first of `words` that names one is drawn as, and whether the word names
        it exactly (its name, plural or Chinese name). Else the nearest kind: one whose keywords hold the word
        ('gull' -> seagull), else one drawn with the icon the word finds in the icon library's keywords
        ('mallard' -> duck). None when nothing fits."""
        for word in words:
            exact = self.creature_named([word]) or self._named_in_chinese(word)
            if exact:
                return exact.key, True
        for word in words:
            near = self._keyworded(word) or self._drawn_as(word)
            if near:
                return near.key, False
        return None

    def _named_in_chinese(self, word: str) -> Creature | None:
        return next((c for c in self.creatures.values() if word.strip() in c.zh), None)

    def _keyworded(self, word: str) -> Creature | None:
        word = " ".join(word.lower().split())
        return next((c for c in self.creatures.values() if word in c.keywords), None)

    def _drawn_as(self, word: str) -> Creature | None:
        from storyagent.world import icons  # skia loads only when an icon is looked up

        icon = icons.find(word) if word.strip() and word.isascii() else None
        if icon is None:
            return None
        for name in dict.fromkeys([icon, icon.removesuffix("-face")]):  # 'kitty' finds the cat's face
            drawn = [c for c in self.creatures.values() if c.icon == name]
            named = [c for c in drawn if c.key.replace(" ", "-") == name]
            if drawn:
                return (named or drawn)[0]
        return None

    def icon_for_age(self, kind: str, age: str | None) -> str | None:
        """The icon that draws an old or young `kind` ('old', 'keeper' -> 'old-man'); None when its own
        icon does (or the kind is unknown)."""
        creature = self.creatures.get(kind)
        return creature.ages.get(age) if creature and age else None  # type: ignore[call-overload]

    def size_of_icon(self, icon: str) -> float | None:
        """The size of what `icon` draws: the creature named like the icon, else the first drawn with it."""
        drawn = [c for c in self.creatures.values() if c.icon == icon]
        named = [c for c in drawn if c.key.replace(" ", "-") == icon]
        return (named or drawn)[0].size if drawn else None

    # -- sound ---------------------------------------------------------------------------

    def sound_fits(self, tag: str, biome: str) -> bool:
        """Whether the one-shot sound `tag` can happen in `biome` (no door on a reef, no footsteps on open water)."""
        card = self.biomes.get(biome)
        if card is None or card.sounds is None or tag in FILM_SOUNDS:
            return True
        return tag in card.sounds or tag in card.ambience or tag in (card.night_ambience or {})

    # -- places ------------------------------------------------------------------------

    def place_to_practise(self, skill: str) -> str | None:
        """Where one learns `skill` ('swim' -> the coast), by its first word that names one."""
        words = skill.lower().split() if skill.isascii() else [skill]
        for word in words:
            for key, place in self.skills.items():
                if word == key or (word.startswith(key) and (not word.isascii() or len(word) - len(key) <= 4)):
                    return place
        return None

    def route(self, start: str, end: str, mentioned: list[str]) -> list[str]:
        """Places a traveller crosses from `start` to `end` (both excluded):
        the ones the premise names if any, else terrain that lies between."""
        named = [p for p in dict.fromkeys(mentioned) if p not in (start, end)]
        if named:
            return named[:3]
        a, b = self.places[start], self.places[end]
        if start == end:
            return a.via[:1]
        # One stop out of the start's country, one into the end's; the sea between polar regions and the rest.
        stops = [p for p in dict.fromkeys([a.via[0], b.via[0]]) if p not in (start, end)]
        stops = stops or [p for p in a.via[1:] if p not in (start, end)][:1]
        across_sea = a.region != b.region and (a.region in POLAR or b.region in POLAR)
        if across_sea and "open-sea" not in (start, end, *stops):
            stops = [*stops[:1], "open-sea"]
        return stops[:2]


def _place_problems(w: World) -> list[str]:
    problems = []
    for key, card in w.biomes.items():
        problems += [f"biomes.{key}.ambience: unknown sound tag '{tag}'"
                     for tag in [*card.ambience, *(card.night_ambience or {})] if tag not in SOUND_TAGS]
        problems += [f"biomes.{key}.sounds: unknown sound tag '{tag}'"
                     for tag in card.sounds or [] if tag not in SOUND_TAGS]
    for key, place in w.places.items():
        if place.biome not in w.biomes:
            problems.append(f"places.{key}.biome: unknown biome '{place.biome}'")
        problems += [f"places.{key}.via: unknown place '{via}'" for via in place.via if via not in w.places]
        heard = [*place.sounds, *([place.footsteps] if place.footsteps else [])]
        problems += [f"places.{key}.sounds: unknown sound tag '{tag}'" for tag in heard if tag not in SOUND_TAGS]
        problems += [f"places.{key}.sounds: '{tag}' cannot be heard in its biome '{place.biome}'"
                     for tag in heard if tag in SOUND_TAGS and place.biome in w.biomes
                     and not w.sound_fits(tag, place.biome)]
    problems += [f"skills.{word}: unknown place '{place}'" for word, place in w.skills.items() if place not in w.places]
    problems += [f"drawn_props.{prop}: unknown drawing step '{step}'" for prop, step in w.drawn_props.items()
                 if step not in STEP_NAMES]
    named: dict[str, str] = {}
    for key, place in w.places.items():
        for alias in [*place.aliases, *place.zh_aliases]:
            if named.setdefault(alias, key) != key:
                problems.append(f"places.{key}.aliases: '{alias}' already names the place '{named[alias]}'")
    return problems


def _creature_problems(w: World) -> list[str]:
    from storyagent.world import icons  # skia loads only when the world is read

    known = icons.library()
    problems = []
    for key, creature in w.creatures.items():
        problems += [f"creatures.{key}.{where}: no icon named '{icon}'"
                     for where, icon in [("icon", creature.icon), *((f"ages.{a}", i) for a, i in creature.ages.items())]
                     if icon not in known]
        if creature.home is None:
            continue
        if creature.home not in w.places:
            problems.append(f"creatures.{key}.home: unknown place '{creature.home}'")
        if not (creature.plural and creature.keywords and creature.look):
            problems.append(f"creatures.{key}: a creature with a home needs its plural, keywords and look")
        if creature.call is not None and creature.call not in SOUND_TAGS:
            problems.append(f"creatures.{key}.call: unknown sound tag '{creature.call}'")
    return problems


# -- reading -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def world() -> World:
    """The packaged world, with the files `STORYAGENT_WORLD` names merged over it."""
    here = Path(__file__).parent
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for path in [here / name for name in PACKAGED] + [Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p]:
        for name, entries in _read(path).items():
            sections[name] |= entries
    try:
        return World(
            biomes={key: {**card, "key": key} for key, card in sections["biomes"].items()},
            creatures={key: {**value, "key": key} for key, value in sections["creatures"].items()}
            | {key: {**value, "key": key, "thing": True} for key, value in sections["things"].items()},
            places={key: {**value, "key": key} for key, value in sections["places"].items()},
            skills=sections["skills"],
            prop_heights=sections["prop_heights"],
            drawn_props=sections["drawn_props"],
        )
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise WorldError(f"the world data ({_sources()}): {where + ': ' if where else ''}{first['msg']}") from None


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise WorldError(f"{path}: cannot read the world file: {err.strerror or err}") from None
    except json.JSONDecodeError as err:
        raise WorldError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    if not isinstance(raw, dict):
        raise WorldError(f"{path}: a world file is a JSON object of sections")
    sections = {name: entries for name, entries in raw.items() if not name.startswith("_")}
    for name, entries in sections.items():
        if name not in SECTIONS:
            raise WorldError(f"{path}: unknown section '{name}'; sections: {', '.join(SECTIONS)}")
        if not isinstance(entries, dict):
            raise WorldError(f"{path}: section '{name}' must be a JSON object")
    return sections


def _sources() -> str:
    extra = os.environ.get(ENV, "")
    return f"packaged, with {ENV}={extra}" if extra else "packaged"
