"""The edit for an editor (NLE): `timeline.otio`, and a CMX 3600 EDL.

The OTIO timeline mirrors the film exactly: one video track of the shot clip
files (cards as generator clips), dissolves and wipes as transitions, fades as
clip effects, and audio tracks for the voice lines and each sound stem.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from storyagent.cache import atomic_path, source_version, write_text_atomic
from storyagent.errors import RenderError
from storyagent.export import Exporter, ExportJob
from storyagent.plugins import NoOptions
from storyagent.storyboard import TransitionKind
from storyagent.timeline import ShotPlacement, Timeline, VoicePlacement

# -- OpenTimelineIO -----------------------------------------------------------------


class OtioExporter(Exporter):
    """The edit for an NLE: timeline.otio, and timeline.edl where the frame rate has SMPTE timecode."""

    name = "otio"
    version = source_version(__file__)

    def __init__(self, options: NoOptions) -> None:
        pass

    def export(self, job: ExportJob) -> dict[str, Path]:
        edit = build_otio(job.timeline, job.clips, job.stems, name=job.board.title, relative_to=job.film_dir)
        written = {"otio": save_otio(edit, job.film_dir / "timeline.otio")}
        if job.timeline.fps in EDL_RATES:  # other rates have no SMPTE timecode; the .otio still carries the edit
            written["edl"] = write_edl(edit, job.film_dir / "timeline.edl")
        return written


def build_otio(timeline: Timeline, shot_clips: dict[str, Path], stems: dict[str, Path], *, name: str = "",
               relative_to: Path | None = None):
    """The film as an `opentimelineio.schema.Timeline`.

    `stems` maps an audio track name ('music', 'effects') to a WAV that spans
    the film from its start. The voice is not a stem here: each line is its
    own clip on the voice track, so pass no 'voice' stem or it plays twice. Media paths are written relative to `relative_to`
    when given (the folder of the .otio file, so the film folder can move),
    else as absolute file URLs."""
    import opentimelineio as otio

    def url(path: Path) -> str:
        path = Path(path).resolve()
        if relative_to is not None:
            return Path(os.path.relpath(path, Path(relative_to).resolve())).as_posix()
        return path.as_uri()

    result = otio.schema.Timeline(name=name)
    result.metadata["storyagent"] = {"fps": timeline.fps, "width": timeline.width, "height": timeline.height}
    result.tracks.append(_video_track(otio, timeline, shot_clips, url))
    # Voice lines are stored relative to the film folder, where the .otio is written.
    for track in _voice_tracks(otio, timeline, lambda line: url(Path(relative_to or ".") / line)):
        result.tracks.append(track)
    for stem_name, wav in stems.items():
        track = otio.schema.Track(name=stem_name.capitalize(), kind=otio.schema.TrackKind.Audio)
        track.append(
            otio.schema.Clip(
                name=stem_name,
                media_reference=otio.schema.ExternalReference(target_url=url(wav)),
                source_range=_range(otio, 0.0, timeline.duration, timeline.fps),
            )
        )
        result.tracks.append(track)
    return result


def write_otio(timeline: Timeline, shot_clips: dict[str, Path], stems: dict[str, Path], out: Path, *,
               name: str = "") -> Path:
    """`timeline.otio`, with media paths relative to its folder."""
    out = Path(out)
    return save_otio(build_otio(timeline, shot_clips, stems, name=name, relative_to=out.parent), out)


def save_otio(film, out: Path) -> Path:
    """An OTIO timeline (from `build_otio`, relative to `out`'s folder) written as `.otio`."""
    import opentimelineio as otio

    with atomic_path(out) as tmp:  # the adapter writes only to a file name
        otio.adapters.write_to_file(film, str(tmp), adapter_name="otio_json")
    return Path(out)


# Frame rates SMPTE timecode (and so a CMX 3600 EDL) can express.
EDL_RATES = (24, 25, 30, 48, 50, 60)


def write_edl(film, out: Path) -> Path:
    """A CMX 3600 EDL of the picture track of an OTIO timeline (from
    `build_otio`). The format holds one video track: the audio is left out,
    and wipes are written as dissolves."""
    import opentimelineio as otio

    out = Path(out)
    picture = copy.deepcopy(film)  # the EDL writer trims clips in place
    for track in [t for t in picture.tracks if t.kind != otio.schema.TrackKind.Video]:
        picture.tracks.remove(track)
    rate = picture.metadata.get("storyagent", {}).get("fps") or picture.tracks[0].duration().rate
    try:
        text = otio.adapters.write_to_string(picture, adapter_name="cmx_3600", rate=rate)
    except (otio.exceptions.OTIOError, ValueError) as err:
        raise RenderError(f"{out.name}: cannot write the EDL: {err}") from None
    return write_text_atomic(out, text)


def _video_track(otio, timeline: Timeline, shot_clips: dict[str, Path], url):
    fps = timeline.fps
    track = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    # Cards and shots in film order: (first frame, frame count, the shot or None for a card, label).
    items: list[tuple[int, int, ShotPlacement | None, str]] = [
        (timeline.frames(card.start), timeline.frames(card.duration), None, card.kind) for card in timeline.cards
    ]
    items += [(timeline.frames(s.start), timeline.frames(s.duration), s, s.shot_id) for s in timeline.shots]
    items.sort(key=lambda item: item[0])

    cursor = 0
    head = 0  # frames of the current item already covered by the transition before it
    for n, (start, length, shot, label) in enumerate(items):
        if start > cursor:
            track.append(otio.schema.Gap(source_range=_frames(otio, 0, start - cursor, fps)))
        following = items[n + 1] if n + 1 < len(items) else None
        overlap = max(0, start + length - following[0]) if following else 0
        # OTIO places the cut in the middle of the overlap: the outgoing clip's tail
        # and the incoming clip's head beyond the cut are handles in their files.
        in_offset, out_offset = overlap // 2, overlap - overlap // 2
        visible = length - head - out_offset
        if shot is None:
            clip = otio.schema.Clip(
                name=f"{label} card",
                media_reference=otio.schema.GeneratorReference(
                    name=label, generator_kind="storyagent-card", parameters={"kind": label},
                    available_range=_frames(otio, 0, length, fps),
                ),
                source_range=_frames(otio, head, visible, fps),
                metadata={"cmx_3600": {"reel": label.upper()}},  # an EDL reel name has no spaces
            )
        else:
            clip = _shot_clip(otio, shot, shot_clips, url, head, visible, length, timeline)
        track.append(clip)
        if overlap:
            kind = following[2].transition_in if following[2] is not None else TransitionKind.DISSOLVE
            track.append(
                otio.schema.Transition(
                    name=kind.value,
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve
                    if kind == TransitionKind.DISSOLVE
                    else otio.schema.TransitionTypes.Custom,
                    in_offset=otio.opentime.RationalTime(in_offset, fps),
                    out_offset=otio.opentime.RationalTime(out_offset, fps),
                    metadata={"storyagent": {"kind": kind.value}},
                )
            )
        head = in_offset
        cursor = start + length - out_offset
    return track


def _shot_clip(otio, shot: ShotPlacement, shot_clips: dict[str, Path], url, head: int, visible: int, length: int,
               timeline: Timeline):
    fps = timeline.fps
    if shot.shot_id not in shot_clips:
        raise RenderError(f"shot {shot.shot_id}: no rendered clip to export")
    clip = otio.schema.Clip(
        name=shot.shot_id,
        media_reference=otio.schema.ExternalReference(
            target_url=url(shot_clips[shot.shot_id]), available_range=_frames(otio, 0, length, fps)
        ),
        source_range=_frames(otio, head, visible, fps),
        metadata={"storyagent": {"scene": shot.scene_id}},
    )
    # OTIO has no fade schema: fades from and to black are named effects an editor can read.
    for kind, seconds, effect_name in (
        (shot.transition_in, shot.transition_in_duration, "FadeIn"),
        (shot.transition_out, shot.transition_out_duration, "FadeOut"),
    ):
        if kind in (TransitionKind.FADE_IN, TransitionKind.FADE_OUT) and seconds > 0:
            clip.effects.append(
                otio.schema.Effect(name=kind.value, effect_name=effect_name,
                                   metadata={"storyagent": {"frames": timeline.frames(seconds)}})
            )
    return clip


def _voice_tracks(otio, timeline: Timeline, url) -> list:
    """Voice lines on as few tracks as keep them from overlapping (normally one)."""
    lanes: list[list[VoicePlacement]] = []
    for placement in sorted(timeline.voice, key=lambda v: v.start):
        lane = next((l for l in lanes if l[-1].start + l[-1].line.duration <= placement.start + 1e-6), None)
        if lane is None:
            lanes.append(lane := [])
        lane.append(placement)
    tracks = []
    for number, lane in enumerate(lanes, start=1):
        track = otio.schema.Track(name="Voice" if number == 1 else f"Voice {number}", kind=otio.schema.TrackKind.Audio)
        cursor = 0.0
        for placement in lane:
            if placement.start > cursor:
                track.append(otio.schema.Gap(source_range=_range(otio, 0.0, placement.start - cursor, timeline.fps)))
            line = placement.line
            track.append(
                otio.schema.Clip(
                    name=f"{line.shot_id} line {line.index + 1}",
                    media_reference=otio.schema.ExternalReference(target_url=url(line.audio)),
                    source_range=_range(otio, 0.0, line.duration, timeline.fps),
                    metadata={"storyagent": {"speaker": line.speaker, "text": line.text}},
                )
            )
            cursor = placement.start + line.duration
        tracks.append(track)
    return tracks


def _frames(otio, start: int, count: int, fps: int):
    return otio.opentime.TimeRange(otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(count, fps))


def _range(otio, start: float, seconds: float, fps: int):
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime.from_seconds(start, fps), otio.opentime.RationalTime.from_seconds(seconds, fps)
    )
