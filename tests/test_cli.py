"""The command line as a user meets it: help that teaches, one-line errors,
exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyagent import cli
from storyagent.cli import app
from tests.helpers.cli import storyagent
from tests.helpers.examples import SOUTH


def test_help_lists_commands_and_a_quick_start() -> None:
    result = storyagent("--help")
    assert result.returncode == 0
    assert "storyagent make" in result.stdout
    for command in ("schema", "validate", "lint"):
        assert command in result.stdout


def test_schema_is_json_schema_of_the_storyboard() -> None:
    schema = json.loads(storyagent("schema").stdout)
    assert schema["title"] == "Storyboard" and "scenes" in schema["properties"]


def test_validate_and_lint_accept_the_example() -> None:
    assert storyagent("validate", str(SOUTH)).returncode == 0
    result = storyagent("lint", str(SOUTH), "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_lint_exits_non_zero_on_errors(example: dict, tmp_path: Path) -> None:
    example["scenes"][0]["shots"][0]["camera"]["duration"] = 1.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(example), encoding="utf-8")
    result = storyagent("lint", str(bad), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["code"] == "narration-too-long"


def test_malformed_file_is_one_line_without_traceback(example: dict, tmp_path: Path) -> None:
    example["scenes"][2]["shots"][1]["camera"]["movment"] = "x"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(example), encoding="utf-8")
    before = bad.read_bytes()
    result = storyagent("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "scenes[2].shots[1].camera.movment: unknown field; did you mean 'movement'?" in lines[0]
    assert bad.read_bytes() == before


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    result = storyagent("lint", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_brackets_in_paths_and_errors_are_printed_as_written(example: dict, tmp_path: Path) -> None:
    draft = tmp_path / "[draft]"  # rich would read "[draft]" as a style and drop it
    draft.mkdir()
    (draft / "film.json").write_text(json.dumps(example), encoding="utf-8")
    assert f"ok {draft / 'film.json'}:" in storyagent("validate", str(draft / "film.json")).stdout
    missing = storyagent("validate", str(draft / "nope.json"))
    assert missing.returncode == 2 and str(draft / "nope.json") in missing.stderr


def test_doctor_prints_install_hints_with_their_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from storyagent.renderers.dit import doctor as dit_doctor

    version = dit_doctor._version
    monkeypatch.setattr(dit_doctor, "_version", lambda name: None if name == "torch" else version(name))
    monkeypatch.setattr(cli.out, "width", 250)  # the console took its width when another test imported the CLI
    result = CliRunner().invoke(app, ["doctor"])
    assert "pip install 'storyagent[dit]'" in result.stdout


def test_burn_subtitles_not_given_keeps_what_the_film_was_made_with() -> None:
    def given(burn: bool | None) -> dict:
        return cli._render_options(None, {}, None, None, None, None, burn)

    assert "burn_subtitles" not in given(None)
    assert given(True)["burn_subtitles"] is True and given(False)["burn_subtitles"] is False
    assert "--no-burn-subtitles" in CliRunner().invoke(app, ["render", "--help"], env={"COLUMNS": "250"}).stdout
