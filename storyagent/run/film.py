"""The Python API for whole films: `make` a film from a premise, `render` one
from a storyboard. Both run the pipeline graph in the film folder with a SQLite
checkpointer, so running the same command again after a crash resumes it."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from storyagent import cache
from storyagent.cache import write_text_atomic
from storyagent.errors import (
    BackendError,
    BusyError,
    FolderError,
    Stopped,
    StoryagentError,
    StoryboardError,
)
from storyagent.planners import readable_premise
from storyagent.run import catalogue, stages
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard

Progress = Callable[[dict[str, Any]], None]


class FilmResult(BaseModel):
    """Where everything a run made is."""

    film_dir: Path
    storyboard: Path
    film: Path | None = None
    stopped_for_review: bool = False
    exports: dict[str, Path] = {}
    timings: dict[str, float] = {}


def make(premise: str, out_dir: str | Path | None = None, *, progress: Progress | None = None, **options: Any) -> FilmResult:
    """Plan, cast, voice, render, mix and edit a film from one line.

    Without `out_dir`, the film goes to a new folder named after its title. Running the
    same command again resumes a run that was killed, planned or not, without planning again."""
    readable_premise(premise)  # a premise no story can be told from is refused before any folder is made
    run_options = RunOptions.given(**options)
    inputs = {"premise": premise, "source": "premise"}
    if out_dir is not None:
        _refuse_another_film(Path(out_dir), premise)
        return _run(inputs, Path(out_dir), run_options, progress)
    film_dir, planned_now = _titled_folder(inputs, run_options, progress)
    return _run(inputs, film_dir, run_options, progress, planned_now=planned_now)


def render(storyboard: Storyboard | str | Path, out_dir: str | Path | None = None, *,
           progress: Progress | None = None, **options: Any) -> FilmResult:
    """Render a storyboard into a film. A path renders into that file's folder
    unless `out_dir` says otherwise; only what changed since the last render is made again.

    The film keeps the options it was made with (`.storyagent/options.json`): options given
    here replace those, for this render and the next ones; the rest stay as they were."""
    seen = None
    if isinstance(storyboard, Storyboard):
        board = storyboard
        film_dir = Path(out_dir) if out_dir is not None else Path.cwd() / slug(board.title)
    else:
        if Path(storyboard).exists() and not Path(storyboard).is_file():  # a pipe would wait for a writer forever
            raise StoryboardError(f"{storyboard}: not a regular file; give a storyboard JSON file")
        seen = stages.storyboard_digest(Path(storyboard))  # before reading it: an edit made after this is never overwritten
        board = Storyboard.load(storyboard)
        # Beside the file the director named, even when it is a link into another folder.
        own_folder = Path(storyboard).absolute().parent
        film_dir = Path(out_dir) if out_dir is not None else own_folder
        if film_dir.absolute() != own_folder:
            _refuse_another_film(film_dir, board.premise.text)
        if Path(film_dir, cache.STORYBOARD).absolute() != Path(storyboard).absolute():
            seen = None  # the folder's storyboard.json is not the file rendered: kept as .v<N> if replaced
    run_options = effective_options(film_dir, RunOptions.given(**options))
    return _run({"premise": board.premise.text, "source": "storyboard", "storyboard": board.model_dump(mode="json")},
                film_dir, run_options, progress, seen=seen)



def _refuse_another_film(film_dir: Path, premise: str) -> None:
    """A finished film of another premise is never replaced: the run goes to another folder."""
    film = film_dir / cache.FILM
    if not film.exists():
        return
    try:
        theirs = json.loads((film_dir / cache.STORYBOARD).read_text(encoding="utf-8")).get("premise")
        if isinstance(theirs, dict):  # schema 4 keeps the text inside the premise reading
            theirs = theirs.get("text")
    except (OSError, ValueError, AttributeError):
        theirs = None
    if theirs != premise:
        about = f" (of {theirs!r})" if isinstance(theirs, str) else ""
        raise FolderError(f"{film_dir}: holds another film{about}; choose another folder with -o, "
                          "or move its film.mp4 away first")


# -- the options a film was made with ------------------------------------------------------

# How a run works, not what it makes: never stored, never part of the run's key.
RUN_ONLY = {"jobs", "executor", "ray_address", "review"}


def stored_options(film_dir: Path) -> dict[str, Any]:
    """The options the film in `film_dir` was last made with ({} for a new folder)."""
    path = Path(film_dir) / cache.OPTIONS
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        RunOptions.model_validate(stored)
    except (FileNotFoundError, NotADirectoryError):  # a new folder (or not a film folder: the run says so)
        return {}
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        first_line = str(error).splitlines()[0]
        raise StoryagentError(f"{path}: unreadable ({first_line}); delete it to use the defaults") from None
    return stored


def effective_options(film_dir: Path, given: RunOptions) -> RunOptions:
    """The stored options, with those `given` explicitly (and not empty) put over them."""
    chosen = _without_empty(given.model_dump(exclude_unset=True))
    return RunOptions.model_validate(_merged(_merged(given.model_dump(), stored_options(film_dir)), chosen))


def _store_options(film_dir: Path, options: RunOptions) -> None:
    write_text_atomic(film_dir / cache.OPTIONS, options.model_dump_json(exclude=RUN_ONLY, indent=2) + "\n")


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _without_empty(value) if isinstance(value, dict) else value
            for name, value in values.items() if value is not None}


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, value in over.items():
        out[name] = _merged(out[name], value) if isinstance(value, dict) and isinstance(out.get(name), dict) else value
    return out


# -- running the graph in a film folder ------------------------------------------------------


def _titled_folder(inputs: dict[str, Any], options: RunOptions, progress: Progress | None) -> tuple[Path, bool]:
    """The folder named after the film's title, planned inside the graph.

    The plan runs in a hidden folder of its own (named by the run's key) and stops before
    casting; the folder is then renamed after the title and the run goes on there. A repeated
    command finds that folder again by the key it keeps, so a killed run never plans twice.
    Returns the folder and whether it was planned just now."""
    here = Path.cwd()
    key = run_key({**inputs, "options": options.model_dump()})
    made = _folder_made_by(here, key)
    if made is not None:
        return made, False
    planning = cache.planning_dir(here, key)
    title = _plan(inputs, planning, options, progress)
    film_dir = free_folder(here / slug(title))
    if film_dir.exists():
        film_dir.rmdir()  # free_folder gives an empty folder or a new name
    planning.rename(film_dir)
    return film_dir, True


def _folder_made_by(here: Path, key: str) -> Path | None:
    """The folder under `here` a `make` with this key started in, if any."""
    planning = cache.planning_dir(here, key)
    try:
        candidates = sorted(child for child in here.iterdir() if child.is_dir() and child != planning)
    except OSError:
        return None
    for child in candidates:
        try:
            if (child / cache.MADE_BY).read_text(encoding="utf-8").strip() == key:
                return child
        except OSError:
            continue
    return None


def _plan(inputs: dict[str, Any], folder: Path, options: RunOptions, progress: Progress | None) -> str:
    """Run the graph up to casting in `folder` (resuming it there) and return the planned title."""
    emit = progress or (lambda event: None)
    with _graph_in(folder, inputs, options, emit) as (app, state_in, config):
        if not app.get_state(config).values.get("storyboard"):
            resume = bool(_unfinished(app.get_state(config)))
            _stream(app, None if resume else state_in, config, emit, interrupt_before=["cast"])
        return str(app.get_state(config).values["storyboard"]["title"])


def _run(inputs: dict[str, Any], film_dir: Path, options: RunOptions, progress: Progress | None,
         planned_now: bool = False, seen: str | None = None) -> FilmResult:
    """Run the graph in `film_dir`: resume it, report it up to date, or start it.
    `planned_now`: the plan was made a moment ago in its own folder, so carrying on is no resume.
    `seen`: the digest of the folder's storyboard.json when the run read it (default: when it starts)."""
    emit = progress or (lambda event: None)
    command = "make" if inputs.get("source") == "premise" else "render"
    with _graph_in(film_dir, inputs, options, emit, seen) as (app, state_in, config):
        film_dir = Path(config["configurable"]["film_dir"])
        snapshot = app.get_state(config)
        waiting = bool(snapshot.next) and any(task.interrupts for task in snapshot.tasks)
        if waiting:
            return _result(film_dir, snapshot.values, stopped_for_review=True)
        if unfinished := _unfinished(snapshot):
            if not planned_now:
                emit({"event": "resume", "next": unfinished})
            if shots_left := unfinished.count("render_shot"):  # the time stage that counts them ran before the stop
                emit({"stage": "render", "event": "total", "total": shots_left})
            stream_input = None  # crashed earlier: carry on from the last checkpoint
        elif _finished(snapshot.values, film_dir):
            emit({"event": "up-to-date"})
            return _result(film_dir, snapshot.values)
        else:
            stream_input = state_in  # new, or something it made is gone or broken: run again, reusing the rest
        run_id = catalogue.start_run(film_dir, command)
        run_config = {"configurable": {**config["configurable"], "run_id": run_id}}
        try:
            _stream(app, stream_input, run_config, emit)
        except Stopped as stop:
            catalogue.finish_run(film_dir, run_id, "stopped", f"stopped by {stop}")
            raise
        except BaseException as error:
            with suppress(OSError, SQLAlchemyError):  # recording the failure must not hide it (a full disk, say)
                catalogue.finish_run(film_dir, run_id, "failed", str(error) or type(error).__name__)
            if cache.is_disk_full(error):
                raise cache.disk_full(film_dir) from None
            raise
        final = app.get_state(config)
        catalogue.finish_run(film_dir, run_id, "review" if final.next else "done")
        return _result(film_dir, final.values, stopped_for_review=bool(final.next))


def _unfinished(snapshot: Any) -> list[str]:
    """The stages a stopped run left to do: those due next, or, when it stopped after a stage had
    finished and saved its results but before they made a checkpoint, that stage (its results are kept)."""
    return list(snapshot.next) or [task.name for task in snapshot.tasks]


@contextmanager
def _graph_in(film_dir: Path, inputs: dict[str, Any], options: RunOptions,
              emit: Callable[[dict[str, Any]], None], seen: str | None = None,
              ) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    """The compiled graph with its checkpointer in `film_dir`, the folder locked and cleared of
    what a killed run left half-written, the run's options stored; and its input and config.

    The checkpointed state holds paths relative to the folder, and the folder itself travels in
    the config, so a folder moved or copied between runs carries on where it is now. So does what
    storyboard.json held when the run began: the cast stage never overwrites a newer edit."""
    from storyagent.run.graph import build_graph

    options = _check_backends(inputs.get("storyboard"), options)
    film_dir = cache.prepare_folder(film_dir).resolve()
    state_in = {**inputs, "options": options.model_dump()}
    key = run_key(state_in)
    run_only = {name: value for name, value in state_in["options"].items() if name in RUN_ONLY}
    config = {"configurable": {"thread_id": key, "film_dir": str(film_dir), "run_only": run_only}}
    with _locked(film_dir), _checkpointer(film_dir, key, emit) as saver:
        _catalogue_checked(film_dir, emit)
        config["configurable"]["storyboard_seen"] = seen or stages.storyboard_digest(film_dir / cache.STORYBOARD)
        cache.remove_leftovers(film_dir)
        _store_options(film_dir, options)
        if inputs.get("source") == "premise" and not (film_dir / cache.MADE_BY).exists():
            write_text_atomic(film_dir / cache.MADE_BY, key + "\n")
        yield build_graph().compile(checkpointer=saver), state_in, config


def _stream(app: Any, stream_input: dict[str, Any] | None, config: dict[str, Any], emit: Callable[[dict[str, Any]], None],
            interrupt_before: list[str] | None = None) -> None:
    try:
        for mode, chunk in app.stream(stream_input, config, stream_mode=["updates", "custom"], durability="sync",
                                      interrupt_before=interrupt_before):
            if mode == "custom":
                emit(chunk)
            elif isinstance(chunk, dict) and "__interrupt__" in chunk and not interrupt_before:
                emit({"event": "review"})
    finally:
        stages.close_shot_pool()


def _check_backends(storyboard: dict[str, Any] | None, options: RunOptions) -> RunOptions:
    """An unknown backend, a wrong option or a missing model is reported before any work, not by a worker
    minutes later. Returns `options` with the renderer's options as its Options model keeps them."""
    from storyagent.renderers.base import RENDERERS, renderer_options
    from storyagent.storyboard import RenderSettings
    from storyagent.voice import NARRATORS

    settings = RenderSettings.model_validate((storyboard or {}).get("render", {}))
    name = options.renderer or settings.renderer
    chosen = renderer_options(name, options.renderer_options, settings)  # one-line BackendError naming the known ones
    missing = RENDERERS.get(name).preflight(chosen)
    if missing:
        raise BackendError(missing)
    if options.voice_engine:
        NARRATORS.get(options.voice_engine)
    given = chosen.model_dump(mode="json", exclude_defaults=True, include=set(options.renderer_options))
    return options.model_copy(update={"renderer_options": given})


def _finished(values: dict[str, Any], film_dir: Path) -> bool:
    """Whether a finished run's film and the shot clips its timeline points at are all still whole."""
    made = [values.get("film"), *values.get("clips", {}).values()]
    return all(stored and cache.reusable(cache.resolve(stored, film_dir)) for stored in made)


def _result(film_dir: Path, values: dict[str, Any], stopped_for_review: bool = False) -> FilmResult:
    return FilmResult(
        film_dir=film_dir,
        storyboard=film_dir / cache.STORYBOARD,
        film=cache.resolve(values["film"], film_dir) if values.get("film") else None,
        stopped_for_review=stopped_for_review,
        exports={name: cache.resolve(path, film_dir) for name, path in values.get("exports", {}).items()},
        timings=values.get("timings", {}),
    )


def run_key(state_in: dict[str, Any]) -> str:
    """Same inputs, same run: a repeated command resumes instead of starting over."""
    options = {k: v for k, v in state_in["options"].items() if k not in RUN_ONLY - {"review"}}
    inputs = {"premise": state_in.get("premise"), "storyboard": state_in.get("storyboard"), "options": options}
    return cache.key("run", inputs, graph_version())


@functools.cache
def graph_version() -> str:
    """The pipeline's wiring: checkpoints of another version of the graph start over instead of resuming."""
    return cache.source_version(Path(__file__).with_name("graph.py"))


@contextmanager
def _checkpointer(film_dir: Path, thread_id: str, emit: Callable[[dict[str, Any]], None]) -> Iterator[Any]:
    """The run's checkpoints in the film folder. A checkpoint file that cannot be read (garbage, cut
    short, another version's tables) must not brick the folder: it is set aside as `*.broken` and the
    run starts afresh, which is cheap because every finished shot, line and stem is reused from the cache."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    (film_dir / cache.STATE_DIR).mkdir(exist_ok=True)
    path = film_dir / cache.CHECKPOINTS
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        problem = _unreadable(conn, saver, thread_id, path)
        if problem:
            conn.close()
            kept = catalogue.set_aside_broken(path)
            emit({"event": "notice", "message": f"{path} could not be read ({problem}); kept it as {kept.name} "
                  "and started the run afresh: what is already made is reused"})
            conn = sqlite3.connect(path, check_same_thread=False)
            saver = SqliteSaver(conn)
        yield saver
    finally:
        conn.close()


def _unreadable(conn: sqlite3.Connection, saver: Any, thread_id: str, path: Path) -> str | None:
    """Why the checkpoints cannot be read back, in a few words; None when they can."""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return str(check)
        saver.setup()
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorname", "") in NOT_BROKEN:  # the file is fine; the folder or a neighbour is not
            raise StoryagentError(f"{path}: cannot be opened ({error}); "
                                  "check that the folder is writable and no other program holds the file") from None
        return str(error)  # not a database, cut short, tables of another version
    except (ValueError, TypeError) as error:  # a checkpoint whose bytes do not decode
        return f"a checkpoint does not decode: {error}"
    if saved is not None and not (isinstance(saved.checkpoint, dict) and CHECKPOINT_FIELDS <= saved.checkpoint.keys()):
        return "a checkpoint decodes to something else"
    return None


# SQLite's answers that say the file could not be opened, written or locked: nothing to set aside.
NOT_BROKEN = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_IOERR",
              "SQLITE_FULL", "SQLITE_AUTH"}

# What every LangGraph checkpoint holds; one without them was not written by LangGraph.
CHECKPOINT_FIELDS = {"v", "id", "channel_values", "channel_versions", "versions_seen"}


def _catalogue_checked(film_dir: Path, emit: Callable[[dict[str, Any]], None]) -> None:
    kept = catalogue.set_aside_if_unreadable(film_dir)
    if kept is not None:
        emit({"event": "notice", "message": f"{film_dir / cache.CATALOGUE} could not be read; kept it as {kept.name} "
              "and started a new history of this folder's runs"})


@contextmanager
def _locked(film_dir: Path) -> Iterator[None]:
    """One run per film folder at a time; a second one is refused, never interleaved."""
    (film_dir / cache.STATE_DIR).mkdir(exist_ok=True)
    try:
        # Never truncates what is there; O_NONBLOCK: a FIFO put in its place is refused, not waited on.
        lock = os.open(film_dir / cache.LOCK, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o644)
    except OSError as error:
        raise StoryagentError(f"{film_dir / cache.LOCK}: cannot open the folder's lock file ({error.strerror}); "
                              "it must be a file storyagent can write") from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(f"{film_dir}: another storyagent run is working in this folder; wait for it to finish") from None
        yield
    finally:
        os.close(lock)  # closing releases the lock


def slug(title: str) -> str:
    """A folder name from a title; Chinese and other letters are kept readable."""
    name = re.sub(r"[^\w]+", "-", title.strip().lower()).strip("-_")
    return name[:60] or "film"


def free_folder(path: Path) -> Path:
    """`path`, or `path-2`, `path-3` … if something already lives there: a new film never
    lands on another (a repeated `make` finds its own folder by its key instead)."""
    candidate, n = path, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate
