"""Small storyboards with a premise reading, made by hand: what the report and the lint read."""

from __future__ import annotations

from typing import Any

from storyagent.storyboard import Storyboard

SNOWMAN_PREMISE: dict[str, Any] = {
    "text": "two robots build a snowman together before the sun melts it",
    "story": "build",
    "characters": [{"name": "robots", "kind": "robot", "count": 2}],
    "action": "build a snowman", "verb": "build", "target": "snowman",
    "obstacle": "before the sun melts it", "threat": "sun",
    "places": [{"name": "snowy hill"}],
    "props": [{"name": "snowman"}, {"name": "pine tree"}],
    "notes": ["not used: together"],
}


def shot(shot_id: str, *on: tuple[str, str], size: str = "medium", lines: list[str] | None = None,
         description: str = "", sound: list[str] | None = None) -> dict[str, Any]:
    """A 5-second shot with (character, action) pairs on screen and narration lines."""
    return {"id": shot_id, "description": description, "camera": {"size": size, "duration": 5},
            "characters": [{"character": who, "action": action} for who, action in on],
            "lines": [{"text": text} for text in lines or []],
            "sound": [{"tag": tag} for tag in sound or []]}


def snowman_board(premise: dict[str, Any] | None = None, **changes: Any) -> Storyboard:
    """Two robots build a snowman on a snowy hill; the sun rises in the second scene and melts it."""
    data: dict[str, Any] = {
        "title": "The Robots and the Snowman",
        "premise": premise if premise is not None else SNOWMAN_PREMISE,
        "characters": [
            {"id": "robots", "name": "Robots", "visual": {"keywords": ["robot"], "count": 2}},
            {"id": "snowman", "name": "Snowman", "visual": {"keywords": ["snowman"]}},
        ],
        "locations": [
            {"id": "hill", "name": "Snowy hill", "biome": "snowy-mountains", "props": ["pine tree"], "weather": "snow"},
            {"id": "hill-dawn", "name": "Snowy hill", "biome": "snowy-mountains", "time_of_day": "dawn"},
        ],
        "scenes": [
            {"id": "build", "location": "hill", "shots": [
                shot("build-1", ("robots", "builds the snowman"), ("snowman", ""), size="wide"),
                shot("build-2", ("robots", "rolls a big snowball")),
                shot("build-3", ("robots", "keeps building"), ("snowman", ""), size="close-up"),
            ]},
            {"id": "melt", "location": "hill-dawn", "shots": [
                shot("melt-1", ("snowman", "starts melting"), size="wide"),
                shot("melt-2", ("robots", "shade the snowman"), ("snowman", "")),
            ]},
        ],
    }
    data.update(changes)
    return Storyboard.model_validate(data)
