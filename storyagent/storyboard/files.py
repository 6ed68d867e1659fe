"""Storyboard files: keeping the director's earlier versions, and migrating
old schema versions forward one step at a time."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from storyagent.cache import check_file_target, write_bytes_atomic, write_text_atomic
from storyagent.errors import StoryboardError

if TYPE_CHECKING:
    from storyagent.storyboard.model import Storyboard

SCHEMA_VERSION = 3


def save_keeping_previous(board: "Storyboard", path: str | os.PathLike[str]) -> Path | None:
    """Save `board`; a different file already at `path` is the director's work, so it is
    first kept as <name>.v<N>.json. Returns the kept copy's path, if one was made.

    A storyboard that is a symbolic link is written where the link points (the link stays
    a link, the director's file is the one updated). A read-only storyboard is never replaced."""
    path = Path(path)
    check_file_target(path)
    text = board.to_json()
    target = path.resolve() if path.is_symlink() else path
    if not target.exists():
        write_text_atomic(target, text)
        return None
    previous = target.read_bytes()
    if previous == text.encode("utf-8"):
        return None
    if not os.access(target, os.W_OK) or not target.stat().st_mode & stat.S_IWUSR:
        raise StoryboardError(f"{path}: read-only, so storyagent does not replace it; make it writable "
                              f"(chmod u+w) or give another file")
    kept = _free_version(path)
    write_bytes_atomic(kept, previous)  # whole or not at all, even on a full disk
    shutil.copystat(target, kept)
    write_text_atomic(target, text)
    return kept


def _free_version(path: Path) -> Path:
    """The first <name>.v<N>.json not taken yet."""
    version = 1
    while (kept := path.with_name(f"{path.name.removesuffix('.json')}.v{version}.json")).exists():
        version += 1
    return kept


# -- schema versions -------------------------------------------------------

# MIGRATIONS[n] turns a version-n document (a dict) into a version n+1 document.
# Add one function per format change so today's files still open tomorrow.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: lambda doc: doc,  # 2 added `visual.count`; its default, one, is what version 1 drew
    2: lambda doc: doc,  # 3 added `narrator`, the narration's voice; the cast fills it in
}


def migrate(data: dict[str, Any], source: str = "<storyboard>") -> dict[str, Any]:
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoryboardError(f"{source}: schema_version: must be a positive integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise StoryboardError(
            f"{source}: schema_version: {version} is newer than this storyagent understands "
            f"({SCHEMA_VERSION}); upgrade storyagent"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](dict(data))
        version += 1
        data["schema_version"] = version
    return data
