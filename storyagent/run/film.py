"""The Python API for whole films: `make` a film from a premise, `render` one
from a storyboard. Both run the pipeline graph in the film folder with a SQLite
checkpointer, so running the same command again after a crash resumes it."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from storyagent.errors import BackendError, BusyError, PremiseError
from storyagent.run import catalogue, stages
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard

Progress = Callable[[dict[str, Any]], None]
STATE_DIR = ".storyagent"


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

    Without `out_dir`, the film goes to a new folder named after its title."""
    if not premise or not premise.strip():
        raise PremiseError("the premise is empty; say in a few words what the film is about")
    run_options = RunOptions(**options)
    if out_dir is None:
        board = stages.plan_stage(premise, run_options)
        film_dir = free_folder(Path.cwd() / slug(board.title), premise)
        return _run({"premise": premise, "source": "premise", "storyboard": board.model_dump(mode="json")},
                    film_dir, run_options, progress)
    return _run({"premise": premise, "source": "premise"}, Path(out_dir), run_options, progress)


def render(storyboard: Storyboard | str | Path, out_dir: str | Path | None = None, *,
           progress: Progress | None = None, **options: Any) -> FilmResult:
    """Render a storyboard into a film. A path renders into that file's folder
    unless `out_dir` says otherwise; only what changed since the last render is made again."""
    if isinstance(storyboard, Storyboard):
        board = storyboard
        film_dir = Path(out_dir) if out_dir is not None else Path.cwd() / slug(board.title)
    else:
        board = Storyboard.load(storyboard)
        film_dir = Path(out_dir) if out_dir is not None else Path(storyboard).resolve().parent
    run_options = RunOptions(**options)
    return _run({"premise": board.premise, "source": "storyboard", "storyboard": board.model_dump(mode="json")},
                film_dir, run_options, progress)


def _run(inputs: dict[str, Any], film_dir: Path, options: RunOptions, progress: Progress | None) -> FilmResult:
    from storyagent.run.graph import build_graph

    film_dir = film_dir.resolve()
    options = _check_backends(inputs.get("storyboard"), options)
    film_dir.mkdir(parents=True, exist_ok=True)
    state_in = {**inputs, "options": options.model_dump(), "film_dir": str(film_dir)}
    config = {"configurable": {"thread_id": run_key(state_in)}}
    command = "make" if inputs.get("source") == "premise" else "render"
    emit = progress or (lambda event: None)
    with _locked(film_dir), _checkpointer(film_dir) as saver:
        _remove_partial_files(film_dir)
        app = build_graph().compile(checkpointer=saver)
        snapshot = app.get_state(config)
        waiting = bool(snapshot.next) and any(task.interrupts for task in snapshot.tasks)
        if waiting:
            return _result(film_dir, snapshot.values, stopped_for_review=True)
        if snapshot.next:
            emit({"event": "resume", "next": list(snapshot.next)})
            stream_input = None  # crashed earlier: carry on from the last checkpoint
        elif snapshot.values.get("film") and Path(snapshot.values["film"]).exists():
            emit({"event": "up-to-date"})
            return _result(film_dir, snapshot.values)
        else:
            stream_input = state_in
        run_id = catalogue.start_run(film_dir, command)
        run_config = {"configurable": {**config["configurable"], "run_id": run_id}}
        try:
            for mode, chunk in app.stream(stream_input, run_config, stream_mode=["updates", "custom"], durability="sync"):
                if mode == "custom":
                    emit(chunk)
                elif isinstance(chunk, dict) and "__interrupt__" in chunk:
                    emit({"event": "review"})
        except BaseException as error:
            catalogue.finish_run(film_dir, run_id, "failed", str(error) or type(error).__name__)
            raise
        finally:
            stages.close_shot_pool()
        final = app.get_state(config)
        catalogue.finish_run(film_dir, run_id, "review" if final.next else "done")
        return _result(film_dir, final.values, stopped_for_review=bool(final.next))


def _remove_partial_files(film_dir: Path) -> None:
    """Half-written files and the mix's scratch folders of a killed run (never under a final name);
    we hold the lock, so none is in use."""
    for leftover in film_dir.rglob(".*.partial*"):
        leftover.unlink(missing_ok=True)
    for scratch in film_dir.glob(".mix-*"):
        shutil.rmtree(scratch, ignore_errors=True)


def _check_backends(storyboard: dict[str, Any] | None, options: RunOptions) -> RunOptions:
    """An unknown backend, a wrong option or a missing model is reported before any work, not by a worker
    minutes later. Returns `options` with the renderer's options as its Options model keeps them."""
    from storyagent.render.base import RENDERERS, renderer_options
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


def _result(film_dir: Path, values: dict[str, Any], stopped_for_review: bool = False) -> FilmResult:
    return FilmResult(
        film_dir=film_dir,
        storyboard=film_dir / stages.STORYBOARD,
        film=Path(values["film"]) if values.get("film") else None,
        stopped_for_review=stopped_for_review,
        exports={name: Path(path) for name, path in values.get("exports", {}).items()},
        timings=values.get("timings", {}),
    )


def run_key(state_in: dict[str, Any]) -> str:
    """Same inputs, same run: a repeated command resumes instead of starting over."""
    options = {k: v for k, v in state_in["options"].items() if k not in ("jobs", "executor", "ray_address")}
    payload = {"premise": state_in.get("premise"), "storyboard": state_in.get("storyboard"), "options": options}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]


@contextmanager
def _checkpointer(film_dir: Path) -> Iterator[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    state_dir = film_dir / STATE_DIR
    state_dir.mkdir(exist_ok=True)
    conn = sqlite3.connect(state_dir / "checkpoints.sqlite", check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@contextmanager
def _locked(film_dir: Path) -> Iterator[None]:
    """One run per film folder at a time; a second one is refused, never interleaved."""
    (film_dir / STATE_DIR).mkdir(exist_ok=True)
    with open(film_dir / STATE_DIR / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(f"{film_dir}: another storyagent run is working in this folder; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def slug(title: str) -> str:
    """A folder name from a title; Chinese and other letters are kept readable."""
    name = re.sub(r"[^\w]+", "-", title.strip().lower()).strip("-_")
    return name[:60] or "film"


def free_folder(path: Path, premise: str) -> Path:
    """`path`, or `path-2`, `path-3` … if a film of another premise already lives there."""
    candidate, n = path, 1
    while candidate.exists() and any(candidate.iterdir()) and _premise_in(candidate) != premise:
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _premise_in(folder: Path) -> str | None:
    try:
        return json.loads((folder / stages.STORYBOARD).read_text(encoding="utf-8")).get("premise")
    except (OSError, ValueError, AttributeError):
        return None
