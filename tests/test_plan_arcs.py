"""The story arcs (`templates/arcs/*.json`) and the threats (`templates/threats.json`) keep the contract that the
template planner's engine reads (issue 13's arc format). They are written by hand, so a slip must fail here:
an unknown placeholder, a sentence two films could share, a climax with nobody on screen, a path through an arc
that is too short."""

from __future__ import annotations

import itertools
import json
import re
import string
from functools import cache
from pathlib import Path

import pytest

from storyagent.resources import TEMPLATES
from storyagent.storyboard import Mood, Motion, TimeOfDay, Weather
from storyagent.storyboard.model import StoryKind, Threat
from storyagent.world import SOUND_TAGS

ROLES = {"establish", "reveal", "travel", "action", "meeting", "detail", "emotion", "danger", "ending"}
CAST = {"hero", "other", "target", "everyone"}
CONDITIONS = {"other", "no-other", "threat", "no-threat", "target", "no-target"}
SOUND_WORDS = {"amb", "steps", "move", "call", "other_call", "threat"}
WIDE_ROLES = {"establish", "reveal", "ending"}  # framed wide or extreme-wide: never the climax's goal shot

# Placeholders that name something of this premise: a sentence with one of them differs between premises.
# Places alone do not: two films often share a meadow.
PLACES = {"home", "dest", "place", "at_home", "at_dest", "at_place", "route"}
SPECIFIC = {"hero", "hero_short", "a_hero", "other", "everyone", "goal", "goal_past", "goal_ing", "target", "obstacle",
            "deadline", "skill", "threat_looms", "threat_strikes", "threat_passes"}
GRAMMAR = {"was", "were_s", "other_was"}  # agreement helpers: they name nothing
THREAT_LINES = {"threat_looms", "threat_strikes", "threat_passes"}


def _capitals(names: set[str]) -> set[str]:
    return names | {name[0].upper() + name[1:] for name in names}


DOCUMENTED = _capitals(SPECIFIC | PLACES | GRAMMAR)


@cache
def _arcs() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted((TEMPLATES / "arcs").glob("*.json"))}


@cache
def _threats() -> dict[str, dict]:
    return json.loads((TEMPLATES / "threats.json").read_text(encoding="utf-8"))


@cache
def _stock() -> dict[str, list[str]]:
    return json.loads((TEMPLATES / "stock.json").read_text(encoding="utf-8"))


