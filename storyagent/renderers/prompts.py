"""A shot, told the way video generation models understand it: a prompt and a
negative prompt, and a seed from the cast. The dit renderer and the hosted
generators send the same words.

Prompts put the camera first, then who does what and where each stands (left
or right, in front or behind, facing whom: the animatic's own blocking), then
where and in which light, then the style: the order of the captions these
models were trained on.
"""

from __future__ import annotations

import hashlib
import json
import re


from storyagent.renderers.animatic.motion import SPEED, Actor, blocking, pose
from storyagent.storyboard import (
    CameraAngle,
    CameraMovement,
    ScreenDirection,
    ShotSize,
    Storyboard,
    TimeOfDay,
    Weather,
)
from storyagent.storyboard.language import lemmas
from storyagent.world import world

SHOT_SIZES: dict[ShotSize, str] = {
    ShotSize.EXTREME_WIDE: "extreme wide shot",
    ShotSize.WIDE: "wide shot",
    ShotSize.FULL: "full shot",
    ShotSize.MEDIUM_WIDE: "medium wide shot",
    ShotSize.MEDIUM: "medium shot",
    ShotSize.MEDIUM_CLOSE_UP: "medium close-up",
    ShotSize.CLOSE_UP: "close-up",
    ShotSize.EXTREME_CLOSE_UP: "extreme close-up",
    ShotSize.INSERT: "insert shot",
}

ANGLES: dict[CameraAngle, str] = {
    CameraAngle.EYE_LEVEL: "",
    CameraAngle.LOW: "low-angle",
    CameraAngle.HIGH: "high-angle",
    CameraAngle.BIRDS_EYE: "aerial",
    CameraAngle.WORMS_EYE: "worm's-eye view",
    CameraAngle.DUTCH: "dutch-angle",
}

# {subject} is the framed character's name, or "the scene".
MOVEMENTS: dict[CameraMovement, str] = {
    CameraMovement.STATIC: "static camera",
    CameraMovement.PAN_LEFT: "slow pan left",
    CameraMovement.PAN_RIGHT: "slow pan right",
    CameraMovement.TILT_UP: "camera tilts up",
    CameraMovement.TILT_DOWN: "camera tilts down",
    CameraMovement.DOLLY_IN: "slow dolly in on {subject}",
    CameraMovement.DOLLY_OUT: "slow dolly out from {subject}, revealing the surroundings",
    CameraMovement.TRUCK_LEFT: "camera trucks left",
    CameraMovement.TRUCK_RIGHT: "camera trucks right",
    CameraMovement.PEDESTAL_UP: "camera rises straight up",
    CameraMovement.PEDESTAL_DOWN: "camera lowers straight down",
    CameraMovement.CRANE_UP: "crane shot rising up and away",
    CameraMovement.CRANE_DOWN: "crane shot descending into the scene",
    CameraMovement.ZOOM_IN: "slow zoom in on {subject}",
    CameraMovement.ZOOM_OUT: "slow zoom out",
    CameraMovement.TRACKING: "tracking shot following {subject}",
    CameraMovement.ORBIT: "orbiting shot circling {subject}",
    CameraMovement.HANDHELD: "handheld camera, slight shake",
}

LIGHT: dict[TimeOfDay, str] = {
    TimeOfDay.DAWN: "soft pink and golden dawn light",
    TimeOfDay.DAY: "bright daylight",
    TimeOfDay.DUSK: "warm orange and purple sunset light",
    TimeOfDay.NIGHT: "night, moonlight and stars",
}

WEATHER: dict[Weather, str] = {
    Weather.CLEAR: "",
    Weather.CLOUDY: "overcast clouds",
    Weather.SNOW: "gently falling snow",
    Weather.RAIN: "falling rain",
    Weather.FOG: "drifting fog",
    Weather.STORM: "a howling storm",
}

TOWARD_CAMERA: dict[ScreenDirection, str] = {
    ScreenDirection.TOWARD_CAMERA: "coming toward the camera",
    ScreenDirection.AWAY_FROM_CAMERA: "going away from the camera",
}
DEPTH_APART = 0.5  # one character is behind another when further back by this many heights of the smaller one

NEGATIVE_PROMPT = (
    "blurry, low quality, worst quality, jpeg artifacts, distorted, deformed, disfigured, extra limbs, "
    "fused fingers, bad anatomy, duplicate characters, text, caption, subtitles, watermark, logo, "
    "static still image, frozen frame, flickering, jittery motion, overexposed"
)


def camera_phrase(board: Storyboard, shot_id: str) -> str:
    """'Aerial wide shot, slow dolly in on Pip' from the shot's camera direction."""
    shot = _shot(board, shot_id)
    camera = shot.camera
    framing = " ".join(part for part in (ANGLES[camera.angle], SHOT_SIZES[camera.size]) if part)
    subject_id = camera.subject or (shot.characters[0].character if shot.characters else None)
    subject = board.character(subject_id).name if subject_id else "the scene"
    return f"{framing[0].upper()}{framing[1:]}, {MOVEMENTS[camera.movement].format(subject=subject)}"


