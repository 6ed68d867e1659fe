"""Subtitles from the timeline: one cue per sentence (longer sentences split),
timed by the measured speech, written as SRT and WebVTT (soft tracks) and ASS
(for burning into the picture with libass).

Line breaking is by width, so one rule serves every script: a line holds
about 42 Latin characters or 16 Chinese ones, a cue at most two lines. Breaks
prefer punctuation, balance the two lines, fall between words (Chinese words
as jieba finds them, never inside '小熊猫') and never start a line with a
closing mark such as '，' or '”'.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from storyagent.cache import atomic_path
from storyagent.storyboard.language import chinese_words
from storyagent.timeline import Timeline

MAX_LINE_WIDTH = 42.0  # in Latin characters
CJK_CHARS_PER_LINE = 16
MAX_LINES = 2
MIN_CUE_SECONDS = 1.0  # a cue stays up at least this long, when the next one allows
LINGER = 0.25  # seconds a cue stays after its words end
# Bundled in assets/fonts (Latin and GB 2312 Chinese); the editor points libass at that folder.
FONT = "Noto Sans SC"

_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_CLOSING = set("，。、；：！？）》」』”’〉】…,.;:!?)]\"'")
_OPENING = set("（《「『“‘〈【([")
_BREAK_AFTER = set("，。、；：！？…,.;:!?—")
_HANZI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"\s+|[A-Za-z0-9\u00c0-\u024f'’\-]+|[{_HANZI}]+|.")
_CHINESE = re.compile(f"[{_HANZI}]")


class Cue(BaseModel):
    start: float
    end: float
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Token(BaseModel):
    text: str
    space_before: bool

    def width(self) -> float:
        return sum(char_width(c) for c in self.text)


def char_width(ch: str) -> float:
    return MAX_LINE_WIDTH / CJK_CHARS_PER_LINE if _WIDE.match(ch) else 1.0


def _width(tokens: list[_Token]) -> float:
    return sum(sum(char_width(c) for c in t.text) for t in tokens) + sum(t.space_before for t in tokens[1:])


def _join(tokens: list[_Token]) -> str:
    return "".join((" " if t.space_before and i else "") + t.text for i, t in enumerate(tokens))


def _pieces(text: str) -> Iterator[str]:
    """Spaces, Latin words, Chinese words and single other characters, in order."""
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if _CHINESE.match(piece):
            yield from chinese_words(piece)
        else:
            yield piece


def _tokens(text: str) -> list[_Token]:
    """Words (Latin and Chinese) and other characters; punctuation glued to its
    neighbour so a break never separates them."""
    tokens: list[_Token] = []
    space = False
    glue_next = False
    for piece in _pieces(text.strip()):
        if piece.isspace():
            space = True
            continue
        if tokens and (glue_next or (piece in _CLOSING and not space)):
            tokens[-1].text += (" " if space else "") + piece
        else:
            tokens.append(_Token(text=piece, space_before=space))
        glue_next = piece in _OPENING
        space = False
    return tokens


def _split(tokens: list[_Token], parts: int, limit: float) -> list[list[_Token]]:
    """`tokens` in `parts` runs of near-equal width, each within `limit` when
    possible, preferring to end a run after punctuation: the split of least
    cost (see `_Splitter`), exactly as trying every split would find it."""
    splitter = _Splitter(tokens, parts, limit)
    # A search only near the even breaks finds a good split fast; its cost bounds the full search.
    rough = splitter.search(math.inf, near=splitter.even_breaks(), reach=8)
    bound = rough[0] if rough else math.inf
    best = splitter.search(bound * (1 + 1e-9) + 1e-6)
    assert best is not None  # every split costs less than infinity, and the rough one no less than the best
    return best[1]


class _Splitter:
    """Cuts tokens into runs. Each run costs its squared distance from the
    average width, a steep penalty past the width limit, and a quarter-width
    imbalance for a break inside a phrase (not after punctuation).

    The search goes run by run from every break reached so far, and drops a
    run (and every longer one) or a partial split as soon as it, plus the
    least the rest could still cost, exceeds a split's cost already known:
    no such split can be the best. A line of any length takes about linear
    time; ties go to the earliest break, as a full search finds them."""

    def __init__(self, tokens: list[_Token], parts: int, limit: float) -> None:
        self.tokens, self.n, self.limit = tokens, len(tokens), limit
        self.parts = max(1, min(parts, self.n))
        # tokens[a:b] shown as one run is ends[b] - starts[a] wide (the space before its first token is not shown)
        self.ends = [0.0]
        for a, token in enumerate(tokens):
            self.ends.append(self.ends[-1] + token.width() + (1.0 if token.space_before and a else 0.0))
        self.starts = [self.ends[a] + (1.0 if token.space_before and a else 0.0) for a, token in enumerate(tokens)]
        self.target = self.ends[self.n] / self.parts
        self.quarter = (0.25 * self.target) ** 2
        # phrase_ends[b]: how many breaks after tokens b .. n-2 would end a phrase
        self.phrase_ends = [0] * (self.n + 1)
        for b in range(self.n - 2, -1, -1):
            self.phrase_ends[b] = self.phrase_ends[b + 1] + (tokens[b].text[-1] in _BREAK_AFTER)

    def width_cost(self, width: float) -> float:
        """The part of a run's cost that grows with its width past the target."""
        return (width - self.target) ** 2 + (1e6 * (width - self.limit) if width > self.limit else 0.0)

    def least_after(self, k: int, b: int) -> float:
        """No less than the runs after break `b` (`k` runs in) can cost: squared distances add up to
        no less than if the runs were equally wide (Jensen), whatever the breaks' spaces (0 or 1
        each), and each break between them beyond those that can end a phrase costs a quarter."""
        left = self.parts - k
        if left == 0:
            return 0.0
        widest = self.ends[self.n] - self.starts[b]
        gap = max(0.0, widest - (left - 1) - left * self.target, left * self.target - widest)
        inside_phrases = max(0, left - 1 - self.phrase_ends[b])
        return (gap * gap / left + inside_phrases * self.quarter) * (1 - 1e-9)

    def even_breaks(self) -> list[int]:
        """For each run count k, the token edge nearest k times the average width."""
        near = [0]
        for k in range(1, self.parts):
            at = min(bisect.bisect_left(self.ends, k * self.target), self.n)
            if at > 0 and k * self.target - self.ends[at - 1] <= self.ends[at] - k * self.target:
                at -= 1
            near.append(at)
        return [*near, self.n]

    def search(self, bound: float, near: list[int] | None = None, reach: int = 0) -> tuple[float, list[list[_Token]]] | None:
        """The least-cost split costing no more than `bound` (with `near`: with its k-th break
        within `reach` tokens of near[k]), as (cost, runs); None when there is none."""
        n, parts, ends, starts, target = self.n, self.parts, self.ends, self.starts, self.target
        # a break after token b-1 that does not end a phrase costs a quarter-width imbalance
        extra = [0.0] + [0.0 if token.text[-1] in _BREAK_AFTER else self.quarter for token in self.tokens[:-1]] + [0.0]
        # best[k]: {b: (cost, previous break)} for the first b tokens in k runs
        best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}]
        for k in range(1, parts + 1):
            reached: dict[int, tuple[float, int]] = {}
            first, last = 1, n - (parts - k)  # leave a token for each run still to come
            if near is not None:
                first, last = max(first, near[k] - reach), min(last, near[k] + reach)
            for a in sorted(best[k - 1]):
                before, start = best[k - 1][a][0], starts[a]
                for b in range(max(a + 1, first), last + 1):
                    cost = self.width_cost(ends[b] - start)
                    if ends[b] - start > target and cost > bound:
                        break  # every longer run from `a` costs more still
                    if extra[b]:
                        cost += extra[b]
                    total = before + cost
                    if total < reached.get(b, (bound, 0))[0] and total + self.least_after(k, b) <= bound:
                        reached[b] = (total, a)
            best.append(reached)
        if n not in best[parts]:
            return None
        runs, b = [], n
        for k in range(parts, 0, -1):
            a = best[k][b][1]
            runs.append(self.tokens[a:b])
            b = a
        return best[parts][n][0], runs[::-1]


