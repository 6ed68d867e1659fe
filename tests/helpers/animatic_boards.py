"""Storyboards built in code for the animatic tests: one place, one shot per
camera set-up, so a test changes exactly one thing at a time."""

from __future__ import annotations

from typing import Any

import numpy as np

from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.storyboard import Storyboard

BEAR = {"id": "nanuk", "name": "Nanuk", "visual": {"keywords": ["polar bear"], "scale": 1.4}}
PENGUIN = {"id": "pip", "name": "Pip", "visual": {"keywords": ["penguin"], "scale": 0.5}}


def shot(shot_id: str, size: str = "full", movement: str = "static", *, angle: str = "eye-level",
         characters: list[dict[str, Any]] | None = None, duration: float = 2.0) -> dict[str, Any]:
    return {
        "id": shot_id,
        "characters": characters if characters is not None else [{"character": "nanuk"}],
        "camera": {"size": size, "angle": angle, "movement": movement, "duration": duration},
    }


def board(shots: list[dict[str, Any]], *, biome: str = "sea-ice", time_of_day: str = "day", weather: str = "clear",
          props: list[str] | None = None, location_id: str = "ice", extra_locations: list[dict] = (),
          scenes: list[dict] | None = None) -> Storyboard:
    location = {"id": location_id, "name": "The ice", "biome": biome, "time_of_day": time_of_day,
                "weather": weather, "props": props if props is not None else [], "seed": 7}
    return Storyboard.model_validate({
        "title": "Test",
        "characters": [BEAR, PENGUIN],
        "locations": [location, *extra_locations],
        "scenes": scenes or [{"id": "s1", "location": location_id, "shots": shots}],
    })


def render(b: Storyboard, shot_id: str, frames: int = 1, width: int = 320, height: int = 180,
           fps: int = 24) -> list[np.ndarray]:
    job = ShotJob(board=b, shot_id=shot_id, frames=frames, width=width, height=height, fps=fps)
    return [frame[..., :3] for frame in get_renderer("animatic").frames(job)]  # RGB, as a viewer sees it
