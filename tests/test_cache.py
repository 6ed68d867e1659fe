"""The one cache: keys name exactly what made an artifact, writes are whole or
absent, and the clean-up after a crash removes only what storyagent made."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyagent import cache

INPUTS = {"shot": {"id": "a1", "size": "wide"}, "frames": 48, "characters": ["bear", "penguin"]}


def test_the_same_inputs_give_the_same_key_whatever_their_order() -> None:
    shuffled = {"characters": ["bear", "penguin"], "frames": 48, "shot": {"size": "wide", "id": "a1"}}
    assert cache.key("shot", INPUTS, "v1") == cache.key("shot", shuffled, "v1")
    assert len(cache.key("shot", INPUTS, "v1")) == cache.KEY_LENGTH


@pytest.mark.parametrize("changed", [
    {**INPUTS, "frames": 49},
    {**INPUTS, "shot": {"id": "a1", "size": "close"}},
    {**INPUTS, "characters": ["penguin", "bear"]},
    {**INPUTS, "extra": None},
])
def test_any_change_to_the_inputs_changes_the_key(changed: dict) -> None:
    assert cache.key("shot", changed, "v1") != cache.key("shot", INPUTS, "v1")


def test_the_kind_and_the_code_version_are_part_of_the_key() -> None:
    assert cache.key("shot", INPUTS, "v2") != cache.key("shot", INPUTS, "v1")
    assert cache.key("card", INPUTS, "v1") != cache.key("shot", INPUTS, "v1")


def test_a_source_version_follows_the_code(tmp_path: Path) -> None:
    code = tmp_path / "draw.py"
    code.write_text("x = 1\n")
    before = cache.source_version(code)
    code.write_text("x = 2\n")
    assert cache.source_version(code) != before


def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "shots" / "a1.mp4"
    with pytest.raises(RuntimeError):
        with cache.atomic_path(target) as tmp:
            tmp.write_bytes(b"half a clip")
            assert cache.is_partial(tmp) and tmp.suffix == ".mp4"
            raise RuntimeError("killed")
    assert list(target.parent.iterdir()) == []


def test_paths_are_stored_relative_to_the_film_folder(tmp_path: Path) -> None:
    clip = tmp_path / "film" / "shots" / "a1.k.mp4"
    stored = cache.relative(clip, tmp_path / "film")
    assert stored == "shots/a1.k.mp4"
    assert cache.resolve(stored, tmp_path / "moved") == tmp_path / "moved" / "shots" / "a1.k.mp4"


def test_the_clean_up_removes_only_what_storyagent_left_half_written(tmp_path: Path) -> None:
    film = tmp_path / "film"
    ours = [
        cache.partial_path(film / "film.mp4"),
        cache.partial_path(film / "voice" / "abc.wav"),
        cache.partial_path(film / "shots" / ".parts" / "a1.k.0-12" / "head.mp4"),
        cache.partial_path(film / ".storyagent" / "options.json"),
        film / ".storyagent" / "scratch" / "mix-1-abcd" / "voice.raw",
    ]
    users = [
        film / "notes" / ".thesis.partial.txt",  # issue 12 L1: a user's file that looks like a leftover
        film / ".thesis.partial.txt",
        film / ".mix-old" / "take1.wav",
        film / "notes" / cache.partial_path(Path("draft.txt")).name,  # our name, but not where we write
        film / "voice" / "my-take.wav",
    ]
    for path in ours + users:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    cache.remove_leftovers(film)
    assert [path for path in ours if path.exists()] == []
    assert [path for path in users if not path.exists()] == []


def test_the_clean_up_never_leaves_the_film_folder(tmp_path: Path) -> None:
    outside = cache.partial_path(tmp_path / "film.mp4")
    outside.write_bytes(b"someone else's")
    (tmp_path / "film").mkdir()
    cache.remove_leftovers(tmp_path / "film")
    assert outside.exists()
