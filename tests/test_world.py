"""One world: a biome is one card, a creature one entry, and every stage reads
them. A biome added in a world file of one's own (`STORYAGENT_WORLD`) reaches
the planner, the animatic, the image-model prompt and the ambience; a fox is
one size whoever planned it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyagent.cast import assign_cast
from storyagent.errors import StoryboardError, WorldError
from storyagent.planners import plan
from storyagent.renderers.prompts import shot_prompt
from storyagent.sound.effects import ambience_for, render_cue
from storyagent.storyboard import Motion, Storyboard, Weather
from storyagent.world import world
from tests.helpers.animatic_boards import board, render, shot

LAVA = (220, 50, 20)
VOLCANO = {
    "biomes": {"volcano": {
        "description": "a smoking volcano over black lava fields",
        "props": ["rock"],
        "prompt": "a smoking volcano above rivers of glowing lava",
        "ambience": {"fire-crackle": -3},
        "weather": ["clear", "cloudy", "fog"],
        "scenery": {"ground": [90, 30, 30], "layers": [
            {"depth": 900, "period": 5000,
             "draw": [{"draw": "mountains", "base": 5, "peaks": [[3, 80]], "colour": [90, 30, 30]}]},
            {"depth": 0, "period": 24, "draw": [{"draw": "band", "colour": list(LAVA), "lit": True}]},
        ]},
    }},
    "places": {"volcano": {
        "en": "the fiery volcano", "at": "on", "zh": "火山", "biome": "volcano", "region": "land",
        "weather": ["clear", "fog"], "props": ["rock"], "sounds": ["fire-crackle"], "footsteps": "footsteps-sand",
        "aliases": ["volcano"], "zh_aliases": ["火山"], "via": ["forest", "meadow"],
    }},
}


def use_world(monkeypatch: pytest.MonkeyPatch, path: Path, data: dict) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("STORYAGENT_WORLD", str(path))
    world.cache_clear()


@pytest.fixture(autouse=True)
def packaged_world_after():
    yield
    world.cache_clear()  # monkeypatch has restored the environment: the next test reads the packaged world


@pytest.fixture
def volcano(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_world(monkeypatch, tmp_path / "volcano.json", VOLCANO)


def volcano_board() -> Storyboard:
    return board([shot("a", "wide", characters=[])], biome="volcano")


def test_a_premise_naming_the_new_place_is_planned_there(volcano):
    film = plan("A dragon flies to the volcano", planner="template")
    assert film.location(film.scenes[-1].location).biome == "volcano"


def test_the_animatic_draws_the_new_biome_in_its_cards_colours(volcano):
    frame = render(volcano_board(), "a")[0]
    colours, counts = np.unique(frame[-20:].reshape(-1, 3), axis=0, return_counts=True)
    commonest = colours[counts.argmax()]  # clouds' shadows drift over some of it
    assert np.abs(commonest.astype(int) - LAVA).max() < 8, "the near ground is the card's lava"


def test_the_image_model_reads_the_new_biomes_words(volcano):
    assert "a smoking volcano above rivers of glowing lava" in shot_prompt(volcano_board(), "a")


def test_the_new_biome_lays_its_ambience(volcano):
    location = volcano_board().locations[0]
    assert ambience_for(location) == [("fire-crackle", -3.0)]
    bed = render_cue("fire-crackle", 1.0, 48000)
    assert bed is not None and np.abs(bed).max() > 0.01


def test_the_storyboard_lists_and_accepts_the_new_biome(volcano):
    from storyagent.storyboard import json_schema

    assert "volcano" in json_schema()["$defs"]["Location"]["properties"]["biome"]["enum"]
    assert assign_cast(volcano_board()).locations[0].props == ["rock"], "the card's props stand there"


def test_an_unknown_biome_names_its_path_and_the_nearest_one(volcano):
    with pytest.raises(StoryboardError, match=r"locations\[0\]\.biome: 'vulcano' is not one of .*did you mean 'volcano'"):
        board_in("vulcano")


def test_without_the_world_file_the_new_biome_is_unknown():
    with pytest.raises(StoryboardError, match=r"locations\[0\]\.biome: 'volcano' is not one of 'sea-ice', "):
        board_in("volcano")
    with pytest.raises(StoryboardError, match=r"'forrest' .*did you mean 'forest'"):
        board_in("forrest")


def board_in(biome: str) -> Storyboard:
    return Storyboard.from_dict({"title": "T", "locations": [{"id": "v", "name": "V", "biome": biome}],
                                 "scenes": [{"id": "s", "location": "v", "shots": [shot("a", characters=[])]}]})


def test_a_broken_world_file_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    broken = {"biomes": {"volcano": {**VOLCANO["biomes"]["volcano"], "ambience": {"lava-gurgle": 0}}}}
    use_world(monkeypatch, tmp_path / "broken.json", broken)
    with pytest.raises(WorldError, match="biomes.volcano.ambience: unknown sound tag 'lava-gurgle'") as err:
        world()
    assert "broken.json" in str(err.value) and "\n" not in str(err.value)


# -- one creature table ------------------------------------------------------------------


@pytest.mark.parametrize("creature", ["fox", "elephant", "puppy", "penguin"])
def test_a_creature_is_one_size_whoever_planned_it(creature: str):
    planned = plan(f"A {creature} goes to the beach", planner="template")
    by_hand = Storyboard.from_dict({
        "title": "T",
        "characters": [{"id": "c", "name": "Someone", "visual": {"keywords": [creature]}}],
        "locations": [{"id": "l", "name": "L", "biome": "coast"}],
        "scenes": [{"id": "s", "location": "l", "shots": [shot("a", characters=[{"character": "c"}])]}],
    })
    size = world().creatures[creature].size
    assert planned.characters[0].visual.scale == size
    assert assign_cast(by_hand).characters[0].visual.scale == size


def test_the_world_speaks_the_storyboards_vocabulary():
    """The world sits below the storyboard, so it names weather and gaits as plain strings: the same ones."""
    w = world()
    assert {weather for card in w.biomes.values() for weather in card.weather} <= {x.value for x in Weather}
    assert {c.gait for c in w.creatures.values()} <= {m.value for m in Motion}
