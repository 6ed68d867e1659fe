"""The storyboard contact sheet: one keyframe per shot in a grid, each with
its shot id, camera direction and what is said over it — the page a director
reads to see the whole film at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storyagent.cache import atomic_path, reusable, seal, source_version
from storyagent.errors import RenderError
from storyagent.export import Exporter, ExportJob
from storyagent.plugins import NoOptions
from storyagent.storyboard import NARRATOR, Shot, Storyboard

THUMB_WIDTH = 416
COLUMNS = 4
GAP = 24
CAPTION = 112  # pixels under each keyframe for its caption


class ContactSheetExporter(Exporter):
    """One keyframe per shot with its id, camera and narration: contact-sheet.png and a printable .pdf."""

    name = "contact-sheet"
    version = source_version(__file__)

    def __init__(self, options: NoOptions) -> None:
        pass

    def export(self, job: ExportJob) -> dict[str, Path]:
        written = write_contact_sheet(job.board, job.film_dir / "contact-sheet.png", clips=job.clips)
        written["contact_sheet_pdf"] = write_contact_sheet_pdf(written["contact_sheet"], job.film_dir / "contact-sheet.pdf",
                                                               title=job.board.title)
        return written


def write_contact_sheet(board: Storyboard, out: str | Path, *, clips: dict[str, Path] | None = None,
                        columns: int = COLUMNS, thumb_width: int = THUMB_WIDTH) -> dict[str, Path]:
    """Write the sheet as PNG. Keyframes come from the rendered clips when given
    (what the film shows, whichever renderer made it), else from the animatic."""
    import skia

    from storyagent.renderers.animatic import text

    out = Path(out)
    shots = board.shots()
    thumb_height = round(thumb_width * board.render.height / board.render.width / 2) * 2
    rows = -(-len(shots) // columns)
    header = 110
    width = GAP + columns * (thumb_width + GAP)
    height = header + rows * (thumb_height + CAPTION + GAP) + GAP
    surface = skia.Surface(width, height)
    ink = skia.Paint(Color=skia.Color(36, 36, 48), AntiAlias=True)
    muted = skia.Paint(Color=skia.Color(96, 96, 110), AntiAlias=True)
    with surface as canvas:
        canvas.clear(skia.Color(246, 243, 236))
        canvas.drawString(board.title, GAP, 62, text.font(40, bold=True), ink)
        if board.logline:
            text.draw_block(canvas, board.logline, GAP, 70, width - 2 * GAP, text.font(20), muted, max_lines=1)
        for i, shot in enumerate(shots):
            row, col = divmod(i, columns)
            x = GAP + col * (thumb_width + GAP)
            y = header + row * (thumb_height + CAPTION + GAP)
            frame = keyframe(board, shot, thumb_width, thumb_height, (clips or {}).get(shot.id))
            rgba = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
            image = skia.Image.fromarray(rgba, colorType=skia.kRGBA_8888_ColorType)
            canvas.drawImage(image, x, y)
            canvas.drawString(f"{shot.id}", x, y + thumb_height + 26, text.font(20, bold=True), ink)
            cam = shot.camera
            canvas.drawString(f"{cam.size} · {cam.angle} · {cam.movement} · {cam.duration:g} s", x,
                              y + thumb_height + 50, text.font(16), muted)
            text.draw_block(canvas, spoken(board, shot), x, y + thumb_height + 56, thumb_width, text.font(16), ink,
                            max_lines=3, line_gap=1.25)
    with atomic_path(out) as tmp:
        surface.makeImageSnapshot().save(str(tmp), skia.kPNG)
    return {"contact_sheet": out}


def spoken(board: Storyboard, shot: Shot) -> str:
    """What is said over the shot, dialogue marked with its speaker's name."""
    colon = "：" if board.language == "zh" else ": "
    parts = [line.text if line.speaker == NARRATOR else f"{board.character(line.speaker).name}{colon}{line.text}"
             for line in shot.lines]
    return " ".join(parts) or shot.description


def keyframe(board: Storyboard, shot: Shot, width: int, height: int, clip: Path | None) -> np.ndarray:
    if clip is not None and Path(clip).is_file():
        return cached_middle_frame(Path(clip), width, height)
    from storyagent.renderers.animatic.renderer import keyframe as animatic_keyframe

    return animatic_keyframe(board, shot.id, width, height)


def cached_middle_frame(clip: Path, width: int, height: int) -> np.ndarray:
    """A clip's name carries the hash of its content, so its thumbnail is kept beside it
    (in a hidden folder) and an unchanged shot is never decoded again."""
    from PIL import Image

    thumb = clip.parent / ".thumbs" / f"{clip.stem}.{width}x{height}.png"
    if reusable(thumb):
        return np.asarray(Image.open(thumb).convert("RGB"))
    frame = clip_middle_frame(clip, width, height)
    with atomic_path(thumb) as tmp:
        Image.fromarray(frame).save(tmp, format="PNG")
    seal(thumb)
    return frame


def clip_middle_frame(clip: Path, width: int, height: int) -> np.ndarray:
    """The frame at the middle of a rendered clip (moviepy seeks and scales through ffmpeg)."""
    from moviepy import VideoFileClip

    with VideoFileClip(str(clip), audio=False, target_resolution=(width, height)) as video:
        frame = video.get_frame(video.duration / 2)
    return np.ascontiguousarray(frame[:height, :width, :3], dtype=np.uint8)


def write_contact_sheet_pdf(png: Path, out: Path, *, title: str = "") -> Path:
    """The contact sheet image (from `write_contact_sheet`) as a one-page
    PDF for printing and sharing: the page has the image's proportions at 96 dpi."""
    from fpdf import FPDF
    from PIL import Image

    png = Path(png)
    if not png.is_file():
        raise RenderError(f"{png}: contact sheet image not found")
    with Image.open(png) as image:
        width, height = image.size
    pdf = FPDF(unit="pt", format=(width * 0.75, height * 0.75))  # 96 px per inch = 0.75 pt per px
    pdf.set_auto_page_break(False)
    pdf.set_title(title or "Contact sheet")
    pdf.set_creator("storyagent")
    pdf.add_page()
    pdf.image(str(png), x=0, y=0, w=pdf.w, h=pdf.h)
    with atomic_path(out) as tmp:  # fpdf writes only to a file name
        pdf.output(str(tmp))
    return Path(out)
