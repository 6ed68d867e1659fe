"""The consistency manager: one identity per character and per place, fixed
for the whole film and stored in the storyboard so a director can edit it.

`assign_cast` fills what the planner left empty (an icon chosen from the
character's keywords, its size relative to a human, its seed; a place's seed
and props) and never overwrites what a director set. Every renderer reads
identity through `character_look` and `location_look` and nowhere else, so a
character looks the same in every shot, whichever backend draws it.
The animatic draws each character's reference sheet from its look
(`renderers/animatic/sheets.py`): the image model backends condition on.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from storyagent.errors import StoryboardError
from storyagent.storyboard import Character, Location, Storyboard, TimeOfDay, Weather
from storyagent.world import icons, world

# Tints that tell apart characters who would otherwise share an icon.
TELL_APART = ["#e07a5f", "#3d85c6", "#81b29a", "#f2cc8f", "#9b5de5", "#f15bb5"]


def stable_seed(text: str) -> int:
    """A seed from an id: the same on every machine and run (unlike hash())."""
    return zlib.crc32(text.encode("utf-8")) or 1


def icon_for(character: Character) -> str:
    """The director's icon, else the icon of the creature its keywords or name name, else one they find."""
    if character.visual.icon:
        return character.visual.icon
    creature = world().creature_named([*character.visual.keywords, character.name])
    if creature:
        return creature.icon
    return icons.choose([*character.visual.keywords, character.name], "character", character.description)


def size_for(character: Character, icon: str) -> float:
    """The character's height (a grown-up human is 1): the director's or planner's scale, else the size of
    the creature its keywords or name name, else that of what its icon draws; the world's one table
    either way, so a fox is one size whoever planned it."""
    if character.visual.scale != 1.0:
        return character.visual.scale
    creature = world().creature_named([*character.visual.keywords, character.name])
    if creature:
        return creature.size
    return world().size_of_icon(icon) or 1.0


def tint_for(character: Character) -> str | None:
    """The director's tint, else the world's for the creature its keywords or name name (a gull's grey)."""
    if character.visual.tint or character.visual.icon:
        return character.visual.tint
    creature = world().creature_named([*character.visual.keywords, character.name])
    return creature.tint if creature else None


def assign_cast(board: Storyboard) -> Storyboard:
    """A copy of `board` with every empty identity field filled, deterministically.
    An icon the library does not have is a StoryboardError, before anything is drawn."""
    problems = icons.unknown_icons([character.visual.icon for character in board.characters])
    if problems:
        raise StoryboardError(problems[0])
    board = board.model_copy(deep=True)
    seen: dict[str, int] = {}
    for character in board.characters:
        icon = icon_for(character)
        visual = character.visual
        if visual.icon is None:
            visual.tint = tint_for(character)
            visual.icon = icon
        visual.scale = size_for(character, icon)
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
            location.props = list(world().biome(location.biome).props)
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
    biome: str  # a key of the world's biome cards
    time_of_day: TimeOfDay
    weather: Weather
    props: tuple[Prop, ...]
    seed: int


def character_look(board: Storyboard, character_id: str) -> Look:
    character = board.character(character_id)
    icon = icon_for(character)
    scale = size_for(character, icon)  # as assign_cast would, so an uncast board draws the same
    return Look(
        id=character.id,
        name=character.name,
        icon=icon,
        tint=tint_for(character),
        height=scale,
        facing=1 if character.visual.facing.value == "right" else -1,
        seed=character.seed or stable_seed(character.id),
        description=character.description,
        count=character.visual.count,
    )


def location_look(board: Storyboard, location_id: str) -> Place:
    location: Location = board.location(location_id)
    names = location.props or world().biome(location.biome).props
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
    if key in world().drawn_props:
        return Prop(name=key, icon=None, height=0.0)
    icon = icons.choose([name], "prop")
    return Prop(name=key, icon=icon, height=world().prop_heights.get(icon, 1.2))



# -- reference sheets ----------------------------------------------------------------
