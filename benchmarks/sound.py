"""Seconds to voice, score and mix a storyboard, as a ratio to the film's length
(below 1 means faster than real time). The voice cache is bypassed: every line
is synthesised, as on a first run.

    python benchmarks/sound.py [storyboard.json] [--engine piper|espeak] [--synth fluidsynth|builtin]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from storyagent.sound.mix import mix
from storyagent.storyboard import Storyboard
from storyagent.timeline import build_timeline
from storyagent.voice import cast_voices, choose_engine
from storyagent.voice.speak import speak_lines

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "all-the-way-south.storyboard.json"  # examples live in the checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("storyboard", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--engine", default=None, help="voice engine (default: the best available)")
    parser.add_argument("--synth", default=None, help="music synth (default: fluidsynth when installed)")
    args = parser.parse_args()

    board = Storyboard.load(args.storyboard)
    engine = choose_engine(board.language, args.engine)
    board = cast_voices(board, engine, recast=args.engine is not None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        spoken = speak_lines(board, out)
        voiced = time.perf_counter()
        timeline = build_timeline(board, spoken)
        result = mix(timeline, board, out, music_synth=args.synth)
        mixed = time.perf_counter()

    voice_s, mix_s = voiced - started, mixed - voiced
    total = voice_s + mix_s
    print(f"{args.storyboard.name}: {timeline.duration:.1f} s film, {len(spoken)} lines, voice engine {engine}, "
          f"music {result.music_synth}")
    print(f"voice  {voice_s:6.2f} s  ({voice_s / timeline.duration:.3f} x film length)")
    print(f"score+mix {mix_s:6.2f} s  ({mix_s / timeline.duration:.3f} x film length)")
    print(f"total  {total:6.2f} s  ratio {total / timeline.duration:.3f}   "
          f"mix {result.loudness_lufs:.1f} LUFS, true peak {result.true_peak_dbtp:.1f} dBTP")


if __name__ == "__main__":
    main()
