"""Each film-grammar rule, once caught and once satisfied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyagent.planners.lint import lint
from storyagent.storyboard import Storyboard
from tests.helpers.examples import EXAMPLE_FILES
from tests.helpers.premise_boards import SNOWMAN_PREMISE, snowman_board


def board(*scenes: list[dict], target: float | None = None, language: str = "en", extra_character: bool = False) -> Storyboard:
    """A storyboard of the given scenes (lists of shots) in one location."""
    shots = [shot for scene in scenes for shot in scene]
    characters = [{"id": "bear", "name": "Bear"}, {"id": "bird", "name": "Bird"}]
    if extra_character:
        characters.append({"id": "fox", "name": "Fox"})
    return Storyboard.model_validate(
        {
            "title": "Test",
            "language": language,
            "target_duration": target or sum(s["camera"]["duration"] for s in shots),
            "characters": characters,
            "locations": [{"id": "ice", "name": "Ice", "biome": "sea-ice"}],
            "scenes": [{"id": f"sc{i}", "location": "ice", "shots": scene} for i, scene in enumerate(scenes)],
        }
    )


_count = iter(range(10_000))


def shot(size: str = "medium", angle: str = "eye-level", who: str = "bear", direction: str = "neutral",
         text: str | None = None, speaker: str = "narrator", duration: float = 5.0) -> dict:
    return {
        "id": f"s{next(_count)}",
        "characters": [{"character": who, "direction": direction}] if who else [],
        "camera": {"size": size, "angle": angle, "duration": duration},
        "lines": [{"speaker": speaker, "text": text}] if text else [],
    }


def codes(b: Storyboard) -> set[str]:
    return {issue.code for issue in lint(b)}


def good_scene() -> list[dict]:
    return [shot("wide", who="bear"), shot("medium", who="bird"), shot("close-up", who="bear")]


def test_a_well_made_board_is_clean() -> None:
    assert lint(board(good_scene(), good_scene())) == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_lint_clean(path: Path) -> None:
    assert lint(Storyboard.load(path)) == []


def test_narration_longer_than_its_shot_is_an_error() -> None:
    long_text = "The bear walked and walked across the ice for many days and nights without rest."
    issues = lint(board([shot("wide", text=long_text, duration=3), shot("close-up")]))
    error = next(i for i in issues if i.code == "narration-too-long")
    assert error.level == "error" and error.shot is not None
    assert "narration-too-long" not in codes(board([shot("wide", text=long_text, duration=8), shot("close-up")]))


def test_chinese_narration_is_timed_by_characters() -> None:
    text = "在遥远的北方，住着一只小北极熊，他每天都梦见企鹅。"  # ~22 characters, about 5.5 s
    assert "narration-too-long" in codes(board([shot("wide", text=text, duration=3)], language="zh"))
    assert "narration-too-long" not in codes(board([shot("wide", text=text, duration=7)], language="zh"))


def test_total_duration_far_from_target() -> None:
    scene = good_scene()
    assert "duration-off-target" in codes(board(scene, target=60))
    severe = next(i for i in lint(board(good_scene(), target=100)) if i.code == "duration-off-target")
    assert severe.level == "error"
    assert "duration-off-target" not in codes(board(good_scene(), target=15.5))


def test_scene_without_establishing_shot() -> None:
    issues = lint(board([shot("medium"), shot("close-up", who="bird"), shot("wide")]))
    assert [i.code for i in issues] == ["no-establishing-shot"]
    assert "no-establishing-shot" not in codes(board([shot("extreme-wide"), shot("close-up")]))


def test_jump_cut_same_size_angle_subject() -> None:
    bird = shot("close-up", who="bird")
    issues = lint(board([shot("wide"), shot("medium"), shot("medium"), bird]))
    assert [i.code for i in issues] == ["jump-cut"]
    assert codes(board([shot("wide"), shot("medium"), shot("medium", angle="low"), bird])) == set()
    assert codes(board([shot("wide"), shot("medium"), shot("medium", who="bird")])) == set()


def test_speaking_character_never_shown() -> None:
    issues = lint(board([shot("wide", who="bear", text="Hello there.", speaker="bird"), shot("close-up")]))
    assert any(i.code == "character-never-shown" and i.level == "error" for i in issues)
    assert "character-never-shown" not in codes(
        board([shot("wide", who="bird"), shot("close-up", who="bear", text="Hello there.", speaker="bird")])
    )


def test_heard_before_seen() -> None:
    assert "heard-before-seen" in codes(
        board([shot("wide", who="bear", text="Hello.", speaker="bird"), shot("close-up", who="bird")])
    )
    assert "heard-before-seen" not in codes(
        board([shot("wide", who="bird"), shot("close-up", who="bear", text="Hello.", speaker="bird")])
    )


def test_screen_direction_flip_within_a_scene() -> None:
    flip = [shot("wide", direction="left-to-right"), shot("medium", direction="right-to-left")]
    assert "screen-direction-flip" in codes(board(flip + [shot("close-up", who="bird")]))
    kept = [shot("wide", direction="left-to-right"), shot("medium", direction="left-to-right")]
    assert "screen-direction-flip" not in codes(board(kept + [shot("close-up", who="bird")]))
    # a new scene may change direction
    scene_a = [shot("wide", direction="left-to-right"), shot("close-up", who="bird")]
    scene_b = [shot("wide", direction="right-to-left"), shot("close-up", who="bird")]
    assert "screen-direction-flip" not in codes(board(scene_a, scene_b))


def test_too_little_size_variety() -> None:
    monotone = [shot("wide", who="bear" if i % 2 else "bird") for i in range(6)]
    assert "little-size-variety" in codes(board(monotone))
    assert "little-size-variety" not in codes(board(good_scene(), good_scene()))


def test_unused_character_and_location() -> None:
    b = board(good_scene(), extra_character=True)
    assert "unused-character" in codes(b)
    data = json.loads(board(good_scene()).to_json())
    data["locations"].append({"id": "sea", "name": "Sea", "biome": "open-sea"})
    assert "unused-location" in codes(Storyboard.model_validate(data))
    assert {"unused-character", "unused-location"}.isdisjoint(codes(board(good_scene())))


def test_an_icon_the_library_lacks_is_an_error_and_stops_the_cast() -> None:
    from storyagent.cast import assign_cast
    from storyagent.errors import StoryboardError

    b = board(good_scene())
    b.characters[0].visual.icon = "polar-baer"
    [issue] = [i for i in lint(b) if i.code == "unknown-icon"]
    assert issue.level == "error" and "characters[0].visual.icon" in issue.message and "'polar-bear'" in issue.message
    with pytest.raises(StoryboardError, match=r"no icon named 'polar-baer'; did you mean 'polar-bear'\?"):
        assign_cast(b)
    b.characters[0].visual.icon = "polar-bear"
    assert "unknown-icon" not in codes(b)


# -- the premise, and words that must match the picture ----------------------------------------------


def test_a_premise_element_shown_nowhere_is_a_warning() -> None:
    assert "premise-missing" not in codes(snowman_board())
    premise = {**SNOWMAN_PREMISE, "characters": [*SNOWMAN_PREMISE["characters"], {"name": "seagull"}],
               "props": [{"name": "carrot"}], "verb": "sing"}
    missing = [i.message for i in lint(snowman_board(premise)) if i.code == "premise-missing"]
    assert len(missing) == 3
    assert any('character "seagull"' in m for m in missing) and any('prop "carrot"' in m for m in missing)
    assert any('action "build a snowman"' in m for m in missing)


def sky_board(*scenes: tuple[str, str, str, list[str]]) -> Storyboard:
    """One scene per (biome, time of day, weather, narration lines), each in its own location."""
    return Storyboard.model_validate({
        "title": "Sky",
        "characters": [{"id": "bear", "name": "Bear"}],
        "locations": [{"id": f"place{i}", "name": f"Place {i}", "biome": biome, "time_of_day": time, "weather": weather}
                      for i, (biome, time, weather, _) in enumerate(scenes)],
        "scenes": [{"id": f"sc{i}", "location": f"place{i}",
                    "shots": [shot("wide", text=text, duration=8) for text in lines] or [shot("wide")]}
                   for i, (_, time, weather, lines) in enumerate(scenes)],
    })


def contradictions(b: Storyboard) -> list[str]:
    return [i.message for i in lint(b) if i.code == "words-contradict-picture"]


def test_words_that_state_weather_the_picture_lacks_are_flagged() -> None:
    [message] = contradictions(sky_board(("grassland", "day", "clear", ["It was raining hard."])))
    assert '"raining"' in message and "day, clear weather" in message
    assert contradictions(sky_board(("grassland", "day", "rain", ["It was raining hard."]))) == []
    assert len(contradictions(sky_board(("snowy-mountains", "day", "snow", ["The evening was warm."])))) == 2


def test_a_line_may_look_back_one_scene() -> None:
    stormy, calm = ("grassland", "day", "storm", ["Thunder rolled."]), ("grassland", "dusk", "clear", [])
    assert contradictions(sky_board(stormy, ("grassland", "dusk", "clear", ["The storm blew itself out."]))) == []
    assert len(contradictions(sky_board(stormy, calm, ("grassland", "day", "clear", ["Lightning flashed."])))) == 1


def test_weather_said_to_be_over_must_have_been_shown_before() -> None:
    assert contradictions(sky_board(("grassland", "day", "rain", []), ("grassland", "day", "clear", []),
                                    ("grassland", "day", "clear", ["The rain stopped at last."]))) == []
    [message] = contradictions(sky_board(("snowy-mountains", "dusk", "snow", ["The rain stopped."])))
    assert "is over, but no scene so far showed it" in message


def test_denied_habitual_and_figurative_words_state_nothing() -> None:
    lines = ["There was no rain that day.", "Every night he dreamed of the sea.", "Good morning, Bear!",
             "She gave a warm smile.", "They had to finish before the sun melts it."]
    assert contradictions(sky_board(("snowy-mountains", "day", "snow", lines))) == []


def test_snow_lies_in_a_snowy_place_and_stars_shine_at_night() -> None:
    assert contradictions(sky_board(("snowy-mountains", "day", "clear", ["The snowy slope sparkled."]))) == []
    assert contradictions(sky_board(("grassland", "night", "clear", ["The stars came out, one by one."]))) == []
    assert len(contradictions(sky_board(("grassland", "day", "clear", ["The stars came out."])))) == 1


def test_chinese_lines_are_read_for_weather_too() -> None:
    assert len(contradictions(sky_board(("grassland", "day", "clear", ["雨停了，傍晚的风很轻。"])))) == 2
    assert contradictions(sky_board(("grassland", "dusk", "rain", ["下雨了，傍晚的风很轻。"]))) == []
    assert contradictions(sky_board(("grassland", "day", "clear", ["他们在雨林里堆了一个雪人，没有下雨。"]))) == []


def test_a_cheering_crowd_must_be_on_screen() -> None:
    cheer = shot("wide", text="Everyone cheered and clapped.")
    assert "empty-crowd" in codes(board([cheer, shot("close-up", who="bird")]))
    cue = {**shot("wide"), "sound": [{"tag": "crowd-cheer"}]}
    assert "empty-crowd" in codes(board([cue, shot("close-up", who="bird")]))
    crowd = Storyboard.model_validate({**board([cue]).model_dump(), "characters": [
        {"id": "bear", "name": "Bear", "visual": {"count": 3}}, {"id": "bird", "name": "Bird"}]})
    assert "empty-crowd" not in codes(crowd)


def test_articles_and_verbs_agree_with_their_nouns() -> None:
    wrong = {**shot("wide", text="A old keeper lived here."), "description": "The robots stands still."}
    issues = [i.message for i in lint(board([wrong, shot("close-up", who="bird")])) if i.code == "agreement"]
    assert len(issues) == 2
    assert any('"A old"' in m for m in issues) and any('"The robots stands"' in m for m in issues)
    right = {**shot("wide", text="An old keeper lived here, an hour from a unicorn."),
             "description": "The robots stand still while the leader of the robots waves."}
    assert "agreement" not in codes(board([right, shot("close-up", who="bird")]))
