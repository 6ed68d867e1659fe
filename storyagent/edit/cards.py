"""Title and credits cards, as frame streams the editor places on the
timeline. Text is set in the bundled Noto Sans SC, so English and Chinese
titles both render; cards fade in from and out to black by themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import skia

from storyagent.cache import source_version
from storyagent.cast import character_look, location_look
from storyagent.renderers.animatic import camera, text
from storyagent.renderers.animatic.camera import Subject
from storyagent.renderers.animatic.environments import environment
from storyagent.storyboard import CameraAngle, ShotSize, Storyboard
from storyagent.timeline import Timeline
from storyagent.world import icons

_PACKAGE = Path(__file__).parent.parent
# Cards are drawn with the animatic's camera, scenery and text, from the cast's looks and the world's data.
CARDS_VERSION = source_version(Path(__file__), _PACKAGE / "render" / "animatic", _PACKAGE / "cast", _PACKAGE / "world",
                               _PACKAGE / "media" / "video.py")
FADE = 0.6  # seconds from black at the start and to black at the end

LABELS = {
    "en": {"cast": "Cast", "made": "Made with storyagent", "icons": "Icons: Fluent Emoji by Microsoft (MIT)",
           "font": "Font: Noto Sans SC (SIL Open Font License)"},
    "zh": {"cast": "角色", "made": "由 storyagent 制作", "icons": "图标：Microsoft Fluent Emoji（MIT）",
           "font": "字体：Noto Sans SC（SIL 开放字体许可）"},
}


def title_frames(board: Storyboard, timeline: Timeline) -> Iterator[np.ndarray]:
    """The title card: the film's first place behind its title, logline and cast."""
    card = next(c for c in timeline.cards if c.kind == "title")
    return title_card(board, timeline.frames(card.duration), timeline.width, timeline.height, timeline.fps)


def credits_frames(board: Storyboard, timeline: Timeline) -> Iterator[np.ndarray]:
    """The end credits: the cast with their pictures, then the acknowledgements."""
    card = next(c for c in timeline.cards if c.kind == "credits")
    return credits_card(board, timeline.frames(card.duration), timeline.width, timeline.height, timeline.fps)


def stream(draw: Callable[[skia.Canvas, float], None], frames: int, width: int, height: int,
           fps: int) -> Iterator[np.ndarray]:
    """Exactly `frames` RGB frames of `draw(canvas, seconds)`, faded at both ends."""
    pixels = np.zeros((height, width, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    duration = frames / fps
    fade = min(FADE, duration / 3)
    for i in range(frames):
        seconds = i / fps
        with surface as canvas:
            canvas.resetMatrix()
            canvas.clear(skia.ColorBLACK)
            draw(canvas, seconds)
            canvas.resetMatrix()
            level = min(1.0, (seconds + 1 / fps) / fade, (duration - seconds) / fade) if fade > 0 else 1.0
            if level < 1.0:
                canvas.drawRect(skia.Rect(0, 0, width, height), skia.Paint(Color=skia.Color(0, 0, 0, round(255 * (1 - level)))))
        yield pixels[:, :, :3].copy()


def title_card(board: Storyboard, frames: int, width: int, height: int, fps: int) -> Iterator[np.ndarray]:
    place = location_look(board, board.scenes[0].location)
    env = environment(place)
    looks = [character_look(board, c.id) for c in board.characters[:4]]
    ground = Subject(x=lambda t: 0.0, top=-1.0, height=1.0, facing=1)
    base = camera.base_view(ShotSize.WIDE, CameraAngle.EYE_LEVEL, ground, width, height)
    duration = frames / fps
    u = height / 720  # layout unit: sizes below are in 720p pixels
    title_font = text.font(64 * u, bold=True)
    logline_font = text.font(26 * u)

    def draw(canvas: skia.Canvas, seconds: float) -> None:
        view = replace(base, x=base.x + 0.6 * seconds / max(duration, 1e-6))  # a slow drift: the card breathes
        env.draw_back(canvas, view, seconds, width, height)
        env.draw_front(canvas, view, seconds, width, height)
        canvas.resetMatrix()
        shade = skia.GradientShader.MakeLinear([skia.Point(0, 0), skia.Point(0, height)],
                                               [skia.Color(0, 0, 0, 40), skia.Color(0, 0, 0, 150)])
        canvas.drawRect(skia.Rect(0, 0, width, height), skia.Paint(Shader=shade))
        icon_size = 120 * u
        left = width / 2 - icon_size * len(looks) / 2
        for i, look in enumerate(looks):
            icons.draw(canvas, look.icon, left + i * icon_size + 8 * u, height * 0.14, icon_size - 16 * u,
                       flip=icons.flip_for(look.icon, look.facing), paint=icons.tint_paint(look.tint))
        rise = 12 * u * max(0.0, 1 - seconds / 1.2)
        white = skia.Paint(Color=skia.ColorWHITE, AntiAlias=True)
        shadow = skia.Paint(Color=skia.Color(0, 0, 0, 110), AntiAlias=True)
        lines = text.wrap(board.title, title_font, width * 0.85)
        y = height * 0.52 + rise
        for line in lines:
            text.draw_centered(canvas, line, width / 2 + 3 * u, y + 3 * u, title_font, shadow)
            text.draw_centered(canvas, line, width / 2, y, title_font, white)
            y += title_font.getSize() * 1.15
        if board.logline:
            text.draw_block(canvas, board.logline, width * 0.15, y, width * 0.7, logline_font,
                            skia.Paint(Color=skia.Color(240, 240, 240), AntiAlias=True), align="center", max_lines=3)

    return stream(draw, frames, width, height, fps)


def credits_card(board: Storyboard, frames: int, width: int, height: int, fps: int) -> Iterator[np.ndarray]:
    labels = LABELS.get(board.language, LABELS["en"])
    u = height / 720
    heading, name_font, small = text.font(40 * u, bold=True), text.font(30 * u), text.font(20 * u)
    row = 84 * u
    looks = [character_look(board, c.id) for c in board.characters]
    content = 90 * u + row * len(looks) + 170 * u
    duration = frames / fps
    scroll = max(0.0, content - height * 0.84)  # scroll only when the list is taller than the frame
    background = skia.GradientShader.MakeLinear([skia.Point(0, 0), skia.Point(0, height)],
                                                [skia.Color(24, 30, 58), skia.Color(8, 10, 22)])
    white = skia.Paint(Color=skia.ColorWHITE, AntiAlias=True)
    grey = skia.Paint(Color=skia.Color(180, 186, 204), AntiAlias=True)

    def draw(canvas: skia.Canvas, seconds: float) -> None:
        canvas.drawRect(skia.Rect(0, 0, width, height), skia.Paint(Shader=background))
        y = max(height * 0.08, (height - content) / 2) - scroll * min(1.0, seconds / max(duration, 1e-6))
        text.draw_centered(canvas, labels["cast"], width / 2, y + 40 * u, heading, white)
        y += 90 * u
        for look in looks:
            size = 64 * u
            icons.draw(canvas, look.icon, width / 2 - size - 16 * u, y, size, paint=icons.tint_paint(look.tint),
                       flip=icons.flip_for(look.icon, look.facing))
            canvas.drawString(look.name, width / 2 + 8 * u, y + size * 0.62, name_font, white)
            y += row
        y += 40 * u
        for line in (labels["made"], labels["icons"], labels["font"]):
            text.draw_centered(canvas, line, width / 2, y, small, grey)
            y += 34 * u

    return stream(draw, frames, width, height, fps)