def shot_prompt(board: Storyboard, shot_id: str) -> str:
    shot = _shot(board, shot_id)
    location = board.location(board.scene_of(shot_id).location)
    sentences = [camera_phrase(board, shot_id)]
    if shot.description:
        sentences.append(_clause(shot.description))
    staged = blocking_words(board, shot_id)
    for on in shot.characters:
        character = board.character(on.character)
        what = character.visual.keywords[0] if character.visual.keywords else "character"
        looks = f" ({_clause(character.description)})" if character.description else ""
        action = on.action or on.motion.description
        count = character.visual.count
        who = f"{_article(what)} {what}" if count == 1 else f"a group of {count}, each {_article(what)} {what}"
        said = _told(action, shot.description)  # say each action once
        sentences.append(f"{character.name}, {who}{looks}" + ("" if said else f", {_clause(action)}")
                         + f", {staged[on.character]}")
    place = [location.name, _clause(location.description), world().biome(location.biome).prompt, LIGHT[location.time_of_day],
             WEATHER[location.weather]]
    sentences.append("Setting: " + ", ".join(part for part in place if part))
    mood = shot.music_mood or board.scene_of(shot_id).mood
    sentences.append(f"Style: {_clause(board.style)}, {mood.description} mood, consistent characters, "
                     "smooth natural motion")
    return ". ".join(sentences) + "."


def blocking_words(board: Storyboard, shot_id: str) -> dict[str, str]:
    """Where each character of the shot stands and which way it faces, in words, as the animatic stages it
    (the same `motion.blocking`): 'on the left, facing Pip', 'on the right, behind Nanuk, facing Nanuk'."""
    shot = _shot(board, shot_id)
    actors = blocking(board, shot)
    names = {actor.look.id: board.character(actor.look.id).name for actor in actors}
    ranked = sorted(actors, key=lambda actor: actor.home)
    depth = {actor.look.id: pose(actor, shot.camera.duration / 2, 0.5, 0.0).depth for actor in actors}
    words = {}
    for actor in actors:
        parts = [_side(ranked.index(actor), len(ranked))] if len(actors) > 1 else []
        for other in actors:
            apart = depth[actor.look.id] - depth[other.look.id]
            if abs(apart) > DEPTH_APART * min(actor.look.height, other.look.height):
                parts.append(f"{'behind' if apart > 0 else 'in front of'} {names[other.look.id]}")
        parts.append(_facing(actor, actors, names))
        words[actor.look.id] = ", ".join(parts)
    return words


def _side(rank: int, count: int) -> str:
    if rank == 0:
        return "on the left"
    return "on the right" if rank == count - 1 else "in the middle"


def _facing(actor: Actor, actors: list[Actor], names: dict[str, str]) -> str:
    """Which way it goes, else whom it faces (the nearest character on the side it faces), else which way."""
    if actor.on.direction in TOWARD_CAMERA:
        return TOWARD_CAMERA[actor.on.direction]
    if actor.on.motion in SPEED:
        return "moving from left to right" if actor.facing > 0 else "moving from right to left"
    ahead = [other for other in actors if (other.home - actor.home) * actor.facing > 0]
    if ahead:
        return f"facing {names[min(ahead, key=lambda other: abs(other.home - actor.home)).look.id]}"
    return "facing right" if actor.facing > 0 else "facing left"


def _told(action: str, description: str) -> bool:
    """Whether the description tells the action already, in either number ('stands still' in 'The polar bear
    and the penguins stand still')."""
    if _clause(action) in description:
        return True
    said, told = _verbs_as_lemmas(action), _verbs_as_lemmas(description)
    return bool(said) and any(told[i:i + len(said)] == said for i in range(len(told) - len(said) + 1))


def _verbs_as_lemmas(text: str) -> list[str]:
    return [(lemmas(word).get("VERB") or (word,))[0] for word in re.findall(r"[a-z']+", text.lower())]


def _clause(text: str) -> str:
    """Text without its closing punctuation (English or Chinese), to join into sentences."""
    return text.strip().rstrip(".。!！?？;；").strip()


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def shot_seed(board: Storyboard, shot_id: str) -> int:
    """Stable per shot and fixed by the cast: the same characters and shot id give the same noise."""
    shot = _shot(board, shot_id)
    location = board.location(board.scene_of(shot_id).location)
    key = {
        "shot": shot_id,
        "cast": [[on.character, board.character(on.character).seed] for on in shot.characters],
        "location": [location.id, location.seed],
    }
    return int.from_bytes(hashlib.sha256(json.dumps(key, sort_keys=True).encode()).digest()[:4], "big")


def _shot(board: Storyboard, shot_id: str):
    return next(s for s in board.shots() if s.id == shot_id)
