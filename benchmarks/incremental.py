"""How long does a director wait after a small edit?

Makes the default film, changes one shot's narration, renders again, and prints
the re-render time as a ratio to the full render, with what was rebuilt.

    python benchmarks/incremental.py [--duration 90]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import storyagent
from storyagent.run import catalogue

PREMISE = "polar bear visits penguins"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=90.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        film_dir = Path(tmp) / "film"
        started = time.perf_counter()
        result = storyagent.make(PREMISE, film_dir, duration=args.duration)
        full = time.perf_counter() - started

        board = storyagent.Storyboard.load(result.storyboard)
        shot = next(s for s in board.shots()[len(board.shots()) // 2:] if s.lines)
        shot.lines[0].text = shot.lines[0].text.rstrip(".") + ", slowly."
        board.save(result.storyboard)

        started = time.perf_counter()
        again = storyagent.renderers(result.storyboard)
        edit = time.perf_counter() - started

        last = catalogue.runs(film_dir)[-1]
        made = catalogue.artifacts(film_dir, last.id)
        rebuilt = sorted(f"{a.kind}:{a.name}" for a in made if a.action == "built")
        reused = sum(a.action == "reused" for a in made)
        print(f"full render          {full:6.1f} s")
        print(f"after editing {shot.id}: {edit:6.1f} s   ratio {edit / full:.2f}")
        print(f"rebuilt: {', '.join(rebuilt) or 'nothing'}; reused {reused} artifacts")
        stages = {k: round(v, 1) for k, v in again.timings.items() if not k.startswith("render:")}
        print(f"stages of the re-render: {stages}")


if __name__ == "__main__":
    main()
