"""The pipeline, as ARCHITECTURE.md draws it:

    premise -> plan -> cast -> review? -> voice -> time -> render shots (one branch per shot) ┐
                                                       └-> sound ──────────────────────────────┴-> edit -> export

A LangGraph `StateGraph` with a SQLite checkpointer in the film folder: a run
that is killed resumes where it stopped. State holds plain JSON data only, and
its paths are relative to the film folder, which travels in the run's config:
a folder moved or copied between runs carries on where it is now.
Each node calls one stage module and returns only what it changed.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.config import get_config, get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send, interrupt

from storyagent import cache
from storyagent.planners.report import understood
from storyagent.run import cost, stages
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard
from storyagent.timeline import Timeline
from storyagent.voice.speak import SpokenLine


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class FilmState(TypedDict, total=False):
    premise: str
    source: str  # 'premise' (make) or 'storyboard' (render)
    options: dict[str, Any]
    storyboard: dict[str, Any]
    spoken: list[dict[str, Any]]
    timeline: dict[str, Any]
    clips: Annotated[dict[str, str], _merge]
    mix: dict[str, str]
    film: str
    exports: dict[str, str]
    timings: Annotated[dict[str, float], _merge]
    log: Annotated[list[str], operator.add]


class ShotTask(TypedDict):
    shot_id: str
    storyboard: dict[str, Any]
    timeline: dict[str, Any]
    options: dict[str, Any]


def _timed(stage: str, node: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def run(state: Any) -> dict[str, Any]:
        writer = get_stream_writer()
        writer({"stage": stage, "event": "start"})
        started = time.perf_counter()
        update = node(state)
        seconds = time.perf_counter() - started
        writer({"stage": stage, "event": "done", "seconds": round(seconds, 3)})
        return {**update, "timings": {**update.get("timings", {}), stage: seconds}}

    run.__name__ = node.__name__
    return run


def _run_id() -> int | None:
    """The catalogue's id of this run; it travels in the config, not the checkpointed state."""
    return get_config()["configurable"].get("run_id")


def _film_dir() -> Path:
    """Where the film folder is now; it travels in the config, not the checkpointed state."""
    return Path(get_config()["configurable"]["film_dir"])


def _stored(path: Path) -> str:
    return cache.relative(path, _film_dir())


def _board(state: FilmState) -> Storyboard:
    return Storyboard.from_dict(state["storyboard"], source="storyboard.json")


def _options(state: FilmState) -> RunOptions:
    return _with_this_runs(state["options"])


def _with_this_runs(options: dict[str, Any]) -> RunOptions:
    """The film's options from the state, with how to run (jobs, executor, Ray address) from the command
    running now: a resumed run works as the command resuming it says, not as the one that stopped did
    (which may have named a Ray cluster that was not there)."""
    return RunOptions.model_validate({**options, **get_config()["configurable"].get("run_only", {})})


def plan_node(state: FilmState) -> dict[str, Any]:
    if state.get("storyboard"):
        return {}
    board = stages.plan_stage(state["premise"], _options(state))
    get_stream_writer()({"stage": "plan", "event": "understood", "lines": understood(board)})
    return {"storyboard": board.model_dump(mode="json")}


def cast_node(state: FilmState) -> dict[str, Any]:
    seen = get_config()["configurable"].get("storyboard_seen")
    board = stages.cast_stage(_board(state), _film_dir(), _options(state), seen=seen)
    return {"storyboard": board.model_dump(mode="json")}


def review_node(state: FilmState) -> dict[str, Any]:
    # The director edits storyboard.json and runs `storyagent render`, which starts a fresh run.
    if _options(state).review:
        interrupt({"storyboard": cache.STORYBOARD})
    return {}


def voice_node(state: FilmState) -> dict[str, Any]:
    spoken = stages.voice_stage(_board(state), _film_dir(), _options(state), run_id=_run_id())
    return {"spoken": [line.model_dump() for line in spoken]}


