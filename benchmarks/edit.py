"""How long after a one-line narration edit is the film ready again?

Makes the default film with the CLI (timed), changes one narration line's text in
storyboard.json to a longer one (so the line's length and the timeline after it move),
runs `storyagent render` again (timed) and prints both, their ratio, and where the
re-render's time went: the stages film.json records, what the catalogue says was
rebuilt, and a cProfile of a second, similar edit's re-render (every thread of the
command's process; a shot worker process's time shows as waiting for it).

Each step runs in a child process, as a director's commands would. The machine's load
is printed before and after: compare ratios within one run only.

    python benchmarks/edit.py                # the 90 s default film
    python benchmarks/edit.py -d 30          # a 30 s film
    python benchmarks/edit.py --top 40       # more profile entries
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREMISE = "polar bear visits penguins"


# The graph runs its stages in threads, which cProfile alone does not see: each thread gets a profile of its
# own, and they are added up into one file when the command ends.
PROFILED = """
import atexit, cProfile, pstats, runpy, sys, threading
out, profiles = sys.argv[1], [cProfile.Profile()]
run = threading.Thread.run
def profiled(self):
    profile = cProfile.Profile()
    profiles.append(profile)
    profile.runcall(run, self)
threading.Thread.run = profiled
def dump():
    profiles[0].disable()
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        try:
            stats.add(profile)
        except TypeError:  # a thread still running at exit
            pass
    stats.dump_stats(out)
atexit.register(dump)
sys.argv = ["storyagent", *sys.argv[2:]]
profiles[0].enable()
runpy.run_module("storyagent", run_name="__main__")
"""


def storyagent(*args: str, profile: Path | None = None) -> float:
    """Seconds one `storyagent` command takes in a child process."""
    command = [sys.executable, *(["-c", PROFILED, str(profile)] if profile else ["-m", "storyagent"]), *args]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def edit_narration(storyboard: Path, ending: str) -> str:
    """Make a narration line in the middle of the film longer, saved as the CLI and the studio save; returns
    the shot's id."""
    from storyagent.storyboard import NARRATOR, Storyboard

    board = Storyboard.load(storyboard)
    shots = board.shots()
    for shot in shots[len(shots) // 2:] + shots:
        for line in shot.lines:
            if line.speaker == NARRATOR:
                line.text = line.text.rstrip(".!?") + ending
                board.save(storyboard)
                return shot.id
    raise SystemExit("the film has no narration line to edit")


def load() -> str:
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--duration", type=float, default=90.0)
    parser.add_argument("--top", type=int, default=25, help="profile entries to print")
    parser.add_argument("--keep", type=Path, help="make the film here (kept) instead of in a temporary folder")
    args = parser.parse_args()
    from storyagent.run import catalogue

    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        film_dir = args.keep or Path(tmp) / "film"
        storyboard = film_dir / "storyboard.json"
        full = storyagent("make", PREMISE, "-o", str(film_dir), "-d", str(args.duration), "--quiet")

        shot = edit_narration(storyboard, ", and the wind went quiet for a while.")
        edit = storyagent("render", str(storyboard), "--quiet")
        stage_seconds = json.loads((film_dir / "film.json").read_text(encoding="utf-8")).get("stage_seconds", {})
        last = catalogue.runs(film_dir)[-1]
        made = catalogue.artifacts(film_dir, last.id)
        rebuilt = sorted(f"{a.kind}:{a.name}" for a in made if a.action == "built")
        reused = sum(a.action == "reused" for a in made)

        # A second edit of the same size, profiled (cProfile slows Python code, so it is not the timed one).
        edit_narration(storyboard, " Far off, a bell rang twice.")
        profile = Path(tmp) / "render.prof"
        profiled = storyagent("render", str(storyboard), "--quiet", profile=profile)

        print(f"after:  {load()}")
        print(f"film of {args.duration:.0f} s")
        print(f"full make            {full:6.1f} s")
        print(f"render after editing {shot}: {edit:6.1f} s   ratio {edit / full:.3f}")
        print(f"rebuilt: {', '.join(rebuilt) or 'nothing'}; reused {reused} artifacts")
        stages = {k: round(v, 2) for k, v in stage_seconds.items() if not k.startswith("render:")}
        shots = {k: round(v, 2) for k, v in stage_seconds.items() if k.startswith("render:") and v}
        print(f"stages of the re-render (film.json): {stages}")
        print(f"shots rendered: {shots or 'none'}")
        print(f"outside the stages (start-up, imports, graph, checkpoints): {edit - sum(stage_seconds.values()):.2f} s"
              " (shots and sound run side by side, so this can come out low)")
        out = io.StringIO()
        pstats.Stats(str(profile), stream=out).sort_stats("cumulative").print_stats(args.top)
        print(f"\nprofile of a second such re-render ({profiled:.1f} s under cProfile), by cumulative time:")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


if __name__ == "__main__":
    main()
