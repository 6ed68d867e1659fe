"""Storyboard files: reading one strictly (duplicate keys, NaN, runaway numbers and
nesting are errors with a JSON path, never a traceback), keeping the director's
earlier versions, and migrating old schema versions forward one step at a time."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyagent.cache import check_file_target, write_bytes_atomic, write_text_atomic
from storyagent.errors import StoryboardError
from storyagent.storyboard.problems import json_path

if TYPE_CHECKING:
    from storyagent.storyboard.model import Storyboard

SCHEMA_VERSION = 4


# -- reading ---------------------------------------------------------------------

MAX_DIGITS = 20  # no number in a storyboard needs more; Python refuses to read ints past 4,300 digits


def decode(raw: bytes, source: str) -> str:
    """The file's text. UTF-8 (with or without the byte-order mark editors on Windows write) and
    UTF-16/32 (detected the way `json` does) are read; anything else is one line."""
    encoding = json.detect_encoding(raw)
    if encoding == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise StoryboardError(f"{source}: not UTF-8 text (bad byte at offset {err.start})") from None


def parse(text: str, source: str) -> Any:
    """`text` as JSON, strictly: an object key given twice, NaN or Infinity (not JSON, though
    Python writes them) and nesting deeper than Python can read are errors, not last-one-wins."""
    if not text.strip():
        raise StoryboardError(f"{source}: the file is empty; `storyagent plan` writes a storyboard to start from")
    try:
        data = json.loads(text, object_pairs_hook=_Object, parse_constant=_not_a_number, parse_int=_integer)
    except json.JSONDecodeError as err:
        raise StoryboardError(f"{source}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except RecursionError:
        raise StoryboardError(f"{source}: invalid JSON: nested too deeply (a storyboard is a few levels deep)") from None
    except _NotANumber as err:
        line, column = _position(text, re.search(rf"(?<![\w\"]){err.constant}", text))
        raise StoryboardError(f"{source}:{line}:{column}: invalid JSON: {err.constant} is not a JSON number; "
                              "write a number, or leave the field out for its default") from None
    duplicate = _first_duplicate(data)
    if duplicate:
        raise StoryboardError(f"{source}: {duplicate}")
    return data


class _Object(dict):
    """A JSON object that remembers the first key it was given twice."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        keys = [key for key, _ in pairs]
        self.duplicate = next((key for i, key in enumerate(keys) if key in keys[:i]), None) \
            if len(self) < len(pairs) else None


class _Huge(int):
    """A number too long to read, kept as one far beyond every field's bounds so that
    validation names its JSON path; shown as how many digits it has."""

    digits: int

    def __new__(cls, literal: str) -> _Huge:
        value = super().__new__(cls, -(10**40) if literal.startswith("-") else 10**40)
        value.digits = len(literal.lstrip("-"))
        return value

    def __repr__(self) -> str:
        return f"a {self.digits}-digit number"


def _integer(literal: str) -> int:
    return _Huge(literal) if len(literal.lstrip("-")) > MAX_DIGITS else int(literal)


class _NotANumber(Exception):
    def __init__(self, constant: str) -> None:
        self.constant = constant


def _not_a_number(constant: str) -> Any:
    raise _NotANumber(constant)


def _position(text: str, match: re.Match[str] | None) -> tuple[int, int]:
    """1-based line and column of `match` in `text` (1:1 when not found)."""
    at = match.start() if match else 0
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _first_duplicate(data: Any) -> str | None:
    """'path: key given twice' for the first object (depth first, in file order) with a repeated key."""
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, _Object) and value.duplicate is not None:
            return f"{json_path((*loc, value.duplicate))}: the key '{value.duplicate}' is given twice (keep one)"
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend(reversed([((*loc, key), child) for key, child in children]))
    return None


def save_keeping_previous(board: Storyboard, path: str | os.PathLike[str]) -> Path | None:
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

def _premise_as_reading(doc: dict[str, Any]) -> dict[str, Any]:
    text = doc.get("premise", "")
    if isinstance(text, str):
        doc["premise"] = {"text": text} if text else {}
    return doc


# MIGRATIONS[n] turns a version-n document (a dict) into a version n+1 document.
# Add one function per format change so today's files still open tomorrow.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: lambda doc: doc,  # 2 added `visual.count`; its default, one, is what version 1 drew
    2: lambda doc: doc,  # 3 added `narrator`, the narration's voice; the cast fills it in
    3: _premise_as_reading,  # 4 reads the premise into a structure; the text is kept
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
