"""What the world can put on screen: creatures and people at sizes true to each other, old and young drawn
as such, the nearest kind for a word the world lacks, places a premise names drawn as themselves, and sounds
that fit the place they are heard in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyagent.cast import assign_cast
from storyagent.errors import WorldError
from storyagent.planners.lint import lint
from storyagent.storyboard import Storyboard
from storyagent.world import icons, world
from tests.helpers.animatic_boards import render


@pytest.fixture(autouse=True)
def packaged_world_after():
    yield
    world.cache_clear()


# -- creatures and people ---------------------------------------------------------------


def size(kind: str) -> float:
    return world().creatures[kind].size


def test_relative_sizes_hold():
    assert size("red panda") < size("child") < size("grandfather")
    assert size("seagull") < size("sea turtle") < size("child") < size("lighthouse keeper")
    assert size("mouse") < size("cat") < size("dog") < size("horse") < size("elephant") < size("whale")
    assert size("red panda") < size("panda"), "小熊猫 is a red panda, not a giant panda"


def test_a_red_panda_and_a_seagull_are_drawn_as_themselves():
    w = world()
    assert w.nearest(["小熊猫"]) == ("red panda", True) and w.nearest(["熊猫"]) == ("panda", True)
    gull = w.creatures["seagull"]
    assert gull.icon != "bird" and gull.tint is not None, "not the red cardinal"
    red, green, blue = icons.average_colour(gull.icon)
    assert max(red, green, blue) - min(red, green, blue) < 40, "a white-grey bird"


def test_the_worlds_tint_reaches_the_cast_unless_a_director_chose():
    board = Storyboard.model_validate({
        "title": "T",
        "characters": [{"id": "g", "name": "Gull", "visual": {"keywords": ["seagull"]}},
                       {"id": "d", "name": "Dove", "visual": {"keywords": ["seagull"], "icon": "dove"}}],
        "locations": [{"id": "l", "name": "L", "biome": "coast"}],
        "scenes": [{"id": "s", "location": "l", "shots": [{"id": "a", "characters": [{"character": "g"}, {"character": "d"}],
                                                             "camera": {"size": "wide", "duration": 2}}]}],
    })
    gull, dove = assign_cast(board).characters
    assert gull.visual.tint == world().creatures["seagull"].tint
    assert dove.visual.tint != gull.visual.tint


@pytest.mark.parametrize("kind, age, icon", [
    ("lighthouse keeper", "old", "old-man"), ("lighthouse keeper", "young", "boy"), ("person", "old", "older-person"),
    ("woman", "young", "girl"), ("hen", "young", "baby-chick"),
])
def test_an_old_or_young_one_is_drawn_with_its_ages_icon(kind: str, age: str, icon: str):
    assert world().icon_for_age(kind, age) == icon


def test_an_age_without_an_icon_of_its_own_keeps_the_kinds():
    w = world()
    assert w.icon_for_age("fox", "old") is None
    assert w.icon_for_age("lighthouse keeper", None) is None
    assert w.icon_for_age("no such kind", "old") is None


def test_the_library_holds_the_people_animals_and_things_stories_need():
    kinds = world().kinds
    wanted = ["otter", "beaver", "raccoon", "goat", "hippo", "kangaroo", "koala", "sloth", "bat", "flamingo",
              "parrot", "swan", "goose", "hen", "rooster", "lamb", "donkey", "llama", "shark", "jellyfish", "crab",
              "lobster", "whale", "orca", "moose", "bison", "badger", "hedgehog", "t-rex", "sauropod", "mermaid",
              "fairy", "ghost", "witch", "pirate", "sailor", "farmer", "teacher", "doctor", "firefighter",
              "astronaut", "chef", "baker", "scientist", "police officer", "granddaughter", "grandson", "mother",
              "father", "brother", "sister", "baby", "keeper", "worker",
              "snowman", "sandcastle", "cardboard rocket", "cake", "pie", "bread", "kite", "boat", "raft",
              "treehouse", "nest", "birdhouse", "flowers", "painting", "scarf", "hat", "lantern", "lamp", "toy",
              "teddy bear", "ball", "balloon", "map", "key", "letter", "present", "crown", "sword", "shield", "sled",
              "bicycle", "car", "train", "drum", "guitar", "piano", "book", "telescope", "robot parts", "puzzle",
              "sweater"]
    assert [kind for kind in wanted if kind not in kinds] == []
    assert all(kinds[kind].zh for kind in wanted if kind not in ("mom", "dad", "gift", "bike", "hippo"))


# -- nearest kind -------------------------------------------------------------------------


@pytest.mark.parametrize("words, found", [
    (["penguins"], ("penguin", True)),
    (["海鸥"], ("seagull", True)),
    (["gull"], ("seagull", False)),  # one of its keywords
    (["mallard"], ("duck", False)),  # the icon library's keyword for the duck's icon
    (["kitty"], ("cat", False)),  # the icon it finds is the cat's face
    (["zorblax", "fox"], ("fox", True)),  # the first word that names one
])
def test_a_word_finds_its_kind_or_the_nearest(words: list[str], found: tuple[str, bool]):
    assert world().nearest(words) == found


def test_a_word_nothing_fits_finds_nothing():
    assert world().nearest(["zorblax"]) is None
    assert world().nearest([]) is None


# -- places ----------------------------------------------------------------------------


@pytest.mark.parametrize("alias, place", [
    ("bamboo forest", "bamboo-forest"), ("竹林", "bamboo-forest"), ("lighthouse", "lighthouse"), ("灯塔", "lighthouse"),
    ("reef", "reef"), ("cave", "cave"), ("pond", "lake"), ("river", "river"), ("island", "island"),
    ("volcano", "volcano"), ("castle", "castle"), ("school", "school"), ("playground", "park"), ("field", "field"),
    ("moon", "moon"), ("月球", "moon"), ("garden", "garden"), ("harbour", "harbour"), ("summit", "mountain-top"),
    ("village", "village"), ("library", "library"), ("kitchen", "kitchen"), ("厨房", "kitchen"),
])
def test_a_place_a_premise_names_is_its_own_place(alias: str, place: str):
    owners = [key for key, p in world().places.items() if alias in p.aliases or alias in p.zh_aliases]
    assert owners == [place]


def place_frame(place: str, time_of_day: str = "day", weather: str = "clear", **kwargs) -> np.ndarray:
    p = world().places[place]
    board = Storyboard.model_validate({
        "title": "T",
        "locations": [{"id": "l", "name": "L", "biome": p.biome, "props": p.props, "time_of_day": time_of_day,
                       "weather": weather, "seed": 7}],
        "scenes": [{"id": "s", "location": "l", "shots": [{"id": "a", "camera": {"size": "wide", "duration": 2}}]}],
    })
    return render(board, "a", **kwargs)[0].astype(int)


def share(frame: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> float:
    return float((np.abs(frame - rgb).max(axis=-1) < tolerance).mean())


def test_the_bamboo_forest_draws_bamboo_stalks_against_the_sky():
    bamboo, forest = place_frame("bamboo-forest"), place_frame("forest")
    sky = slice(0, 60)
    assert share(bamboo[sky], (96, 150, 86), 50) > 3 * share(forest[sky], (96, 150, 86), 50)


def test_the_lighthouse_stands_on_its_rock():
    lighthouse, shore = place_frame("lighthouse"), place_frame("coast")
    assert share(lighthouse, (200, 50, 46)) > 0.001 > share(shore, (200, 50, 46))


def test_its_lamp_shines_at_night():
    lamp = (255, 226, 130)
    assert share(place_frame("lighthouse", "night"), lamp, 20) > 0 == share(place_frame("lighthouse"), lamp, 20)


def test_the_reef_is_coral_and_fish_not_bare_sand():
    reef = place_frame("reef")
    bare = Storyboard.model_validate({
        "title": "T", "locations": [{"id": "l", "name": "L", "biome": "underwater", "props": ["rock"], "seed": 7}],
        "scenes": [{"id": "s", "location": "l", "shots": [{"id": "a", "camera": {"size": "wide", "duration": 2}}]}],
    })
    coral = icons.average_colour("coral")
    assert share(reef, coral, 50) > 5 * share(render(bare, "a")[0].astype(int), coral, 50)


def test_the_moon_has_a_black_sky():
    assert place_frame("moon")[:20].mean() < 40


# -- sound fits the place -------------------------------------------------------------------


@pytest.mark.parametrize("tag, biome", [
    ("door", "underwater"), ("footsteps-sand", "open-sea"), ("footsteps-wood", "underwater"),
    ("city-traffic", "forest"), ("city-traffic", "bamboo-grove"), ("waves", "interior"),
])
def test_a_sound_the_place_cannot_make_does_not_fit(tag: str, biome: str):
    assert not world().sound_fits(tag, biome)


@pytest.mark.parametrize("tag, biome", [
    ("door", "interior"), ("footsteps-snow", "snowy-mountains"), ("underwater", "underwater"),
    ("gulls", "coast"), ("magic-chime", "underwater"), ("whoosh", "open-sea"),
])
def test_a_sound_of_the_place_or_of_the_film_fits(tag: str, biome: str):
    assert world().sound_fits(tag, biome)


def test_every_places_own_sounds_fit_its_biome():
    w = world()
    misfits = [(key, tag) for key, p in w.places.items() for tag in [*p.sounds, p.footsteps] if tag
               and not w.sound_fits(tag, p.biome)]
    assert misfits == []


def test_lint_warns_of_a_door_on_a_reef():
    board = Storyboard.model_validate({
        "title": "T", "locations": [{"id": "reef", "name": "the coral reef", "biome": "underwater"}],
        "scenes": [{"id": "s", "location": "reef", "shots": [
            {"id": "a", "camera": {"size": "wide", "duration": 2}, "sound": [{"tag": "door"}, {"tag": "underwater"}]}]}],
    })
    warnings = [issue for issue in lint(board) if issue.code == "sound-out-of-place"]
    assert len(warnings) == 1
    assert warnings[0].level == "warning" and warnings[0].shot == "a"
    assert "'door'" in warnings[0].message and "the coral reef" in warnings[0].message


# -- a strict world ---------------------------------------------------------------------


def broken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: dict) -> str:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("STORYAGENT_WORLD", str(path))
    world.cache_clear()
    with pytest.raises(WorldError) as err:
        world()
    assert "\n" not in str(err.value) and "mine.json" in str(err.value)
    return str(err.value)


FOX = {"icon": "fox", "size": 0.5, "gait": "walk"}


@pytest.mark.parametrize("entry, problem", [
    ({**FOX, "ages": {"elderly": "old-man"}}, "creatures.fox.ages.elderly"),
    ({**FOX, "ages": {"old": "old-fox"}}, "creatures.fox.ages.old: no icon named 'old-fox'"),
    ({**FOX, "icon": "foxx"}, "creatures.fox.icon: no icon named 'foxx'"),
    ({**FOX, "tint": "red"}, "creatures.fox.tint"),
])
def test_a_wrong_creature_field_is_one_line(monkeypatch, tmp_path, entry: dict, problem: str):
    assert problem in broken(monkeypatch, tmp_path, {"creatures": {"fox": entry}})


def test_a_biome_sound_the_library_lacks_is_one_line(monkeypatch, tmp_path):
    card = {**world().biomes["forest"].model_dump(exclude={"key"}), "sounds": ["owl-hoot"]}
    assert "biomes.forest.sounds: unknown sound tag 'owl-hoot'" in broken(monkeypatch, tmp_path, {"biomes": {"forest": card}})


def test_a_place_sound_its_biome_cannot_make_is_one_line(monkeypatch, tmp_path):
    place = {**world().places["reef"].model_dump(exclude={"key"}), "sounds": ["door"]}
    assert "places.reef.sounds: 'door' cannot be heard" in broken(monkeypatch, tmp_path, {"places": {"reef": place}})


def test_an_alias_names_one_place(monkeypatch, tmp_path):
    place = {**world().places["meadow"].model_dump(exclude={"key"}), "aliases": ["meadow", "lighthouse"]}
    assert "'lighthouse' already names the place" in broken(monkeypatch, tmp_path, {"places": {"meadow": place}})


def test_a_drawn_prop_names_a_drawing_step(monkeypatch, tmp_path):
    assert "drawn_props.windmill: unknown drawing step 'windmills'" in broken(
        monkeypatch, tmp_path, {"drawn_props": {"windmill": "windmills"}})
