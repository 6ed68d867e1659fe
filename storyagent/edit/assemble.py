"""The editor: cards, shot clips and transitions, composed frame by frame in
numpy, encoded segment by segment, then joined with the mix and the subtitles.

Every picture source (a card or a shot) is a `Layer` on the film's frame grid.
At most two layers are live at a time (the two sides of a dissolve or wipe),
each read lazily from its own ffmpeg decoder or card generator, so memory
stays flat however long the film is. The grid is cut into segments wherever
no layer crosses the cut; each segment is named by what it shows, so after an
edit only the segments that changed are encoded again, and the join copies
the picture without re-encoding it. moviepy is not used here: as a per-frame
compositor it is several times slower than numpy (measured: ARCHITECTURE.md, "Why it is built this way").
"""

from __future__ import annotations

import contextvars
import functools
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storyagent.cache import atomic_path, file_digest, reusable, scratch_dir, seal, seal_path, source_version
from storyagent.cache import key as cache_key
from storyagent.errors import RenderError
from storyagent.media.video import (
    FILM_CRF,
    FILM_PRESET,
    FFmpeg,
    check_frame,
    check_size,
    join_clips,
    read_frames,
    write_clip,
    write_clip_pieces,
    write_concat_list,
    write_runs,
)
from storyagent.resources import ASSETS
from storyagent.storyboard import TransitionKind
from storyagent.timeline import Timeline

# A span draws at least two seconds of 720p picture: starting and joining one costs about 0.15 s, a 720p
# frame about 27 ms (measured on the animatic), so a smaller span gains little over drawing the shot whole.
MIN_SPAN_PIXELS = 48 * 1280 * 720
AUDIO_BITRATE = "192k"
# ffmpeg's fast AAC coder: a third of the default two-loop search's time on a 90 s mix, and at this bitrate as
# faithful (decoded against the mix, default film: 43 dB SNR, the two-loop coder 38 dB).
AUDIO_CODER = "fast"
FONTS = ASSETS / "fonts"
WIPE_SOFTNESS = 0.03  # width of the wipe's soft edge, as a fraction of the frame width

FrameSource = Callable[[], Iterator[np.ndarray]]


@dataclass
class Layer:
    """One picture source placed on the film's frame grid."""

    name: str
    start: int  # first film frame
    length: int
    source: FrameSource
    enter: TransitionKind = TransitionKind.CUT  # how it replaces the layer beneath while they overlap
    overlap: int = 0  # frames shared with the previous layer
    fade_in: int = 0  # frames rising from black
    fade_out: int = 0  # frames sinking to black
    identity: str = ""  # what the source shows, for naming encoded segments (a clip's file name, a card's key)
    clip: Path | None = None  # the shot clip it plays, if any
    _frames: Iterator[np.ndarray] | None = field(default=None, init=False, repr=False)
    _shown: int = field(default=0, init=False, repr=False)

    @property
    def end(self) -> int:
        return self.start + self.length

    def next_frame(self, width: int, height: int) -> np.ndarray:
        if self._frames is None:
            self._frames = self.source()
        frame = next(self._frames, None)
        if frame is None:
            raise RenderError(f"{self.name}: ran out after {self._shown} frames; the timeline needs {self.length}")
        check_frame(frame, width, height, self.name)
        k = self._shown
        self._shown += 1
        if k < self.fade_in:
            return fade(frame, k / self.fade_in)
        if k >= self.length - self.fade_out:
            return fade(frame, (self.length - 1 - k) / self.fade_out)
        return frame

    def close(self) -> None:
        if self._frames is not None and hasattr(self._frames, "close"):
            self._frames.close()
        self._frames = None


# -- the pixel operations ------------------------------------------------------------


def fade(frame: np.ndarray, level: float) -> np.ndarray:
    """The frame at `level` (0 = black, 1 = unchanged)."""
    weight = round(level * 256)
    return ((frame.astype(np.uint16) * weight) >> 8).astype(np.uint8)