CUES_SEARCHED_TOGETHER = 8  # a longer line is first cut at even breaks, so its search stays short


def wrap(text: str) -> list[list[str]]:
    """`text` as cues of at most two lines each (a list of cues, each a list of lines)."""
    tokens = _tokens(text)
    if not tokens:
        return []
    cue_limit = MAX_LINE_WIDTH * MAX_LINES
    parts = math.ceil(_width(tokens) / cue_limit)
    cues = []
    for window, count in _windows(tokens, parts, cue_limit):
        cues += _split(window, count, cue_limit)
    out = []
    for cue in cues:
        lines = 1 if _width(cue) <= MAX_LINE_WIDTH else MAX_LINES
        out.append([_join(line) for line in _split(cue, lines, MAX_LINE_WIDTH)])
    return out


def _windows(tokens: list[_Token], parts: int, limit: float) -> Iterator[tuple[list[_Token], int]]:
    """The tokens in windows of a few cues each, cut at the even breaks (a 4,000-character line
    without a full stop is cut in seconds, not minutes; every ordinary line is one window)."""
    if parts <= CUES_SEARCHED_TOGETHER:
        yield tokens, parts
        return
    breaks = _Splitter(tokens, parts, limit).even_breaks()
    for k in range(0, parts, CUES_SEARCHED_TOGETHER):
        count = min(CUES_SEARCHED_TOGETHER, parts - k)
        window = tokens[breaks[k]: breaks[k + count]]
        if window:
            yield window, min(count, len(window))


