"""Bad input and text: storyboards, premises, command-line values and lines no one
planned for. Each is one line naming what is wrong (a JSON path where there is
one), never a traceback, a hang or a quietly different film."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from storyagent.errors import PremiseError, StoryboardError
from storyagent.planners import plan, readable_premise
from storyagent.storyboard import Storyboard
from tests.helpers.cli import storyagent

# -- reading a storyboard file ----------------------------------------------------------


def _load_text(text: str) -> Storyboard:
    return Storyboard.from_json(text.encode("utf-8"), source="board.json")


def _error(text: str | bytes) -> str:
    with pytest.raises(StoryboardError) as caught:
        Storyboard.from_json(text if isinstance(text, bytes) else text.encode("utf-8"), source="board.json")
    message = str(caught.value)
    assert "\n" not in message
    return message


DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_json_is_one_line() -> None:
    assert "nested too deeply" in _error(DEEP)
    assert "nested too deeply" in _error('{"title": ' + DEEP + "}")


@pytest.mark.parametrize("command", ["validate", "lint", "status", "render"])
def test_deep_json_on_the_command_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / "storyboard.json"
    path.write_text(DEEP)
    result = storyagent(command, str(path if command != "status" else tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "nested too deeply" in result.stderr


def test_a_5000_digit_seed_names_its_path(example: dict) -> None:
    text = json.dumps(example).replace(f'"seed": {example["characters"][0]["seed"]}', '"seed": ' + "9" * 5000, 1)
    assert _error(text).startswith("board.json: characters[0].seed: input should be less than 4294967296 "
                                   "(got a 5000-digit number)")
    negative = json.dumps(example).replace('"pitch": 0.0', '"pitch": -' + "1" * 5000, 1)
    assert "got a 5000-digit number" in _error(negative)


@pytest.mark.parametrize("where", ["title", "line"])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\ud800", "\u202e", "\uffff"])
def test_invisible_characters_in_text_are_rejected_with_their_path(example: dict, where: str, char: str) -> None:
    if where == "title":
        example["title"] = f"A{char}B"
        path = "title"
    else:
        example["scenes"][0]["shots"][0]["lines"][0]["text"] = f"A{char}B"
        path = "scenes[0].shots[0].lines[0].text"
    message = _error(json.dumps(example))
    assert message.startswith(f"board.json: {path}: ")
    # pydantic itself refuses a lone surrogate where a pattern is checked
    assert f"holds the invisible character U+{ord(char):04X} at position 1" in message or \
        (char == "\ud800" and "input should be a valid string" in message)


def test_line_breaks_belong_in_text_not_in_names(example: dict) -> None:
    example["scenes"][0]["shots"][0]["lines"][0]["text"] = "One line,\r\nand\tthe next."
    _load_text(json.dumps(example))
    example["characters"][0]["name"] = "Nan\nuk"
    assert "characters[0].name: holds the invisible character U+000A" in _error(json.dumps(example))


def test_validate_and_lint_reject_a_nul_before_any_rendering(tmp_path: Path, example: dict) -> None:
    example["title"] = "The\x00End"
    path = tmp_path / "storyboard.json"
    path.write_text(json.dumps(example))
    for command in ("validate", "lint"):
        result = storyagent(command, str(path))
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "title: holds the invisible character U+0000" in result.stderr


def test_duplicate_keys_name_the_key_and_its_path(example: dict) -> None:
    text = json.dumps(example)
    assert _error(text.replace('"title":', '"title": "Other", "title":', 1)) == \
        "board.json: title: the key 'title' is given twice (keep one)"
    camera = json.dumps(example["scenes"][1]["shots"][2]["camera"])
    doubled = camera.replace('"size":', '"size": "wide", "size":', 1)
    assert text.count(camera) >= 1
    example["scenes"][1]["shots"][2]["camera"] = "CAMERA"
    text = json.dumps(example).replace('"CAMERA"', doubled)
    assert _error(text).startswith("board.json: scenes[1].shots[2].camera.size: the key 'size' is given twice")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(example: dict, constant: str) -> None:
    example["target_duration"] = "HERE"
    text = json.dumps(example, indent=2)
    line = text[: text.index('"HERE"')].count("\n") + 1
    message = _error(text.replace('"HERE"', constant))
    assert f"invalid JSON: {constant} is not a JSON number" in message
    assert message.startswith(f"board.json:{line}:")  # the line of target_duration


def test_a_byte_order_mark_and_utf16_are_read(example: dict) -> None:
    text = json.dumps(example, ensure_ascii=False)
    board = Storyboard.from_json(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert board.title == example["title"]
    assert Storyboard.from_json(text.encode("utf-16")).title == example["title"]
    assert Storyboard.from_json(text.encode("utf-16-le")).title == example["title"]


def test_empty_files_and_other_top_levels(example: dict) -> None:
    assert "the file is empty" in _error("")
    assert "the file is empty" in _error(" \n\t")
    assert "the top level must be a JSON object" in _error("[1, 2]")
    assert "the top level must be a JSON object" in _error('"a storyboard"')
    assert "not UTF-8 text" in _error(b'{"title": "\xff\xfe\xfa"}')


def test_numbers_as_strings_are_taken_only_where_they_are_exact(example: dict) -> None:
    """pydantic's lax mode reads "5" as 5; a word is still an error with its path."""
    example["scenes"][0]["shots"][0]["camera"]["duration"] = "five"
    assert "scenes[0].shots[0].camera.duration: input should be a valid number" in _error(json.dumps(example))