def _names(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _sentences(text: str, language: str) -> list[str]:
    end = r"(?<=[。！？])" if language == "zh" else r"(?<=[.!?])\s+"
    return [part.strip() for part in re.split(end, text) if part.strip()]


def _texts(arc: dict) -> list[tuple[str, str, set[str]]]:
    """Every sentence-bearing text of an arc: (language, text, the conditions it is said under)."""
    found = [(lang, text, set()) for key in ("title", "logline") for lang in ("en", "zh") for text in arc[key][lang]]
    for beat in arc["beats"]:
        when = {beat["if"]} if "if" in beat else set()
        found += [(lang, beat["summary"][lang], when) for lang in ("en", "zh")]
        for shot in beat["shots"]:
            shot_when = when | ({shot["if"]} if "if" in shot else set())
            found += [(lang, text, shot_when) for lang in ("en", "zh") for text in shot["say"][lang]]
    return found


def _threat_texts() -> list[tuple[str, str]]:
    return [(lang, text) for entry in _threats().values() for part in ("looms", "strikes", "passes")
            for lang in ("en", "zh") for text in entry[part][lang]]


def _path(arc: dict, facts: set[str]) -> list[dict]:
    """The beats, each with the shots it keeps, for a premise with these facts (other, threat, target or not)."""
    kept = []
    for beat in arc["beats"]:
        if beat.get("if", next(iter(facts))) in facts:
            kept.append({**beat, "shots": [s for s in beat["shots"] if s.get("if", next(iter(facts))) in facts]})
    return kept


FACTS = [set(combo) for combo in itertools.product(("other", "no-other"), ("threat", "no-threat"), ("target", "no-target"))]
ARC_IDS = sorted(_arcs())


def test_every_kind_of_story_is_told_and_every_threat_has_its_entry():
    told = {kind for arc in _arcs().values() for kind in arc["stories"]}
    assert told == {kind.value for kind in StoryKind}
    assert set(_threats()) == {threat.value for threat in Threat}
    assert all(arc["id"] == stem for stem, arc in _arcs().items()), "an arc's id is its file name"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_an_arc_uses_only_the_vocabulary(arc_id):
    arc = _arcs()[arc_id]
    assert set(arc) <= {"id", "about", "stories", "needs_other", "title", "logline", "beats"}
    assert all(weight > 0 for weight in arc["stories"].values())
    for beat in arc["beats"]:
        assert beat["place"] in ("home", "dest", "route:0", "route:1"), beat["id"]
        assert Mood(beat["mood"]) and beat.get("if", "other") in CONDITIONS, beat["id"]
        assert beat.get("time", "threat") == "threat" or TimeOfDay(beat["time"])
        assert beat.get("weather", "threat") == "threat" or Weather(beat["weather"])
        for shot in beat["shots"]:
            where = f"{arc_id}/{beat['id']}/{shot['role']}"
            assert shot["role"] in ROLES and shot["cast"] and set(shot["cast"]) <= CAST, where
            assert shot.get("motion", "move") == "move" or Motion(shot["motion"]), where
            assert set(shot.get("sound", [])) <= set(SOUND_TAGS) | SOUND_WORDS, where
            assert shot.get("if", "other") in CONDITIONS, where
            assert 0 < shot.get("progress", 1) <= 1, where
            assert "progress" not in shot or "target" in shot["cast"], f"{where}: progress is the target's"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_every_path_through_an_arc_has_six_to_eight_beats_of_two_to_four_shots(arc_id):
    arc = _arcs()[arc_id]
    for facts in FACTS:
        if arc["needs_other"] and "no-other" in facts:
            continue
        path = _path(arc, facts)
        assert 6 <= len(path) <= 8, f"{arc_id} with {sorted(facts)}: {len(path)} beats"
        for beat in path:
            assert 2 <= len(beat["shots"]) <= 4, f"{arc_id}/{beat['id']} with {sorted(facts)}"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_an_arc_has_a_low_point_with_a_threat_and_without_one(arc_id):
    arc = _arcs()[arc_id]
    threat_beats = [beat for beat in arc["beats"] if beat.get("if") == "threat"]
    assert threat_beats and any(shot.get("threat") for beat in threat_beats for shot in beat["shots"])
    assert any(beat.get("if") == "no-threat" for beat in arc["beats"]), "a premise without an obstacle still falls"
    for beat in arc["beats"]:
        for shot in beat["shots"]:
            if shot.get("threat"):
                assert "threat" in (beat.get("if"), shot.get("if")), f"{arc_id}/{beat['id']}: threat shot always shown"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_the_climax_shows_everyone_doing_the_goal_up_close(arc_id):
    arc = _arcs()[arc_id]
    for facts in FACTS:
        path = _path(arc, facts)
        climax = [beat for beat in path if beat["mood"] in ("triumphant", "joyful")][-1]
        goal_shots = [shot for shot in climax["shots"] if shot.get("does") == "goal"]
        assert goal_shots, f"{arc_id}/{climax['id']}: the climax is about the goal"
        assert all(shot["role"] not in WIDE_ROLES for shot in goal_shots), f"{arc_id}/{climax['id']}: no specks"
        assert any("everyone" in shot["cast"] for shot in goal_shots), f"{arc_id}/{climax['id']}: everyone is there"


def test_a_build_is_shown_stage_by_stage_falls_back_and_is_finished():
    arc = _arcs()["build"]
    for facts in ({"other", "threat", "target"}, {"other", "no-threat", "target"}):
        stages = [shot["progress"] for beat in _path(arc, facts) for shot in beat["shots"] if "progress" in shot]
        assert {0.2, 0.5, 0.8} <= set(stages) and stages[-1] == 1.0
        assert any(later < earlier for earlier, later in itertools.pairwise(stages)), "the low point undoes work"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_every_line_has_three_variants_in_both_languages(arc_id):
    arc = _arcs()[arc_id]
    lists = [arc["title"], arc["logline"]] + [shot["say"] for beat in arc["beats"] for shot in beat["shots"]]
    assert all(len(v["en"]) >= 3 and len(v["zh"]) >= 3 for v in lists)
    assert all(len(set(v["en"])) == len(v["en"]) and len(set(v["zh"])) == len(v["zh"]) for v in lists)


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_placeholders_are_documented_and_used_where_they_have_a_value(arc_id):
    arc = _arcs()[arc_id]
    for lang, text, when in _texts(arc):
        names = {name.lower() for name in _names(text)}
        assert _names(text) <= DOCUMENTED, f"{arc_id}: {text}"
        if names & (THREAT_LINES | {"deadline"}):
            assert "threat" in when, f"{arc_id}: only a threat beat has the threat's words: {text}"
        if "target" in names:
            assert "target" in when, f"{arc_id}: a premise may have no target: {text}"
        if lang == "zh":
            assert "was" not in names, f"{arc_id}: Chinese needs no agreement: {text}"


def test_threats_set_valid_light_weather_and_sounds():
    for threat, entry in _threats().items():
        assert set(entry) <= {"time", "weather", "sound", "looms", "strikes", "passes"}, threat
        assert TimeOfDay(entry.get("time", "day")) and Weather(entry.get("weather", "clear"))
        assert entry["sound"] and set(entry["sound"]) <= set(SOUND_TAGS), threat
        for part in ("looms", "strikes", "passes"):
            assert len(entry[part]["en"]) >= 3 and len(entry[part]["zh"]) >= 3, f"{threat}.{part}"
    for _, text in _threat_texts():
        assert _names(text) <= DOCUMENTED - _capitals(THREAT_LINES), text


def test_every_sentence_names_something_of_the_premise_unless_it_is_stock():
    stock = _stock()
    assert set(stock) == {"en", "zh"} and all(len(lines) <= 12 for lines in stock.values())
    assert not any(_names(line) for lines in stock.values() for line in lines), "stock lines have no placeholders"
    texts = [(lang, text) for arc in _arcs().values() for lang, text, _ in _texts(arc)] + _threat_texts()
    generic = [sentence for lang, text in texts for sentence in _sentences(text, lang)
               if not {name.lower() for name in _names(sentence)} & SPECIFIC and sentence not in stock[lang]]
    assert generic == [], "two films from different premises would share these"


@pytest.mark.parametrize("arc_id", ARC_IDS)
def test_someone_met_is_named_only_when_the_premise_has_them(arc_id):
    arc = _arcs()[arc_id]
    for _, text, when in _texts(arc):
        names = {name.lower() for name in _names(text)} & SPECIFIC
        if names and names <= {"other"} and not arc["needs_other"]:
            assert "other" in when, f"{arc_id}: {{other}} is only 'a friend' without one: {text}"


def test_english_verbs_after_the_hero_agree_through_was():
    texts = [text for arc in _arcs().values() for lang, text, _ in _texts(arc) if lang == "en"]
    texts += [text for lang, text in _threat_texts() if lang == "en"]
    unagreed = [text for text in texts if re.search(r"\{(hero|Hero|hero_short|a_hero)\} (is|was|has|does|wants)\b", text)]
    assert unagreed == [], "'the robots was': use {was} or a past tense"
