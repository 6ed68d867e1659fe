"""The catalogue: which runs happened in a film folder and what each built or
reused, so `storyagent status` and `storyagent history` can answer a director.

SQLite in the film folder by default; a studio can point several machines at one
database with a URL (`STORYAGENT_DATABASE_URL=postgresql+psycopg://...`). The
checkpoints of the pipeline live in a separate file.

Artifact paths are stored relative to the film folder. In the folder's own
database the film is named "." so its history moves and copies with it; a
shared database names each film by its absolute path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, exc
from sqlalchemy.engine import make_url
from sqlmodel import Field, Session, SQLModel, create_engine, select

from storyagent.cache import CATALOGUE, relative, sqlite_engine
from storyagent.errors import BackendError, StoryagentError


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    film_dir: str = Field(index=True)
    command: str = Field(description="make or render")
    started: datetime = Field(default_factory=_now)
    finished: datetime | None = None
    status: str = Field(default="running", description="running, done, review, failed")
    message: str = ""


class Artifact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True, foreign_key="run.id")
    film_dir: str = Field(index=True)
    kind: str = Field(description="cast, voice, shot, mix, film, export")
    name: str = Field(description="What it is for: a shot id, a character id, 'mix' ...")
    key: str = Field(default="", description="Hash of what it was made from.")
    path: str = Field(default="", description="Relative to the film folder.")
    action: str = Field(description="built, reused or failed")
    seconds: float = 0.0
    created: datetime = Field(default_factory=_now)


_engines: dict[str, Engine] = {}


def database_url(film_dir: Path) -> str:
    return os.environ.get("STORYAGENT_DATABASE_URL") or f"sqlite:///{film_dir.resolve() / CATALOGUE}"


def film_name(film_dir: Path) -> str:
    """How the catalogue names this film: '.' in its own folder's database, else where it is."""
    return str(film_dir.resolve()) if os.environ.get("STORYAGENT_DATABASE_URL") else "."


def engine_for(film_dir: Path) -> Engine:
    url = database_url(film_dir)
    if url not in _engines:
        with _database_errors(film_dir):
            engine = _create_engine(url, film_dir)
            SQLModel.metadata.create_all(engine)
        _engines[url] = engine
    return _engines[url]


def _create_engine(url: str, film_dir: Path) -> Engine:
    """The engine for `url`; a URL that is not one, or names a driver that is not installed, is one line."""
    try:
        if url.startswith("sqlite"):
            (film_dir / CATALOGUE).parent.mkdir(parents=True, exist_ok=True)
            return sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True)
    except exc.ArgumentError:
        raise BackendError("STORYAGENT_DATABASE_URL is not a database URL; give one like "
                           "postgresql+psycopg://user@host/films, or unset it to keep the catalogue in the film folder") from None
    except (ImportError, exc.NoSuchModuleError) as error:
        raise BackendError(f"STORYAGENT_DATABASE_URL names a {make_url(url).get_backend_name()} database, but its "
                           f"driver is not installed ({error}); install it, or unset the variable") from None


@contextmanager
def _database_errors(film_dir: Path) -> Iterator[None]:
    """A catalogue that cannot be read or reached is one line naming it, not a traceback."""
    try:
        yield
    except exc.DBAPIError as error:
        reason = " ".join(str(error.orig).split())[:200]
        advice = "" if os.environ.get("STORYAGENT_DATABASE_URL") else \
            "; the next `storyagent render` of this folder sets it aside and starts a new one"
        raise CatalogueError(f"{_where(film_dir)} is unreadable: {reason}{advice}") from None


class CatalogueError(StoryagentError):
    """The catalogue database cannot be read, written or reached."""


def _where(film_dir: Path) -> str:
    """The catalogue as a user can find it: its file, or the database URL without its password."""
    if os.environ.get("STORYAGENT_DATABASE_URL"):
        return "the catalogue at " + make_url(os.environ["STORYAGENT_DATABASE_URL"]).render_as_string(hide_password=True)
    return f"the catalogue {film_dir / CATALOGUE}"


