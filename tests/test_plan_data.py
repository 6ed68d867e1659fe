"""The planner's data files (`world/*.json`, `templates/arcs/*.json`)
are edited by hand: a typo there must fail here, not in someone's film."""

from __future__ import annotations

import string

import pytest

from storyagent.planners.template import FRAMING, arcs
from storyagent.storyboard import Motion
from storyagent.world import SOUND_TAGS, world

PLACEHOLDERS = {"hero", "hero_short", "a_hero", "other", "other_noun", "everyone", "home", "dest", "route", "aim",
                "goal", "at_home", "at_dest", "place", "at_place", "skill", "was", "heros", "activity"}
PLACEHOLDERS |= {p[0].upper() + p[1:] for p in PLACEHOLDERS}
SOUND_WORDS = {"amb", "steps", "move", "call", "other_call"}


def test_world_is_consistent():
    w = world()  # loading checks places, homes and sound tags against each other
    assert w.kinds and all(kind.home in w.places and kind.keywords for kind in w.kinds.values())
    assert {p.biome for p in w.places.values()} == set(w.biomes), "every biome is somewhere the planner can go"


def test_a_polar_journey_crosses_mountains_and_the_sea():
    assert world().route("arctic", "antarctic", []) == ["snowy-mountains", "open-sea"]
    assert world().route("forest", "coast", ["desert"]) == ["desert"], "places the premise names come first"


def test_there_are_five_kinds_of_story():
    assert {"journey", "friendship", "lost-and-found", "contest", "day-in-the-life"} <= set(arcs())


@pytest.mark.parametrize("arc", sorted(arcs()))
def test_every_sentence_of_every_arc_fills_in(arc):
    story = arcs()[arc]
    texts = [*story.title.en, *story.title.zh, *story.logline.en, *story.logline.zh]
    for beat in story.beats:
        assert beat.place in ("home", "dest") or beat.place.startswith("route:"), beat.id
        texts += [beat.summary.en, beat.summary.zh]
        for shot in beat.shots:
            assert shot.role in FRAMING and shot.cast in ("hero", "other", "both", "none"), beat.id
            assert shot.motion == "move" or shot.motion in {m.value for m in Motion}, beat.id
            assert set(shot.sound) <= set(SOUND_TAGS) | SOUND_WORDS, beat.id
            assert len(shot.say.en) >= 2 and len(shot.say.zh) >= 2, f"{beat.id}: variety needs variants"
            texts += shot.say.en + shot.say.zh
    for text in texts:
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        assert names <= PLACEHOLDERS, f"{arc}: {text}"


def test_everything_the_world_names_has_a_picture():
    from storyagent.world import icons  # the animatic draws characters and props from these nouns

    w = world()
    unpictured = [key for key, kind in w.kinds.items() if not any(icons.find(k) for k in kind.keywords)]
    unpictured += [f"{key}: {c.icon}" for key, c in w.creatures.items() if c.icon not in icons.library()]
    unpictured += [f"{key}: {prop}" for key, place in w.places.items() for prop in place.props
                   if not icons.find(prop) and prop not in w.drawn_props]  # the scenery draws a lighthouse itself
    assert unpictured == []
