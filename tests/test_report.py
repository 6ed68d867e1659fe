"""What was understood: one line per premise element, naming what shows it and where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyagent.cli import app
from storyagent.planners.report import abbreviated, depictions, understood
from storyagent.run import stages
from storyagent.run.film import make
from storyagent.run.progress import JsonLines, Quiet
from tests.helpers.premise_boards import SNOWMAN_PREMISE, snowman_board


def lines_about(element: str, name: str) -> str:
    [line] = [line for line in understood(snowman_board()) if line.startswith(f'{element} "{name}"')]
    return line


def test_each_character_names_who_plays_it_how_many_and_in_which_shots() -> None:
    assert lines_about("character", "robots") == 'character "robots" (2) -> robots ×2, in build-1, build-2 … 4 shots'


def test_a_place_names_its_locations_and_scenes() -> None:
    line = lines_about("place", "snowy hill")
    assert "location hill (scene build)" in line and "location hill-dawn (scene melt)" in line


def test_a_prop_is_a_character_on_screen_or_a_thing_in_a_location() -> None:
    assert lines_about("prop", "snowman") == 'prop "snowman" -> character snowman, in build-1, build-3 … 4 shots'
    assert lines_about("prop", "pine tree") == 'prop "pine tree" -> a prop of location hill (scene build), in build-1, build-2, build-3'


def test_the_goal_is_found_in_the_shots_whose_action_performs_it_in_any_form() -> None:
    line = lines_about("action", "build a snowman")
    assert line == 'action "build a snowman" (build) -> "builds the snowman", "keeps building", in build-1, build-3'


def test_the_obstacle_is_the_light_that_shows_it_and_the_shots_that_face_it() -> None:
    line = lines_about("obstacle", "before the sun melts it")
    assert "dawn in scene melt" in line and line.endswith("in melt-1, melt-2")


def test_notes_close_the_report() -> None:
    assert understood(snowman_board())[-1] == "note: not used: together"


def test_an_element_shown_nowhere_says_so() -> None:
    premise = {**SNOWMAN_PREMISE, "characters": [*SNOWMAN_PREMISE["characters"], {"name": "seagull", "role": "other"}],
               "places": [{"name": "bamboo forest"}], "props": [{"name": "carrot"}], "verb": "sing"}
    lines = understood(snowman_board(premise))
    for said in ('character "seagull"', 'place "bamboo forest"', 'prop "carrot"', 'action "build a snowman" (sing)'):
        assert f"{said}: appears nowhere in the storyboard" in lines


def test_shown_as_names_the_player_even_when_its_name_differs() -> None:
    premise = {**SNOWMAN_PREMISE, "characters": [{"name": "机器人", "count": 2, "shown_as": "robots"}]}
    assert understood(snowman_board(premise))[0].startswith('character "机器人" (2) -> robots ×2, in build-1')


def test_a_count_the_picture_does_not_keep_is_pointed_out() -> None:
    premise = {**SNOWMAN_PREMISE, "characters": [{"name": "robots", "count": 3, "age": "old"}]}
    assert understood(snowman_board(premise))[0].startswith('character "robots" (3, old) -> robots ×2 (asked for 3)')


def test_an_action_without_a_verb_is_not_looked_for() -> None:
    premise = {**SNOWMAN_PREMISE, "action": "寻找丢失的风筝", "verb": None}
    assert 'action "寻找丢失的风筝" (no English verb understood): not looked for' in understood(snowman_board(premise))


def test_an_empty_reading_says_nothing() -> None:
    assert understood(snowman_board({"text": "two robots"})) == []
    assert depictions(snowman_board({"text": "two robots"})) == []


def test_shot_lists_are_abbreviated() -> None:
    assert abbreviated(["a-1", "a-2", "a-3"]) == "a-1, a-2, a-3"
    assert abbreviated(["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"]) == "a-1, a-2 … 6 shots"


# -- where a user reads it -----------------------------------------------------------------------


def test_plan_prints_what_was_understood_after_its_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storyagent.planners.plan", lambda *args, **kwargs: snowman_board())
    result = CliRunner().invoke(app, ["plan", "two robots build a snowman", "-o", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    summary, heading, *rest = result.output.splitlines()
    assert "The Robots and the Snowman" in summary and heading == "What was understood:"
    assert [line.strip() for line in rest] == understood(snowman_board())


def test_make_reports_what_was_understood_when_the_plan_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages, "plan_stage", lambda premise, options: snowman_board())
    events: list[dict] = []
    make("two robots build a snowman", tmp_path / "film", progress=events.append, review=True,
         width=320, height=180, fps=12)
    [said] = [e for e in events if e.get("event") == "understood"]
    assert said == {"stage": "plan", "event": "understood", "lines": understood(snowman_board())}
    assert events.index(said) < events.index({"stage": "cast", "event": "start"}), "told before casting"


def test_the_report_is_a_json_line_with_log_json_and_silent_with_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    event = {"stage": "plan", "event": "understood", "lines": ['character "robots" (2) -> robots ×2, in a-1']}
    JsonLines()(event)
    Quiet()(event)
    out, err = capsys.readouterr()
    assert json.loads(out) == event and err == ""