def time_node(state: FilmState) -> dict[str, Any]:
    spoken = [SpokenLine.model_validate(line) for line in state.get("spoken", [])]
    timeline = stages.time_stage(_board(state), spoken, _film_dir(), _options(state))
    writer = get_stream_writer()
    found = cost.start_spending(_board(state), timeline, _film_dir(), _options(state))
    if found is not None:
        asked = [shot for shot in found.shots if shot.to_pay]
        writer({"event": "notice", "message": f"{found.renderer} {found.model}: {len(asked)} of {len(found.shots)} shots "
                f"to ask for, about ${found.to_pay:.2f}" + (f" ({found.price_source})" if found.price_source else "")})
    writer({"stage": "render", "event": "total", "total": len(timeline.shots)})
    return {"timeline": timeline.model_dump(mode="json")}


def fan_out(state: FilmState) -> list[Send | str]:
    """One render branch per shot, and the sound stage beside them."""
    tasks: list[Send | str] = [
        Send(
            "render_shot",
            ShotTask(
                shot_id=placement["shot_id"],
                storyboard=state["storyboard"],
                timeline=state["timeline"],
                options=state["options"],
            ),
        )
        for placement in state["timeline"]["shots"]
    ]
    return [*tasks, "sound"]


def render_shot_node(task: ShotTask) -> dict[str, Any]:
    writer = get_stream_writer()
    board = Storyboard.from_dict(task["storyboard"], source="storyboard.json")
    timeline = Timeline.model_validate(task["timeline"])
    options = _with_this_runs(task["options"])
    clip, seconds = stages.render_stage(board, timeline, task["shot_id"], _film_dir(), options, run_id=_run_id(),
                                        report=writer)
    writer({"stage": "render", "event": "shot", "shot": task["shot_id"], "seconds": round(seconds, 3)})
    return {"clips": {task["shot_id"]: _stored(clip)}, "timings": {f"render:{task['shot_id']}": seconds}}


def sound_node(state: FilmState) -> dict[str, Any]:
    timeline = Timeline.model_validate(state["timeline"])
    paths = stages.sound_stage(_board(state), timeline, _film_dir(), _options(state))
    return {"mix": {name: _stored(path) for name, path in paths.items()}}


def edit_node(state: FilmState) -> dict[str, Any]:
    timeline = Timeline.model_validate(state["timeline"])
    film_dir = _film_dir()
    clips = {shot_id: cache.resolve(path, film_dir) for shot_id, path in state["clips"].items()}
    writer = get_stream_writer()

    def frames_done(done: int, total: int) -> None:
        if done % 24 == 0 or done == total:  # about once a second of film: enough for a smooth bar
            writer({"stage": "edit", "event": "frames", "done": done, "total": total})

    film = stages.edit_stage(_board(state), timeline, clips, state["mix"], film_dir, _options(state),
                             progress=frames_done)
    writer({"stage": "edit", "event": "film", "film": _stored(film)})  # it plays from now: the exports follow
    return {"film": _stored(film)}


def export_node(state: FilmState) -> dict[str, Any]:
    timeline = Timeline.model_validate(state["timeline"])
    exports = stages.export_stage(_board(state), timeline, state, _film_dir(), _options(state))
    return {"exports": {name: _stored(path) for name, path in exports.items()}}


def build_graph() -> StateGraph:
    graph = StateGraph(FilmState)
    graph.add_node("plan", _timed("plan", plan_node))
    graph.add_node("cast", _timed("cast", cast_node))
    graph.add_node("review", review_node)
    graph.add_node("voice", _timed("voice", voice_node))
    graph.add_node("time", _timed("time", time_node))
    graph.add_node("render_shot", render_shot_node)
    graph.add_node("sound", _timed("sound", sound_node))
    graph.add_node("edit", _timed("edit", edit_node))
    graph.add_node("export", _timed("export", export_node))

    graph.add_edge(START, "plan")
    graph.add_edge("plan", "cast")
    graph.add_edge("cast", "review")
    graph.add_edge("review", "voice")
    graph.add_edge("voice", "time")
    graph.add_conditional_edges("time", fan_out, ["render_shot", "sound"])
    graph.add_edge(["render_shot", "sound"], "edit")
    graph.add_edge("edit", "export")
    graph.add_edge("export", END)
    return graph
