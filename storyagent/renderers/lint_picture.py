"""Lint with the picture: what the staged shots show, read from their layout tracks (`renderers.layout`),
against what the storyboard asks and the framing table (`renderers.framing`).

Each rule takes the storyboard and the shots' layouts by shot id (a shot without one is not judged) and
yields `LintIssue`s as the storyboard lint does; `lint_picture` runs the storyboard lint (acting fallbacks
among it) and then these, for `storyagent lint --render`. The rules read the table, never the camera's
aim, so they hold whatever way a camera meets it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from statistics import median

from storyagent.planners.lint import OPPOSITE, LintIssue, lint
from storyagent.renderers import framing
from storyagent.renderers.framing import Body, Measure, Row
from storyagent.renderers.layout import Figure, Member, ShotLayout
from storyagent.storyboard import NARRATOR, OnScreen, ScreenDirection, Shot, ShotSize, Storyboard
from storyagent.storyboard.acting import Performance, performance

Layouts = Mapping[str, ShotLayout]
PictureRule = Callable[[Storyboard, Layouts], Iterator[LintIssue]]

SEEN = 0.05  # a member is on screen when this share of its figure is in frame, or its figure fills this share of it
OFF_SCREEN = 0.5  # off screen for at least this share of the shot's frames is off screen for most of it
MEETS = 0.9  # the subject meets its size row in at least this share of the shot's frames
INTERACTIONS = {Performance.GREET, Performance.HUG, Performance.TALK, Performance.PLAY, Performance.WAVE}
# Acts that turn the head about, and ways of going that turn the body to or from us: shown in the shot before a
# cut or after it, they let the cut find a character facing the other way.
TURNING = {Performance.LOOK, Performance.SEARCH, Performance.PLAY, Performance.DANCE}
TURNING_DIRECTIONS = {ScreenDirection.TOWARD_CAMERA, ScreenDirection.AWAY_FROM_CAMERA}
SIDE = {1: "screen right", -1: "screen left"}


def subject(shot: Shot) -> str | None:
    """The character the camera frames: `camera.subject` if it is in the shot, else the first on screen."""
    on_screen = [on.character for on in shot.characters]
    if shot.camera.subject in on_screen:
        return shot.camera.subject
    return on_screen[0] if on_screen else None


# -- a character off screen --------------------------------------------------------------------


def characters_on_screen(board: Storyboard, layouts: Layouts) -> Iterator[LintIssue]:
    """Every character a shot lists is seen: at medium and wider with its head in frame; closer, only the
    subject must be in frame (at least in part: a close-up is not a whole figure)."""
    for shot in board.shots():
        layout = layouts.get(shot.id)
        if layout is None or not layout.frames:
            continue
        wide = shot.camera.size in framing.GROUP_SIZES  # closer, a shot may leave all but its subject out
        for character in dict.fromkeys(on.character for on in shot.characters):
            if not wide and character != subject(shot):
                continue
            members = _indices(layout, character)
            missing = sum(not any(_on_screen(frame.figures[i], layout)
                                  and (not wide or _head_shown(frame.figures[i], layout.members[i].body, layout))
                                  for i in members)
                          for frame in layout.frames)
            share = missing / len(layout.frames)
            how = "with its head in frame" if wide else "in frame"
            if share == 1:
                yield LintIssue(level="error", code="off-screen", shot=shot.id,
                                message=f"'{character}' is off screen for the whole shot (never {how}); frame "
                                        "everyone the shot lists, or take it out of the shot")
            elif share >= OFF_SCREEN:
                yield LintIssue(level="warning", code="off-screen", shot=shot.id,
                                message=f"'{character}' is off screen for {_percent(share)} of the shot (not {how}); "
                                        "frame everyone the shot lists")


def _indices(layout: ShotLayout, character: str) -> list[int]:
    """Where a character's members (one, or each of its group) are in each frame's `figures`."""
    return [i for i, member in enumerate(layout.members) if member.character == character]


def _on_screen(figure: Figure, layout: ShotLayout) -> bool:
    """Enough of a member is in frame; a figure far larger than the frame (an extreme close-up) counts by how
    much of the frame it fills."""
    x0, y0, x1, y1 = figure.box
    width, height = layout.width, layout.height
    covered = max(min(x1, width) - max(x0, 0), 0) * max(min(y1, height) - max(y0, 0), 0) / (width * height)
    return figure.visible >= SEEN or covered >= SEEN


def _head_shown(figure: Figure, body: Body, layout: ShotLayout) -> bool:
    """Its head in frame (for a figure that is all head, the upper half the layout calls its head)."""
    return _measure(figure, layout).head_in_frame


def _measure(figure: Figure, layout: ShotLayout) -> Measure:
    return framing.measure(figure.box, figure.head, layout.width, layout.height)


# -- a size that does not meet its row ---------------------------------------------------------


def sizes_meet_rows(board: Storyboard, layouts: Layouts) -> Iterator[LintIssue]:
    """The subject meets its size's row of the framing table in nine frames of ten; a shot of two or more
    figures at a group size is judged as a group shot (every head in frame, the tallest in its row)."""
    for shot in board.shots():
        layout = layouts.get(shot.id)
        who = subject(shot)
        if layout is None or not layout.frames or who is None:
            continue
        if framing.is_group(shot.camera.size, len(layout.members)):
            message = _group_miss(shot.camera.size, layout)
        else:
            message = _subject_miss(shot.camera.size, layout, who)
        if message:
            yield LintIssue(level="warning", code="size-off-row", shot=shot.id, message=message)


@dataclass(frozen=True)
class Miss:
    """The part of a row a figure missed most often: what was measured in the frames that missed it."""

    frames: int
    measured: str
    wanted: str


def _subject_miss(size: ShotSize, layout: ShotLayout, who: str) -> str | None:
    """What the subject's front member (a group's first) measured, if it meets its row in too few frames."""
    index = next(iter(_indices(layout, who)), None)
    if index is None:  # not staged at all: the off-screen rule says so
        return None
    member = layout.members[index]
    wanted = framing.row(size, member.body)
    if wanted is None:  # an insert: where it falls on the figure is the shot's choice
        return None
    found = [_measure(frame.figures[index], layout) for frame in layout.frames]
    met = sum(framing.meets(measure, wanted) for measure in found)
    if met >= MEETS * len(found):
        return None
    miss = _main_miss(found, wanted)
    return (f"{size}: {member.id} {miss.measured} in {_percent(miss.frames / len(found))} of frames; the row wants "
            f"{miss.wanted} (met in {_percent(met / len(found))} of frames)")


def _main_miss(found: list[Measure], wanted: Row) -> Miss:
    """Of a row's ranges and must-be-in-frames, the one the most frames miss, and what they measured for it.
    Each part is judged by `framing.meets` on a row holding that part alone."""
    misses = []
    for part in _parts(wanted):
        missed = [measure for measure in found if not framing.meets(measure, part.row)]
        if missed:
            misses.append(Miss(len(missed), part.measured(missed), part.wanted))
    return max(misses, key=lambda miss: miss.frames)  # a frame that misses the row misses one of its parts


@dataclass(frozen=True)
class Part:
    row: Row  # the row with this part alone
    measured: Callable[[list[Measure]], str]
    wanted: str


RANGES = {"tall": ("the figure {} of the frame height", "figure {} of the frame height"),
          "shown": ("{} of the figure shown", "shown {}"),
          "head": ("the head {} of the frame height", "head {} of the frame height")}
IN_FRAME = {"whole": ("the whole figure in frame", "cut by the frame edge"),
            "head_in_frame": ("the head in frame", "head out of frame"),
            "head_in_top_third": ("the head in the top third", "head out of the top third"),
            "top_in_frame": ("its top in frame", "top out of frame")}


def _parts(wanted: Row) -> list[Part]:
    alone = replace(wanted, tall=None, shown=None, head=None, whole=False, head_in_frame=False,
                    head_in_top_third=False, top_in_frame=False)
    parts = []
    for name, (want, got) in RANGES.items():
        span = getattr(wanted, name)
        if span is not None:
            parts.append(Part(replace(alone, **{name: span}), _told(name, got, span), want.format(_span(span))))
    for name, (want, got) in IN_FRAME.items():
        if getattr(wanted, name):
            parts.append(Part(replace(alone, **{name: True}), lambda _, got=got: got, want))
    return parts


def _told(name: str, got: str, span: tuple[float, float]) -> Callable[[list[Measure]], str]:
    """A measure over the frames that miss its range, in words: their median, or their extremes when some are
    under the range and some over; 'shown 100 % (whole)' when nothing is cut."""
    def told(missed: list[Measure]) -> str:
        values = [getattr(measure, name) for measure in missed]
        both_sides = min(values) < span[0] and max(values) > span[1]
        value = (f"{_near(min(values), span)}–{_near(max(values), span)}" if both_sides
                 else _near(median(values), span)) + " %"
        whole = name == "shown" and not both_sides and sum(measure.whole for measure in missed) * 2 > len(missed)
        return got.format(value) + (" (whole)" if whole else "")
    return told


def _group_miss(size: ShotSize, layout: ShotLayout) -> str | None:
    """A group shot that misses `framing.group_meets` in too many frames: which of its demands most of those
    frames miss, naming the member that misses it most often."""
    frames = [list(zip(layout.members, (_measure(figure, layout) for figure in frame.figures)))
              for frame in layout.frames]
    missing = [figures for figures in frames if not framing.group_meets(size, [(m.body, x) for m, x in figures])]
    if len(missing) <= (1 - MEETS) * len(frames):
        return None
    reasons = [_most_often(missing, lambda x: not x.head_in_frame, "{}'s head out of frame", "every head in frame")]
    if size != ShotSize.MEDIUM_WIDE:  # a medium-wide cuts its figures at the legs
        reasons.append(_most_often(missing, lambda x: not x.whole, "{} cut by the frame edge",
                                   "every figure whole in frame"))
    reasons.append(_tallest_off(size, missing))
    # Of demands missed as often, the first: a figure cut by the edge is told as cut, not as off its row.
    miss = max((reason for reason in reasons if reason), key=lambda reason: reason.frames)
    return (f"{size}, a group shot: {miss.measured} in {_percent(miss.frames / len(frames))} of frames; it wants "
            f"{miss.wanted} (met in {_percent(1 - len(missing) / len(frames))} of frames)")


Staged = list[tuple[Member, Measure]]  # every member of a shot as measured in one frame


def _most_often(missing: list[Staged], fails: Callable[[Measure], bool], measured: str, wanted: str) -> Miss | None:
    frames = [figures for figures in missing if any(fails(x) for _, x in figures)]
    if not frames:
        return None
    who = Counter(m.id for figures in frames for m, x in figures if fails(x)).most_common(1)[0][0]
    return Miss(len(frames), measured.format(who), wanted)


def _tallest_off(size: ShotSize, missing: list[Staged]) -> Miss | None:
    """The tallest member in neither its size's row nor the ones up to GROUP_STEPS wider."""
    sizes = list(dict.fromkeys(framing.wider(size, steps) for steps in range(framing.GROUP_STEPS + 1)))
    tallest = [max(figures, key=lambda item: item[1].tall) for figures in missing]
    off = [(m, x) for m, x in tallest if not any(framing.meets(x, framing.row(s, m.body)) for s in sizes)]
    if not off:
        return None
    who, body = Counter((m.id, m.body) for m, _ in off).most_common(1)[0][0]
    found = [x for m, x in off if m.id == who]
    measured = ", ".join(dict.fromkeys(_main_miss(found, framing.row(s, body)).measured for s in sizes))
    rows = " or ".join(f"{s} ({framing.row(s, body).meaning})" for s in sizes)
    return Miss(len(off), f"the tallest, {who}, {measured}", f"the tallest at {rows}")


