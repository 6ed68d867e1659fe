"""A character's reference sheet: the character large in four poses (facing
right beside a human for scale, facing left, mid-stride, close-up) with its
name and description. Model backends condition on it; directors read it."""

from __future__ import annotations

import functools
from pathlib import Path

import skia

from storyagent.cache import key, reusable, seal, source_version, write_bytes_atomic, write_text_atomic
from storyagent.cast import Look, character_look
from storyagent.renderers.animatic import bodies, text
from storyagent.storyboard import Storyboard
from storyagent.world import icons

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
        group = f" · a group of {look.count}" if look.count > 1 else ""
        detail = f"{look.icon} · {look.height:g} × human height{group} · seed {look.seed}"
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
    fig = bodies.figure(look.icon, look.seed)
    floor, margin = panel.bottom() - 40, 8
    size = min(panel.width() * 0.9 / fig.width, (floor - panel.top()) * 0.85)  # the figure's height
    x = panel.centerX()
    if pose == "facing right" and look.height < 3:
        # A grey human beside it shows the character's size; together they fill the panel's width.
        human = bodies.figure("person-standing")
        size = min(size, (panel.width() - 3 * margin) / (fig.width + human.width / look.height))
        human_size = size / look.height
        grey = skia.Paint(ColorFilter=skia.ColorFilters.Blend(skia.Color(200, 200, 206), skia.BlendMode.kSrcIn))
        grey.setAlphaf(0.55)
        canvas.save()
        canvas.translate(panel.left() + margin + human_size * human.width / 2, floor)
        canvas.scale(human_size, human_size)
        bodies.draw(canvas, human, paint=grey)
        canvas.restore()
        x = panel.left() + 2 * margin + human_size * human.width + size * fig.width / 2
    facing = {"facing right": 1, "facing left": -1}.get(pose, look.facing)
    feet = floor
    if pose == "close-up":  # the face large, in the upper middle of the panel
        size *= 1.9
        head = fig.head
        face_x, face_y = (head.centerX(), head.centerY()) if head else (0.0, -0.75)  # a whole emoji's face is high
        x, feet = panel.centerX() - facing * face_x * size, panel.top() + 0.45 * panel.height() - face_y * size
    else:
        half = size * fig.width * 0.4
        canvas.drawOval(skia.Rect(x - half, floor - 10, x + half, floor + 10),
                        skia.Paint(Color=skia.Color(0, 0, 0, 28), AntiAlias=True))
    walking = pose == "walking"
    canvas.save()
    canvas.translate(x, feet - (0.04 * size if walking else 0.0))
    canvas.scale(size, size)
    bodies.draw(canvas, fig, bodies.Limbs(gait=0.8 if walking else 0.0), facing, icons.tint_paint(look.tint))
    canvas.restore()


def reference_sheet_png(look: Look) -> bytes:
    return bytes(reference_sheet(look).encodeToData(skia.kPNG, 100))


def write_reference_sheets(board: Storyboard, cast_dir: Path) -> dict[str, Path]:
    """`cast/<id>.png` per character: large, facing right and left, mid-stride
    and close up, with its name. A sheet whose look did not change is not drawn again (a hidden
    `.<id>.png.look` beside it names the look it shows)."""
    cast_dir = Path(cast_dir)
    cast_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for character in board.characters:
        path = cast_dir / f"{character.id}.png"
        look = character_look(board, character.id)
        drawn_from, shows = path.with_name(f".{path.name}.look"), key("sheet", repr(look), _sheet_version())
        if not (reusable(path) and drawn_from.is_file() and drawn_from.read_text(encoding="utf-8") == shows):
            write_bytes_atomic(path, reference_sheet_png(look))
            seal(path)
            write_text_atomic(drawn_from, shows)
        written[character.id] = path
    return written


@functools.cache
def _sheet_version() -> str:
    package = Path(__file__).parents[2]
    return source_version(Path(__file__).parent, package / "cast", package / "world")
