"""How close is the editor to the encode floor?

Builds the synthetic test film (every transition kind, title and credits
cards, a tone mix, subtitles) at 1280x720 and prints frames per second for:
writing the shot clips (and their pieces, as render workers do), composing
the picture alone (decode + transitions, no encode), the whole `assemble`, and
the floor: ffmpeg alone encoding the same picture with the same settings. One
run of each: the machine is shared.

    python benchmarks/encode.py                 # ~25 s film at 1280x720
    python benchmarks/encode.py --repeat 4 --size 640x360
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import edit_synthetic as syn

from storyagent.edit.assemble import assemble, film_frames
from storyagent.media.video import FILM_CRF, FILM_PRESET, ffmpeg_exe


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the ffmpeg processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run) -> tuple[float, float, object]:
    """Wall and CPU seconds of `run()`, and its result. CPU time is the steadier
    figure when other work shares the machine."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = run()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


def encode_floor(film: Path) -> tuple[float, float, object]:
    """Seconds ffmpeg alone takes to encode the film's picture again, as `assemble` does."""
    return timed(
        lambda: subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(film), "-map", "0:v", "-c:v", "libx264", "-preset", FILM_PRESET,
             "-crf", str(FILM_CRF), "-pix_fmt", "yuv420p", "-f", "null", "-"],
            check=True,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="copies of the five test shots (about 11 s each)")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tl = syn.timeline(folder, repeat=args.repeat, width=width, height=height)
        shot_frames = sum(tl.frames(s.duration) for s in tl.shots)
        mix = syn.write_tone(folder / "mix.wav", tl.duration)
        srt = syn.write_srt(folder / "subtitles.srt", tl)
        cards = syn.card_frames(tl)

        clip_s, clip_cpu, clips = timed(lambda: syn.shot_clips(folder, tl, pieces=True))  # as render workers write them
        compose_s, compose_cpu, _ = timed(lambda: sum(1 for _ in film_frames(tl, clips, cards)))
        assemble_s, assemble_cpu, film = timed(lambda: assemble(tl, clips, cards, mix, folder / "film.mp4", srt))
        floor_s, floor_cpu, _ = encode_floor(film)

    n = tl.frame_count
    print(f"film {tl.duration:.1f} s, {n} frames at {width}x{height}, {tl.fps} fps")
    print(f"{'':28}{'frames/s':>9}{'wall s':>8}{'CPU s':>8}")
    for label, frames, wall, cpu in (
        ("shot clips (draw + encode)", shot_frames, clip_s, clip_cpu),
        ("compose only (no encode)", n, compose_s, compose_cpu),
        ("assemble (film.mp4)", n, assemble_s, assemble_cpu),
        ("encode floor (ffmpeg alone)", n, floor_s, floor_cpu),
    ):
        print(f"{label:28}{frames / wall:9.1f}{wall:8.2f}{cpu:8.2f}")
    print(f"assemble / floor: wall {assemble_s / floor_s:.2f}, CPU {assemble_cpu / floor_cpu:.2f}")


if __name__ == "__main__":
    main()