def test_a_huge_bad_value_is_quoted_short(example: dict) -> None:
    example["characters"][0]["id"] = "X" * 10_000_000
    message = _error(json.dumps(example))
    assert len(message) < 400 and "(10000000 characters)" in message


def test_zero_width_characters_in_ids(example: dict) -> None:
    original = example["characters"][0]["id"]
    example["characters"][0]["id"] = original + "\u200b"
    assert "characters[0].id: string should match pattern" in _error(json.dumps(example))


def test_a_negative_duration(example: dict) -> None:
    example["scenes"][0]["shots"][0]["camera"]["duration"] = -1
    assert "scenes[0].shots[0].camera.duration: input should be greater than 0" in _error(json.dumps(example))


def test_a_scene_without_shots(example: dict) -> None:
    example["scenes"][0]["shots"] = []
    assert "scenes[0].shots: list should have at least 1 item" in _error(json.dumps(example))


def test_windows_line_endings_load(example: dict) -> None:
    text = json.dumps(example, indent=2).replace("\n", "\r\n")
    assert _load_text(text).title == example["title"]


# -- subtitles -------------------------------------------------------------------------


def _reference_split(tokens, parts, limit):
    """The splitter as it was (every split tried, about O(n^4)): the cues of ordinary lines must not change."""
    import math

    from storyagent.edit.subtitles import _BREAK_AFTER, _width

    n = len(tokens)
    parts = max(1, min(parts, n))
    target = _width(tokens) / parts
    best = [[(math.inf, 0)] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = (0.0, 0)
    for k in range(1, parts + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                if best[k - 1][j][0] == math.inf:
                    continue
                run = tokens[j:i]
                w = _width(run)
                cost = (w - target) ** 2 + (1e6 * (w - limit) if w > limit else 0.0)
                if i < n and run[-1].text[-1] not in _BREAK_AFTER:
                    cost += (0.25 * target) ** 2
                total = best[k - 1][j][0] + cost
                if total < best[k][i][0]:
                    best[k][i] = (total, j)
    runs, i = [], n
    for k in range(parts, 0, -1):
        j = best[k][i][1]
        runs.append(tokens[j:i])
        i = j
    return runs[::-1]


def test_the_fast_splitter_breaks_ordinary_lines_exactly_as_before() -> None:
    import math
    import random

    from storyagent.edit.subtitles import MAX_LINE_WIDTH, _split, _tokens, _width

    rng = random.Random(12)
    words = ("the a bear swam across wide cold sea, and penguins! waited; long-haired grandmother's 北极熊 去 看望 "
             "企鹅。 “quote” (paren) ok. extraordinarily-long-compound-word-for-a-very-long-line").split()
    for _ in range(150):
        tokens = _tokens(" ".join(rng.choice(words) for _ in range(rng.randint(1, 24))))
        cases = [(math.ceil(_width(tokens) / (2 * MAX_LINE_WIDTH)), 2 * MAX_LINE_WIDTH), (2, MAX_LINE_WIDTH),
                 (rng.randint(1, len(tokens)), rng.choice([10.0, MAX_LINE_WIDTH]))]
        for parts, limit in cases:
            new = [[t.text for t in run] for run in _split(tokens, parts, limit)]
            assert new == [[t.text for t in run] for run in _reference_split(tokens, parts, limit)]


@pytest.mark.parametrize("text", [
    " ".join(["and then the little bear walked across the wide white ice to see his friends"] * 60)[:4000],
    ("北极熊走过冰面去看望它的企鹅朋友们" * 300)[:4000],
])
def test_a_4000_character_line_without_a_full_stop_is_split_at_once(text: str) -> None:
    import time

    from storyagent.edit.subtitles import wrap

    wrap("北极熊")  # Chinese is cut into words by jieba, whose dictionary loads once: not what is timed here
    started = time.perf_counter()
    cues = wrap(text)
    assert time.perf_counter() - started < 1.0  # was more than ten minutes
    assert "".join("".join(line.split()) for cue in cues for line in cue) == "".join(text.split())
    assert all(len(cue) <= 2 for cue in cues)


# -- options: resolution, frame rate, seed ---------------------------------------------------


@pytest.mark.parametrize("resolution", ["0x0", "2x2", "20000x2", "641x360", "640x0", "99999999999x2"])
def test_a_resolution_out_of_bounds_is_refused_before_any_work(tmp_path: Path, resolution: str) -> None:
    result = storyagent("make", "a fox looks for its kite", "--resolution", resolution, "-o", str(tmp_path / "film"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "--resolution" in result.stderr
    assert not (tmp_path / "film").exists()


@pytest.mark.parametrize("given", [{"width": 0, "height": 0}, {"width": 2, "height": 2}, {"width": 20000, "height": 720},
                                   {"fps": 0}, {"fps": 1000}, {"seed": 10**5000 // 10**4990}, {"seed": -1}])
def test_the_python_api_checks_options_before_any_work(tmp_path: Path, given: dict) -> None:
    from storyagent.errors import StoryagentError
    from storyagent.run.film import make

    with pytest.raises(StoryagentError, match=rf"^option {next(iter(given))}: "):
        make("a fox looks for its kite", tmp_path / "film", **given)
    assert not (tmp_path / "film").exists()


def test_the_schema_and_the_options_allow_the_same_sizes() -> None:
    from storyagent.run.options import RunOptions
    from storyagent.storyboard import json_schema

    render = json_schema()["$defs"]["RenderSettings"]["properties"]
    options = RunOptions.model_json_schema()["properties"]
    for name in ("width", "height", "fps"):
        bounds = {k: v for k, v in render[name].items() if k in ("minimum", "maximum", "multipleOf")}
        assert bounds and bounds.items() <= options[name]["anyOf"][0].items()


def test_a_huge_seed_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    for seed in ("9" * 5000, "99999999999999"):
        result = storyagent("plan", "a fox", "--seed", seed, "-o", str(tmp_path / "board.json"))
        assert result.returncode == 2 and "Traceback" not in result.stderr and "--seed" in result.stderr


# -- voices ---------------------------------------------------------------------------------


def test_an_unknown_voice_engine_is_an_error_not_a_recast(example_board: Storyboard) -> None:
    from storyagent.voice import cast_voices

    example_board.characters[1].voice.engine = "pipr"
    with pytest.raises(StoryboardError, match=r"^characters\[1\]\.voice\.engine: unknown voice engine 'pipr'; "
                                              r"did you mean 'piper'\?$"):
        cast_voices(example_board, "espeak")
    example_board.characters[1].voice.engine = None
    example_board.narrator.engine = "festival"
    with pytest.raises(StoryboardError, match=r"^narrator\.engine: unknown voice engine 'festival'; known: coqui, "):
        cast_voices(example_board, "espeak")


# -- premises: escapes, scripts, the font ------------------------------------------------------

def test_terminal_escapes_and_control_characters_never_reach_a_name() -> None:
    board = plan("a \x1b[31mred\x1b[0m fox\x00 visits \x1b]0;title\x07penguins\x7f", planner="template")
    texts = [board.title, board.premise.text, *(c.name for c in board.characters)]
    assert not any(ch in text for text in texts for ch in "\x1b\x00\x07\x7f[")
    assert readable_premise("a \x1b[1;31mred\x1b[0m fox") == "a red fox"


@pytest.mark.parametrize(("premise", "script"), [
    ("ホッキョクグマがペンギンを訪ねる", "Katakana"),
    ("دب قطبي يزور البطاريق", "Arabic"),
    ("דב קוטב מבקר פינגווינים", "Hebrew"),
    ("북극곰이 펭귄을 방문하다", "Hangul"),
    ("Медведь visits penguins", "Cyrillic"),
    ("ध्रुवीय भालू पेंगुइन से मिलता है", "Devanagari"),
])
def test_a_premise_in_a_script_storyagent_cannot_narrate_says_so(premise: str, script: str) -> None:
    with pytest.raises(PremiseError, match=rf"^the premise is written in {script} script .* English or Chinese"):
        plan(premise, planner="template")


@pytest.mark.parametrize(("premise", "missing"), [("北極熊拜訪企鵝", "極"), ("a bear named Łukasz visits penguins", "Ł")])
def test_letters_the_font_cannot_draw_are_named(premise: str, missing: str) -> None:
    with pytest.raises(PremiseError, match=rf"the premise has '{missing}' \(U\+{ord(missing):04X}\).*cannot draw"):
        plan(premise, planner="template")


@pytest.mark.parametrize("premise", ["🐻🐧", "???", "...!!!", "\u200b\u200b", "\x1b[31m\x1b[0m"])
def test_a_premise_without_words(premise: str) -> None:
    with pytest.raises(PremiseError, match="(no words|premise is empty)"):
        plan(premise, planner="template")


def test_what_the_font_draws_is_told_in_full() -> None:
    """Names keep every character: accents composed, emoji beside the words left out of names."""
    board = plan("Zoe\u0308 the fox visits penguins 🐧", planner="template")
    assert "Zoë" in [c.name for c in board.characters]
    board = plan("北极熊去看望企鹅", planner="template")
    assert board.language == "zh" and "北极熊" in [c.name for c in board.characters]


def test_a_2001_character_premise_after_cleaning(tmp_path: Path) -> None:
    with pytest.raises(PremiseError, match="keep it under 2000"):
        plan("a" * 2001, planner="template")
    assert plan("\x1b[0m" * 500 + "a fox looks for its kite", planner="template").title


def test_make_refuses_a_premise_before_making_any_folder(tmp_path: Path) -> None:
    result = storyagent("make", "دب قطبي يزور البطاريق", "--quiet", cwd=tmp_path)
    assert result.returncode == 2 and "Arabic script" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_lint_names_text_the_font_cannot_draw(example_board: Storyboard) -> None:
    from storyagent.planners.lint import lint

    example_board.title = "الطريق إلى الجنوب"
    example_board.characters[0].name = "Nanuk 🐻"
    example_board.scenes[0].shots[0].lines[0].text = "Once upon a time — in the north 🌨"
    found = [issue for issue in lint(example_board) if issue.code == "undrawable-text"]
    assert [issue.message.split(":")[0] for issue in found] == ["title", "characters[0].name", "lines[0].text"]
    assert all(issue.level == "error" for issue in found) and found[2].shot == example_board.scenes[0].shots[0].id
    assert "'🐻' (U+1F43B)" in found[1].message


def test_emoji_and_rtl_text_in_lines_are_valid_but_linted(tmp_path: Path, example: dict) -> None:
    example["scenes"][0]["shots"][0]["lines"][0]["text"] = "مرحبا 👋"
    path = tmp_path / "board.json"
    path.write_text(json.dumps(example, ensure_ascii=False))
    assert storyagent("validate", str(path)).returncode == 0
    result = storyagent("lint", str(path))
    assert result.returncode == 1 and "undrawable-text" in result.stdout and "Traceback" not in result.stderr


# -- what the command line prints ------------------------------------------------------------


def test_brackets_and_emoji_codes_in_messages_are_printed_as_written(tmp_path: Path, example: dict) -> None:
    example["characters"][0]["id"] = "[a-z]:smile:"
    path = tmp_path / ":fox_face:[draft].json"
    path.write_text(json.dumps(example))
    result = storyagent("validate", str(path))
    assert ":fox_face:[draft].json: characters[0].id: string should match pattern '^[a-z0-9][a-z0-9_-]*$' " \
           "(got '[a-z]:smile:')" in result.stderr
    example["characters"][0]["id"] = "nanuk"
    path.write_text(json.dumps(example))
    assert f"ok {path}:" in storyagent("validate", str(path)).stdout


def test_an_error_is_one_line_even_when_a_file_name_holds_escapes(tmp_path: Path) -> None:
    result = storyagent("validate", str(tmp_path / "a\x1b[2Jb\nc.json"))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "a\\x1b[2Jb\\nc.json" in result.stderr


def test_a_thousand_shots_validate_and_lint_quickly(example: dict) -> None:
    import time

    from storyagent.planners.lint import lint

    template = example["scenes"][0]["shots"][0]
    shots = []
    for i in range(1000):
        shot = copy.deepcopy(template)
        shot["id"] = f"shot-{i}"
        shots.append(shot)
    example["scenes"] = [dict(example["scenes"][0], shots=shots)]
    started = time.perf_counter()
    board = _load_text(json.dumps(example))
    lint(board)
    assert len(board.shots()) == 1000 and time.perf_counter() - started < 10
