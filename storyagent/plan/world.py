"""Small world knowledge, read from `templates/world.json`: where creatures and
things live, how big they are, how they move and sound, and which terrain lies
between two homes. Data, not code, so adding an animal is one JSON line."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from storyagent.resources import TEMPLATES
from storyagent.storyboard import Biome, Motion, Weather

POLAR = {"far-north", "far-south"}


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Place(_Data):
    key: str = ""
    en: str = Field(description="English name with its article, e.g. 'the open sea'.")
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

    def route(self, start: str, end: str, mentioned: list[str]) -> list[str]:
        """Places a traveller crosses from `start` to `end` (both excluded):
        the ones the premise names if any, else terrain that lies between."""
        named = [p for p in dict.fromkeys(mentioned) if p not in (start, end)]
        if named:
            return named[:3]
        a, b = self.places[start], self.places[end]
        if start == end:
            return a.via[:1]
        stops = [p for p in a.via[:1] if p != end]
        across_sea = a.region != b.region and (a.region in POLAR or b.region in POLAR)
        if across_sea and "open-sea" not in (start, end, *stops):
            stops.append("open-sea")
        if not stops:
            stops = [p for p in b.via[:1] if p != start]
        return stops[:2]


@lru_cache(maxsize=1)
def world() -> World:
    raw = json.loads((TEMPLATES / "world.json").read_text(encoding="utf-8"))
    places = {key: Place(key=key, **value) for key, value in raw["places"].items()}
    kinds = {key: Kind(key=key, **value) for key, value in raw["beings"].items()}
    kinds |= {key: Kind(key=key, thing=True, **value) for key, value in raw["things"].items()}
    return World(places=places, kinds=kinds)
