"""The one owner of the film folder: what every artifact is named after (its
cache key), where it lives (paths relative to the folder, so a folder can be
moved or copied), and how it is written (atomically, under a temporary name
this module recognises again and removes after a crash, and nothing else).

    storyboard.json        the director's document (earlier versions kept as storyboard.v<N>.json)
    cast/<id>.png          character reference sheets
    voice/<key>.wav/.json  spoken lines and their timings
    shots/<id>.<key>.mp4   shot clips; shots/.parts/<id>.<key>.<head>-<tail>/ their pieces; shots/.thumbs/
    edit/<key>.mp4         the film's picture in segments between cuts
    timeline.json, music.mid, mix.wav, stems/*.wav, film.mp4, subtitles, exports
    .storyagent/           the run's own state: checkpoints, catalogue, lock, options, stem cache, scratch

A key is `key(kind, inputs, version)`: one canonical JSON encoding, one hash
length, so the same inputs name the same file and any change to them, or to
the code version that makes the artifact, names a new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

KEY_LENGTH = 20  # hex digits: 80 bits, no collision among a film's few thousand artifacts

# -- the film folder's layout, relative to it ----------------------------------------------

STATE_DIR = ".storyagent"
STORYBOARD = "storyboard.json"
CAST = "cast"
VOICE = "voice"
SHOTS = "shots"
SHOT_PARTS = f"{SHOTS}/.parts"
SHOT_THUMBS = f"{SHOTS}/.thumbs"
EDIT = "edit"
STEMS = "stems"
TIMELINE = "timeline.json"
FILM = "film.mp4"
CHECKPOINTS = f"{STATE_DIR}/checkpoints.sqlite"
CATALOGUE = f"{STATE_DIR}/catalogue.sqlite"
LOCK = f"{STATE_DIR}/lock"
OPTIONS = f"{STATE_DIR}/options.json"
MADE_BY = f"{STATE_DIR}/made-by"
STEM_CACHE = f"{STATE_DIR}/stems"
SCRATCH = f"{STATE_DIR}/scratch"

def planning_dir(parent: Path, run_key: str) -> Path:
    """Where a `make` without a film folder plans, before the title names its folder."""
    return Path(parent) / f"{STATE_DIR}-planning-{run_key}"


# The folders storyagent writes artifacts into: the only places its clean-up looks.
_WRITTEN = ("", CAST, VOICE, SHOTS, SHOT_THUMBS, EDIT, STEMS, STATE_DIR, STEM_CACHE)


def key(kind: str, inputs: Any, version: str | int) -> str:
    """The name of what `inputs` make under code `version`: same inputs, same key."""
    payload = json.dumps({"kind": kind, "version": str(version), "inputs": inputs},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def file_digest(path: Path) -> str:
    """A file's content, as a key input (a reference image the director swapped, say)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:KEY_LENGTH]


def source_version(*paths: str | os.PathLike[str]) -> str:
    """The version of the code in `paths` (files, or folders taken whole): editing any of
    it makes what it made stale, and nothing else."""
    files = sorted(
        file
        for path in map(Path, paths)
        for file in ([path] if path.is_file() else path.rglob("*"))
        if file.is_file() and "__pycache__" not in file.parts
    )
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:KEY_LENGTH]


def relative(path: str | os.PathLike[str], film_dir: Path) -> str:
    """`path` as stored in state and records: relative to the film folder, so the folder can move."""
    return Path(os.path.relpath(Path(film_dir, path), film_dir)).as_posix()


def resolve(stored: str | os.PathLike[str], film_dir: Path) -> Path:
    """A stored path back in the film folder where it is now."""
    return Path(film_dir) / stored


def reusable(path: Path) -> bool:
    """Whether a cached artifact can be used as it is (one place to verify it further)."""
    return path.is_file() and path.stat().st_size > 0


# -- atomic writes ---------------------------------------------------------------------

_MARK = "storyagent-partial"
_PARTIAL = re.compile(rf"^\..+\.{_MARK}-\d+(\.[A-Za-z0-9]+)?$")


def partial_path(path: Path) -> Path:
    """The temporary name beside `path` that a file is written under first. It keeps
    the suffix (ffmpeg picks the container by it) and is recognisable by `remove_leftovers`."""
    return path.with_name(f".{path.stem}.{_MARK}-{os.getpid()}{path.suffix}")


def is_partial(path: Path) -> bool:
    return bool(_PARTIAL.match(path.name))


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write to the yielded path; it is renamed to `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


@contextmanager
def scratch_dir(film_dir: Path, purpose: str) -> Iterator[Path]:
    """A private folder for a stage's working files, inside the state folder, removed afterwards
    (and by `remove_leftovers` if the run is killed)."""
    folder = Path(film_dir) / SCRATCH / f"{purpose}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        with suppress(OSError):  # another stage's scratch may still be in use
            folder.parent.rmdir()


def remove_leftovers(film_dir: Path) -> list[Path]:
    """What a killed run left half-written in `film_dir`: this module's temporary files, by
    name, in the folders storyagent writes, and its scratch folder. Nothing else is touched.
    Call it holding the folder's lock, so none of them is in use."""
    film_dir = Path(film_dir)
    folders = [film_dir / name for name in _WRITTEN]
    parts = film_dir / SHOT_PARTS
    if parts.is_dir():
        folders += [folder for folder in parts.iterdir() if folder.is_dir() and not folder.is_symlink()]
    removed = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for leftover in folder.iterdir():
            if is_partial(leftover) and leftover.is_file() and not leftover.is_symlink():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    scratch = film_dir / SCRATCH
    if scratch.is_dir() and not scratch.is_symlink():
        shutil.rmtree(scratch, ignore_errors=True)
        removed.append(scratch)
    return removed
