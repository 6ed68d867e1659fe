"""The one owner of the film folder: what every artifact is named after (its
cache key), where it lives (paths relative to the folder, so a folder can be
moved or copied), and how it is written (atomically, under a temporary name
this module recognises again and removes after a crash, and nothing else).

    storyboard.json        the director's document (earlier versions kept as storyboard.v<N>.json)
    cast/<id>.png          character reference sheets
    voice/<key>.wav/.json  spoken lines and their timings
    shots/<id>.<key>.mp4   shot clips; shots/.parts/<id>.<key>.<head>-<tail>/ their pieces; shots/.thumbs/
    keyframes/<id>.first.png, .last.png   what a generator starts a shot from (the director may replace them)
    edit/<key>.mp4         the film's picture in segments between cuts
    timeline.json, music.mid, mix.wav, stems/*.wav, film.mp4, subtitles, exports
    .storyagent/           the run's own state: checkpoints, catalogue, lock, options, stem cache, scratch,
                           hosted providers' jobs (remote.sqlite) and the clips they made (remote/)

A key is `key(kind, inputs, version)`: one canonical JSON encoding, one hash
length, so the same inputs name the same file and any change to them, or to
the code version that makes the artifact, names a new one.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from storyagent.errors import FolderError

KEY_LENGTH = 20  # hex digits: 80 bits, no collision among a film's few thousand artifacts

# -- the film folder's layout, relative to it ----------------------------------------------

STATE_DIR = ".storyagent"
STORYBOARD = "storyboard.json"
CAST = "cast"
VOICE = "voice"
SHOTS = "shots"
SHOT_PARTS = f"{SHOTS}/.parts"
SHOT_THUMBS = f"{SHOTS}/.thumbs"
KEYFRAMES = "keyframes"
EDIT = "edit"
STEMS = "stems"
MIX = "mix.wav"
MUSIC_MIDI = "music.mid"
TIMELINE = "timeline.json"
FILM = "film.mp4"
CHECKPOINTS = f"{STATE_DIR}/checkpoints.sqlite"
CATALOGUE = f"{STATE_DIR}/catalogue.sqlite"
LOCK = f"{STATE_DIR}/lock"
OPTIONS = f"{STATE_DIR}/options.json"
MADE_BY = f"{STATE_DIR}/made-by"
STEM_CACHE = f"{STATE_DIR}/stems"
CUE_CACHE = f"{STATE_DIR}/cues"
SCORE_CACHE = f"{STATE_DIR}/score"
SCRATCH = f"{STATE_DIR}/scratch"
REMOTE_JOBS = f"{STATE_DIR}/remote.sqlite"
REMOTE_CLIPS = f"{STATE_DIR}/remote"
SENTENCE_CACHE = f"{STATE_DIR}/sentences"


def planning_dir(parent: Path, run_key: str) -> Path:
    """Where a `make` without a film folder plans, before the title names its folder."""
    return Path(parent) / f"{STATE_DIR}-planning-{run_key}"


# The folders storyagent writes artifacts into: the only places its clean-up looks.
_WRITTEN = ("", CAST, VOICE, SHOTS, SHOT_THUMBS, KEYFRAMES, EDIT, STEMS, STATE_DIR, STEM_CACHE, CUE_CACHE,
            SCORE_CACHE, REMOTE_CLIPS, SENTENCE_CACHE)


def key(kind: str, inputs: Any, version: str | int) -> str:
    """The name of what `inputs` make under code `version`: same inputs, same key."""
    payload = json.dumps({"kind": kind, "version": str(version), "inputs": inputs},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def file_digest(path: Path) -> str:
    """A file's content, as a key input (a reference image the director swapped, say). Read in chunks:
    a long film's mix is digested without holding it."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:KEY_LENGTH]


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


# -- verifying artifacts before reuse ------------------------------------------------------
#
# A finished artifact is sealed: its size and digest go into a small file beside it, `.<name>.seal`.
# Only a sealed artifact whose size and digest still match is reused, so a file truncated, cut short
# by a crash before its bytes reached the disk, overwritten or left by another storyagent version (no
# seal) is made again, never trusted for its name or its date (a clock set back fools no one).

_SEAL_FORMAT = "storyagent-seal-1"


def seal_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.seal")


def seal(*paths: Path) -> None:
    """Record that these artifacts are finished, after they were written whole under their names.
    Not fsync'ed: a seal lost in a power cut only makes its artifact be made again."""
    for path in map(Path, paths):
        with atomic_path(seal_path(path)) as tmp:
            tmp.write_text(_fingerprint(path), encoding="utf-8")


def reusable(path: Path) -> bool:
    """Whether a cached artifact can be used as it is: a regular file that is still what was sealed.
    The one place an artifact is checked before reuse."""
    path = Path(path)
    try:
        if not path.is_file():
            return False
        recorded = seal_path(path).read_text(encoding="utf-8")
        size = str(path.stat().st_size)
        # The size first: a truncated file is told without reading it.
        return recorded.split(" ")[:2] == [_SEAL_FORMAT, size] and recorded == _fingerprint(path)
    except (OSError, UnicodeDecodeError):
        return False


