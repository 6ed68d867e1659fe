"""The consistency manager: one identity per character and per place, fixed
for the whole film and stored in the storyboard so a director can edit it.

`assign_cast` fills what the planner left empty (an icon chosen from the
character's keywords, its size relative to a human, its seed; a place's seed
and props) and never overwrites what a director set. Every renderer reads
identity through `character_look` and `location_look` and nowhere else, so a
character looks the same in every shot, whichever backend draws it.
The animatic draws each character's reference sheet from its look
(`render/animatic/sheets.py`): the image model backends condition on.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from storyagent.errors import StoryboardError
from storyagent.storyboard import Biome, Character, Location, Storyboard, TimeOfDay, Weather
from storyagent.world import icons

# Typical height relative to a grown-up human, by icon; used when the planner left the default 1.0.
SIZES = {
    "polar-bear": 1.4, "bear": 1.3, "panda": 1.1, "penguin": 0.5, "baby-chick": 0.2, "bird": 0.25, "owl": 0.35,
    "eagle": 0.5, "dove": 0.25, "parrot": 0.35, "duck": 0.35, "swan": 0.6, "chicken": 0.35, "rooster": 0.4,
    "mouse": 0.15, "rat": 0.2, "hamster": 0.15, "rabbit": 0.3, "cat": 0.35, "dog": 0.55, "fox": 0.45,
    "wolf": 0.7, "raccoon": 0.4, "hedgehog": 0.2, "squirrel": 0.2, "frog": 0.15, "turtle": 0.3, "snail": 0.1,
    "lion": 1.1, "tiger": 1.1, "leopard": 0.9, "horse": 1.6, "cow": 1.5, "pig": 0.8, "sheep": 0.8, "goat": 0.8,
    "deer": 1.3, "camel": 2.0, "elephant": 2.4, "giraffe": 3.0, "hippopotamus": 1.5, "rhinoceros": 1.7,
    "gorilla": 1.5, "monkey": 0.6, "kangaroo": 1.3, "seal": 0.6, "otter": 0.4, "whale": 4.0, "spouting-whale": 4.0,
    "dolphin": 1.2, "shark": 2.0, "fish": 0.25, "tropical-fish": 0.25, "octopus": 0.6, "crab": 0.2,
    "dragon": 3.0, "unicorn": 1.6, "dinosaur": 3.0, "sauropod": 4.0, "t-rex": 3.5, "robot": 1.0,
    "child": 0.7, "boy": 0.7, "girl": 0.7, "baby": 0.4, "ghost": 1.0, "snowman": 1.2, "butterfly": 0.12,
    "bee": 0.08, "ladybug": 0.06, "ant": 0.05, "spider": 0.08, "kite": 0.6,
}

# What stands in a place when the planner named nothing, by biome.
BIOME_PROPS = {
    Biome.SEA_ICE: ["iceberg"],
    Biome.SNOWY_MOUNTAINS: ["pine tree", "rock"],
    Biome.OPEN_SEA: ["iceberg"],
    Biome.COAST: ["palm tree", "rock"],
    Biome.FOREST: ["pine tree", "deciduous tree", "mushroom"],
    Biome.GRASSLAND: ["herb", "blossom", "deciduous tree"],
    Biome.DESERT: ["cactus", "rock"],
    Biome.CITY: ["house", "office building"],
    Biome.NIGHT_SKY: ["star"],
    Biome.UNDERWATER: ["coral", "tropical fish", "spiral shell"],
    Biome.INTERIOR: ["couch and lamp", "potted plant", "framed picture"],
}

# Typical height of a prop, by icon.
PROP_SIZES = {
    "evergreen-tree": 4.5, "deciduous-tree": 4.0, "palm-tree": 4.5, "cactus": 2.2, "rock": 0.8, "house": 4.0,
    "office-building": 12.0, "houses": 5.0, "classical-building": 8.0, "castle": 10.0, "herb": 0.4,
    "blossom": 0.35, "sunflower": 1.2, "tulip": 0.4, "mushroom": 0.4, "coral": 1.0, "tropical-fish": 0.3,
    "spiral-shell": 0.25, "couch-and-lamp": 1.6, "potted-plant": 1.0, "framed-picture": 0.9, "star": 1.0,
    "tent": 2.0, "snowman": 1.4, "sailboat": 4.0, "ship": 10.0, "penguin": 0.5, "ice": 2.0,
    "christmas-tree": 3.0, "hut": 3.0, "fountain": 2.0, "bench": 0.8,
}

# Tints that tell apart characters who would otherwise share an icon.
TELL_APART = ["#e07a5f", "#3d85c6", "#81b29a", "#f2cc8f", "#9b5de5", "#f15bb5"]

# Props the environments draw themselves rather than as an icon.
PROCEDURAL_PROPS = {"iceberg", "ice floe", "mountain", "hill", "dune", "wave", "waves"}


def stable_seed(text: str) -> int:
    """A seed from an id: the same on every machine and run (unlike hash())."""
    return zlib.crc32(text.encode("utf-8")) or 1


def icon_for(character: Character) -> str:
    if character.visual.icon:
        return character.visual.icon
    return icons.choose([*character.visual.keywords, character.name], "character", character.description)


def assign_cast(board: Storyboard) -> Storyboard:
    """A copy of `board` with every empty identity field filled, deterministically.
    An icon the library does not have is a StoryboardError, before anything is drawn."""
    problems = icons.unknown_icons(board)
    if problems:
        raise StoryboardError(problems[0])
    board = board.model_copy(deep=True)
    seen: dict[str, int] = {}
    for character in board.characters:
        icon = icon_for(character)
        visual = character.visual
        if visual.icon is None:
            visual.icon = icon
        if visual.scale == 1.0 and icon in SIZES:
            visual.scale = SIZES[icon]
        twins = seen.get(icon, 0)
        seen[icon] = twins + 1
        if twins and visual.tint is None:
            visual.tint = TELL_APART[(twins - 1) % len(TELL_APART)]
        if character.seed == 0:
            character.seed = stable_seed(character.id)
    for location in board.locations:
        if location.seed == 0:
            location.seed = stable_seed(location.id)
        if not location.props:
            location.props = list(BIOME_PROPS[location.biome])
    return board


# -- what renderers read --------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """A character's identity as a renderer needs it."""

    id: str
    name: str
    icon: str
    tint: str | None
    height: float  # world units: a grown-up human is 1
    facing: int  # default facing: +1 right, -1 left
    seed: int
    description: str = ""
    count: int = 1  # more: a group that acts as one


