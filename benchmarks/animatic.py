"""Frames per second of the animatic renderer for a busy shot: two characters,
a snow storm over snowy mountains with props, a tracking camera; with the
shot's layout track, which the render stage writes beside every clip.

Measured in CPU time of this process (the renderer is single-threaded), so
the figure is one core's throughput even when other work shares the machine.

    python benchmarks/animatic.py [--frames 96]
"""

from __future__ import annotations

import argparse
import time

from storyagent.cast import assign_cast
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.storyboard import Storyboard

BUSY = {
    "title": "Benchmark",
    "characters": [
        {"id": "nanuk", "name": "Nanuk", "visual": {"keywords": ["polar bear"]}},
        {"id": "pip", "name": "Pip", "visual": {"keywords": ["penguin"]}},
    ],
    "locations": [{"id": "pass", "name": "The pass", "biome": "snowy-mountains", "weather": "storm",
                   "time_of_day": "dusk", "props": ["pine tree", "rock", "snowman"]}],
    "scenes": [{"id": "s", "location": "pass", "shots": [{
        "id": "busy",
        "characters": [{"character": "nanuk", "motion": "walk", "direction": "left-to-right"},
                       {"character": "pip", "motion": "jump", "direction": "left-to-right"}],
        "camera": {"size": "wide", "movement": "tracking", "duration": 8.0},
    }]}],
}


def frames_per_second(width: int, height: int, frames: int) -> float:
    board = assign_cast(Storyboard.model_validate(BUSY))
    job = ShotJob(board=board, shot_id="busy", frames=frames, width=width, height=height, fps=24)
    renderer = get_renderer("animatic")
    next(iter(renderer.frames(job.model_copy(update={"frames": 1}))))  # build the environment once
    started = time.process_time()
    for _ in renderer.frames(job):
        pass
    renderer.layout(job)  # the render stage writes the shot's layout track with its frames
    return frames / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    args = parser.parse_args()
    for width, height in ((1280, 720), (1920, 1080)):
        print(f"{width}x{height}: {frames_per_second(width, height, args.frames):.1f} frames/s (one core)")


if __name__ == "__main__":
    main()