def _fingerprint(path: Path) -> str:
    info = path.stat()
    return _fingerprint_of(str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@functools.lru_cache(maxsize=4096)
def _fingerprint_of(path: str, inode: int, size: int, mtime_ns: int, ctime_ns: int) -> str:
    """Size and digest of a file, read once per process while the file is unchanged: same inode, size
    and times, including the change time, which any write sets and no one can set back by hand."""
    with open(path, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()[:32]
    return f"{_SEAL_FORMAT} {size} {digest}"


# -- where storyagent writes -------------------------------------------------------------

# OSErrors that say a path cannot be written (as opposed to a bug): reported in one line.
_UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.ENOTDIR, errno.ENOENT, errno.EEXIST,
               errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.ELOOP, errno.ENAMETOOLONG}
_DISK_FULL_WORDS = (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT), "database or disk is full")


def is_disk_full(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is a full disk: an OSError, or ffmpeg or SQLite saying so."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(words in str(error) for words in _DISK_FULL_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full(folder: Path) -> FolderError:
    free = shutil.disk_usage(_existing(folder)).free if _existing(folder) else 0
    return FolderError(f"{folder}: the disk is full ({_mb(free)} free); free some space on it and run the same "
                       "command again (finished work is kept)")


def unwritable(error: OSError, path: Path) -> FolderError:
    """One line for an OSError met writing `path`."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(Path(path).parent)
    where = path if error.filename in (None, str(partial_path(Path(path)))) else error.filename
    return FolderError(f"{where}: cannot write there ({error.strerror or error}); choose another place with -o")


def check_file_target(path: Path) -> None:
    """A file storyagent writes may replace a regular file, never a device, a folder, a pipe or /proc."""
    path = Path(path)
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise FolderError(f"{path}: {kind}; storyagent writes files only, give another path")
    if path.parent.exists() and not path.parent.is_dir():
        raise FolderError(f"{path.parent}: not a folder; give another path")


def prepare_folder(folder: Path) -> Path:
    """`folder`, created if need be, with its state folder: one line if that cannot be done there
    (a file of that name, /proc, a read-only disk, an immutable folder)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderError(f"{folder}: a file, not a folder; give a folder with -o")
    for inside in (folder / STATE_DIR, folder / STATE_DIR / SCRATCH.removeprefix(f"{STATE_DIR}/")):
        if inside.exists() and not inside.is_dir():
            raise FolderError(f"{inside}: a file where storyagent keeps its own folder; move it away")
    package = Path(__file__).resolve().parent
    if folder.resolve().is_relative_to(package):  # its files would count as storyagent's code, changing every key
        raise FolderError(f"{folder}: inside storyagent's own code ({package}); choose a folder elsewhere with -o")
    try:
        (folder / STATE_DIR).mkdir(parents=True, exist_ok=True)
        probe = folder / STATE_DIR / f".probe.{_MARK}-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        if error.errno not in _UNWRITABLE:
            raise
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(folder) from None
        raise FolderError(f"{folder}: cannot write there ({error.strerror}); choose another folder with -o") from None
    return folder


def check_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse before any work when the disk holding `folder` has less than `needed` bytes free."""
    free = shutil.disk_usage(_existing(folder) or ".").free
    if free < needed:
        raise FolderError(f"{folder}: {what} needs about {_mb(needed)} free on this disk and {_mb(free)} are; "
                          f"free {_mb(needed - free)} there (or choose another folder with -o) and run it again")


def _existing(path: Path) -> Path | None:
    """`path` or its nearest existing parent."""
    for candidate in [Path(path), *Path(path).parents]:
        if candidate.exists():
            return candidate
    return None


def _mb(size: int) -> str:
    return f"{max(size, 0) / 1e6:.0f} MB" if size >= 1e6 else f"{max(size, 0) / 1e3:.0f} kB"


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
    """Write to the yielded path; it is renamed to `path` only if the block succeeds. A file it
    replaces keeps its permissions; a device, folder or pipe at `path` is refused, not replaced.
    Errors writing there (read-only, disk full, not a folder) become one line naming the path."""
    path = Path(path)
    check_file_target(path)
    tmp = partial_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        with suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT) or (error.errno in _UNWRITABLE and _about(error, tmp, path)):
            raise unwritable(error, path) from None
        raise
    finally:
        with suppress(OSError):  # a read-only folder: nothing was written there either
            tmp.unlink(missing_ok=True)


def _about(error: OSError, tmp: Path, path: Path) -> bool:
    """Whether `error` is about writing `path`: its temporary, itself or a folder it goes in."""
    return error.filename is not None and Path(error.filename) in (tmp, path, *path.parents)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
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


def keep_only(folder: Path, names: set[str]) -> None:
    """A cache folder that holds what one run used: every file not named in `names` goes, with its seal.
    A hidden file being written (another run's, or this one's) is left alone."""
    if not folder.is_dir():
        return
    kept = names | {seal_path(Path(name)).name for name in names}
    for old in folder.iterdir():
        if old.name not in kept and (not old.name.startswith(".") or old.name.endswith(".seal")):
            old.unlink(missing_ok=True)


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


# -- databases in the film folder ----------------------------------------------------------


def sqlite_engine(url: str) -> Any:
    """An engine for a SQLite database several processes write to at once (the shot workers, the run):
    WAL + BEGIN IMMEDIATE, so no update is lost and none fails on 'database is locked' (measured:
    SQLAlchemy's default lost updates). Returns a sqlalchemy Engine."""
    from sqlalchemy import create_engine, event

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
