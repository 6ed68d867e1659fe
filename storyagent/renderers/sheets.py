"""A character's reference sheet: the character large in four poses (facing
right beside a human for scale, facing left, mid-stride, close-up) with its
name and description. Model backends condition on it; directors read it."""

from __future__ import annotations

import skia

from storyagent.cast import Look
from storyagent.renderers import icons, text

WIDTH, HEIGHT = 1600, 900
PANELS = ("facing right", "facing left", "walking", "close-up")
BACKGROUND = skia.Color(246, 243, 236)
PANEL = skia.Color(255, 255, 255)
INK = skia.Color(40, 40, 52)
MUTED = skia.Color(120, 120, 132)


def reference_sheet(look: Look) -> skia.Image:
    surface = skia.Surface(WIDTH, HEIGHT)
    with surface as canvas:
        canvas.clear(BACKGROUND)
        ink, muted = skia.Paint(Color=INK, AntiAlias=True), skia.Paint(Color=MUTED, AntiAlias=True)
        canvas.drawString(look.name, 60, 100, text.font(64, bold=True), ink)
        detail = f"{look.icon} · {look.height:g} × human height · seed {look.seed}"
        canvas.drawString(detail, 62, 145, text.font(26), muted)
        if look.description:
            text.draw_block(canvas, look.description, 62, 160, WIDTH - 124, text.font(24), muted, max_lines=2)
        gap, top, bottom = 30, 250, HEIGHT - 60
        width = (WIDTH - 2 * 60 - gap * (len(PANELS) - 1)) / len(PANELS)
        for i, label in enumerate(PANELS):
            left = 60 + i * (width + gap)
            panel = skia.Rect(left, top, left + width, bottom - 40)
            canvas.drawRoundRect(panel, 18, 18, skia.Paint(Color=PANEL, AntiAlias=True))
            canvas.save()
            canvas.clipRRect(skia.RRect.MakeRectXY(panel, 18, 18), doAntiAlias=True)
            draw_pose(canvas, look, label, panel)
            canvas.restore()
            text.draw_centered(canvas, label, left + width / 2, bottom, text.font(26), ink)
    return surface.makeImageSnapshot()


def draw_pose(canvas: skia.Canvas, look: Look, pose: str, panel: skia.Rect) -> None:
    box = icons.content_box(look.icon)
    floor = panel.bottom() - 40
    size = panel.width() * 0.8  # the icon's square
    if pose == "facing right" and look.height < 3:
        human = icons.content_box("person-standing")
        # A grey human beside it shows the character's size; the character keeps the panel's size.
        human_size = size * (1.0 / look.height) * box.height / human.height
        grey = skia.Paint(ColorFilter=skia.ColorFilters.Blend(skia.Color(200, 200, 206), skia.BlendMode.kSrcIn))
        grey.setAlphaf(0.55)
        m = skia.Matrix.Translate(panel.left() - human_size * human.left + 8, floor - human_size * human.bottom)
        m.preScale(human_size, human_size)
        canvas.drawPicture(icons.picture("person-standing"), m, grey)
    facing = {"facing right": 1, "facing left": -1}.get(pose, look.facing)
    x = panel.centerX() - size * (box.left + box.right) / 2
    y = floor - size * box.bottom
    tilt = 6.0 * facing if pose == "walking" else 0.0
    if pose == "close-up":
        size *= 1.9
        x = panel.centerX() - size * (box.left + box.right) / 2
        y = panel.top() + 30 - size * box.top
    else:
        half = size * box.width * 0.4
        canvas.drawOval(skia.Rect(panel.centerX() - half, floor - 10, panel.centerX() + half, floor + 10),
                        skia.Paint(Color=skia.Color(0, 0, 0, 28), AntiAlias=True))
    canvas.save()
    canvas.rotate(tilt, panel.centerX(), floor)
    icons.draw(canvas, look.icon, x, y - (0.06 * size if pose == "walking" else 0.0), size,
               flip=icons.flip_for(look.icon, facing), tint=look.tint)
    canvas.restore()


def reference_sheet_png(look: Look) -> bytes:
    return bytes(reference_sheet(look).encodeToData(skia.kPNG, 100))
