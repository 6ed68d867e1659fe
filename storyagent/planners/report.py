"""What was understood: each element of the premise reading, and where the storyboard shows it.

`plan` and `make` print `understood(board)` so a user sees how their line became a film (the
robots, two of them, in which shots; the bamboo forest as which location; the building as which
shots' action) and what was left out. The lint's `premise-missing` rule reads `depictions(board)`
too, so the report and the warning never disagree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel

from storyagent.storyboard import Character, Location, Scene, Shot, Storyboard
from storyagent.storyboard.language import lemmas
from storyagent.storyboard.model import PremiseCharacter, PremiseReading, PremiseThing, Threat, TimeOfDay, Weather

T = TypeVar("T", Character, Location)
SHOTS_LISTED = 2  # shot ids named before "… N shots"
ACTIONS_LISTED = 2  # the goal's action is quoted in its first few wordings

# How the picture shows a threat: the light or the weather of a scene's location.
THREAT_PICTURE: dict[Threat, tuple[set[TimeOfDay], set[Weather]]] = {
    Threat.SUN: ({TimeOfDay.DAWN}, set()),
    Threat.STORM: (set(), {Weather.STORM}),
    Threat.NIGHT: ({TimeOfDay.DUSK, TimeOfDay.NIGHT}, set()),
    Threat.COLD: (set(), {Weather.SNOW, Weather.STORM}),
    Threat.RAIN: (set(), {Weather.RAIN, Weather.STORM}),
    Threat.FOG: (set(), {Weather.FOG}),
}
# Words of an obstacle that name no picture ("before the sun melts it": only 'sun' and 'melt' do).
_FUNCTION_WORDS = {
    "a", "an", "the", "it", "its", "they", "them", "their", "he", "she", "him", "her", "his", "before", "after",
    "until", "while", "when", "all", "every", "each", "and", "or", "but", "of", "in", "on", "at", "to", "from",
    "with", "by", "for", "over", "under", "into", "through", "out", "up", "down", "away", "off", "is", "are",
    "be", "was", "were", "can", "could", "will", "would", "must", "has", "have", "had", "that", "this",
}


class Depiction(BaseModel):
    """One premise element and what in the storyboard shows it."""

    element: Literal["character", "place", "prop", "action", "obstacle"]
    name: str  # the premise's words for it
    detail: str = ""  # what the premise says of it: '2, old', 'sun'
    shown_as: list[str] = []  # what shows it: 'robots ×2', 'location bamboo', 'dawn in scene melt'
    shots: list[str] = []  # the shots it is seen in, in film order
    checked: bool = True  # False: nothing to look for (an action with no English verb)

    @property
    def found(self) -> bool:
        return bool(self.shots)

    def line(self) -> str:
        said = f'{self.element} "{self.name}"' + (f" ({self.detail})" if self.detail else "")
        if not self.checked:
            return f"{said}: not looked for"
        if not self.found:
            return f"{said}: appears nowhere in the storyboard"
        return f"{said} -> {', '.join(self.shown_as)}, in {abbreviated(self.shots)}"


def understood(board: Storyboard) -> list[str]:
    """One line per element of the premise reading: depicted as what, in which shots; then its notes."""
    return [d.line() for d in depictions(board)] + [f"note: {note}" for note in board.premise.notes]


def depictions(board: Storyboard) -> list[Depiction]:
    """Every character, place and prop the premise names, its action and its obstacle, matched to the board."""
    premise = board.premise
    found = [character_depiction(board, c) for c in premise.characters]
    found += [place_depiction(board, p) for p in premise.places]
    found += [prop_depiction(board, p) for p in premise.props]
    if premise.action or premise.verb:
        found.append(action_depiction(board, premise))
    if premise.obstacle or premise.threat:
        found.append(obstacle_depiction(board, premise))
    return found


def abbreviated(shots: list[str]) -> str:
    """'home-1, home-3' or 'home-1, home-3 … 6 shots'."""
    if len(shots) <= SHOTS_LISTED + 1:
        return ", ".join(shots)
    return f"{', '.join(shots[:SHOTS_LISTED])} … {len(shots)} shots"


# -- each kind of element ----------------------------------------------------------------------


def character_depiction(board: Storyboard, wanted: PremiseCharacter) -> Depiction:
    players = _chosen(board.characters, wanted.shown_as, wanted.name, wanted.kind, _character_labels)
    said = ([str(wanted.count)] if wanted.count > 1 else []) + [str(a) for a in (wanted.age, wanted.stature) if a]
    shown = []
    for player in players:
        on_screen = player.visual.count
        count = f" ×{on_screen}" if on_screen > 1 or wanted.count > 1 else ""
        named = f' "{player.name}"' if player.name.lower() != player.id.replace("-", " ") else ""
        asked = f" (asked for {wanted.count})" if on_screen != wanted.count else ""
        shown.append(f"{player.id}{named}{count}{asked}")
    ids = {p.id for p in players}
    return Depiction(element="character", name=wanted.name, detail=", ".join(said), shown_as=shown,
                     shots=[s.id for s in board.shots() if ids & {on.character for on in s.characters}])


def place_depiction(board: Storyboard, wanted: PremiseThing) -> Depiction:
    locations = _chosen(board.locations, wanted.shown_as, wanted.name, wanted.kind, _location_labels)
    scenes = _scenes_at(board, {loc.id for loc in locations})
    shown = [f"location {loc.id} ({_scene_list(scenes, loc)})" for loc in locations
             if any(s.location == loc.id for s in scenes)]
    return Depiction(element="place", name=wanted.name, shown_as=shown, shots=_shot_ids(scenes))


def prop_depiction(board: Storyboard, wanted: PremiseThing) -> Depiction:
    """A prop is a character on screen (the kite, the snowman) or a thing standing in a location."""
    as_character = character_depiction(board, PremiseCharacter(name=wanted.name, kind=wanted.kind,
                                                               shown_as=wanted.shown_as))
    if as_character.found:
        return Depiction(element="prop", name=wanted.name, shown_as=[f"character {s}" for s in as_character.shown_as],
                         shots=as_character.shots)
    holders = _chosen(board.locations, wanted.shown_as, wanted.name, wanted.kind, lambda loc: loc.props)
    scenes = _scenes_at(board, {loc.id for loc in holders})
    shown = [f"a prop of location {loc.id} ({_scene_list(scenes, loc)})" for loc in holders
             if any(s.location == loc.id for s in scenes)]
    return Depiction(element="prop", name=wanted.name, shown_as=shown, shots=_shot_ids(scenes))


def action_depiction(board: Storyboard, premise: PremiseReading) -> Depiction:
    """The shots where a character's action is the goal's verb, in any form ('build', 'builds', 'built')."""
    verb = premise.verb or _first_english_word(premise.action)
    name = premise.action or verb or ""
    if verb is None:
        return Depiction(element="action", name=name, detail="no English verb understood", checked=False)
    forms = verb_forms(verb)
    acting = [(shot.id, on.action) for shot in board.shots() for on in shot.characters if _has_word(on.action, forms)]
    shown = [f'"{action}"' for action in dict.fromkeys(action for _, action in acting)]
    return Depiction(element="action", name=name, detail=verb, shown_as=shown[:ACTIONS_LISTED],
                     shots=list(dict.fromkeys(shot for shot, _ in acting)))


def obstacle_depiction(board: Storyboard, premise: PremiseReading) -> Depiction:
    """The scenes whose light or weather is the threat (the sun rising, the storm), and the shots whose
    action or description faces it (a word of the obstacle or the threat's name)."""
    times, weathers = THREAT_PICTURE.get(premise.threat, (set(), set())) if premise.threat else (set(), set())
    shown, shots = [], []
    for scene in board.scenes:
        location = board.location(scene.location)
        pictured = [str(x) for x in (location.time_of_day, location.weather) if x in times | weathers]
        if pictured:
            shown.append(f"{' and '.join(pictured)} in scene {scene.id}")
            shots += [s.id for s in scene.shots]
    words = set().union(*(verb_forms(w) | noun_forms(w) for w in _content_words(premise)))
    facing = [s.id for s in board.shots() if s.id not in shots and _faces(s, words)]
    if facing:
        shown.append("faced in the shots' action")
    name = premise.obstacle or str(premise.threat)
    return Depiction(element="obstacle", name=name, detail=str(premise.threat or ""), shown_as=shown,
                     shots=[s.id for s in board.shots() if s.id in set(shots + facing)])


# -- matching ------------------------------------------------------------------------------------


def _chosen(candidates: list[T], shown_as: str | None, name: str, kind: str | None,
            labels: Callable[[T], list[str]]) -> list[T]:
    """What plays a premise element: the one its `shown_as` names; else those whose labels name it
    (a label holding all the premise's words: 'polar bear' names 'bear' and 'polar bear'); else
    those whose labels name its world kind."""
    if shown_as:
        named = [c for c in candidates if c.id == shown_as]
        if named:
            return named
    for words in (name, kind):
        if words:
            matched = [c for c in candidates if any(names(label, words) for label in labels(c))]
            if matched:
                return matched
    return []


def names(label: str, words: str) -> bool:
    """True when `label` names what `words` do: every word of `words`, in order and in any number, is in
    the label ('Polar Bears' names 'polar bear'); Chinese by characters ('小熊猫' names '熊猫')."""
    if _is_chinese(words) or _is_chinese(label):
        return words in label
    wanted, have = _normal(words), _normal(label)
    return bool(wanted) and re.search(rf"\b{re.escape(wanted)}\b", have) is not None


def _character_labels(character: Character) -> list[str]:
    return [character.id, character.name, *character.visual.keywords]


def _location_labels(location: Location) -> list[str]:
    return [location.id, location.name, location.biome]


def _scene_list(scenes: list[Scene], location: Location) -> str:
    at = [scene.id for scene in scenes if scene.location == location.id]
    return ("scene " if len(at) == 1 else "scenes ") + ", ".join(at)


def _scenes_at(board: Storyboard, location_ids: set[str]) -> list[Scene]:
    return [scene for scene in board.scenes if scene.location in location_ids]


def _shot_ids(scenes: Iterable[Scene]) -> list[str]:
    return [shot.id for scene in scenes for shot in scene.shots]


def _faces(shot: Shot, words: set[str]) -> bool:
    return any(_has_word(text, words) for text in [shot.description, *(on.action for on in shot.characters)])


def _content_words(premise: PremiseReading) -> list[str]:
    said = re.findall(r"[a-z]+", premise.obstacle.lower()) + ([str(premise.threat)] if premise.threat else [])
    return [w for w in dict.fromkeys(said) if w not in _FUNCTION_WORDS and len(w) > 2]


def _has_word(text: str, forms: set[str]) -> bool:
    return any(word in forms for word in re.findall(r"[a-z]+", text.lower()))


def verb_forms(verb: str) -> frozenset[str]:
    """Every form of an English verb (or of its lemma): 'melt' -> melt, melts, melted, melting."""
    return _forms(verb.lower(), "VERB")


def noun_forms(noun: str) -> frozenset[str]:
    """A noun in the singular and the plural: 'storm' -> storm, storms."""
    return _forms(noun.lower(), "NOUN")


@functools.cache
def _forms(word: str, part: str) -> frozenset[str]:
    from lemminflect import getAllInflections

    bases = lemmas(word).get(part, (word,))
    forms = {word, *bases}
    for base in bases:
        forms |= {form for group in getAllInflections(base, upos=part).values() for form in group}
    return frozenset(forms)


def _normal(text: str) -> str:
    """Lower case, words only, each noun in the singular: 'Polar-Bears' -> 'polar bear'."""
    words = re.findall(r"[a-z]+", text.lower())
    return " ".join(lemmas(w).get("NOUN", (w,))[0] for w in words)


def _is_chinese(text: str) -> bool:
    return re.search(r"[\u3400-\u9fff]", text) is not None


def _first_english_word(phrase: str) -> str | None:
    match = re.match(r"\s*([A-Za-z]+)", phrase)
    return match.group(1).lower() if match else None