def set_aside_if_unreadable(film_dir: Path) -> Path | None:
    """Before a run: a film folder's own catalogue this version cannot read (garbage, truncated, from
    another storyagent) is renamed `*.broken` and a new one started: it is a record of past runs, not
    the film, so the run goes on. Returns where the old file went, or None when it was readable.
    A shared database (STORYAGENT_DATABASE_URL) is never touched; its errors stop the run instead."""
    try:
        runs(film_dir)
        artifacts(film_dir, run_id=0)
        return None
    except CatalogueError:
        if os.environ.get("STORYAGENT_DATABASE_URL"):
            raise
    engine = _engines.pop(database_url(film_dir), None)
    if engine is not None:
        engine.dispose()
    return set_aside_broken(film_dir / CATALOGUE)


def set_aside_broken(database: Path) -> Path:
    """Rename an unreadable SQLite file of the film folder `<name>.broken` (replacing an older one), so
    nothing is deleted and the next run starts a new one; its side files go with the database."""
    kept = database.with_name(database.name + ".broken")
    try:
        database.replace(kept)
        for side_file in ("-wal", "-shm", "-journal"):
            database.with_name(database.name + side_file).unlink(missing_ok=True)
    except OSError as error:
        raise StoryagentError(f"{database} is unreadable and cannot be set aside ({error.strerror}); "
                              "delete it to start afresh") from None
    return kept


def start_run(film_dir: Path, command: str) -> int:
    """A new run. The caller holds the folder's lock, so any run still marked running was killed."""
    with _database_errors(film_dir), Session(engine_for(film_dir)) as session:
        for dead in session.exec(select(Run).where(Run.film_dir == film_name(film_dir), Run.status == "running")):
            dead.status, dead.message = "killed", "stopped before it finished; resumed by a later run"
            session.add(dead)
        run = Run(film_dir=film_name(film_dir), command=command)
        session.add(run)
        session.commit()
        return int(run.id)  # type: ignore[arg-type]


def finish_run(film_dir: Path, run_id: int, status: str, message: str = "") -> None:
    with _database_errors(film_dir), Session(engine_for(film_dir)) as session:
        run = session.get(Run, run_id)
        if run is not None:
            run.status, run.message, run.finished = status, message[:500], _now()
            session.add(run)
            session.commit()


def record(film_dir: Path, run_id: int | None, kind: str, name: str, action: str, *,
           key: str = "", path: Path | str = "", seconds: float = 0.0) -> None:
    """Note one artifact; never held open while anything renders."""
    if run_id is None:
        return
    with _database_errors(film_dir), Session(engine_for(film_dir)) as session:
        session.add(Artifact(run_id=run_id, film_dir=film_name(film_dir), kind=kind, name=name, key=key,
                             path=relative(path, film_dir) if path else "", action=action, seconds=round(seconds, 3)))
        session.commit()


def runs(film_dir: Path) -> list[Run]:
    with _database_errors(film_dir):
        engine = _engine_to_read(film_dir)
    if engine is None:
        return []
    with _database_errors(film_dir), Session(engine) as session:
        return list(session.exec(select(Run).where(Run.film_dir == film_name(film_dir)).order_by(Run.id)))


def artifacts(film_dir: Path, run_id: int | None = None) -> list[Artifact]:
    with _database_errors(film_dir):
        engine = _engine_to_read(film_dir)
    if engine is None:
        return []
    with _database_errors(film_dir), Session(engine) as session:
        query = select(Artifact).where(Artifact.film_dir == film_name(film_dir))
        if run_id is not None:
            query = query.where(Artifact.run_id == run_id)
        return list(session.exec(query.order_by(Artifact.id)))


def _engine_to_read(film_dir: Path) -> Engine | None:
    """The catalogue for `status` and `history`, which only read. A film folder that cannot be written
    (a read-only disk, an immutable folder) is opened read-only: SQLite could not even start a reader
    of a WAL database there otherwise. None when such a folder has no catalogue."""
    path = Path(film_dir) / CATALOGUE
    if os.environ.get("STORYAGENT_DATABASE_URL") or os.access(path.parent, os.W_OK):
        return engine_for(film_dir)
    if not path.is_file():
        return None
    # With a write-ahead log left beside it (a copy of a live folder), SQLite reads it through its
    # shared-memory file; without one the database file is all there is and never changes.
    wal = path.with_name(path.name + "-wal").is_file()
    return create_engine(f"sqlite:///file:{quote(str(path.resolve()))}?{'mode=ro' if wal else 'immutable=1'}&uri=true")
