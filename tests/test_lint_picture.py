"""Lint with the picture: each rule on small hand-built layout tracks, once finding and once not; where the
layouts come from (the film's own beside its current clip, else measured afresh); `storyagent lint --render`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from storyagent import cache
from storyagent.cast import assign_cast
from storyagent.planners import plan
from storyagent.renderers import framing
from storyagent.renderers.framing import Body
from storyagent.renderers.layout import Box, Camera, Figure, Frame, Member, ShotLayout, layout_path
from storyagent.renderers.lint_picture import (
    characters_on_screen,
    facing_kept,
    interactions_not_extreme_wide,
    lint_picture,
    sizes_meet_rows,
)
from storyagent.run import stages
from storyagent.run.options import RunOptions
from storyagent.run.picture import film_layouts
from storyagent.storyboard import ShotSize, Storyboard
from storyagent.timeline import build_timeline
from tests.helpers.animatic_boards import board, shot
from tests.helpers.cli import storyagent

W, H = 320, 180
CAMERA = Camera(centre=(0.0, -0.5), zoom=1.0, roll=0.0, pixels_per_unit=100.0)
BOTH = [{"character": "nanuk"}, {"character": "pip"}]


# -- layouts by hand -------------------------------------------------------------------------------


def member(member_id: str, body: Body = Body.UPRIGHT) -> Member:
    return Member(id=member_id, character=member_id.split("#")[0], body=body, matte_colour="#ff0000")


def figure(member_id: str, box: Box, *, facing: int = 1, head: Box | None = None) -> Figure:
    """A figure whose head is the top 40 % of its box, unless given."""
    x0, y0, x1, y1 = box
    inside = max(min(x1, W) - max(x0, 0), 0) * max(min(y1, H) - max(y0, 0), 0)
    return Figure(id=member_id, box=box, head=head or (x0, y0, x1, y0 + 0.4 * (y1 - y0)), facing=facing, depth=0.0,
                  visible=inside / ((x1 - x0) * (y1 - y0)))


def track(shot_id: str, members: list[Member], frames: list[list[Figure]]) -> ShotLayout:
    return ShotLayout(shot=shot_id, fps=10, width=W, height=H, members=members,
                      frames=[Frame(camera=CAMERA, figures=figures) for figures in frames])


def standing(tall: float, x: float = 100.0, bottom: float = 170.0) -> Box:
    """An upright figure `tall` of the frame height, its feet at `bottom`, as wide as half its height."""
    height = tall * H
    return (x, bottom - height, x + height / 2, bottom)


def cut_at(shown: float, x: float = 100.0, top: float = 10.0) -> Box:
    """A figure whose top is at `top` and of which the frame shows `shown` of its height."""
    height = (H - top) / shown
    return (x, top, x + height / 3, top + height)


OUT = (-400.0, 40.0, -340.0, 160.0)  # a figure wholly past the frame's left edge


def one_shot(size: str, characters: list[dict[str, Any]] | None = None, **extra: Any) -> Storyboard:
    s = shot("a", size, characters=characters) | extra
    return board([s])


def codes(issues) -> list[str]:
    return [issue.code for issue in issues]


# -- a character off screen ------------------------------------------------------------------------


def test_a_partner_never_in_frame_of_a_wide_shot_is_an_error() -> None:
    layout = track("a", [member("nanuk"), member("pip")], [[figure("nanuk", standing(0.3)), figure("pip", OUT)]] * 10)
    issues = list(characters_on_screen(one_shot("wide", BOTH), {"a": layout}))
    assert [(i.level, i.code, i.shot) for i in issues] == [("error", "off-screen", "a")]
    assert "'pip'" in issues[0].message and "whole shot" in issues[0].message


def test_a_partner_off_screen_for_most_of_the_shot_is_a_warning() -> None:
    seen = [figure("nanuk", standing(0.3)), figure("pip", standing(0.2, x=200))]
    gone = [figure("nanuk", standing(0.3)), figure("pip", OUT)]
    layout = track("a", [member("nanuk"), member("pip")], [seen] * 4 + [gone] * 6)
    issues = list(characters_on_screen(one_shot("wide", BOTH), {"a": layout}))
    assert [(i.level, i.code) for i in issues] == [("warning", "off-screen")]
    assert "60 %" in issues[0].message


def test_a_head_cut_by_the_frame_in_a_medium_or_wider_shot_is_off_screen() -> None:
    beheaded = figure("pip", (200.0, -60.0, 260.0, 120.0))  # its body in frame, its head above the frame
    layout = track("a", [member("nanuk"), member("pip")], [[figure("nanuk", standing(0.8)), beheaded]] * 10)
    assert codes(characters_on_screen(one_shot("full", BOTH), {"a": layout})) == ["off-screen"]


def test_everyone_in_frame_is_no_issue() -> None:
    frames = [[figure("nanuk", standing(0.3)), figure("pip", standing(0.2, x=200))]] * 10
    layout = track("a", [member("nanuk"), member("pip")], frames)
    assert list(characters_on_screen(one_shot("wide", BOTH), {"a": layout})) == []


def test_a_close_shot_may_leave_the_partner_out_but_not_its_subject() -> None:
    close = [figure("nanuk", (60.0, -40.0, 260.0, 400.0), head=(60.0, -20.0, 260.0, 170.0)), figure("pip", OUT)]
    layout = track("a", [member("nanuk"), member("pip")], [close] * 10)
    assert list(characters_on_screen(one_shot("close-up", BOTH), {"a": layout})) == []
    gone = track("a", [member("nanuk"), member("pip")], [[figure("nanuk", OUT), figure("pip", OUT)]] * 10)
    assert codes(characters_on_screen(one_shot("close-up", BOTH), {"a": gone})) == ["off-screen"]


def test_a_figure_far_larger_than_the_frame_is_on_screen() -> None:
    huge = figure("nanuk", (-900.0, -700.0, 1200.0, 2000.0))  # an extreme close-up: a sliver of it fills the frame
    assert huge.visible < 0.05
    layout = track("a", [member("nanuk")], [[huge]] * 10)
    assert list(characters_on_screen(one_shot("extreme-close-up"), {"a": layout})) == []


def test_an_all_head_figure_cut_by_a_medium_shot_is_on_screen_with_its_head_its_upper_part_in_frame() -> None:
    octopus = figure("nanuk", cut_at(0.7))  # its head box is its upper part, in frame
    layout = track("a", [member("nanuk", Body.ALL_HEAD)], [[octopus]] * 10)
    assert list(characters_on_screen(one_shot("medium"), {"a": layout})) == []


# -- a size that does not meet its row ---------------------------------------------------------------


def test_a_figure_in_its_row_meets_it() -> None:
    full = framing.row(ShotSize.FULL, Body.UPRIGHT).tall
    layout = track("a", [member("nanuk")], [[figure("nanuk", standing(sum(full) / 2))]] * 10)
    assert list(sizes_meet_rows(one_shot("full"), {"a": layout})) == []


def test_a_medium_wide_that_shows_the_whole_figure_says_what_it_measured() -> None:
    low, high = framing.row(ShotSize.MEDIUM_WIDE, Body.UPRIGHT).shown
    right = figure("nanuk", cut_at((low + high) / 2))
    whole = figure("nanuk", standing(0.8))
    layout = track("a", [member("nanuk")], [[right]] * 2 + [[whole]] * 8)
    issues = list(sizes_meet_rows(one_shot("medium-wide"), {"a": layout}))
    assert [(i.level, i.code, i.shot) for i in issues] == [("warning", "size-off-row", "a")]
    assert issues[0].message == (f"medium-wide: nanuk shown 100 % (whole) in 80 % of frames; the row wants "
                                 f"{low * 100:.0f}–{high * 100:.0f} % of the figure shown (met in 20 % of frames)")


def test_nine_frames_of_ten_in_the_row_are_enough() -> None:
    full = framing.row(ShotSize.FULL, Body.UPRIGHT).tall
    frames = [[figure("nanuk", standing(sum(full) / 2))]] * 9 + [[figure("nanuk", standing(0.3))]]
    assert list(sizes_meet_rows(one_shot("full"), {"a": track("a", [member("nanuk")], frames)})) == []


def test_the_subject_named_by_the_camera_is_measured() -> None:
    full = framing.row(ShotSize.FULL, Body.UPRIGHT).tall
    frames = [[figure("nanuk", standing(0.3)), figure("pip", standing(sum(full) / 2, x=200))]] * 10
    b = one_shot("medium-close-up", BOTH)  # not a group size: the subject alone is judged
    b.shot("a").camera.subject = "pip"
    issues = list(sizes_meet_rows(b, {"a": track("a", [member("nanuk"), member("pip")], frames)}))
    assert len(issues) == 1 and issues[0].message.startswith("medium-close-up: pip ")


def test_a_group_shot_wants_every_head_in_frame() -> None:
    full = sum(framing.row(ShotSize.FULL, Body.UPRIGHT).tall) / 2
    bear = figure("nanuk", standing(full, x=40))
    pips = [figure("pip", standing(0.4, x=x)) for x in (200, 290)]  # the second reaches past the right edge
    members = [member("nanuk"), member("pip")]
    assert list(sizes_meet_rows(one_shot("full", BOTH), {"a": track("a", members, [[bear, pips[0]]] * 10)})) == []
    issues = list(sizes_meet_rows(one_shot("full", BOTH), {"a": track("a", members, [[bear, pips[1]]] * 10)}))
    assert len(issues) == 1
    assert issues[0].message.startswith("full, a group shot: pip's head out of frame in 100 % of frames")


def test_a_group_shot_may_frame_its_tallest_one_size_wider() -> None:
    extreme = framing.row(ShotSize.EXTREME_WIDE, Body.UPRIGHT).tall[1] * 0.8
    frames = [[figure("nanuk", standing(extreme, x=100)), figure("pip", standing(extreme * 0.5, x=200))]] * 10
    members = [member("nanuk"), member("pip")]
    assert list(sizes_meet_rows(one_shot("wide", BOTH), {"a": track("a", members, frames)})) == []
    alone = track("a", [member("nanuk")], [[figures[0]] for figures in frames])
    assert codes(sizes_meet_rows(one_shot("wide"), {"a": alone})) == ["size-off-row"]


def test_an_insert_is_not_measured() -> None:
    layout = track("a", [member("nanuk")], [[figure("nanuk", standing(0.3))]] * 10)
    assert list(sizes_meet_rows(one_shot("insert"), {"a": layout})) == []


# -- an interaction told in an extreme-wide ----------------------------------------------------------


@pytest.mark.parametrize("action", ["waves hello", "hugs", "greets the penguin", "plays", "talks"])
def test_an_interaction_in_an_extreme_wide_cannot_be_read(action: str) -> None:
    b = one_shot("extreme-wide", [{"character": "nanuk", "action": action}, {"character": "pip"}])
    issues = list(interactions_not_extreme_wide(b, {}))
    assert [(i.level, i.code, i.shot) for i in issues] == [("warning", "interaction-too-wide", "a")]
    assert "'nanuk'" in issues[0].message


def test_a_characters_line_in_an_extreme_wide_cannot_be_read() -> None:
    b = one_shot("extreme-wide", lines=[{"speaker": "pip", "text": "Hello!"}])
    assert codes(interactions_not_extreme_wide(b, {})) == ["interaction-too-wide"]


def test_a_journey_told_in_an_extreme_wide_or_a_wave_in_a_full_shot_is_fine() -> None:
    journey = one_shot("extreme-wide", [{"character": "nanuk", "action": "walks", "motion": "walk"}],
                       lines=[{"speaker": "narrator", "text": "He walked on."}])
    wave = one_shot("full", [{"character": "nanuk", "action": "waves hello"}])
    assert list(interactions_not_extreme_wide(journey, {})) == []
    assert list(interactions_not_extreme_wide(wave, {})) == []


# -- a facing flipped across a cut ---------------------------------------------------------------------


def two_shots(first: dict[str, Any], second: dict[str, Any], *, scenes: int = 1) -> Storyboard:
    a, b = shot("a", "full", characters=[{"character": "nanuk"} | first]), shot("b", "medium-wide",
                                                                              characters=[{"character": "nanuk"} | second])
    if scenes == 1:
        return board([a, b])
    return board([], scenes=[{"id": "s1", "location": "ice", "shots": [a]}, {"id": "s2", "location": "ice", "shots": [b]}])


def facing_track(shot_id: str, *facings: int) -> ShotLayout:
    return track(shot_id, [member("nanuk")], [[figure("nanuk", standing(0.6), facing=f)] for f in facings])


FLIPPED = {"a": facing_track("a", 1, 1, 1), "b": facing_track("b", -1, -1, -1)}


def test_a_facing_flipped_across_a_cut_without_a_turn_is_found() -> None:
    issues = list(facing_kept(two_shots({}, {}), FLIPPED))
    assert [(i.level, i.code, i.shot) for i in issues] == [("warning", "facing-flip", "b")]
    assert "screen left at the start, but screen right at the end of shot a" in issues[0].message


def test_a_kept_facing_is_fine() -> None:
    kept = {"a": facing_track("a", 1, 1, 1), "b": facing_track("b", 1, 1, 1)}
    assert list(facing_kept(two_shots({}, {}), kept)) == []


def test_the_facing_at_the_end_of_the_shot_is_the_one_that_counts() -> None:
    turned = {"a": facing_track("a", 1, 1, -1), "b": facing_track("b", -1, -1, -1)}
    assert list(facing_kept(two_shots({}, {}), turned)) == []


@pytest.mark.parametrize("first, second", [
    ({}, {"action": "looks around", "motion": "look"}),
    ({"action": "searches", "motion": "walk"}, {}),
    ({}, {"direction": "toward-camera"}),
])
def test_a_turn_shown_on_either_side_of_the_cut_allows_the_flip(first: dict, second: dict) -> None:
    assert list(facing_kept(two_shots(first, second), FLIPPED)) == []


def test_a_flip_the_storyboard_asks_for_is_left_to_the_storyboard_lint() -> None:
    asked = two_shots({"direction": "left-to-right"}, {"direction": "right-to-left"})
    assert list(facing_kept(asked, FLIPPED)) == []
    assert "screen-direction-flip" in codes(lint_picture(asked, FLIPPED))


def test_a_new_scene_may_face_either_way() -> None:
    assert list(facing_kept(two_shots({}, {}, scenes=2), FLIPPED)) == []


# -- all of it -------------------------------------------------------------------------------------------


def test_lint_with_the_picture_has_the_storyboard_lint_and_its_acting_fallbacks_errors_first() -> None:
    b = one_shot("wide", [{"character": "nanuk", "action": "juggles"}, {"character": "pip"}])
    layout = track("a", [member("nanuk"), member("pip")], [[figure("nanuk", standing(0.3)), figure("pip", OUT)]] * 10)
    issues = lint_picture(b, {"a": layout})
    assert {"acting-fallback", "off-screen"} <= set(codes(issues))
    levels = [issue.level for issue in issues]
    assert levels == sorted(levels, key=lambda level: level != "error")


# -- where the layouts come from -----------------------------------------------------------------------


def small_board() -> Storyboard:
    b = board([shot("a", "full", duration=1.0), shot("b", "medium", duration=1.5)])
    b.render.width, b.render.height, b.render.fps = W, H, 12
    return b


def test_without_a_film_each_layout_is_measured_at_the_storyboards_render_settings(tmp_path: Path) -> None:
    progress = []
    found = film_layouts(small_board(), tmp_path, lambda done, total: progress.append((done, total)))
    assert found.cached == [] and (found.width, found.height, found.fps) == (W, H, 12)
    assert {shot_id: len(layout.frames) for shot_id, layout in found.layouts.items()} == {"a": 12, "b": 18}
    assert progress == [(1, 2), (2, 2)]
    assert list(tmp_path.iterdir()) == []  # linting writes nothing


def test_the_layout_beside_a_current_clip_is_read_and_a_stale_one_is_not(tmp_path: Path) -> None:
    b = small_board()
    timeline = build_timeline(assign_cast(b), [], fps=12, width=W, height=H)
    (tmp_path / cache.TIMELINE).write_text(timeline.model_dump_json(), encoding="utf-8")
    key = stages.shot_key(assign_cast(b), timeline, "a", RunOptions(), tmp_path)
    mark = facing_track("a", -1, -1)  # not what the animatic would measure: so it is known when read
    cache.seal(mark.save(layout_path(tmp_path / cache.SHOTS / f"a.{key}.mp4")))
    cache.seal(mark.save(layout_path(tmp_path / cache.SHOTS / "b.0123456789abcdef0123.mp4")))
    found = film_layouts(b, tmp_path)
    assert found.cached == ["a"] and found.layouts["a"] == mark
    assert len(found.layouts["b"].frames) == timeline.frames(timeline.shot("b").duration)


# -- the command line ------------------------------------------------------------------------------------

LINE = re.compile(r"^(error|warning) (shot \S+: )?.+ \([a-z-]+\)$")


@pytest.fixture(scope="module")
def planned_film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = plan("a fox and a rabbit become friends", duration=15)
    b.render.width, b.render.height, b.render.fps = W, H, 12
    path = tmp_path_factory.mktemp("film") / "storyboard.json"
    b.save(path)
    return path


def test_lint_render_prints_issues_as_lint_does_and_fails_on_errors(planned_film: Path) -> None:
    result = storyagent("lint", "--render", str(planned_film))
    lines = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines[:-1]), lines
    errors = sum(line.startswith("error") for line in lines[:-1])
    assert lines[-1] == f"{planned_film}: {errors} error(s), {len(lines) - 1 - errors} warning(s)"
    assert result.returncode == (1 if errors else 0)
    assert f"measured at {W}x{H}, 12 fps" in result.stderr and "Traceback" not in result.stderr
    found = json.loads(storyagent("lint", "--render", "--json", str(planned_film)).stdout)
    assert [issue["code"] for issue in found] == [re.search(r"\(([a-z-]+)\)$", line)[1] for line in lines[:-1]]


def test_lint_help_explains_render() -> None:
    result = storyagent("lint", "--help")
    assert "--render" in result.stdout and "layout track" in result.stdout