# -- an interaction told in an extreme-wide ----------------------------------------------------


def interactions_not_extreme_wide(board: Storyboard, layouts: Layouts) -> Iterator[LintIssue]:
    """A greeting, a hug, talk, play, a wave or a character's line cannot be read on figures that are specks."""
    tallest = framing.row(ShotSize.EXTREME_WIDE, Body.UPRIGHT).tall[1]
    for shot in board.shots():
        if shot.camera.size != ShotSize.EXTREME_WIDE:
            continue
        told = [f"'{on.character}' ({performance(on)})" for on in shot.characters if performance(on) in INTERACTIONS]
        told += [f"'{speaker}' (a line)" for speaker in dict.fromkeys(line.speaker for line in shot.lines)
                 if speaker != NARRATOR]
        if told:
            yield LintIssue(level="warning", code="interaction-too-wide", shot=shot.id,
                            message=f"{', '.join(told)} cannot be read in an extreme-wide, where a figure is at most "
                                    f"{_percent(tallest)} of the frame height; tell it in a full, medium or closer "
                                    "shot")


# -- a facing flipped across a cut -------------------------------------------------------------


@dataclass(frozen=True)
class LastSeen:
    """How a character last looked in a scene: the shot, its facing when last on screen, what it did."""

    shot: str
    facing: int
    on: OnScreen


