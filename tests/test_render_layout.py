"""The layout track and the matte pass: every animatic clip has, beside it, where the camera and each
figure are in each of its frames, and the matte pass draws each figure in the flat colour the track
lists, where the track says it is."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from storyagent.media.video import probe, read_frames
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.renderers.layout import Figure, ShotLayout, layout_path
from storyagent.renderers.preview import RenderPass, render_shot
from storyagent.run import catalogue
from storyagent.storyboard import Storyboard
from tests.helpers.animatic_boards import BEAR, PENGUIN, board, shot
from tests.helpers.cli import storyagent

SMALL = ["--resolution", "320x180", "--fps", "12", "--jobs", "2"]
PENGUINS = {"id": "penguins", "name": "The penguins", "visual": {"keywords": ["penguin"], "scale": 0.5, "count": 4}}


def staged(shots: list[dict]) -> Storyboard:
    """Shots on the sea ice with the bear, a penguin and a colony of four penguins."""
    b = board([shot("placeholder")]).model_dump(mode="json")
    b["characters"] = [BEAR, PENGUIN, PENGUINS]
    b["scenes"] = [{"id": "s1", "location": "ice", "shots": shots}]
    return Storyboard.model_validate(b)


def layout_of(b: Storyboard, shot_id: str, frames: int = 24) -> ShotLayout:
    from storyagent.cast import assign_cast

    job = ShotJob(board=assign_cast(b), shot_id=shot_id, frames=frames, width=320, height=180, fps=12)
    return AnimaticRenderer(None).layout(job)


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("film") / "film"
    result = storyagent("make", "a penguin meets a seal", "-o", str(out), "--duration", "12", *SMALL, "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def clips(film_dir: Path) -> list[Path]:
    return sorted((film_dir / "shots").glob("*.mp4"))


def test_every_clip_of_a_made_film_has_its_layout_track_beside_it_frame_for_frame(film: Path) -> None:
    board = Storyboard.load(film / "storyboard.json")
    assert len(clips(film)) == len(list(board.shots()))
    for clip in clips(film):
        layout = ShotLayout.load(layout_path(clip))
        assert clip.name.startswith(f"{layout.shot}.")
        assert (layout.width, layout.height, layout.fps) == (320, 180, 12)
        assert len(layout.frames) == probe(clip).video.frames
        on_screen = {on.character for on in board.shot(layout.shot).characters}
        assert {member.character for member in layout.members} == on_screen
        assert all(len(frame.figures) == len(layout.members) for frame in layout.frames)


def test_a_rerender_keeps_the_layout_of_a_reused_clip_and_renders_a_missing_one_again(film: Path,
                                                                                      tmp_path: Path) -> None:
    copy = tmp_path / "film"
    shutil.copytree(film, copy)
    lost, *kept = clips(copy)
    layout_path(lost).unlink()
    kept_text = {clip: layout_path(clip).read_text() for clip in kept}
    result = storyagent("render", str(copy / "storyboard.json"), *SMALL, "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    last = catalogue.runs(copy)[-1]
    built = {a.name for a in catalogue.artifacts(copy, last.id) if a.kind == "shot" and a.action == "built"}
    assert built == {lost.name.split(".")[0]}
    assert ShotLayout.load(layout_path(lost)).shot == built.pop()
    assert all(layout_path(clip).read_text() == text for clip, text in kept_text.items())


def test_a_character_walking_left_to_right_moves_right_in_its_boxes() -> None:
    walk = [{"character": "nanuk", "motion": "walk", "direction": "left-to-right"}]
    layout = layout_of(staged([shot("walk", "wide", characters=walk, duration=2.0)]), "walk")
    lefts = [frame.figures[0].box[0] for frame in layout.frames]
    assert all(b > a for a, b in itertools.pairwise(lefts))
    assert {frame.figures[0].facing for frame in layout.frames} == {1}
    heads = [frame.figures[0].head for frame in layout.frames]
    assert all(h[0] >= f.box[0] and h[2] <= f.box[2] for h, f in zip(heads, (fr.figures[0] for fr in layout.frames)))


def test_a_group_of_four_lists_four_members_each_with_its_own_matte_colour() -> None:
    layout = layout_of(staged([shot("colony", "wide", characters=[{"character": "penguins"}])]), "colony")
    assert [m.id for m in layout.members] == ["penguins#1", "penguins#2", "penguins#3", "penguins#4"]
    assert {m.character for m in layout.members} == {"penguins"}
    assert len({m.matte_colour for m in layout.members}) == 4 and "#000000" not in {m.matte_colour for m in layout.members}
    assert all([f.id for f in frame.figures] == [m.id for m in layout.members] for frame in layout.frames)
    assert all(f.visible == 1.0 for frame in layout.frames for f in frame.figures)


def test_the_camera_of_each_frame_is_where_the_shot_moves_it() -> None:
    layout = layout_of(staged([shot("truck", "full", "truck-right")]), "truck")
    xs = [frame.camera.centre[0] for frame in layout.frames]
    assert xs[-1] > xs[0] and all(b >= a for a, b in itertools.pairwise(xs))
    dutch = layout_of(staged([shot("dutch", "full", angle="dutch")]), "dutch")
    assert dutch.frames[0].camera.roll == pytest.approx(12.0)


# -- the matte pass -------------------------------------------------------------------------------


def _occluded(figure: Figure, index: int, figures: list[Figure]) -> bool:
    """Whether a figure drawn over this one (nearer, or as near and later) overlaps its box."""
    def overlaps(a: Figure, b: Figure) -> bool:
        return a.box[0] < b.box[2] and b.box[0] < a.box[2] and a.box[1] < b.box[3] and b.box[1] < a.box[3]

    return any(overlaps(figure, other) for i, other in enumerate(figures)
               if other.depth < figure.depth or (other.depth == figure.depth and i > index))


def matte_against_layout(clip: Path) -> int:
    """Check each frame of a matte clip against its layout track; the number of figures whose whole
    box could be compared (fully in frame, nothing in front of it)."""
    layout = ShotLayout.load(layout_path(clip))
    colours = {m.id: np.frombuffer(bytes.fromhex(m.matte_colour[1:]), np.uint8) for m in layout.members}
    palette = {(0, 0, 0), *(tuple(c) for c in colours.values())}
    compared = 0
    count = 0
    for frame, where in zip(read_frames(clip, layout.width, layout.height), layout.frames, strict=False):
        count += 1
        assert {tuple(c) for c in np.unique(frame.reshape(-1, 3), axis=0)} <= palette  # flat colours only
        for index, figure in enumerate(where.figures):
            ys, xs = np.nonzero((frame == colours[figure.id]).all(axis=2))
            if xs.size == 0:
                assert figure.visible < 1 or _occluded(figure, index, where.figures)
                continue
            seen = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            x0, y0, x1, y1 = figure.box
            assert x0 - 2 <= seen[0] and y0 - 2 <= seen[1] and seen[2] <= x1 + 2 and seen[3] <= y1 + 2
            if figure.visible == 1 and not _occluded(figure, index, where.figures):
                assert np.abs(np.subtract(seen, figure.box)).max() <= 2, (figure, seen)
                compared += 1
    assert count == len(layout.frames)
    return compared


@pytest.mark.parametrize(("size", "cast"), [
    ("wide", [{"character": "penguins"}, {"character": "nanuk", "motion": "walk", "direction": "left-to-right"}]),
    ("full", [{"character": "nanuk", "motion": "jump"}, {"character": "pip", "motion": "wave"}]),
    ("close-up", [{"character": "nanuk", "motion": "talk"}]),
])
def test_the_matte_pass_draws_each_figure_in_its_colour_where_the_layout_says(tmp_path: Path, size: str,
                                                                               cast: list[dict]) -> None:
    b = staged([shot("matte", size, characters=cast, duration=1.5)])
    clip = render_shot(b, "matte", tmp_path / "matte.mkv", width=320, height=180, fps=12,
                       render_pass=RenderPass.MATTE)
    compared = matte_against_layout(clip)
    if size != "close-up":  # in a close shot the figure is cut by the frame: only its part in frame is compared
        assert compared >= len(ShotLayout.load(layout_path(clip)).frames)  # a whole box to compare in each frame


def test_render_shot_pass_matte_writes_a_lossless_mkv_and_its_layout(tmp_path: Path) -> None:
    path = tmp_path / "board.json"
    staged([shot("two", "full", characters=[{"character": "nanuk"}, {"character": "pip"}], duration=1.0)]).save(path)
    result = storyagent("render-shot", str(path), "two", "--pass", "matte", "--resolution", "320x180", "--fps", "12",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert probe(tmp_path / "shot.mkv").video.codec == "ffv1"
    assert len(ShotLayout.load(tmp_path / "shot.layout.json").frames) == 12
    refused = storyagent("render-shot", str(path), "two", "--pass", "matte", "-o", "m.mp4", cwd=tmp_path)
    assert refused.returncode != 0 and "mkv" in refused.stderr and "Traceback" not in refused.stderr


def test_a_path_op_skia_gives_up_on_is_measured_by_its_cut_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Met on a director's edit of the default film: skia.Op raised 'Failed to apply op' and the shot failed."""
    import skia

    from storyagent.renderers.animatic import measure

    def gives_up(*args: object) -> skia.Path:
        raise RuntimeError("Failed to apply op")

    monkeypatch.setattr(measure.skia, "Op", gives_up)
    outline = skia.Path.Rect(skia.Rect.MakeLTRB(0, 0, 10, 10))
    found = measure._on_frame(outline, skia.Matrix(), skia.Rect.MakeLTRB(5, -100, 100, 100), skia.Matrix.Scale(2, 2))
    assert (found.left(), found.top(), found.right(), found.bottom()) == (10, 0, 20, 20)
