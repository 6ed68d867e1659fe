"""The storyboard file: round-trips byte for byte, and every malformed file is
rejected with one line that names the JSON path."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from storyagent.errors import StoryboardError, UnknownIdError
from storyagent.storyboard import MIGRATIONS, SCHEMA_VERSION, Storyboard, json_schema, migrate
from tests.helpers.examples import EXAMPLE_FILES, ZH


def load_error(data: dict | str | bytes, tmp_path: Path) -> str:
    path = tmp_path / "board.json"
    if isinstance(data, dict):
        data = json.dumps(data, ensure_ascii=False)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    with pytest.raises(StoryboardError) as caught:
        Storyboard.load(path)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_canonical_files_round_trip_byte_for_byte(path: Path, tmp_path: Path) -> None:
    board = Storyboard.load(path)
    board.save(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_canonical_form_is_readable_utf8_with_trailing_newline(tmp_path: Path) -> None:
    board = Storyboard.load(ZH)
    text = board.to_json()
    assert "一路向南" in text and "\\u" not in text
    assert text.endswith("}\n") and text.startswith(f'{{\n  "schema_version": {SCHEMA_VERSION},')


def test_loading_a_shorthand_file_fills_defaults(example: dict, tmp_path: Path) -> None:
    shot = example["scenes"][0]["shots"][0]
    for key in ("lines", "sound", "transition_out", "music_mood", "description"):
        shot.pop(key, None)
    (tmp_path / "short.json").write_text(json.dumps(example), encoding="utf-8")
    board = Storyboard.load(tmp_path / "short.json")
    assert board.shots()[0].lines == []
    assert board.shots()[0].transition_out.kind == "cut"


# Ten kinds of malformed file, each named by its JSON path.
def test_bad_json_syntax_names_line_and_column(tmp_path: Path) -> None:
    assert "board.json:3:" in load_error('{\n  "title": "x",\n  oops\n}', tmp_path)


def test_wrong_type_names_path(example: dict, tmp_path: Path) -> None:
    example["scenes"][1]["shots"][0]["camera"]["duration"] = "long"
    assert "scenes[1].shots[0].camera.duration:" in load_error(example, tmp_path)


def test_unknown_field_suggests_the_intended_name(example: dict, tmp_path: Path) -> None:
    camera = example["scenes"][2]["shots"][1]["camera"]
    camera["movment"] = camera.pop("movement")
    message = load_error(example, tmp_path)
    assert "scenes[2].shots[1].camera.movment: unknown field; did you mean 'movement'?" in message


def test_invalid_enum_value_suggests_the_closest(example: dict, tmp_path: Path) -> None:
    example["scenes"][0]["shots"][1]["camera"]["movement"] = "dolly_in"
    message = load_error(example, tmp_path)
    assert "scenes[0].shots[1].camera.movement:" in message and "did you mean 'dolly-in'?" in message


def test_missing_required_field(example: dict, tmp_path: Path) -> None:
    del example["scenes"][0]["shots"][2]["camera"]["size"]
    assert "scenes[0].shots[2].camera.size: required field is missing" in load_error(example, tmp_path)


def test_dangling_character_reference(example: dict, tmp_path: Path) -> None:
    example["scenes"][3]["shots"][1]["characters"][0]["character"] = "pipp"
    message = load_error(example, tmp_path)
    assert "scenes[3].shots[1].characters[0].character: unknown character 'pipp'; did you mean 'pip'?" in message


def test_dangling_location_and_speaker(example: dict, tmp_path: Path) -> None:
    bad = copy.deepcopy(example)
    bad["scenes"][1]["location"] = "nowhere"
    assert "scenes[1].location: unknown location 'nowhere'" in load_error(bad, tmp_path)
    example["scenes"][0]["shots"][2]["lines"][0]["speaker"] = "bob"
    assert "scenes[0].shots[2].lines[0].speaker: unknown speaker 'bob'" in load_error(example, tmp_path)


def test_duplicate_shot_id(example: dict, tmp_path: Path) -> None:
    example["scenes"][1]["shots"][0]["id"] = "north-1"
    assert "scenes[1].shots[0].id: duplicate shot id 'north-1' (also scenes[0].shots[0])" in load_error(example, tmp_path)


def test_negative_duration(example: dict, tmp_path: Path) -> None:
    example["scenes"][0]["shots"][0]["camera"]["duration"] = -2
    message = load_error(example, tmp_path)
    assert "scenes[0].shots[0].camera.duration:" in message and "greater than 0" in message


def test_empty_title(example: dict, tmp_path: Path) -> None:
    example["title"] = "   "
    assert load_error(example, tmp_path).split(": ", 1)[1].startswith("title:")


def test_wrong_schema_version(example: dict, tmp_path: Path) -> None:
    example["schema_version"] = 99
    assert "schema_version: 99 is newer than this storyagent understands" in load_error(example, tmp_path)
    example["schema_version"] = "one"
    assert "schema_version: must be a positive integer" in load_error(example, tmp_path)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    assert "not UTF-8" in load_error(b'{"title": "caf\xe9"}', tmp_path)


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    assert "top level must be a JSON object" in load_error("[1, 2]", tmp_path)


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(StoryboardError, match="cannot read"):
        Storyboard.load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("lookup", "wrong", "message"),
    [
        ("character", "nanok", "unknown character 'nanok'; did you mean 'nanuk'?"),
        ("location", "arctic", "unknown location 'arctic'; did you mean 'arctic-ice'?"),
        ("scene_of", "nort-2", "unknown shot 'nort-2'; did you mean 'north-2'?"),
        ("shot", "nort-2", "unknown shot 'nort-2'; did you mean 'north-2'?"),
        ("character", "walrus", "unknown character 'walrus'; known: colony, nanuk, pip"),
    ],
)
def test_an_unknown_id_is_named_with_the_nearest_known_one(example_board: Storyboard, lookup: str, wrong: str,
                                                           message: str) -> None:
    with pytest.raises(UnknownIdError) as raised:
        getattr(example_board, lookup)(wrong)
    assert str(raised.value) == message
    assert isinstance(raised.value, StoryboardError)


def test_known_ids_are_found(example_board: Storyboard) -> None:
    assert example_board.character("pip").id == "pip"
    assert example_board.location("long-sea").id == "long-sea"
    assert example_board.scene_of("north-2") is example_board.scenes[0]


def test_migration_hook_upgrades_old_documents(monkeypatch: pytest.MonkeyPatch, example: dict) -> None:
    """A future version registers MIGRATIONS[today's version]; today's files still open."""
    monkeypatch.setattr("storyagent.storyboard.files.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(MIGRATIONS, SCHEMA_VERSION, lambda doc: {**doc, "logline": doc["logline"].upper()})
    upgraded = migrate(example)
    assert upgraded["schema_version"] == SCHEMA_VERSION + 1 and upgraded["logline"].isupper()


def test_a_version_1_file_opens_as_the_current_version(example: dict, tmp_path: Path) -> None:
    for character in example["characters"]:
        del character["visual"]["count"]  # came in version 2
    del example["narrator"]  # came in version 3
    example["premise"] = "polar bear visits penguins"  # a line until version 4 read it into a structure
    for shot in (shot for scene in example["scenes"] for shot in scene["shots"]):
        for on in shot["characters"]:
            on.pop("progress", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**example, "schema_version": 1}), encoding="utf-8")
    board = Storyboard.load(path)
    assert board.schema_version == SCHEMA_VERSION and all(c.visual.count == 1 for c in board.characters)
    assert board.narrator.engine is None  # not cast yet: the cast stage gives the narrator a voice
    assert board.premise.text == "polar bear visits penguins" and board.premise.story is None  # read when planned


def test_schema_describes_every_field() -> None:
    schema = json_schema()

    def undescribed(node: dict, where: str) -> list[str]:
        missing = []
        for name, prop in node.get("properties", {}).items():
            if "description" not in prop and "$ref" not in prop and "allOf" not in prop:
                missing.append(f"{where}.{name}")
        return missing

    missing = undescribed(schema, "Storyboard")
    for name, definition in schema["$defs"].items():
        missing += undescribed(definition, name)
        assert definition.get("description"), f"{name} has no description"
    assert missing == [], f"fields without a description: {missing}"
    assert "dolly-in" in json.dumps(schema["$defs"]["CameraMovement"])


def test_importing_storyagent_does_not_import_heavy_libraries() -> None:
    code = "import sys, storyagent; print(sorted(m for m in ('torch', 'diffusers', 'ray', 'skia', 'langgraph') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