def facing_kept(board: Storyboard, layouts: Layouts) -> Iterator[LintIssue]:
    """Within a scene, a character faces at the start of a shot the way it faced at the end of the last shot
    that showed it, unless one of them shows it turn (a look around, play, a dance, going toward or away from
    the camera). A flip the storyboard's directions ask for is the storyboard lint's `screen-direction-flip`."""
    for scene in board.scenes:
        last: dict[str, LastSeen] = {}
        for shot in scene.shots:
            layout = layouts.get(shot.id)
            if layout is None:
                continue
            for on in shot.characters:
                facings = _facings(layout, on.character)
                if not facings:
                    continue
                before = last.get(on.character)
                if before is not None and before.facing != facings[0] and not _turn_shown(before.on, on):
                    yield LintIssue(level="warning", code="facing-flip", shot=shot.id,
                                    message=f"'{on.character}' faces {SIDE[facings[0]]} at the start, but "
                                            f"{SIDE[before.facing]} at the end of shot {before.shot}, with no turn "
                                            "between (180-degree rule); keep its facing, or show it turn")
                last[on.character] = LastSeen(shot.id, facings[-1], on)


def _facings(layout: ShotLayout, character: str) -> list[int]:
    """The character's facing in each frame it is on screen, as its front-most member on screen faces."""
    members = _indices(layout, character)
    facings = []
    for frame in layout.frames:
        shown = [frame.figures[i] for i in members if _on_screen(frame.figures[i], layout)]
        if shown:
            facings.append(shown[0].facing)
    return facings


