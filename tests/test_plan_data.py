"""The planner's world data (`world/*.json`) is edited by hand: a typo there must
fail here, not in someone's film. The arcs' own checks: test_plan_arcs.py."""

from __future__ import annotations

from storyagent.world import world


def test_world_is_consistent():
    w = world()  # loading checks places, homes and sound tags against each other
    assert w.kinds and all(kind.home in w.places and kind.keywords for kind in w.kinds.values())
    assert {p.biome for p in w.places.values()} == set(w.biomes), "every biome is somewhere the planner can go"


def test_a_polar_journey_crosses_mountains_and_the_sea():
    assert world().route("arctic", "antarctic", []) == ["snowy-mountains", "open-sea"]
    assert world().route("forest", "coast", ["desert"]) == ["desert"], "places the premise names come first"


def test_everything_the_world_names_has_a_picture():
    from storyagent.world import icons  # the animatic draws characters and props from these nouns

    w = world()
    unpictured = [key for key, kind in w.kinds.items() if not any(icons.find(k) for k in kind.keywords)]
    unpictured += [f"{key}: {c.icon}" for key, c in w.creatures.items() if c.icon not in icons.library()]
    unpictured += [f"{key}: {prop}" for key, place in w.places.items() for prop in place.props
                   if not icons.find(prop) and prop not in w.drawn_props]  # the scenery draws a lighthouse itself
    assert unpictured == []
