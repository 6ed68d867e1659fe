"""How fast and how lean is `storyagent make` with the default backends?

Prints, for a film of the default length (and optionally a long one): wall
seconds, the ratio to the film's length, seconds per stage, peak memory, and the
ratio to the encode floor (ffmpeg alone encoding as many frames).

    python benchmarks/make.py                 # the 90 s default film
    python benchmarks/make.py --long 360      # also a 6 min film, to compare peak memory
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREMISE = "polar bear visits penguins"


def run_make(duration: float, out: Path, jobs: int | None) -> dict:
    """One `storyagent make` in a child process, so its peak memory is its own."""
    code = (
        "import json, resource, sys, time; from storyagent import make\n"
        "t = time.perf_counter()\n"
        f"r = make({PREMISE!r}, {str(out)!r}, duration={duration}" + (f", jobs={jobs}" if jobs else "") + ")\n"
        "wall = time.perf_counter() - t\n"
        "peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'wall': wall, 'timings': r.timings, 'film': str(r.film),"
        " 'peak_mb': peak_self, 'peak_children_mb': peak_children}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def film_length(film: str) -> tuple[float, int]:
    from storyagent.video import probe

    info = probe(film)
    return info.duration, round(info.duration * 24)


def encode_floor(frames: int, width: int = 1280, height: int = 720) -> float:
    """Seconds ffmpeg alone takes to encode `frames` frames of a test pattern, as the film encode does."""
    from imageio_ffmpeg import get_ffmpeg_exe

    started = time.perf_counter()
    subprocess.run(
        [get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=24",
         "-frames:v", str(frames), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-f", "null", "-"],
        check=True,
    )
    return time.perf_counter() - started


def report(label: str, figures: dict) -> None:
    length, frames = film_length(figures["film"])
    floor = encode_floor(frames)
    print(f"== {label}: film {length:.1f} s, {frames} frames")
    print(f"total wall          {figures['wall']:.1f} s   ratio to film length {figures['wall'] / length:.2f}")
    print(f"encode floor        {floor:.1f} s   total / floor {figures['wall'] / floor:.1f}")
    print(f"peak memory         main {figures['peak_mb']:.0f} MiB, largest worker {figures['peak_children_mb']:.0f} MiB")
    stages = {k: v for k, v in figures["timings"].items() if not k.startswith("render:")}
    shots = [v for k, v in figures["timings"].items() if k.startswith("render:")]
    for stage, seconds in stages.items():
        print(f"  {stage:<8} {seconds:7.1f} s")
    print(f"  shots    {sum(shots):7.1f} s of worker time over {len(shots)} shots (run in parallel)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--long", type=float, default=None, help="also make a film this long (seconds)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report(f"{args.duration:g} s film", run_make(args.duration, Path(tmp) / "a", args.jobs))
        if args.long:
            report(f"{args.long:g} s film", run_make(args.long, Path(tmp) / "b", args.jobs))


if __name__ == "__main__":
    main()
