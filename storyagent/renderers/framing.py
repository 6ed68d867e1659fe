"""What each shot size means, in terms measured on a layout track: the one table the camera aims by, and
lint and the tests check the picture against.

A figure is measured in one frame by
- `tall`: its height as a share of the frame height (whether or not all of it is in frame),
- `shown`: the share of its height, from its top, above the frame's bottom edge (where the frame cuts it),
- `head`: its head's height as a share of the frame height,
and by what of it is in frame. Our figures are drawn with a cartoon's proportions: a body under an emoji
head about half its height (`upright`: people, robots; `four-legs`: mammals, the head at the front of a
body on four legs), or one emoji that is all of it (`all-head`: a bird, a fish, an octopus, a snowman).
So the cuts a cinematographer names for a real person (the knee, the waist, the chest) are given as the
share of *these* figures the frame keeps, and the close sizes by how much of the frame the head fills.
An all-head figure has no body to cut: its close sizes keep its top outline in frame, centred, so its
features (which an emoji draws in its upper half) are seen inside a recognisable shape, never as a field
of one colour.

A group shot (two or more characters, or a group, at `medium` or wider) frames everyone: every head in
frame (every figure whole at `full` and wider), and the tallest member in its size row or up to two wider
(two long animals face to face at medium-wide are whole only in a wide).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from storyagent.storyboard import ShotSize

Box = tuple[float, float, float, float]
Span = tuple[float, float]


class Body(StrEnum):
    UPRIGHT = "upright"  # a body on two legs under an emoji head (head ~0.46 of the height)
    FOUR_LEGS = "four-legs"  # a body on four legs, the head at its front top (head ~0.56 of the height)
    ALL_HEAD = "all-head"  # one emoji is the whole figure: a bird, a fish, an octopus


@dataclass(frozen=True)
class Aim:
    """Where the camera puts the framed part (the whole figure, or its head) at rest: its height as a share of
    the frame height, and where its top lands (share of the frame height from the top)."""

    part: str  # "figure" or "head"
    coverage: float
    top: float


@dataclass(frozen=True)
class Row:
    """One size for one kind of figure: the ranges its measures must fall in, what must be in frame, and how
    the camera aims to meet it. A range left None is not part of the row."""

    meaning: str
    aim: Aim
    tall: Span | None = None
    shown: Span | None = None
    head: Span | None = None
    whole: bool = False  # the figure's box in frame
    head_in_frame: bool = False  # the head's box in frame
    head_in_top_third: bool = False  # and its top in the frame's top third
    top_in_frame: bool = False  # the figure's top in frame


S = ShotSize
WIDE_ROWS = {
    S.EXTREME_WIDE: Row("whole figure, at most 15 % of the frame height", Aim("figure", 0.09, 0.64),
                        tall=(0.0, 0.15), whole=True),
    S.WIDE: Row("whole figure, 20–50 %", Aim("figure", 0.3, 0.5), tall=(0.2, 0.5), whole=True),
    S.FULL: Row("whole figure, 55–95 %", Aim("figure", 0.74, 0.14), tall=(0.55, 0.95), whole=True),
}
TABLE: dict[Body, dict[ShotSize, Row]] = {
    Body.UPRIGHT: WIDE_ROWS | {
        S.MEDIUM_WIDE: Row("cut at the legs (78–92 % of the figure shown), head in the top third",
                           Aim("figure", 0.93 / 0.85, 0.07), shown=(0.78, 0.92), head_in_top_third=True),
        S.MEDIUM: Row("cut at the waist (62–76 % shown)", Aim("figure", 0.95 / 0.69, 0.05), shown=(0.62, 0.76),
                      head_in_frame=True),
        S.MEDIUM_CLOSE_UP: Row("cut at the chest; head 62–80 % of the frame height", Aim("head", 0.71, 0.05),
                               head=(0.62, 0.8), head_in_frame=True),
        S.CLOSE_UP: Row("head 86–106 % of the frame height", Aim("head", 0.95, 0.02), head=(0.86, 1.06)),
        S.EXTREME_CLOSE_UP: Row("part of the face: head taller than the frame (≥ 115 %)", Aim("head", 1.4, -0.2),
                                head=(1.15, 3.0)),
    },
    Body.FOUR_LEGS: WIDE_ROWS | {
        S.MEDIUM_WIDE: Row("cut at the legs (84–94 % shown), head in the top third", Aim("figure", 0.93 / 0.89, 0.07),
                           shown=(0.84, 0.94), head_in_top_third=True),
        S.MEDIUM: Row("cut at the belly (70–82 % shown)", Aim("figure", 0.95 / 0.76, 0.05), shown=(0.7, 0.82),
                      head_in_frame=True),
        S.MEDIUM_CLOSE_UP: Row("head and chest; head 72–86 % of the frame height", Aim("head", 0.79, 0.05),
                               head=(0.72, 0.86), head_in_frame=True),
        S.CLOSE_UP: Row("head 88–106 % of the frame height", Aim("head", 0.96, 0.02), head=(0.88, 1.06)),
        S.EXTREME_CLOSE_UP: Row("part of the face: head taller than the frame (≥ 115 %)", Aim("head", 1.4, -0.2),
                                head=(1.15, 3.0)),
    },
    Body.ALL_HEAD: WIDE_ROWS | {
        S.MEDIUM_WIDE: Row("cut near its foot or tail (80–94 % shown), its top in the top third",
                           Aim("figure", 0.94 / 0.87, 0.06), shown=(0.8, 0.94), head_in_top_third=True),
        S.MEDIUM: Row("cut through its lower part (62–78 % shown), its top in frame", Aim("figure", 0.94 / 0.7, 0.05),
                      shown=(0.62, 0.78), top_in_frame=True),
        S.MEDIUM_CLOSE_UP: Row("its upper half or more (50–65 % shown), its top in frame",
                               Aim("figure", 0.96 / 0.57, 0.04), shown=(0.5, 0.65), top_in_frame=True),
        S.CLOSE_UP: Row("its features under its top outline (36–50 % shown), its top in frame",
                        Aim("figure", 0.97 / 0.43, 0.03), shown=(0.36, 0.5), top_in_frame=True),
        S.EXTREME_CLOSE_UP: Row("a detail of its features: the figure over twice the frame height, cut above its "
                                "middle (under 60 % shown)", Aim("figure", 2.6, -0.4), tall=(2.2, 8.0), shown=(0.0, 0.6)),
    },
}
# An insert is a detail of a thing: where it falls on the figure is the shot's choice, so nothing is measured.
INSERT_AIM = Aim("figure", 2.0, -0.85)
# Medium and wider show everyone of the shot, every head in frame: a shot of two or more figures at one of these
# is a group shot. Closer, a shot may leave all but its subject out (an over-the-shoulder shows a partner in part).
GROUP_SIZES = (S.EXTREME_WIDE, S.WIDE, S.FULL, S.MEDIUM_WIDE, S.MEDIUM)
ORDER = [S.EXTREME_WIDE, S.WIDE, S.FULL, S.MEDIUM_WIDE, S.MEDIUM, S.MEDIUM_CLOSE_UP, S.CLOSE_UP,
         S.EXTREME_CLOSE_UP]


def row(size: ShotSize, body: Body) -> Row | None:
    """The row a shot of `size` of a `body` figure must meet; None for an insert."""
    return TABLE[body].get(size)


def aim(size: ShotSize, body: Body) -> Aim:
    found = row(size, body)
    return found.aim if found else INSERT_AIM


GROUP_STEPS = 2  # how many sizes wider than its own a group shot may be, to frame everyone


def wider(size: ShotSize, steps: int = 1) -> ShotSize:
    """The size `steps` wider (an extreme-wide is the widest)."""
    i = ORDER.index(size)
    return ORDER[max(i - steps, 0)]


@dataclass(frozen=True)
class Measure:
    """One figure in one frame, as the table measures it."""

    tall: float
    shown: float
    head: float
    whole: bool
    head_in_frame: bool
    head_in_top_third: bool
    top_in_frame: bool


SLACK = 0.01  # of the frame height: a box may reach this far past an edge (antialiasing, the outline's stroke)


def measure(box: Box, head: Box, width: int, height: int) -> Measure:
    x0, y0, x1, y1 = box
    hx0, hy0, hx1, hy1 = head
    slack = SLACK * height
    tall = (y1 - y0) / height
    shown = min(max((height - y0) / (y1 - y0), 0.0), 1.0) if y1 > y0 else 0.0
    sides = x0 >= -slack and x1 <= width + slack
    top_in = 0 - slack <= y0 <= height
    head_in = hx0 >= -slack and hy0 >= -slack and hx1 <= width + slack and hy1 <= height + slack
    return Measure(
        tall=tall, shown=shown, head=(hy1 - hy0) / height,
        whole=sides and top_in and y1 <= height + slack,
        head_in_frame=head_in, head_in_top_third=head_in and hy0 <= height / 3, top_in_frame=top_in,
    )


def meets(found: Measure, rule: Row) -> bool:
    """Whether one measured figure meets a row."""
    def within(value: float, span: Span | None) -> bool:
        return span is None or span[0] - 1e-6 <= value <= span[1] + 1e-6

    return (within(found.tall, rule.tall) and within(found.shown, rule.shown) and within(found.head, rule.head)
            and (found.whole or not rule.whole) and (found.head_in_frame or not rule.head_in_frame)
            and (found.head_in_top_third or not rule.head_in_top_third)
            and (found.top_in_frame or not rule.top_in_frame))


def is_group(size: ShotSize, figures: int) -> bool:
    """Whether a shot of `figures` figures (a group's members counted one by one) at `size` is a group shot."""
    return size in GROUP_SIZES and figures >= 2


def frame_meets(size: ShotSize, measured: Sequence[tuple[Body, Measure]], subject: int) -> bool:
    """Whether one frame meets the size's row: a group shot by everyone (`group_meets`), else the figure at index
    `subject` alone (an insert always)."""
    if is_group(size, len(measured)):
        return group_meets(size, measured)
    body, found = measured[subject]
    rule = row(size, body)
    return rule is None or meets(found, rule)


def group_meets(size: ShotSize, members: Sequence[tuple[Body, Measure]]) -> bool:
    """A group shot: every head in frame (every figure whole at full and wider), and the tallest member in
    its size row or up to GROUP_STEPS wider."""
    if not members:
        return True
    if not all(m.head_in_frame for _, m in members):
        return False
    if size in WIDE_ROWS and not all(m.whole for _, m in members):
        return False
    body, tallest = max(members, key=lambda item: item[1].tall)
    return any(meets(tallest, TABLE[body][wider(size, steps)]) for steps in range(GROUP_STEPS + 1))


def markdown() -> str:
    """The table as the README shows it."""
    lines = ["| size | upright figure | four-legged animal | bird, fish (all head) |", "|---|---|---|---|"]
    for size in ORDER:
        cells = [TABLE[body][size].meaning for body in Body]
        lines.append(f"| {size.value} | " + " | ".join(cells) + " |")
    lines.append("| group | every head in frame; the tallest member in the size's row or up to two wider | | |")
    return "\n".join(lines)
