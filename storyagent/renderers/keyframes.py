"""What a generator starts a shot from: the cast's reference images and the pre-vis keyframes.

A keyframe is the shot's first (or last) frame as the animatic stages it, at the size the generator
asks for, with the characters as the cast draws them; a character with its own reference image is
left out of the animatic and its image stands in the frame instead, so the model starts from that look.

Keyframes live where a director can see and replace them, `keyframes/<shot id>.first.png` and
`.last.png`. A file drawn here is drawn again when its shot changes; a file the director replaced is
theirs and used as it is (deleting it brings the pre-vis back). `key_inputs` tells the two apart
without drawing, so replacing one keyframe changes that shot's cache key and no other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from storyagent import cache
from storyagent.plugins import NoOptions
from storyagent.renderers.animatic.renderer import AnimaticRenderer
from storyagent.renderers.base import ShotJob
from storyagent.storyboard import Character

Which = Literal["first", "last"]


# -- the cast ------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """How one character on screen must look."""

    character: str
    image: Image.Image  # RGBA: a transparent background lets it stand in a keyframe
    path: Path
    own: bool  # an image the storyboard names, which the animatic cannot draw


def reference_images(job: ShotJob) -> list[Reference]:
    """The reference image of each character on screen, in screen order."""
    references = []
    seen: set[str] = set()
    for on in job.board.shot(job.shot_id).characters:
        if on.character in seen:
            continue
        seen.add(on.character)
        character = job.board.character(on.character)
        own = own_reference(job, character)
        path = own or cast_sheet(job, character)
        if path is not None:
            with Image.open(path) as image:
                references.append(Reference(character.id, image.convert("RGBA"), path, own is not None))
    return references


def own_reference(job: ShotJob, character: Character) -> Path | None:
    """The image the storyboard names for the character, found from the film folder (where storyboard.json lives)."""
    if not character.visual.reference_image or job.cast_dir is None:
        return None
    path = job.cast_dir.parent / character.visual.reference_image
    return path if path.is_file() else None


def cast_sheet(job: ShotJob, character: Character) -> Path | None:
    if job.cast_dir is None:
        return None
    sheet = job.cast_dir / f"{character.id}.png"
    return sheet if sheet.is_file() else None


# -- keyframes -----------------------------------------------------------------


def keyframe_path(film_dir: Path, shot_id: str, which: Which) -> Path:
    return Path(film_dir) / cache.KEYFRAMES / f"{shot_id}.{which}.png"


def _drawn_record(path: Path) -> Path:
    return path.with_name(f".{path.name}.json")


def replaced_by_director(path: Path) -> bool:
    """Whether the keyframe at `path` is an image the director put there rather than one drawn here."""
    if not path.is_file():
        return False
    try:
        drawn = json.loads(_drawn_record(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # no record of drawing it: someone else's file
    return not isinstance(drawn, dict) or drawn.get("digest") != cache.file_digest(path)


def key_inputs(film_dir: Path | None, shot_id: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """For each keyframe a renderer starts from: the director's image by its content where they replaced
    it, else "pre-vis" (drawn from the shot's inputs, which the shot's key holds already)."""
    inputs = {}
    for which in wanted:
        path = keyframe_path(film_dir, shot_id, which) if film_dir is not None else None
        director = path is not None and replaced_by_director(path)
        inputs[which] = f"director:{cache.file_digest(path)}" if director else "pre-vis"
    return inputs


def keyframes(job: ShotJob, width: int, height: int, wanted: tuple[Which, ...]) -> dict[Which, Image.Image]:
    """The shot's keyframes at `width` x `height`: the director's where they replaced one (fitted to the
    size), else drawn from the pre-vis and, in a film folder, kept there for the director to see."""
    from storyagent.media.video import fit_frame

    made_from = _drawn_key(job, width, height)
    found: dict[Which, Image.Image] = {}
    for which in wanted:
        path = keyframe_path(job.film_dir, job.shot_id, which) if job.film_dir is not None else None
        if path is not None and replaced_by_director(path):
            with Image.open(path) as image:
                found[which] = Image.fromarray(fit_frame(np.asarray(image.convert("RGB")), width, height))
        elif path is not None and _drawn_from(path) == made_from:
            with Image.open(path) as image:
                found[which] = image.convert("RGB")
        else:
            found[which] = draw_keyframe(job, width, height, which)
            if path is not None:
                _keep(found[which], path, made_from)
    return found


def _drawn_key(job: ShotJob, width: int, height: int) -> str:
    inputs = job.model_dump(mode="json", include={"board", "shot_id", "frames", "fps"})
    references = {ref.character: cache.file_digest(ref.path) for ref in reference_images(job) if ref.own}
    return cache.key("keyframe", inputs | {"size": [width, height], "references": references}, AnimaticRenderer.version)


def _drawn_from(path: Path) -> str | None:
    try:
        drawn = json.loads(_drawn_record(path).read_text(encoding="utf-8"))
        return drawn["key"] if drawn.get("digest") == cache.file_digest(path) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _keep(image: Image.Image, path: Path, made_from: str) -> None:
    with cache.atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    record = {"key": made_from, "digest": cache.file_digest(path)}
    cache.write_text_atomic(_drawn_record(path), json.dumps(record) + "\n")


def draw_keyframe(job: ShotJob, width: int, height: int, which: Which) -> Image.Image:
    """The animatic's first or last frame of the shot at `width` x `height`, the characters who have their
    own reference image standing in as those images."""
    references = reference_images(job)
    own = [ref for ref in references if ref.own]
    board = job.board
    if own:
        board = board.model_copy(deep=True)
        shot = board.shot(job.shot_id)
        shot.characters = [on for on in shot.characters if on.character not in {ref.character for ref in own}]
        shot.camera.subject = None
    seconds = 0.0 if which == "first" else (job.frames - 1) / job.fps
    sized = job.model_copy(update={"board": board, "width": width, "height": height, "speech": []})
    image = Image.fromarray(AnimaticRenderer(NoOptions()).still(sized, seconds))
    for i, ref in enumerate(own):
        slot = width // len(own)
        figure = ref.image.copy()
        figure.thumbnail((slot, height * 2 // 3))
        image.paste(figure, (i * slot + (slot - figure.width) // 2, height - figure.height), figure)
    return image
