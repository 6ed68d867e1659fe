"""Seconds to plan each premise of the test data, after a first plan per language
that pays the one-time load (parsers, dictionaries, world data), timed apart.
The issue's bar: under a second per premise on this machine, the load excluded.

    python benchmarks/plan.py [premises.json] [--planner template] [--duration 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "premises.json"


def timed_plan(premise: str, args: argparse.Namespace) -> float:
    from storyagent.planners import plan

    started = time.perf_counter()
    plan(premise, planner=args.planner, duration=args.duration, seed=args.seed)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("premises", nargs="?", type=Path, default=DATA, help="JSON list of {premise, language}")
    parser.add_argument("--planner", default="template")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    entries = json.loads(args.premises.read_text(encoding="utf-8"))
    started = time.perf_counter()
    import storyagent.planners  # noqa: F401  (the import is part of the one-time cost)

    print(f"import storyagent.planners   {time.perf_counter() - started:6.3f} s")
    for language in dict.fromkeys(entry["language"] for entry in entries):
        first = next(entry["premise"] for entry in entries if entry["language"] == language)
        print(f"first plan ({language}), one-time load {timed_plan(first, args):6.3f} s   {first}")

    times = sorted((timed_plan(entry["premise"], args), entry["premise"]) for entry in entries)
    seconds = [took for took, _ in times]
    slowest, premise = times[-1]
    print(f"{len(times)} premises, {args.planner} planner, {args.duration:g} s films: "
          f"median {statistics.median(seconds):.3f} s, max {slowest:.3f} s ({premise})")


if __name__ == "__main__":
    main()
