"""The consistency manager and the icon library: one identity per character,
filled in without overwriting the director, and found from plain nouns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyagent.cast import assign_cast, character_look, location_look, stable_seed
from storyagent.renderers.animatic.sheets import write_reference_sheets
from storyagent.storyboard import Storyboard
from storyagent.world import icons
from tests.helpers.animatic_boards import board, shot


@pytest.mark.parametrize("noun,icon", [
    ("polar bear", "polar-bear"), ("bear", "bear"), ("ship", "ship"), ("iceberg", "ice"), ("penguin", "penguin"),
    ("Penguins", "penguin"), ("pine tree", "evergreen-tree"), ("a baby penguin", "penguin"), ("wolves", "wolf"),
])
def test_icons_are_found_by_name_alias_and_keyword(noun: str, icon: str) -> None:
    assert icons.find(noun) == icon


def test_unknown_nouns_fall_back_by_what_they_are() -> None:
    assert icons.find("flibbertigibbet") is None
    assert icons.choose(["flibbertigibbet"], "character") == "person"
    assert icons.choose(["flibbertigibbet", "creature"], "character") == "paw-prints"
    assert icons.choose(["flibbertigibbet"], "prop") == "sparkles"
    assert icons.choose(["Nanuk"], "character", "A young polar bear, curious") == "polar-bear"
    assert icons.choose(["bird"], "character") == "bird" and icons.choose(["fish"], "character") == "fish"
    assert icons.choose(["squirrel"], "character") == "chipmunk"  # not the chestnut its keywords rank first


def icon_alpha(name: str, size: int) -> np.ndarray:
    import skia

    pixels = np.zeros((size, size, 4), np.uint8)
    with skia.Surface(pixels) as canvas:
        icons.draw(canvas, name, 0, 0, size)
    return pixels[..., 3]


def test_icons_draw_crisp_at_any_size() -> None:
    for size in (16, 64, 512):
        assert icon_alpha("penguin", size).max() == 255
    big = icon_alpha("penguin", 512)
    edge = ((big > 0) & (big < 255)).sum() / (big > 0).sum()
    assert edge < 0.03, "a vector icon keeps a thin anti-aliased edge when drawn large"


def test_assign_cast_fills_what_is_empty() -> None:
    b = board([shot("a")]).model_copy(deep=True)
    b.characters[0].visual.scale = 1.0  # as a planner that knows nothing about bears would leave it
    cast = assign_cast(b)
    bear = cast.character("nanuk")
    assert bear.visual.icon == "polar-bear" and bear.visual.scale == pytest.approx(1.4)
    assert bear.seed == stable_seed("nanuk") != 0
    place = cast.location("ice")
    assert place.props == ["iceberg"] and place.seed == 7
    assert assign_cast(cast) == cast, "casting twice changes nothing"
    assert b.character("nanuk").visual.icon is None, "the input board is not modified"


def test_assign_cast_never_overwrites_the_director() -> None:
    data = board([shot("a")]).model_dump()
    data["characters"][0]["visual"].update(icon="dog", scale=3.0, tint="#112233")
    data["characters"][0]["seed"] = 42
    data["locations"][0]["props"] = ["rock"]
    cast = assign_cast(Storyboard.model_validate(data))
    bear = cast.character("nanuk")
    assert (bear.visual.icon, bear.visual.scale, bear.visual.tint, bear.seed) == ("dog", 3.0, "#112233", 42)
    assert cast.location("ice").props == ["rock"]


def test_look_alikes_are_told_apart_by_tint() -> None:
    data = board([shot("a")]).model_dump()
    data["characters"].append({"id": "pip2", "name": "Pop", "visual": {"keywords": ["penguin"]}})
    cast = assign_cast(Storyboard.model_validate(data))
    assert cast.character("pip").visual.tint is None
    assert cast.character("pip2").visual.tint is not None


def test_renderers_read_the_same_identity_from_a_cast_or_uncast_board() -> None:
    b = board([shot("a")])
    assert character_look(b, "pip") == character_look(assign_cast(b), "pip")
    assert location_look(b, "ice") == location_look(assign_cast(b), "ice")


def test_reference_sheets_show_each_character_large(tmp_path: Path) -> None:
    cast = assign_cast(board([shot("a")]))
    sheets = write_reference_sheets(cast, tmp_path / "cast")
    assert set(sheets) == {"nanuk", "pip"}
    for character_id, path in sheets.items():
        assert path == tmp_path / "cast" / f"{character_id}.png"
        picture = np.asarray(Image.open(path).convert("RGB"))
        assert picture.shape == (900, 1600, 3)
        paper = [np.array([246, 243, 236]), np.array([255, 255, 255])]
        drawn = np.min([np.abs(picture.astype(int) - c).sum(axis=2) for c in paper], axis=0) > 40
        assert drawn.mean() > 0.05, "the character should fill a good part of the sheet"
    before = {p: p.stat().st_mtime_ns for p in sheets.values()}
    write_reference_sheets(cast, tmp_path / "cast")
    assert {p: p.stat().st_mtime_ns for p in sheets.values()} == before, "unchanged sheets are not rewritten"
