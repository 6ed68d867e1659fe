"""The ledger of a film's requests to hosted providers: what was asked, the provider's job id, its
state and what it cost. It lives in the film folder (`.storyagent/remote.sqlite`), written by the
shot workers and read by `status`, `history`, `estimate` and the run's summary.

A job id is written here as soon as the provider gives it, before the first poll, so a run killed
at any point resumes by polling the same job. A request is found again by its key (a hash of
everything sent), so nothing identical is paid for twice. The run's budget (`--max-cost`) is kept
here too: every request's cost is reserved under the budget, in one transaction, before it is sent.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, select

from storyagent import cache
from storyagent.errors import BackendError


class RemoteState(StrEnum):
    SENDING = "sending"  # the request is on its way: no job id yet
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"  # the provider refused the content (its policy): the shot kept its animatic


LIVE = (RemoteState.QUEUED, RemoteState.RUNNING, RemoteState.DONE)  # a job that is, or will be, paid for


def _now() -> datetime:
    return datetime.now(UTC)


class RemoteJob(SQLModel, table=True):
    __tablename__ = "remote_job"

    id: int | None = Field(default=None, primary_key=True)
    request: str = Field(index=True, description="Hash of everything the request sends.")
    step: int = Field(default=0, description="0 creates the clip; 1, 2 ... extend it.")
    shot_id: str = Field(index=True)
    shot_key: str = Field(index=True, description="The shot's cache key when it was asked for.")
    provider: str
    model: str
    job_id: str = ""
    state: str = RemoteState.SENDING
    detail: str = Field(default="", description="The provider's reason for a failure or refusal; a fitting warning.")
    seconds: float = Field(default=0.0, description="Seconds billed.")
    usd: float = Field(default=0.0, description="Cost at the price table's price.")
    created: datetime = Field(default_factory=_now)
    updated: datetime = Field(default_factory=_now)


class Remembered(SQLModel, table=True):
    """Something a provider made once per film and is named by later requests (a registered character,
    an uploaded image), by a hash of what it was made from."""

    __tablename__ = "remote_thing"

    key: str = Field(primary_key=True)
    provider: str
    value: str
    created: datetime = Field(default_factory=_now)


class Budget(SQLModel, table=True):
    """The limit a run set on what its new requests may cost (`--max-cost`)."""

    __tablename__ = "remote_budget"

    id: int | None = Field(default=None, primary_key=True)
    usd: float | None = None
    started: datetime = Field(default_factory=_now)


class OverBudget(BackendError):
    """The next request would take the run's spending over `--max-cost`."""


_engines: dict[str, object] = {}
_alone = threading.Lock()  # `exclusive` for a ledger held in memory (a shot rendered on its own)


