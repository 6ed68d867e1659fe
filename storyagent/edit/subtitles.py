"""Subtitles from the timeline: one cue per sentence (longer sentences split),
timed by the measured speech, written as SRT and WebVTT (soft tracks) and ASS
(for burning into the picture with libass).

Line breaking is by width, so one rule serves every script: a line holds
about 42 Latin characters or 16 Chinese ones, a cue at most two lines. Breaks
prefer punctuation, balance the two lines, and never start a line with a
closing mark such as '，' or '”'.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from pydantic import BaseModel

from storyagent.cache import atomic_path
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
_TOKEN = re.compile(r"\s+|[A-Za-z0-9\u00c0-\u024f'’\-]+|.")


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


def char_width(ch: str) -> float:
    return MAX_LINE_WIDTH / CJK_CHARS_PER_LINE if _WIDE.match(ch) else 1.0


def _width(tokens: list[_Token]) -> float:
    return sum(sum(char_width(c) for c in t.text) for t in tokens) + sum(t.space_before for t in tokens[1:])


def _join(tokens: list[_Token]) -> str:
    return "".join((" " if t.space_before and i else "") + t.text for i, t in enumerate(tokens))


def _tokens(text: str) -> list[_Token]:
    """Words and single CJK characters; punctuation glued to its neighbour so
    a break never separates them."""
    tokens: list[_Token] = []
    space = False
    glue_next = False
    for match in _TOKEN.finditer(text.strip()):
        piece = match.group()
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
    possible, preferring to end a run after punctuation."""
    n = len(tokens)
    parts = max(1, min(parts, n))
    target = _width(tokens) / parts
    # best[k][i]: (cost, previous break) for the first i tokens in k runs
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
                    cost += (0.25 * target) ** 2  # a break inside a phrase costs a quarter-width imbalance
                total = best[k - 1][j][0] + cost
                if total < best[k][i][0]:
                    best[k][i] = (total, j)
    runs, i = [], n
    for k in range(parts, 0, -1):
        j = best[k][i][1]
        runs.append(tokens[j:i])
        i = j
    return runs[::-1]


def wrap(text: str) -> list[list[str]]:
    """`text` as cues of at most two lines each (a list of cues, each a list of lines)."""
    tokens = _tokens(text)
    if not tokens:
        return []
    cue_limit = MAX_LINE_WIDTH * MAX_LINES
    cues = _split(tokens, math.ceil(_width(tokens) / cue_limit), cue_limit)
    out = []
    for cue in cues:
        lines = 1 if _width(cue) <= MAX_LINE_WIDTH else MAX_LINES
        out.append([_join(line) for line in _split(cue, lines, MAX_LINE_WIDTH)])
    return out


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
