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
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, event
from sqlmodel import Field, Session, SQLModel, create_engine, select

from storyagent.cache import CATALOGUE, relative


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
        if url.startswith("sqlite"):
            (film_dir / CATALOGUE).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _serialise_sqlite_writes(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        SQLModel.metadata.create_all(engine)
        _engines[url] = engine
    return _engines[url]


def _serialise_sqlite_writes(engine: Engine) -> None:
    """WAL + BEGIN IMMEDIATE: several processes write without lost updates or
    'database is locked' (measured: SQLAlchemy's default lost updates)."""

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


def start_run(film_dir: Path, command: str) -> int:
    """A new run. The caller holds the folder's lock, so any run still marked running was killed."""
    with Session(engine_for(film_dir)) as session:
        for dead in session.exec(select(Run).where(Run.film_dir == film_name(film_dir), Run.status == "running")):
            dead.status, dead.message = "killed", "stopped before it finished; resumed by a later run"
            session.add(dead)
        run = Run(film_dir=film_name(film_dir), command=command)
        session.add(run)
        session.commit()
        return int(run.id)  # type: ignore[arg-type]


def finish_run(film_dir: Path, run_id: int, status: str, message: str = "") -> None:
    with Session(engine_for(film_dir)) as session:
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
    with Session(engine_for(film_dir)) as session:
        session.add(Artifact(run_id=run_id, film_dir=film_name(film_dir), kind=kind, name=name, key=key,
                             path=relative(path, film_dir) if path else "", action=action, seconds=round(seconds, 3)))
        session.commit()


def runs(film_dir: Path) -> list[Run]:
    engine = _engine_to_read(film_dir)
    if engine is None:
        return []
    with Session(engine) as session:
        return list(session.exec(select(Run).where(Run.film_dir == film_name(film_dir)).order_by(Run.id)))


def artifacts(film_dir: Path, run_id: int | None = None) -> list[Artifact]:
    engine = _engine_to_read(film_dir)
    if engine is None:
        return []
    with Session(engine) as session:
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
