"""The command line as a user meets it: help that teaches, one-line errors,
exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "all-the-way-south.storyboard.json"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "storyagent", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_commands_and_a_quick_start() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "storyagent make" in result.stdout
    for command in ("schema", "validate", "lint"):
        assert command in result.stdout


def test_schema_is_json_schema_of_the_storyboard() -> None:
    schema = json.loads(run("schema").stdout)
    assert schema["title"] == "Storyboard" and "scenes" in schema["properties"]


def test_validate_and_lint_accept_the_example() -> None:
    assert run("validate", str(EXAMPLE)).returncode == 0
    result = run("lint", str(EXAMPLE), "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_lint_exits_non_zero_on_errors(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["scenes"][0]["shots"][0]["camera"]["duration"] = 1.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("lint", str(bad), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["code"] == "narration-too-long"


def test_malformed_file_is_one_line_without_traceback(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["scenes"][2]["shots"][1]["camera"]["movment"] = "x"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    before = bad.read_bytes()
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "scenes[2].shots[1].camera.movment: unknown field; did you mean 'movement'?" in lines[0]
    assert bad.read_bytes() == before


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    result = run("lint", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr
