"""`storyagent plan` as a user meets it: a storyboard file that lints clean, and
one-line errors with a non-zero exit when the premise or the LLM is unusable."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from storyagent.storyboard import Storyboard
from tests.helpers.cli import storyagent


def test_plan_writes_a_storyboard_that_lints_clean(tmp_path: Path) -> None:
    out = tmp_path / "film" / "storyboard.json"
    result = storyagent("plan", "polar bear visits penguins", "-o", str(out), "--duration", "60", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "scenes" in result.stdout and str(out) in result.stdout.replace("\n", "")
    board = Storyboard.load(out)
    assert board.target_duration == 60 and board.premise.text == "polar bear visits penguins"
    assert out.read_text(encoding="utf-8") == board.to_json(), "saved canonical"
    lint = storyagent("lint", str(out), "--json")
    assert lint.returncode == 0 and [i for i in json.loads(lint.stdout) if i["level"] == "error"] == []


def test_planning_again_keeps_the_previous_storyboard(tmp_path: Path) -> None:
    out = tmp_path / "storyboard.json"
    assert storyagent("plan", "fox meets owl", "-o", str(out)).returncode == 0
    edited = out.read_text(encoding="utf-8").replace('"title": "', '"title": "My ', 1)
    out.write_text(edited, encoding="utf-8")
    again = storyagent("plan", "fox meets owl", "-o", str(out), "--seed", "1")
    assert again.returncode == 0 and "storyboard.v1.json" in again.stdout
    assert (tmp_path / "storyboard.v1.json").read_text(encoding="utf-8") == edited, "the director's edit survives"
    assert Storyboard.load(out).title != Storyboard.load(tmp_path / "storyboard.v1.json").title
    assert storyagent("plan", "fox meets owl", "-o", str(out), "--seed", "1").returncode == 0
    assert not (tmp_path / "storyboard.v2.json").exists(), "an identical plan keeps no copy"


def test_an_edited_premise_section_is_planned_again(tmp_path: Path) -> None:
    out = tmp_path / "storyboard.json"
    first = storyagent("plan", "an old lighthouse keeper and a seagull weather a storm", "-o", str(out))
    assert first.returncode == 0 and 'action "weather a storm"' in first.stdout.replace("\n", " ")
    data = json.loads(out.read_text(encoding="utf-8"))
    gull = data["premise"]["characters"][1]
    assert (gull["name"], gull["kind"], gull["shown_as"]) == ("seagull", "seagull", "seagull")
    gull.update(name="puffins", kind="penguin", count=3, shown_as=None)
    out.write_text(json.dumps(data), encoding="utf-8")

    again = storyagent("plan", str(out))  # writes over the file it read, keeping the edit as v1
    assert again.returncode == 0, again.stderr
    board = Storyboard.load(out)
    puffins = board.character(board.premise.characters[1].shown_as)
    assert puffins.visual.count == 3 and puffins.visual.keywords[0] == "penguin"
    assert any(on.character == puffins.id for shot in board.shots() for on in shot.characters)
    assert (tmp_path / "storyboard.v1.json").exists()


def test_plan_in_chinese(tmp_path: Path) -> None:
    out = tmp_path / "storyboard.json"
    assert storyagent("plan", "北极熊穿越山海去南极看望企鹅", "-o", str(out)).returncode == 0
    board = Storyboard.load(out)
    assert board.language == "zh" and "北极熊" in {c.name for c in board.characters}


def test_a_blank_premise_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = storyagent("plan", "  ", "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "premise is empty" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.json").exists()


def test_an_unknown_planner_or_language_is_one_line(tmp_path: Path) -> None:
    for args in (["--planner", "gpt"], ["--lang", "fr"]):
        result = storyagent("plan", "fox meets owl", "-o", str(tmp_path / "x.json"), *args)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0


def test_an_llm_server_that_is_down_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = storyagent("plan", "fox meets owl", "-o", str(tmp_path / "x.json"), "--llm-base-url", f"http://127.0.0.1:{port}/v1")
    assert result.returncode == 1
    assert "cannot reach the LLM server" in result.stderr and "Traceback" not in result.stderr