def subtitle_cues(timeline: Timeline) -> list[Cue]:
    """Every spoken sentence on the timeline as timed cues, in film order."""
    cues: list[Cue] = []
    for placement in sorted(timeline.voice, key=lambda p: p.start):
        line = placement.line
        sentences = line.sentences or []
        spans = [(s.text, s.start, s.end) for s in sentences] or [(line.text, 0.0, line.duration)]
        for text, start, end in spans:
            pieces = wrap(text)
            widths = [sum(char_width(c) for c in "".join(p)) for p in pieces]
            at = placement.start + start
            for lines, width in zip(pieces, widths):
                length = (end - start) * width / sum(widths)
                cues.append(Cue(start=round(at, 3), end=round(at + length, 3), lines=lines))
                at += length
    # Let each cue linger a little (and last long enough to read) without running into the next.
    for cue, after in zip(cues, cues[1:] + [None]):
        limit = after.start if after else timeline.duration
        cue.end = round(min(max(cue.end + LINGER, cue.start + MIN_CUE_SECONDS), limit), 3)
    return cues


def write_subtitles(timeline: Timeline, out_dir: Path, stem: str = "subtitles") -> dict[str, Path]:
    """Write `<stem>.srt`, `.vtt` and `.ass` into `out_dir`; returns the paths by format."""
    import pysubs2

    cues = subtitle_cues(timeline)
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=r"\N".join(cue.lines)))
    subs.info["PlayResX"], subs.info["PlayResY"] = str(timeline.width), str(timeline.height)
    subs.info["WrapStyle"] = "2"  # lines are broken here, never re-wrapped by libass
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=FONT,
        fontsize=round(timeline.height * 0.055),
        primarycolor=pysubs2.Color(255, 255, 255),
        outlinecolor=pysubs2.Color(0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 128),
        outline=max(1.0, timeline.height / 360),
        shadow=max(0.5, timeline.height / 720),
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginv=round(timeline.height * 0.06),
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out_dir / f"{stem}.{fmt}" for fmt in ("srt", "vtt", "ass")}
    for fmt, path in paths.items():
        with atomic_path(path) as tmp:
            subs.save(str(tmp), format_=fmt, encoding="utf-8")
    return paths