def _turn_shown(before: OnScreen, after: OnScreen) -> bool:
    stated = OPPOSITE.get(before.direction) == after.direction
    turning = {performance(before), performance(after)} & TURNING
    return stated or bool(turning) or bool({before.direction, after.direction} & TURNING_DIRECTIONS)


# -- all of them -------------------------------------------------------------------------------

PICTURE_RULES: list[PictureRule] = [characters_on_screen, sizes_meet_rows, interactions_not_extreme_wide,
                                    facing_kept]


def lint_picture(board: Storyboard, layouts: Layouts) -> list[LintIssue]:
    """The storyboard lint's issues, then the picture's shot by shot; errors first."""
    order = {shot.id: i for i, shot in enumerate(board.shots())}
    seen = sorted((issue for rule in PICTURE_RULES for issue in rule(board, layouts)),
                  key=lambda issue: order.get(issue.shot, -1))
    return sorted(lint(board) + seen, key=lambda issue: issue.level != "error")


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _near(share: float, span: tuple[float, float]) -> str:
    """A share in percent, with a decimal when whole percents would put it on a bound of `span` it misses."""
    whole = f"{share * 100:.0f}"
    return f"{share * 100:.1f}" if whole in (f"{span[0] * 100:.0f}", f"{span[1] * 100:.0f}") else whole


def _span(span: tuple[float, float]) -> str:
    low, high = span
    return f"at most {_percent(high)}" if low <= 0 else f"{low * 100:.0f}–{_percent(high)}"
