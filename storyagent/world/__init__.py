"""Small world knowledge, read from `templates/world.json`: where creatures and
things live, how big they are, how they move and sound, and which terrain lies
between two homes. Data, not code, so adding an animal is one JSON line."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from storyagent.storyboard import Biome, Motion, Weather

POLAR = {"far-north", "far-south"}

# The sound library's effect names: the only tags a planner may put in a shot.
SOUND_TAGS = (
    "wind", "blizzard", "waves", "splash", "footsteps-snow", "footsteps-ice", "footsteps-sand", "footsteps-wood",
    "ice-crack", "gulls", "penguin-colony", "animal-call", "whoosh", "heartbeat", "magic-chime", "ship-horn",
    "forest-birds", "crickets", "rain", "thunder", "fire-crackle", "crowd-cheer", "bell", "door", "city-traffic",
    "engine", "underwater",
)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Place(_Data):
    key: str = ""
    en: str = Field(description="English name with its article, e.g. 'the open sea'.")
    at: str = Field(description="English preposition for being there: 'on' the ice, 'in' the forest.")
    zh: str
    biome: Biome
    region: str = Field(description="Rough part of the world; polar regions are across the sea from everything else.")
    weather: list[Weather]
    props: list[str]
    sounds: list[str] = Field(description="Ambient sound tags heard there.")
    footsteps: str | None = Field(description="Sound tag of walking there, or none (grass, water).")
    aliases: list[str]
    zh_aliases: list[str]
    via: list[str] = Field(description="Neighbouring places a traveller leaving this one passes through.")


class Kind(_Data):
    """A creature or thing: anything that can be on screen."""

    key: str = ""
    zh: list[str]
    plural: str
    home: str
    scale: float
    motion: Motion
    swims: bool = False
    flies: bool = False
    call: str | None = Field(default=None, description="Sound tag of its voice or typical noise.")
    keywords: list[str]
    look: str
    thing: bool = False


class World(_Data):
    places: dict[str, Place]
    kinds: dict[str, Kind]
    skills: dict[str, str] = {}  # a skill's word (English or Chinese) -> the place to practise it

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


@lru_cache(maxsize=1)
def world() -> World:
    raw = json.loads(Path(__file__).with_name("world.json").read_text(encoding="utf-8"))
    places = {key: Place(key=key, **value) for key, value in raw["places"].items()}
    kinds = {key: Kind(key=key, **value) for key, value in raw["beings"].items()}
    kinds |= {key: Kind(key=key, thing=True, **value) for key, value in raw["things"].items()}
    return World(places=places, kinds=kinds, skills=raw.get("skills", {}))
