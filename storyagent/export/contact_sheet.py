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
        written = write_contact_sheet(job.board, job.film_dir / "contact-sheet.png", clips=job.clips, film_dir=job.film_dir)
        written["contact_sheet_pdf"] = write_contact_sheet_pdf(written["contact_sheet"], job.film_dir / "contact-sheet.pdf",
                                                               title=job.board.title)
        return written


def write_contact_sheet(board: Storyboard, out: str | Path, *, clips: dict[str, Path] | None = None,
                        columns: int = COLUMNS, thumb_width: int = THUMB_WIDTH,
                        film_dir: Path | None = None) -> dict[str, Path]:
    """Write the sheet as PNG. Keyframes come from the rendered clips when given
    (what the film shows, whichever renderer made it), else from the animatic. In a film folder, a shot a
    generator started from a keyframe shows that keyframe inset in its corner, and a shot a hosted provider
    refused is marked: it shows its animatic."""
    import skia

    from storyagent.renderers.animatic import text
    from storyagent.renderers.hosted.jobs import jobs_of
    from storyagent.renderers.keyframes import keyframe_path

    last_request = {job.shot_id: job for job in jobs_of(film_dir)} if film_dir is not None else {}
    refused = {shot: job.provider for shot, job in last_request.items() if job.state == "rejected"}

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
            started_from = keyframe_path(film_dir, shot.id, "first") if film_dir is not None else None
            if started_from is not None and started_from.is_file():
                _inset(canvas, started_from, x + thumb_width, y, thumb_width // 4)
            if shot.id in refused:
                band = skia.Paint(Color=skia.Color(190, 40, 40, 220))
                canvas.drawRect(skia.Rect.MakeXYWH(x, y + thumb_height - 26, thumb_width, 26), band)
                canvas.drawString(f"refused by {refused[shot.id]}: animatic", x + 8, y + thumb_height - 8,
                                  text.font(16, bold=True), skia.Paint(Color=skia.ColorWHITE, AntiAlias=True))
            canvas.drawString(f"{shot.id}", x, y + thumb_height + 26, text.font(20, bold=True), ink)
            cam = shot.camera
            canvas.drawString(f"{cam.size} · {cam.angle} · {cam.movement} · {cam.duration:g} s", x,
                              y + thumb_height + 50, text.font(16), muted)
            text.draw_block(canvas, spoken(board, shot), x, y + thumb_height + 56, thumb_width, text.font(16), ink,
                            max_lines=3, line_gap=1.25)
    with atomic_path(out) as tmp:
        surface.makeImageSnapshot().save(str(tmp), skia.kPNG)
    return {"contact_sheet": out}


def _inset(canvas, keyframe: Path, right: int, y: int, width: int) -> None:
    """The keyframe a generator started the shot from, small and framed in the corner left of `right`."""
    import skia
    from PIL import Image

    with Image.open(keyframe) as image:
        height = round(width * image.height / image.width)
        small = np.asarray(image.convert("RGBA").resize((width, height)))
    left = right - width - 6
    canvas.drawRect(skia.Rect.MakeXYWH(left - 2, y + 4, width + 4, height + 4), skia.Paint(Color=skia.ColorWHITE))
    canvas.drawImage(skia.Image.fromarray(np.ascontiguousarray(small), colorType=skia.kRGBA_8888_ColorType), left, y + 6)


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