def dissolve(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Cross-fade: `t` = 0 is all `a`, 1 is all `b`."""
    weight = round(t * 256)
    mixed = a.astype(np.uint16) * (256 - weight) + b.astype(np.uint16) * weight
    return (mixed >> 8).astype(np.uint8)


def wipe(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """`b` enters from the left behind a soft vertical edge at `t` of the width."""
    width = a.shape[1]
    soft = max(2, int(width * WIPE_SOFTNESS))
    edge = t * (width + soft)  # travels from just off the left to just off the right
    left, right = max(0, int(edge) - soft), min(width, int(edge))
    out = a.copy()
    out[:, :left] = b[:, :left]
    if right > left:
        ramp = np.clip((edge - np.arange(left, right) - 0.5) / soft, 0.0, 1.0)
        weight = (ramp * 256).astype(np.uint16)[None, :, None]
        band = a[:, left:right].astype(np.uint16) * (256 - weight) + b[:, left:right].astype(np.uint16) * weight
        out[:, left:right] = (band >> 8).astype(np.uint8)
    return out


def composite(under: np.ndarray, over: np.ndarray, kind: TransitionKind, k: int, n: int) -> np.ndarray:
    """Frame `k` of an `n`-frame overlap where `over` replaces `under`.

    Progress never reaches 0 or 1 inside the overlap, so every overlapped frame
    shows both shots."""
    t = (k + 1) / (n + 1)
    if kind == TransitionKind.WIPE:
        return wipe(under, over, t)
    if kind == TransitionKind.DISSOLVE:
        return dissolve(under, over, t)
    return over


# -- the film as a frame stream ----------------------------------------------------------


@dataclass(frozen=True)
class ShotParts:
    """A shot clip also kept as the pieces the editor cuts it into: the head and
    tail it blends with its neighbours or with black, and the body between,
    which joins the film without being decoded and encoded again. The render
    worker writes them, since it has the frames in hand anyway."""

    clip: Path
    head: int
    tail: int
    frames: int

    @property
    def wanted(self) -> bool:
        return (self.head > 0 or self.tail > 0) and self.head + self.tail < self.frames

    def pieces(self) -> list[tuple[Path, int]]:
        """Each piece's file and frame count, in film order; pieces without frames are left out."""
        folder = self.clip.parent / ".parts" / f"{self.clip.stem}.{self.head}-{self.tail}"
        counts = {"head": self.head, "body": self.frames - self.head - self.tail, "tail": self.tail}
        return [(folder / f"{name}.mp4", count) for name, count in counts.items() if count > 0]

    def exist(self) -> bool:
        return self.wanted and all(reusable(path) for path, _ in self.pieces())

    def write(self, frames: Iterable[np.ndarray], fps: int, width: int, height: int) -> Path:
        """Encode the shot's frames as its clip, and as its pieces when it has any; seal them, the clip last."""
        if self.wanted:
            write_clip_pieces(frames, self.pieces(), self.clip, fps, width, height)
            seal(*(path for path, _ in self.pieces()), self.clip)
        else:
            seal(write_clip(frames, self.clip, fps, width, height))
        return self.clip

    # -- a shot drawn in spans, on several workers at once ---------------------------------------------

    def spans(self, frame_pixels: int) -> list[tuple[int, int]]:
        """The frames [first, end) each worker draws: two halves, for a shot big enough that a second worker
        pays for itself (an edit that changes one shot then has both workers on it), else the whole shot.
        Fixed by the shot alone, never by how many workers are free, so the clip's bytes are too."""
        middle = self.frames // 2
        inside_a_blend = self.wanted and not self.head < middle < self.frames - self.tail
        if self.frames * frame_pixels < 2 * MIN_SPAN_PIXELS or inside_a_blend:
            return [(0, self.frames)]
        return [(0, middle), (middle, self.frames)]

    def runs(self, first: int, end: int) -> list[tuple[Path, int]]:
        """The files frames [first, end) are encoded into: each piece's share of them (the clip's, for a shot
        without pieces). A piece the span cuts gets a run file of its own, joined into it afterwards."""
        out = []
        for path, start, count in self._encoded():
            lo, hi = max(first, start), min(end, start + count)
            if lo < hi:
                out.append((path if (lo, hi) == (start, start + count) else self._run_path(path, lo), hi - lo))
        return out

    def write_span(self, frames: Iterable[np.ndarray], first: int, end: int, fps: int, width: int, height: int) -> None:
        """Encode frames [first, end) into their runs (see `runs`); `join_spans` makes the clip of them."""
        write_runs(frames, self.runs(first, end), fps, width, height, self.clip.name)

    def join_spans(self, spans: list[tuple[int, int]]) -> Path:
        """The spans' runs joined, without re-encoding, into the pieces and the clip; sealed, the clip last."""
        for path, start, count in self._encoded():
            cuts = [max(first, start) for first, end in spans if max(first, start) < min(end, start + count)]
            if len(cuts) > 1:  # a piece in one span was written whole
                runs = [self._run_path(path, cut) for cut in cuts]
                join_clips(runs, path)
                for run in runs:
                    run.unlink()
        pieces = [path for path, _, _ in self._encoded()]
        if self.wanted:
            join_clips(pieces, self.clip)
            seal(*pieces, self.clip)
        else:
            seal(self.clip)
        shutil.rmtree(self._runs_dir(), ignore_errors=True)
        return self.clip

    def _encoded(self) -> list[tuple[Path, int, int]]:
        """(file, first frame, frame count) of what the shot is encoded as: its pieces, or else its clip."""
        out, first = [], 0
        for path, count in self.pieces() if self.wanted else [(self.clip, self.frames)]:
            out.append((path, first, count))
            first += count
        return out

    def _runs_dir(self) -> Path:
        return self.clip.parent / ".parts" / f"{self.clip.stem}.spans"

    def _run_path(self, piece: Path, first: int) -> Path:
        return self._runs_dir() / f"{piece.stem}.{first}.mp4"


def shot_parts(timeline: Timeline, shot_id: str, clip: Path) -> ShotParts:
    head, tail = timeline.edges(shot_id)
    return ShotParts(Path(clip), head, tail, timeline.frames(timeline.shot(shot_id).duration))


def layers(timeline: Timeline, shot_clips: dict[str, Path], card_frames: dict[str, FrameSource],
           card_keys: dict[str, str] | None = None) -> list[Layer]:
    """Cards and shots on the frame grid, in order of their first frame."""
    out: list[Layer] = []
    for card in timeline.cards:
        if card.kind not in card_frames:
            raise RenderError(f"no frames for the {card.kind} card")
        out.append(Layer(f"{card.kind} card", timeline.frames(card.start), timeline.frames(card.duration),
                         card_frames[card.kind], identity=(card_keys or {}).get(card.kind, "")))
    for index, shot in enumerate(timeline.shots):
        clip = shot_clips.get(shot.shot_id)
        if clip is None:
            raise RenderError(f"shot {shot.shot_id}: no rendered clip")
        overlap = timeline.overlap_frames(index)
        rise, sink = timeline.fade_frames(index)
        whole = Layer(
            f"shot {shot.shot_id}",
            timeline.frames(shot.start),
            timeline.frames(shot.duration),
            _clip_source(Path(clip), timeline.width, timeline.height),
            enter=shot.transition_in if overlap else TransitionKind.CUT,
            overlap=overlap,
            fade_in=rise,
            fade_out=sink,
            identity=Path(clip).name,
            clip=Path(clip),
        )
        out.extend(_split(whole, shot_parts(timeline, shot.shot_id, Path(clip)), timeline.width, timeline.height))
    return sorted(out, key=lambda layer: layer.start)


def _split(whole: Layer, parts: ShotParts, width: int, height: int) -> list[Layer]:
    """The shot as its parts when they were written: head and tail carry the
    blends, the body is shown as it is."""
    if not parts.exist():
        return [whole]
    out, start = [], whole.start
    for path, count in parts.pieces():
        name = path.stem
        out.append(Layer(
            f"{whole.name} {name}",
            start,
            count,
            _clip_source(path, width, height),
            enter=whole.enter if name == "head" else TransitionKind.CUT,
            overlap=whole.overlap if name == "head" else 0,
            fade_in=whole.fade_in if name == "head" else 0,
            fade_out=whole.fade_out if name == "tail" else 0,
            identity=f"{whole.identity}:{path.parent.name}/{name}",
            clip=path,
        ))
        start += count
    return out


def _clip_source(clip: Path, width: int, height: int) -> FrameSource:
    if not clip.is_file():
        raise RenderError(f"{clip}: shot clip not found")
    return lambda: read_frames(clip, width, height)


def film_frames(timeline: Timeline, shot_clips: dict[str, Path], card_frames: dict[str, FrameSource]) -> Iterator[np.ndarray]:
    """Exactly `timeline.frame_count` RGB frames of the finished picture."""
    yield from _frames(layers(timeline, shot_clips, card_frames), 0, timeline.frame_count,
                       timeline.width, timeline.height)


def _frames(pending: list[Layer], first: int, count: int, width: int, height: int) -> Iterator[np.ndarray]:
    """Frames `first` .. `first + count - 1` of the picture the layers make."""
    pending = list(pending)
    live: list[Layer] = []
    black = np.zeros((height, width, 3), np.uint8)
    try:
        for i in range(first, first + count):
            while pending and pending[0].start <= i:
                live.append(pending.pop(0))
            for layer in [layer for layer in live if layer.end <= i]:
                layer.close()
                live.remove(layer)
            frame = black
            for depth, layer in enumerate(live):
                picture = layer.next_frame(width, height)
                k = i - layer.start
                if depth and k < layer.overlap:
                    frame = composite(frame, picture, layer.enter, k, layer.overlap)
                else:
                    frame = picture
            yield frame
    finally:
        for layer in live + pending:
            layer.close()


@dataclass
class Segment:
    """A run of frames no layer crosses into or out of: it encodes on its own, and
    a re-render re-encodes only the segments whose pictures changed."""

    start: int
    length: int
    layers: list[Layer]

    def plain_clip(self) -> Path | None:
        """The shot clip itself, when the segment is one shot cut in and out untouched:
        it joins the film as it is, without being decoded and encoded again."""
        if len(self.layers) != 1:
            return None
        layer = self.layers[0]
        untouched = (layer.start, layer.length) == (self.start, self.length) and not (layer.fade_in or layer.fade_out)
        return layer.clip if untouched and layer.overlap == 0 else None

    def key(self, timeline: Timeline) -> str:
        parts = [(layer.identity, layer.start - self.start, layer.length, str(layer.enter), layer.overlap,
                  layer.fade_in, layer.fade_out) for layer in self.layers]
        if any(not identity for identity, *_ in parts):
            return ""  # a source without an identity cannot be reused
        inputs = [timeline.width, timeline.height, timeline.fps, FILM_PRESET, FILM_CRF, self.length, parts]
        return cache_key("segment", inputs, compositing_version())


@functools.cache
def compositing_version() -> str:
    """The code that composes and encodes a segment's frames: changing it re-encodes every segment."""
    package = Path(__file__).parent.parent
    return source_version(Path(__file__), package / "media" / "video.py")


def segments(all_layers: list[Layer], frame_count: int) -> list[Segment]:
    """Cut the frame grid wherever no layer spans the cut (cuts between shots; never inside a dissolve)."""
    cuts = {0, frame_count}
    for layer in all_layers:
        for edge in (layer.start, layer.end):
            if 0 < edge < frame_count and not any(other.start < edge < other.end for other in all_layers):
                cuts.add(edge)
    bounds = sorted(cuts)
    return [
        Segment(a, b - a, [layer for layer in all_layers if a <= layer.start and layer.end <= b])
        for a, b in zip(bounds, bounds[1:])
    ]


# -- the encode ----------------------------------------------------------------------------


def assemble(
    timeline: Timeline,
    shot_clips: dict[str, Path],
    card_frames: dict[str, FrameSource],
    mix_wav: Path,
    out: Path,
    subtitles_srt: Path | None,
    burn_subtitles_ass: Path | None = None,
    *,
    subtitle_language: str = "eng",
    title: str = "",
    progress: Callable[[int, int], None] | None = None,
    segments_dir: Path | None = None,
    card_keys: dict[str, str] | None = None,
    jobs: int = 2,
) -> Path:
    """Encode the film: H.264 yuv420p + AAC, `+faststart`, the SRT as a soft
    `mov_text` track and, when given, the ASS file burned into the picture.

    The picture is encoded segment by segment into `segments_dir` (kept, so the
    next render re-encodes only segments whose shots or cards changed) and the
    segments are joined without re-encoding. `card_frames` maps a card kind
    ('title', 'credits') to a function returning a fresh iterator of its frames,
    and `card_keys` names what each card shows. `progress(done, total)` follows
    the frames. Written atomically to `out`."""
    check_size(timeline.width, timeline.height, out.name)
    mix_wav = Path(mix_wav)
    if not mix_wav.is_file():
        raise RenderError(f"{mix_wav}: mix not found")
    for subtitle in (subtitles_srt, burn_subtitles_ass):
        if subtitle is not None and not Path(subtitle).is_file():
            raise RenderError(f"{subtitle}: subtitles not found")
    out = Path(out)
    with scratch_dir(out.parent, "edit") as scratch:
        folder = Path(segments_dir) if segments_dir is not None else scratch
        pieces = encode_segments(timeline, layers(timeline, shot_clips, card_frames, card_keys), folder, progress, jobs)
        listing = write_concat_list(pieces, scratch / "segments.txt")
        soundtrack = encode_soundtrack(mix_wav, timeline, folder)
        return _join(timeline, listing, soundtrack, out, subtitles_srt, burn_subtitles_ass, subtitle_language, title)


def encode_segments(timeline: Timeline, all_layers: list[Layer], folder: Path,
                    progress: Callable[[int, int], None] | None = None, jobs: int = 2) -> list[Path]:
    """Each segment as a clip in `folder`, named by what it shows; existing ones are reused.

    Segments are independent, so `jobs` of them encode at once (each thread only
    shuttles frames between its own decoder and encoder processes)."""
    total = timeline.frame_count
    done = 0
    lock = threading.Lock()

    def advance(frames: int) -> None:
        nonlocal done
        with lock:
            done += frames
            if progress is not None:
                progress(done, total)

    def encode(segment: Segment, piece: Path) -> None:
        frames = _frames(segment.layers, segment.start, segment.length, timeline.width, timeline.height)
        write_clip(frames, piece, timeline.fps, timeline.width, timeline.height, crf=FILM_CRF, preset=FILM_PRESET,
                   progress=lambda: advance(1))

    pieces, todo = [], []
    for segment in segments(all_layers, total):
        key = segment.key(timeline)
        plain = segment.plain_clip()
        piece = plain or folder / (f"{key}.mp4" if key else f"segment-{segment.start}.mp4")
        pieces.append(piece)
        if plain or (key and reusable(piece)):
            advance(segment.length)
        else:
            todo.append((segment, piece))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # Each thread runs in a copy of the caller's context, so a progress callback that needs it still works.
        futures = [pool.submit(contextvars.copy_context().run, encode, segment, piece) for segment, piece in todo]
        for future in futures:
            future.result()
    seal(*(piece for segment, piece in todo if segment.key(timeline)))  # a keyless segment is never reused
    return pieces


def encode_soundtrack(mix_wav: Path, timeline: Timeline, folder: Path) -> Path:
    """The mix as the film's AAC track, padded or trimmed to exactly the picture's length, in `folder` under
    a name made from the mix's content. The sound stage encodes it while the shots render, so the join only
    copies it; a picture-only edit leaves the mix as it was, and its track is not encoded again. The folder
    keeps the latest track only."""
    seconds = timeline.frame_count / timeline.fps
    name = cache_key("soundtrack", [file_digest(Path(mix_wav)), f"{seconds:.6f}", AUDIO_BITRATE, AUDIO_CODER],
                     compositing_version())
    track = Path(folder) / f"sound-{name}.m4a"
    if not reusable(track):
        with atomic_path(track) as tmp:
            FFmpeg([
                "-i", str(mix_wav),
                "-af", f"apad=whole_dur={seconds:.6f},atrim=end={seconds:.6f}",
                "-c:a", "aac", "-aac_coder", AUDIO_CODER, "-b:a", AUDIO_BITRATE,
                "-f", "mp4", str(tmp),
            ], what=track.name).finish()
        seal(track)
    for old in Path(folder).glob("sound-*.m4a"):
        if old != track:
            old.unlink(missing_ok=True)
            seal_path(old).unlink(missing_ok=True)
    return track


def _join(timeline: Timeline, listing: Path, soundtrack: Path, out: Path, subtitles_srt: Path | None,
          burn_subtitles_ass: Path | None, subtitle_language: str, title: str) -> Path:
    """Segments + the encoded soundtrack + subtitles into the film; picture and sound are copied, unless
    subtitles are burned into the picture."""
    soft_track = subtitles_srt is not None and _has_cues(Path(subtitles_srt))
    if burn_subtitles_ass:
        picture = ["-vf", _burn_filter(Path(burn_subtitles_ass)),
                   "-c:v", "libx264", "-preset", FILM_PRESET, "-crf", str(FILM_CRF), "-pix_fmt", "yuv420p"]
    else:
        picture = ["-c:v", "copy"]
    with atomic_path(out) as tmp:
        FFmpeg([
            "-f", "concat", "-safe", "0", "-i", str(listing),
            "-i", str(soundtrack),
            *(["-i", str(subtitles_srt)] if soft_track else []),
            "-map", "0:v", "-map", "1:a:0",
            *(["-map", "2:s"] if soft_track else []),
            *picture,
            "-c:a", "copy",
            *(["-c:s", "mov_text", "-metadata:s:s:0", f"language={subtitle_language}"] if soft_track else []),
            *(["-metadata", f"title={title}"] if title else []),
            "-movflags", "+faststart",
            str(tmp),
        ], what=out.name).finish()
    seal(out)
    return out


def _has_cues(srt: Path) -> bool:
    # ffmpeg rejects an SRT without cues; a film with no spoken line simply has no subtitle track.
    return "-->" in srt.read_text(encoding="utf-8", errors="replace")


def _burn_filter(ass: Path) -> str:
    # The bundled fonts cover Chinese, which the system fonts may not: without
    # them libass draws empty boxes.
    fonts = f":fontsdir={filter_path(FONTS)}" if FONTS.is_dir() else ""
    return f"subtitles=filename={filter_path(ass)}{fonts}"


def filter_path(path: Path) -> str:
    """A file path escaped for a filter option inside an ffmpeg filtergraph
    (two levels: the option value, then the graph)."""
    value = str(path.resolve())
    for char in "\\':":
        value = value.replace(char, "\\" + char)
    for char in "\\'[],;":
        value = value.replace(char, "\\" + char)
    return value
