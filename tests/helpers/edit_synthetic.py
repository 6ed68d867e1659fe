"""Test inputs for the editor and the exports: a storyboard whose shots use
every transition, each shot a flat colour with a moving square (so a blend or a
fade is measurable), a sine-tone mix and subtitles. Not product code."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from storyagent.edit.assemble import shot_parts
from storyagent.media.video import write_clip
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline, build_timeline
from storyagent.voice.speak import SpokenLine

SAMPLE_RATE = 48_000
# (shot id, colour, planned seconds, transition in, transition out)
SHOTS = [
    ("s1", (200, 40, 40), 2.5, "fade-in", "cut"),
    ("s2", (40, 200, 40), 2.5, "dissolve", "cut"),
    ("s3", (40, 40, 200), 2.5, "wipe", "cut"),
    ("s4", (200, 200, 40), 2.0, "cut", "fade-out"),
    ("s5", (40, 200, 200), 2.0, "fade-in", "fade-out"),
]
COLOURS = {shot_id: colour for shot_id, colour, *_ in SHOTS}
CARD_COLOURS = {"title": (230, 230, 230), "credits": (90, 60, 120)}


def storyboard(repeat: int = 1) -> Storyboard:
    """Five shots (repeated `repeat` times for longer films) in one scene."""
    shots = []
    for r in range(repeat):
        for shot_id, _, seconds, kind_in, kind_out in SHOTS:
            shots.append(
                {
                    "id": shot_id if r == 0 else f"{shot_id}-{r}",
                    "camera": {"size": "wide", "duration": seconds},
                    "transition_in": {"kind": kind_in, "duration": 0.5},
                    "transition_out": {"kind": kind_out, "duration": 0.5},
                    "lines": [{"text": f"Line of shot {shot_id}."}],
                }
            )
    return Storyboard.model_validate(
        {
            "title": "Test Film",
            "locations": [{"id": "ice", "name": "Ice", "biome": "sea-ice"}],
            "scenes": [{"id": "one", "location": "ice", "shots": shots}],
        }
    )


def timeline(folder: Path, *, repeat: int = 1, width: int = 320, height: int = 180, fps: int = 24) -> Timeline:
    """The storyboard timed with one 1 s tone line per shot (written to `folder`)."""
    board = storyboard(repeat)
    spoken = []
    for shot in board.shots():
        audio = folder / "voice" / f"{shot.id}-0.wav"
        write_tone(audio, 1.0, 330.0)
        spoken.append(SpokenLine(shot_id=shot.id, index=0, speaker="narrator", text=shot.lines[0].text,
                                 audio=str(audio), duration=1.0))
    return build_timeline(board, spoken, fps=fps, width=width, height=height, title_seconds=1.0, credits_seconds=1.5)


def colour_of(shot_id: str) -> tuple[int, int, int]:
    return COLOURS[shot_id.split("-")[0]]


def moving_square(colour: tuple[int, int, int], count: int, width: int, height: int) -> Iterator[np.ndarray]:
    """A flat colour with a white square crossing the upper left quarter."""
    side = height // 6
    for i in range(count):
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = colour
        x = (i * 4) % (width // 2 - side)
        frame[side : 2 * side, x : x + side] = 255
        yield frame


def shot_clips(folder: Path, tl: Timeline, *, pieces: bool = False) -> dict[str, Path]:
    """A clip per shot; with `pieces`, also the pieces the editor cuts it into, as a render worker writes them."""
    clips = {}
    for shot in tl.shots:
        frames = moving_square(colour_of(shot.shot_id), tl.frames(shot.duration), tl.width, tl.height)
        clip = folder / "shots" / f"{shot.shot_id}.mp4"
        if pieces:
            clips[shot.shot_id] = shot_parts(tl, shot.shot_id, clip).write(frames, tl.fps, tl.width, tl.height)
        else:
            clips[shot.shot_id] = write_clip(frames, clip, tl.fps, tl.width, tl.height)
    return clips


def card_frames(tl: Timeline):
    def source(kind: str):
        card = next(c for c in tl.cards if c.kind == kind)
        return lambda: moving_square(CARD_COLOURS[kind], tl.frames(card.duration), tl.width, tl.height)

    return {card.kind: source(card.kind) for card in tl.cards}


def write_tone(path: Path, seconds: float, hz: float = 220.0, amplitude: float = 0.3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.repeat(mono, 2).tobytes())
    return path


def write_srt(path: Path, tl: Timeline) -> Path:
    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02},{ms % 1000:03}"

    cues = [
        f"{n}\n{stamp(v.start)} --> {stamp(v.start + v.line.duration)}\n{v.line.text}\n"
        for n, v in enumerate(tl.voice, start=1)
    ]
    path.write_text("\n".join(cues), encoding="utf-8")
    return path


def write_ass(path: Path, srt: Path) -> Path:
    import pysubs2

    subs = pysubs2.load(str(srt))
    subs.info["PlayResX"], subs.info["PlayResY"] = "320", "180"
    subs.styles["Default"].fontsize = 18
    subs.save(str(path))
    return path