@dataclass(frozen=True)
class Prop:
    """Something standing in a place: an icon, or a shape the environment draws."""

    name: str
    icon: str | None  # None: drawn procedurally by the environment
    height: float


@dataclass(frozen=True)
class Place:
    """A location's identity as a renderer needs it: same place, same picture."""

    id: str
    name: str
    biome: Biome
    time_of_day: TimeOfDay
    weather: Weather
    props: tuple[Prop, ...]
    seed: int


def character_look(board: Storyboard, character_id: str) -> Look:
    character = board.character(character_id)
    icon = icon_for(character)
    scale = character.visual.scale
    if scale == 1.0:
        scale = SIZES.get(icon, 1.0)  # as assign_cast would, so an uncast board draws the same
    return Look(
        id=character.id,
        name=character.name,
        icon=icon,
        tint=character.visual.tint,
        height=scale,
        facing=1 if character.visual.facing.value == "right" else -1,
        seed=character.seed or stable_seed(character.id),
        description=character.description,
        count=character.visual.count,
    )


def location_look(board: Storyboard, location_id: str) -> Place:
    location: Location = board.location(location_id)
    names = location.props or BIOME_PROPS[location.biome]
    return Place(
        id=location.id,
        name=location.name,
        biome=location.biome,
        time_of_day=location.time_of_day,
        weather=location.weather,
        props=tuple(_prop(name) for name in names),
        seed=location.seed or stable_seed(location.id),
    )


def _prop(name: str) -> Prop:
    key = name.strip().lower()
    if key in PROCEDURAL_PROPS:
        return Prop(name=key, icon=None, height=0.0)
    icon = icons.choose([name], "prop")
    return Prop(name=key, icon=icon, height=PROP_SIZES.get(icon, 1.2))



# -- reference sheets ----------------------------------------------------------------
