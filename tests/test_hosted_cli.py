"""The hosted generators as a user meets them on the command line: the estimate before, `make --dry-run`,
`doctor` naming the keys set (never their values), and after a render `status`, `history`, `film.json`
and `--log-json`, none of which holds the key; then `reroll` asks for another take of one shot."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from storyagent.cli import app
from tests.helpers.cli import storyagent
from tests.helpers.fake_sora import FakeSora
from tests.helpers.hosted import SECRET, three_shot_board, write_board


@pytest.fixture
def wide(monkeypatch):
    from storyagent import cli

    monkeypatch.setattr(cli.out, "width", 250)


def test_estimate_lists_each_shot_and_the_total(tmp_path, wide):
    board = write_board(tmp_path, three_shot_board("sora"))
    result = CliRunner().invoke(app, ["estimate", str(board), "--model", "sora-2-pro"])
    assert result.exit_code == 0, result.output
    assert "│ walk │ 2.0      │ 4        │ 1        │ 1.20" in result.stdout
    assert "sora sora-2-pro: $3.60 to pay for 3 of 3 shots (lengths from the storyboard)" in result.stdout
    assert "price: $0.300/s, read 2026-12-01 from https://" in result.stdout
    animatic = CliRunner().invoke(app, ["estimate", str(board), "--renderer", "animatic"])
    assert "the animatic renderer runs on this machine: it costs nothing" in animatic.stdout


def test_make_dry_run_plans_prices_and_writes_nothing(tmp_path, wide, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["make", "a fox looks for its lost kite", "-d", "30", "--renderer", "veo",
                                      "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "(dry run: nothing written)" in result.stdout
    assert "veo veo-3.1-fast-generate-001: $" in result.stdout and "to pay for" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_doctor_says_which_keys_are_set_never_their_values(wide, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("FAL_KEY", raising=False)
    result = CliRunner().invoke(app, ["doctor"])
    assert SECRET not in result.stdout
    assert "OPENAI_API_KEY is set" in result.stdout
    assert "set FAL_KEY" in result.stdout


def test_after_a_render_the_spend_is_told_and_the_key_is_nowhere(tmp_path):
    fake = FakeSora()
    try:
        write_board(tmp_path, three_shot_board("sora"))
        env = {"OPENAI_API_KEY": SECRET}
        made = storyagent("render", str(tmp_path / "storyboard.json"), "--renderer", "sora", "--base-url", fake.base_url,
                          "--poll-seconds", "0.01", "--resolution", "256x144", "--fps", "12", "--log-json", env=env)
        assert made.returncode == 0, made.stderr
        events = [json.loads(line) for line in made.stdout.splitlines()]
        assert {e["state"] for e in events if e.get("event") == "remote"} >= {"done"}
        assert any("3 of 3 shots to ask for, about $1.20" in e.get("message", "") for e in events)
        assert SECRET not in made.stdout + made.stderr
        for path in tmp_path.rglob("*"):
            assert not path.is_file() or SECRET.encode() not in path.read_bytes(), f"the key is in {path}"
        assert json.loads((tmp_path / "film.json").read_text())["spent_usd"] == {"walk": 0.4, "wave": 0.4, "hug": 0.4}
        status = storyagent("status", str(tmp_path), env=env)
        assert "done video_" in status.stdout and "spent at providers so far: $1.20" in status.stdout
        history = storyagent("history", str(tmp_path), env=env)
        assert "1.20 (3 shots)" in history.stdout
        creates = fake.count["create"]
        again = storyagent("reroll", str(tmp_path), "wave", env=env)
        assert "shot wave: take 2 is asked for at the next render" in again.stdout
        assert list((tmp_path / "shots" / ".takes").glob("wave.*.take0.mp4")), "the first take was not kept"
        made = storyagent("render", str(tmp_path / "storyboard.json"), "--quiet", env=env)
        assert made.returncode == 0, made.stderr
        assert fake.count["create"] == creates + 1, "another take asks for that shot alone"
    finally:
        fake.close()
