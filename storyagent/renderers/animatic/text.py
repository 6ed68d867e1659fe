"""Text drawing with the bundled Noto Sans SC subset (Latin and Chinese, OFL):
cards, reference sheets and contact sheets all write through here."""

from __future__ import annotations

import functools

import skia

from storyagent.resources import ASSETS
from storyagent.storyboard.language import chinese_words

FONTS = ASSETS / "fonts"


@functools.cache
def typeface(bold: bool = False) -> skia.Typeface:
    path = FONTS / f"NotoSansSC-{'Bold' if bold else 'Regular'}.subset.ttf"
    # An empty font manager: the system's (fontconfig) is never consulted, so
    # text looks the same on every machine and fontconfig cannot print warnings.
    face = skia.FontMgr.New_Custom_Empty().makeFromFile(str(path))
    if face is None:
        raise FileNotFoundError(f"{path}: bundled font missing; reinstall storyagent")
    return face


def font(size: float, bold: bool = False) -> skia.Font:
    f = skia.Font(typeface(bold), size)
    f.setSubpixel(True)
    f.setEdging(skia.Font.Edging.kAntiAlias)
    return f


def wrap(text: str, f: skia.Font, max_width: float) -> list[str]:
    """Lines no wider than `max_width`: at spaces for Latin text, between
    words (but not before closing punctuation) for Chinese."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        cjk = any(is_cjk_char(ch) for ch in paragraph)
        units = chinese_words(paragraph) if cjk else paragraph.split(" ")
        joiner = "" if cjk else " "
        line = ""
        for unit in units:
            candidate = f"{line}{joiner}{unit}" if line else unit
            if line and f.measureText(candidate) > max_width and unit not in "，。！？、；：”’）》":
                lines.append(line)
                line = unit
            else:
                line = candidate
        lines.append(line)
    return lines


def is_cjk_char(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def draw_centered(canvas: skia.Canvas, text: str, cx: float, baseline: float, f: skia.Font, paint: skia.Paint) -> None:
    canvas.drawString(text, cx - f.measureText(text) / 2, baseline, f, paint)


def draw_block(canvas: skia.Canvas, text: str, x: float, top: float, width: float, f: skia.Font, paint: skia.Paint,
               *, align: str = "left", max_lines: int | None = None, line_gap: float = 1.3) -> float:
    """Wrapped text from `top`; returns the y below the last line."""
    lines = wrap(text, f, width)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    step = f.getSize() * line_gap
    y = top + f.getSize()
    for line in lines:
        left = x + (width - f.measureText(line)) / 2 if align == "center" else x
        canvas.drawString(line, left, y, f, paint)
        y += step
    return y - step + f.getSize() * 0.35

