"""Title and credits cards, the contact sheet and the preview commands, as a
viewer and a director see them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from storyagent.cli import app
from storyagent.edit.cards import credits_frames, title_frames
from storyagent.media.video import probe
from storyagent.renderers.animatic import text
from storyagent.storyboard import Storyboard
from storyagent.timeline import build_timeline
from tests.helpers.animatic_boards import board, shot
from tests.helpers.examples import SOUTH


def small_timeline(b: Storyboard):
    return build_timeline(b, [], width=320, height=180, fps=12, title_seconds=2.0, credits_seconds=3.0)


def test_cards_fade_in_show_text_and_fade_out() -> None:
    b = board([shot("a")])
    timeline = small_timeline(b)
    for frames, seconds in ((list(title_frames(b, timeline)), 2.0), (list(credits_frames(b, timeline)), 3.0)):
        assert len(frames) == round(seconds * 12)
        assert all(f.shape == (180, 320, 3) and f.dtype == np.uint8 for f in frames)
        first, middle, last = (f.astype(float).mean() for f in (frames[0], frames[len(frames) // 2], frames[-1]))
        assert first < middle * 0.6 and last < middle * 0.6, "cards rise from and sink to black"
        assert (frames[len(frames) // 2].min(axis=2) > 230).sum() > 150, "white text on the card"


def test_a_chinese_title_wraps_between_words() -> None:
    title = "小熊猫和爷爷在竹林里寻找丢失的风筝"
    f = text.font(40)
    for width in range(120, 700, 20):
        lines = text.wrap(title, f, width)
        assert "".join(lines) == title
        assert all(word in "|".join(lines) for word in ("小熊猫", "爷爷", "竹林", "寻找", "风筝")), lines


@pytest.mark.parametrize("words", ["All the Way South", "一路向南，冰雪中的朋友", "Nanuk 和 Pip"])
def test_the_bundled_font_covers_latin_and_chinese(words: str) -> None:
    glyphs = text.font(20).textToGlyphs(words)
    assert len(glyphs) == len(words) and all(glyphs), "no character may fall back to an empty box"


def test_chinese_title_card_renders() -> None:
    data = board([shot("a")]).model_dump()
    data.update(title="一路向南", logline="一只小北极熊翻山越海。", language="zh")
    b = Storyboard.model_validate(data)
    frames = list(title_frames(b, small_timeline(b)))
    assert (frames[len(frames) // 2].min(axis=2) > 230).sum() > 150


def test_contact_sheet_has_one_keyframe_per_shot(tmp_path: Path) -> None:
    from storyagent.export.contact_sheet import write_contact_sheet

    b = board([shot(f"s{i}", size) for i, size in enumerate(["wide", "full", "close-up", "medium", "extreme-wide"])])
    written = write_contact_sheet(b, tmp_path / "sheet.png", columns=2, thumb_width=200)
    sheet = np.asarray(Image.open(written["contact_sheet"]).convert("RGB"))
    assert sheet.shape[1] == 24 + 2 * (200 + 24)
    rows = 3
    assert sheet.shape[0] > rows * (112 + 112)
    # Each keyframe is a picture, not the paper: a column of cells holds colour.
    thumbs = sheet[110:110 + 112, 24:224]
    assert thumbs.std() > 10


def test_render_shot_command_writes_a_clip(tmp_path: Path) -> None:
    b = board([shot("walk", "wide", "pan-right", characters=[{"character": "nanuk", "motion": "walk"}], duration=1.5)])
    path = b.save(tmp_path / "storyboard.json")
    clip = tmp_path / "walk.mp4"
    result = CliRunner().invoke(app, ["render-shot", str(path), "walk", "-o", str(clip), "--resolution", "320x180",
                                      "--fps", "12"])
    assert result.exit_code == 0, result.output
    info = probe(clip)
    assert (info.width, info.height) == (320, 180)
    assert info.duration == pytest.approx(1.5, abs=0.1)
    assert path.read_text(encoding="utf-8") == b.to_json(), "previewing never rewrites the storyboard"


def test_render_shot_names_an_unknown_shot(tmp_path: Path) -> None:
    from storyagent.errors import StoryboardError
    from storyagent.renderers.preview import render_shot

    b = board([shot("north-1")])
    with pytest.raises(StoryboardError, match="did you mean 'north-1'"):
        render_shot(b, "nort-1", tmp_path / "x.mp4")


@pytest.mark.skipif(not SOUTH.is_file(), reason="the example storyboard is not there")
def test_contact_sheet_command_on_the_example(tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(app, ["contact-sheet", str(SOUTH), "-o", str(out)])
    assert result.exit_code == 0, result.output
    shots = len(Storyboard.load(SOUTH).shots())
    sheet = Image.open(out)
    assert sheet.width == 24 + 4 * (416 + 24) and sheet.height > -(-shots // 4) * 234
