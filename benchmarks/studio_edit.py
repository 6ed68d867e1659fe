"""How soon does the film play again in the studio after a one-line narration edit?

Makes the default film with the CLI (timed: the full render), then starts the studio's app in this
process, as `storyagent studio` runs it, and does what a director does there: change one narration line
(longer), save, render, and wait for the stream's `film` event, on which the page plays the new film
(the exports follow; the `finished` event is timed too). Four edits, each of another line, from the last
narrated shot back: an edit either fits its shot (only the voice and the mix are made again) or lengthens
it (that shot is drawn again and the timeline after it moves). Prints each edit's times, their ratios to
the full make and the shots drawn again, then the median ratio of each kind.

The machine's load is printed before and after: compare ratios within one run only.

    python benchmarks/studio_edit.py           # the 90 s default film
    python benchmarks/studio_edit.py -d 30     # a 30 s film
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREMISE = "polar bear visits penguins"
# (which narrated line, from the last; words added to it)
EDITS = [(-1, " The sea was wide and grey."), (-2, " The wind was cold."), (-3, " Snow fell on the ice."),
         (-4, " Far away, a bird called.")]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def edit_and_render(client, film: str, headers: dict, shot_index: int, words: str) -> tuple[float, float, dict]:
    """Change one narration line, save and render through the studio's API. Seconds until the new film
    plays (the stream's `film` event, on which the page loads it) and until the render ends (the exports written)."""
    started = time.perf_counter()
    playable = None
    reply = client.get(f"/api/films/{film}/storyboard", headers=headers)
    board, etag = reply.json(), reply.headers["etag"]
    shots = [shot for scene in board["scenes"] for shot in scene["shots"] if shot["lines"]]
    shots[shot_index]["lines"][0]["text"] += words
    saved = client.put(f"/api/films/{film}/storyboard", json=board, headers={**headers, "If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert client.post(f"/api/films/{film}/render", json={}, headers=headers).status_code == 202
    with client.stream("GET", f"/api/films/{film}/events", headers=headers) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                event = json.loads(line[5:])
                if event.get("event") == "film":
                    playable = time.perf_counter() - started
                if event.get("event") in ("finished", "failed"):
                    break
    assert event["event"] == "finished" and playable is not None, event
    return playable, time.perf_counter() - started, event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--duration", type=float, default=90.0)
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from storyagent.studio import create_app

    root = Path(tempfile.mkdtemp(prefix="studio-edit-"))
    print(f"load before: {load()}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "storyagent", "make", PREMISE, "-d", str(args.duration), "-o", "film", "--quiet"],
                   cwd=root, check=True)
    full = time.perf_counter() - started
    film_dir = root / "film"
    length = json.loads((film_dir / "film.json").read_text())["duration"]
    print(f"full make: {full:.1f} s for a {length:.1f} s film ({full / length:.2f}x its length)")

    from storyagent.run.options import RunOptions
    from storyagent.run.stages import keep_shot_workers, warm_shot_workers, warm_stages

    keep_shot_workers()  # as `storyagent studio` does when it starts
    warm_shot_workers(RunOptions())
    warm_stages().join()
    token = "benchmark"
    client = TestClient(create_app(film_dir, token, "127.0.0.1", 8765), base_url="http://127.0.0.1:8765")
    headers = {"X-Storyagent-Token": token}
    ratios: dict[str, list[float]] = {"fits its shot": [], "lengthens its shot": []}
    for attempt, (index, words) in enumerate(EDITS, 1):
        playable, finished, _ = edit_and_render(client, ".", headers, index, words)
        stages = json.loads((film_dir / "film.json").read_text())["stage_seconds"]
        drawn = [k.removeprefix("render:") for k, v in stages.items() if k.startswith("render:") and v > 0]
        ratios["lengthens its shot" if drawn else "fits its shot"].append(playable / full)
        top = sorted(((v, k) for k, v in stages.items() if not k.startswith("render:")), reverse=True)[:4]
        print(f"edit {attempt}: the new film plays {playable:.1f} s after the save began: {playable / full:.3f}x the full "
              f"make (exports done at {finished:.1f} s, {finished / full:.3f}x); shots drawn again: "
              f"{', '.join(drawn) or 'none'}; " + ", ".join(f"{k} {v:.1f} s" for v, k in top))
    for kind, found in ratios.items():
        if found:
            print(f"an edit that {kind}: median {statistics.median(found):.3f}x the full make ({len(found)} edits)")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
