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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREMISE = "polar bear visits penguins"


def run_make(duration: float, out: Path, jobs: int | None) -> dict:
    """One `storyagent make` in a child process; its process tree's memory is sampled as it runs."""
    import psutil

    code = (
        "import json, time; from storyagent import make\n"
        "t = time.perf_counter()\n"
        f"r = make({PREMISE!r}, {str(out)!r}, duration={duration}" + (f", jobs={jobs}" if jobs else "") + ")\n"
        "print(json.dumps({'wall': time.perf_counter() - t, 'timings': r.timings, 'film': str(r.film)}))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"storyagent make failed with exit code {process.returncode}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["peak_mb"] = peak / 2**20
    return figures


def film_length(film: str) -> tuple[float, int]:
    from storyagent.media.video import probe

    info = probe(film)
    return info.duration, round(info.duration * 24)


def encode_floor(frames: int, width: int = 1280, height: int = 720) -> float:
    """Seconds ffmpeg alone takes to encode `frames` frames of a test pattern, as the film encode does."""
    from imageio_ffmpeg import get_ffmpeg_exe

    from storyagent.media.video import FILM_PRESET

    started = time.perf_counter()
    subprocess.run(
        [get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=24",
         "-frames:v", str(frames), "-c:v", "libx264", "-preset", FILM_PRESET, "-pix_fmt", "yuv420p", "-f", "null", "-"],
        check=True,
    )
    return time.perf_counter() - started


def report(label: str, figures: dict) -> None:
    length, frames = film_length(figures["film"])
    floor = encode_floor(frames)
    print(f"== {label}: film {length:.1f} s, {frames} frames")
    print(f"total wall          {figures['wall']:.1f} s   ratio to film length {figures['wall'] / length:.2f}")
    print(f"encode floor        {floor:.1f} s   total / floor {figures['wall'] / floor:.1f}")
    print(f"peak memory         {figures['peak_mb']:.0f} MiB (all processes: main, shot workers, ffmpeg)")
    stages = {k: v for k, v in figures["timings"].items() if not k.startswith("render:")}
    shots = [v for k, v in figures["timings"].items() if k.startswith("render:")]
    for stage, seconds in stages.items():
        print(f"  {stage:<8} {seconds:7.1f} s")
    print(f"  shots    {len(shots)} rendered in parallel with sound (per-shot times include waiting for a worker)")


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