class Ledger:
    """The remote jobs of the film in `film_dir` (held in memory when a shot is rendered on its own)."""

    def __init__(self, film_dir: Path | None) -> None:
        url = f"sqlite:///{Path(film_dir).resolve() / cache.REMOTE_JOBS}" if film_dir is not None else "sqlite://"
        if url not in _engines or film_dir is None:
            if film_dir is not None:
                (Path(film_dir) / cache.REMOTE_JOBS).parent.mkdir(parents=True, exist_ok=True)
            engine = cache.sqlite_engine(url)
            SQLModel.metadata.create_all(engine, tables=[RemoteJob.__table__, Remembered.__table__, Budget.__table__])
            _engines[url] = engine
        self.engine = _engines[url]
        self._lock_file = Path(film_dir).resolve() / f"{cache.REMOTE_JOBS}.lock" if film_dir is not None else None

    # -- jobs --------------------------------------------------------------------

    def find(self, request: str, step: int) -> RemoteJob | None:
        """The job of this request and step that is live or was refused (a failed one is asked again)."""
        with Session(self.engine) as session:
            query = (select(RemoteJob).where(RemoteJob.request == request, RemoteJob.step == step,
                                             RemoteJob.state.in_([*LIVE, RemoteState.REJECTED]))
                     .order_by(RemoteJob.id.desc()))
            return session.exec(query).first()

    def reserve(self, job: RemoteJob) -> RemoteJob:
        """Note a request about to be sent, its cost counted against the run's budget (`open_budget`):
        refused with `OverBudget` when it would cross the limit."""
        with Session(self.engine) as session:
            budget = session.exec(select(Budget).order_by(Budget.id.desc())).first()
            if budget is not None and budget.usd is not None:
                limit = budget.usd
                spent = session.exec(select(func.coalesce(func.sum(RemoteJob.usd), 0.0)).where(
                    RemoteJob.created >= budget.started, RemoteJob.state != RemoteState.FAILED)).one()
                if spent + job.usd > limit + 1e-9:
                    raise OverBudget(f"shot {job.shot_id}: stopped before its request to {job.provider}: it would bring "
                                     f"this run's spending to ${spent + job.usd:.2f}, over --max-cost ${limit:.2f} "
                                     f"(${spent:.2f} spent so far)")
            session.add(job)
            session.commit()
            session.refresh(job)
            return job

    def update(self, job: RemoteJob, **changes: object) -> RemoteJob:
        with Session(self.engine) as session:
            stored = session.get(RemoteJob, job.id)
            if stored is None:
                raise BackendError(f"remote job {job.job_id or job.request} vanished from {cache.REMOTE_JOBS}")
            for name, value in {**changes, "updated": _now()}.items():
                setattr(stored, name, value)
            session.add(stored)
            session.commit()
            session.refresh(stored)
            return stored

    def of_shot(self, shot_id: str, shot_key: str | None = None) -> list[RemoteJob]:
        with Session(self.engine) as session:
            query = select(RemoteJob).where(RemoteJob.shot_id == shot_id)
            if shot_key is not None:
                query = query.where(RemoteJob.shot_key == shot_key)
            return list(session.exec(query.order_by(RemoteJob.id)))

    def all(self) -> list[RemoteJob]:
        with Session(self.engine) as session:
            return list(session.exec(select(RemoteJob).order_by(RemoteJob.id)))

    # -- what providers made once per film ----------------------------------------

    def remembered(self, key: str) -> str | None:
        with Session(self.engine) as session:
            thing = session.get(Remembered, key)
            return thing.value if thing is not None else None

    def remember(self, key: str, provider: str, value: str) -> None:
        with Session(self.engine) as session:
            session.merge(Remembered(key=key, provider=provider, value=value))
            session.commit()

    # -- takes: a director asks a generator for another version of a shot ------------

    def take(self, shot_id: str) -> int:
        """Which take of the shot a generator is asked for: 0 until the director asks for another."""
        return int(self.remembered(f"take:{shot_id}") or 0)

    def next_take(self, shot_id: str) -> int:
        with self.exclusive():
            take = self.take(shot_id) + 1
            self.remember(f"take:{shot_id}", "any", str(take))
        return take

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by one worker of the film at a time (processes and threads alike), so that a thing made
        once per film is: `remembered`, else made and `remember`ed, inside it. The shot workers are
        separate processes: a lock in memory would let two of them make the same thing."""
        if self._lock_file is None:
            with _alone:
                yield
            return
        lock = os.open(self._lock_file, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # each open() is its own lock: threads of one process wait too
            yield
        finally:
            os.close(lock)  # closing releases it

    # -- the run's budget -----------------------------------------------------------

    def open_budget(self, usd: float | None) -> None:
        """A run starts spending: what its requests cost from now on counts against `usd` (None: no limit)."""
        with Session(self.engine) as session:
            session.add(Budget(usd=usd))
            session.commit()


def jobs_of(film_dir: Path) -> list[RemoteJob]:
    """Every remote job of a film folder ([] when it never used a hosted provider); reads, never creates."""
    if not (Path(film_dir) / cache.REMOTE_JOBS).is_file():
        return []
    return Ledger(film_dir).all()
