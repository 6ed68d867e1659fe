"""What each stage of the pipeline does in the film folder. The graph calls
these; each reads its inputs, calls its stage module and writes its outputs
where `storyagent.cache` lays the folder out, named by the cache keys it
derives, so the folder is the same whoever runs it."""

from __future__ import annotations

import atexit
import functools
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from storyagent import cache
from storyagent.cache import STORYBOARD, write_bytes_atomic, write_text_atomic
from storyagent.errors import RenderError, StoryagentError, StoryboardError
from storyagent.renderers.base import RENDERERS, RenderJob, ShotJob, ShotRenderer, get_renderer, renderer_options
from storyagent.renderers.layout import layout_path
from storyagent.renderers.speech import shot_speech
from storyagent.run import catalogue
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard, save_keeping_previous
from storyagent.timeline import Timeline, build_timeline
from storyagent.voice.speak import SpokenLine

# -- plan and cast -------------------------------------------------------------


def plan_stage(premise: str, options: RunOptions) -> Storyboard:
    from storyagent.planners import plan

    return plan(
        premise,
        planner=options.planner,
        duration=options.duration,
        language=options.language,
        seed=options.seed,
        style=options.style,
        llm_base_url=options.llm_base_url,
        llm_model=options.llm_model,
    )


def cast_stage(board: Storyboard, film_dir: Path, options: RunOptions, seen: str | None = None) -> Storyboard:
    """Fix every character's look and voice, and the narrator's voice, in the storyboard, where the
    director can see and edit them; the voice stage reads the voices from there."""
    from storyagent.cast import assign_cast
    from storyagent.renderers.animatic.sheets import write_reference_sheets
    from storyagent.voice import cast_voices

    board = cast_voices(assign_cast(board), options.voice_engine, recast=options.voice_engine is not None)
    save_storyboard(board, film_dir, seen)
    write_reference_sheets(board, film_dir / cache.CAST)
    return board


def save_storyboard(board: Storyboard, film_dir: Path, seen: str | None = None) -> Path:
    """Save the cast storyboard in the film folder. `seen` is the digest of the file there when the
    run read it: if the director saved an edit since, the edit wins and the run stops."""
    path = film_dir / STORYBOARD
    if seen is not None and storyboard_digest(path) != seen and not _holds(path, board):
        raise StoryboardError(f"{path}: changed while this run was working; your edit is kept, "
                              f"run `storyagent render {path}` again to film it")
    save_keeping_previous(board, path)
    return path


def storyboard_digest(path: Path) -> str:
    """What a storyboard file holds now ('absent' if nothing), to tell later whether someone changed it."""
    try:
        return cache.file_digest(path)
    except FileNotFoundError:
        return "absent"
    except OSError:  # a folder, a link loop: reading the storyboard says so in one line
        return "unreadable"


def _holds(path: Path, board: Storyboard) -> bool:
    try:
        return path.read_bytes() == board.to_json().encode("utf-8")
    except FileNotFoundError:
        return False


# -- voice and time ------------------------------------------------------------


def voice_stage(board: Storyboard, film_dir: Path, options: RunOptions, run_id: int | None = None) -> list[SpokenLine]:
    from storyagent.voice import speak_lines

    started = time.time()
    spoken = speak_lines(board, film_dir)
    for line in spoken:
        # A line whose file predates this stage came from the cache.
        action = "built" if cache.resolve(line.audio, film_dir).stat().st_mtime >= started else "reused"
        catalogue.record(film_dir, run_id, "voice", f"{line.shot_id}:{line.index}", action, path=line.audio)
    return spoken


def time_stage(board: Storyboard, spoken: list[SpokenLine], film_dir: Path, options: RunOptions) -> Timeline:
    timeline = build_timeline(board, spoken, fps=options.fps, width=options.width, height=options.height)
    write_text_atomic(film_dir / cache.TIMELINE, timeline.model_dump_json(indent=2) + "\n")
    new_frames = sum(timeline.frames(placement.duration) for placement in timeline.shots
                     if not shot_reusable(board, timeline, placement.shot_id, film_dir, options))
    # Shots and the mix next start at once, then the edit: all of it must fit before the first shot starts.
    needed = 2 * _picture_bytes(timeline, new_frames) + _edit_bytes(timeline) + _sound_bytes(timeline)
    cache.check_free_space(film_dir, needed, "rendering, mixing and editing this film")
    return timeline


# -- how much disk a film needs -----------------------------------------------------------
#
# Measured on the default film (animatic, 1280x720, 93 s): 0.018 bytes per pixel per frame for the
# film, about the same for a shot clip and again for its pieces, and 1.1 MB per second of film for
# the stems, their cache and the mix. The estimates below take twice those, to be safe.

BYTES_PER_PIXEL = 0.04  # one encoded copy of a frame
SOUND_BYTES_PER_SECOND = 2_200_000


def _picture_bytes(timeline: Timeline, frames: int) -> int:
    return int(frames * timeline.width * timeline.height * BYTES_PER_PIXEL)


def _edit_bytes(timeline: Timeline) -> int:
    """The edit's segments and the new film, written beside the old one before it replaces it."""
    return 2 * _picture_bytes(timeline, timeline.frame_count)


def _sound_bytes(timeline: Timeline) -> int:
    return int(timeline.duration * SOUND_BYTES_PER_SECOND)


# -- render --------------------------------------------------------------------

_executor: Executor | None = None
_executor_lock = threading.Lock()  # shot branches run in parallel threads: create the workers once
_kept = False  # see keep_shot_workers


def keep_shot_workers() -> None:
    """For a process that runs render after render (the studio): the local shot workers stay up between
    runs, so an edit of one shot does not wait for new processes to start and import the renderer."""
    global _kept
    if not _kept:
        atexit.register(_stop_kept)  # before the interpreter tears down what the pool's threads use
    _kept = True


def warm_shot_workers(options: RunOptions) -> None:
    """Start the kept shot workers now, each loading the animatic, so the first render does not wait for them."""
    executor = shot_executor(options, RENDERERS.get("animatic"))
    for _ in range(options.jobs):
        executor.submit(_load_animatic)


def _load_animatic() -> None:
    import storyagent.renderers.animatic.renderer  # noqa: F401  (a worker's first shot pays this import otherwise)


def warm_stages(language: str = "en") -> threading.Thread:
    """In the background, load what a render runs in this process: the graph, the mix, the editor, the
    exporters, and the voice engine (by saying one word), so the first render after an edit does not pay
    for them (measured on the default film: about 1.5 s of a 6 s re-render)."""
    thread = threading.Thread(target=_warm, args=(language,), name="warm-stages", daemon=True)
    thread.start()
    return thread


def _warm(language: str) -> None:
    import storyagent.edit.assemble  # noqa: F401
    import storyagent.export.manifest  # noqa: F401
    import storyagent.run.graph  # noqa: F401
    import storyagent.sound.mix  # noqa: F401
    from storyagent.export import EXPORTERS
    from storyagent.storyboard import Voice
    from storyagent.voice import choose_engine, get_narrator

    for name in EXPORTERS.names():
        EXPORTERS.get(name)
    try:
        engine = choose_engine(language)  # a free engine: a paid one is never chosen unasked
        get_narrator(engine).synthesize("Ready.", Voice(engine=engine), language)
    except StoryagentError:
        pass  # no engine speaks here: the voice stage says so when a render needs one


def _stop_kept() -> None:
    global _kept
    _kept = False
    close_shot_pool()


def shot_executor(options: RunOptions, renderer: type[ShotRenderer]) -> Executor:
    """The run's shot workers: local processes, or Ray tasks with --executor ray."""
    global _executor
    with _executor_lock:
        if _executor is not None and not _fits(_executor, options):  # workers kept from a run with other options
            _executor.shutdown(wait=True, cancel_futures=True)
            _executor = None
        return _executor or _start_executor(options, renderer)


def _fits(executor: Executor, options: RunOptions) -> bool:
    if not isinstance(executor, ProcessPoolExecutor):
        return options.executor == "ray"
    return options.executor == "local" and executor._max_workers == options.jobs and not executor._broken


def _start_executor(options: RunOptions, renderer: type[ShotRenderer]) -> Executor:
    global _executor
    if options.executor == "ray":
        from storyagent.run.executors import RayExecutor

        _executor = RayExecutor(options.ray_address, num_gpus=1.0 if renderer.needs_gpu else 0.0, num_cpus=options.jobs)
    else:
        from storyagent.run.executors import local_executor

        _executor = local_executor(options.jobs)
    return _executor


def stop_shot_pool() -> None:
    """Stop the shot workers at once (a signal stopped the run); `close_shot_pool` still follows."""
    if _executor is not None:
        from storyagent.run.executors import stop_now

        stop_now(_executor)


def close_shot_pool() -> None:
    """The run is over: its shot workers stop, unless they are kept warm (`keep_shot_workers`) and whole."""
    global _executor
    warm = _kept and isinstance(_executor, ProcessPoolExecutor) and not _executor._broken
    if _executor is not None and not warm:
        _executor.shutdown(wait=True, cancel_futures=True)
        _executor = None


def renderer_name(board: Storyboard, options: RunOptions) -> str:
    return options.renderer or board.render.renderer


def chosen_renderer(board: Storyboard, options: RunOptions) -> tuple[type[ShotRenderer], BaseModel]:
    """The shot renderer of this run and its options: those of the run, over the storyboard's settings."""
    name = renderer_name(board, options)
    return RENDERERS.get(name), renderer_options(name, options.renderer_options, board.render)


@functools.cache
def shared_render_version() -> str:
    """Hash of the code every clip passes through whichever renderer draws it: the job, the layout track, the
    speech track, the looks, the icons, the encoder. Each renderer adds its own `version`."""
    package = Path(__file__).parent.parent
    return cache.source_version(package / "renderers" / "base.py", package / "renderers" / "layout.py",
                                package / "renderers" / "speech.py", package / "cast", package / "world",
                                package / "media" / "video.py")


def own_reference_digests(board: Storyboard, cast_ids: set[str], film_dir: Path | None) -> dict[str, str]:
    """Content hashes of the reference images a storyboard names: editing the file re-renders its shots."""
    digests = {}
    for character in board.characters:
        path = film_dir / character.visual.reference_image if film_dir and character.visual.reference_image else None
        if character.id in cast_ids and path is not None and path.is_file():
            digests[character.id] = cache.file_digest(path)
    return digests


def shot_key(board: Storyboard, timeline: Timeline, shot_id: str, options: RunOptions,
             film_dir: Path | None = None) -> str:
    """Hash of exactly what a shot's picture is made from."""
    scene = board.scene_of(shot_id)
    shot = board.shot(shot_id)
    cast_ids = {on.character for on in shot.characters}
    renderer, settings = chosen_renderer(board, options)
    inputs = {
        "shot": shot.model_dump(mode="json", exclude={"lines", "sound", "music_mood"}),
        "location": board.location(scene.location).model_dump(mode="json"),
        "characters": [c.model_dump(mode="json", exclude={"voice"}) for c in board.characters if c.id in cast_ids],
        "style": board.style,
        "frames": timeline.frames(timeline.shot(shot_id).duration),
        "size": [timeline.width, timeline.height, timeline.fps],
        "renderer": renderer.name,
        "renderer_inputs": renderer.cache_inputs(settings),
    }
    if renderer.reads_reference_images:
        inputs["references"] = own_reference_digests(board, cast_ids, film_dir)
    if renderer.starts_from:  # a keyframe the director replaced re-renders its shot, and only it
        from storyagent.renderers.keyframes import key_inputs

        inputs["keyframes"] = key_inputs(film_dir, shot_id, renderer.starts_from)
    if renderer.reads_speech and film_dir is not None:  # a line said otherwise re-renders its shot
        inputs["speech"] = [speech.model_dump(mode="json") for speech in shot_speech(timeline, shot_id, film_dir)]
    return cache.key("shot", inputs, f"{shared_render_version()}.{renderer.version}")


def shot_reusable(board: Storyboard, timeline: Timeline, shot_id: str, film_dir: Path, options: RunOptions) -> bool:
    key = shot_key(board, timeline, shot_id, options, film_dir)
    staged = chosen_renderer(board, options)[0].stages_shots
    return _clip_whole(timeline, shot_id, film_dir / cache.SHOTS / f"{shot_id}.{key}.mp4", staged)


def _clip_whole(timeline: Timeline, shot_id: str, clip: Path, staged: bool) -> bool:
    """Whether a shot's clip, the pieces the editor cuts it into and, from a renderer that stages its
    shots, its layout track are there and whole."""
    from storyagent.edit.assemble import shot_parts

    parts = shot_parts(timeline, shot_id, clip)
    return (cache.reusable(clip) and (not parts.wanted or parts.exist())
            and (not staged or cache.reusable(layout_path(clip))))


def render_stage(board: Storyboard, timeline: Timeline, shot_id: str, film_dir: Path, options: RunOptions,
                 run_id: int | None = None, report: Callable[[dict], None] | None = None) -> tuple[Path, float]:
    """The shot's clip, rendered in a worker process unless an identical, whole one exists. `report` hears
    how a paid renderer's requests for it stand (queued, running, done, refused) as they change."""
    key = shot_key(board, timeline, shot_id, options, film_dir)
    clip = film_dir / cache.SHOTS / f"{shot_id}.{key}.mp4"
    renderer, settings = chosen_renderer(board, options)
    if _clip_whole(timeline, shot_id, clip, renderer.stages_shots):
        catalogue.record(film_dir, run_id, "shot", shot_id, "reused", key=key, path=clip)
        return clip, 0.0
    from storyagent.edit.assemble import shot_parts

    started = time.perf_counter()
    frames = timeline.frames(timeline.shot(shot_id).duration)
    job = RenderJob(
        shot=ShotJob(board=board, shot_id=shot_id, frames=frames, width=timeline.width, height=timeline.height,
                     fps=timeline.fps, cast_dir=film_dir / cache.CAST, film_dir=film_dir, key=key,
                     speech=shot_speech(timeline, shot_id, film_dir) if renderer.reads_speech else []),
        edges=timeline.edges(shot_id),
        renderer=renderer.name,
        options=settings.model_dump(mode="json"),
        out=clip,
    )
    parts = shot_parts(timeline, shot_id, clip)
    spans = parts.spans(timeline.width * timeline.height) if renderer.draws_frames_apart else [(0, frames)]
    tasks = [job.model_dump_json()] if len(spans) == 1 else [job.model_copy(update={"span": span}).model_dump_json()
                                                              for span in spans]
    executor = shot_executor(options, renderer)
    if options.executor == "ray":
        from storyagent.run.executors import render_clip_files

        futures = [executor.submit(render_clip_files, render_clip, task) for task in tasks]
    else:
        futures = [executor.submit(render_clip, task) for task in tasks]
    try:
        for future in futures:
            result = _result_watching(future, film_dir, shot_id, key, report) if renderer.price(settings, 1.0) else future.result()
            if isinstance(result, dict):  # files from a Ray worker; the clip goes last, as a local worker writes it
                for name in sorted(result, key=lambda name: name == clip.name):
                    write_bytes_atomic(clip.parent / name, result[name])
        if len(spans) > 1:
            parts.join_spans(spans)
    except Exception as error:
        for future in futures:
            future.cancel()
        catalogue.record(film_dir, run_id, "shot", shot_id, "failed", key=key)
        raise _shot_failure(error, shot_id, renderer.name, film_dir) from None
    seconds = time.perf_counter() - started
    catalogue.record(film_dir, run_id, "shot", shot_id, "built", key=key, path=clip, seconds=seconds)
    if renderer.price(settings, 1.0) is not None:
        _report_remote_outcome(film_dir, shot_id, key, renderer.name, report)
    return clip, seconds


def _result_watching(future: Future, film_dir: Path, shot_id: str, key: str,
                     report: Callable[[dict], None] | None) -> object:
    """The worker's result; meanwhile each change of the shot's remote job is reported as it is noted in the ledger."""
    from concurrent.futures import TimeoutError as Waiting

    from storyagent.renderers.hosted.jobs import Ledger

    told = None
    while True:
        try:
            return future.result(timeout=0.5)
        except Waiting:
            jobs = Ledger(film_dir).of_shot(shot_id, key)
            if jobs and report is not None and (jobs[-1].state, jobs[-1].step) != told:
                told = jobs[-1].state, jobs[-1].step
                report({"stage": "render", "event": "remote", "shot": shot_id, "state": jobs[-1].state,
                        "step": jobs[-1].step, "job": jobs[-1].job_id})


def _report_remote_outcome(film_dir: Path, shot_id: str, key: str, renderer: str,
                           report: Callable[[dict], None] | None) -> None:
    """A refused shot (kept as its animatic) and a clip fitted to its shot are said once, when the shot is done."""
    from storyagent.renderers.hosted.jobs import Ledger, RemoteState

    jobs = Ledger(film_dir).of_shot(shot_id, key)
    if report is None or not jobs:
        return
    last = jobs[-1]
    report({"stage": "render", "event": "remote", "shot": shot_id, "state": last.state, "step": last.step, "job": last.job_id})
    if last.state == RemoteState.REJECTED:
        report({"event": "notice", "message": f"shot {shot_id}: {renderer} refused it ({last.detail or 'its policy'}); "
                "it keeps its animatic clip (--strict fails instead)"})
    elif last.detail:
        report({"event": "notice", "message": last.detail})


def _shot_failure(error: Exception, shot_id: str, renderer: str, film_dir: Path) -> Exception:
    """What a shot's worker ended with, as one line naming the shot. A renderer's own exception is a
    bug in that renderer: its whole traceback is kept in the film folder for its author, and named."""
    if isinstance(error, StoryagentError):
        return error
    if isinstance(error, BrokenExecutor):
        # Every shot under way fails with the pool, so this may be the shot beside the one that crashed.
        return RenderError(f"shot {shot_id}: a render worker died while it was under way (a crash in the {renderer} "
                           "renderer on this or another shot, or no memory left); run the same command again to retry")
    if isinstance(error, MemoryError):
        return RenderError(f"shot {shot_id}: the {renderer} renderer ran out of memory; "
                           "try fewer --jobs or a smaller --resolution")
    report = film_dir / cache.STATE_DIR / "errors" / f"{shot_id}.txt"
    write_text_atomic(report, "".join(traceback.format_exception(error)))
    return RenderError(f"shot {shot_id}: the {renderer} renderer failed ({type(error).__name__}: {error}); "
                       f"its traceback is in {report}")


def _exactly(frames: Iterable[np.ndarray], count: int, shot_id: str, renderer: str) -> Iterator[np.ndarray]:
    """The renderer's frames, held to the `count` the timeline asked for: a clip of another length
    would shift every cut after it."""
    given = 0
    for frame in frames:
        given += 1
        if given > count:
            raise RenderError(f"shot {shot_id}: the {renderer} renderer gave more than the {count} frames asked for")
        yield frame
    if given < count:
        raise RenderError(f"shot {shot_id}: the {renderer} renderer gave {given} frames, not the {count} asked for")


def render_clip(job: str) -> str:
    """Runs in a worker process: draw the shot's frames and encode them as they
    come, in the pieces the editor will cut the shot into. `job` is a RenderJob as JSON; for one span of
    the shot, its frames are encoded into that span's runs, which the render stage joins."""
    from storyagent.edit.assemble import ShotParts

    task = RenderJob.model_validate_json(job)
    shot = task.shot
    renderer = get_renderer(task.renderer, **task.options)
    first, end = task.span or (0, shot.frames)
    if renderer.stages_shots and first == 0:  # written first: the clip, written last, is what says the shot is done
        layout = renderer.layout(shot)
        if len(layout.frames) != shot.frames:
            raise RenderError(f"shot {shot.shot_id}: the {task.renderer} renderer's layout track has "
                              f"{len(layout.frames)} frames, not the {shot.frames} asked for")
        cache.seal(layout.save(layout_path(task.out)))
    parts = ShotParts(task.out, *task.edges, shot.frames)
    if task.span is None:
        parts.write(_exactly(renderer.frames(shot), shot.frames, shot.shot_id, task.renderer), shot.fps, shot.width,
                    shot.height)
    else:
        frames = _exactly(renderer.frames(shot, first), shot.frames - first, shot.shot_id, task.renderer)
        parts.write_span(frames, first, end, shot.fps, shot.width, shot.height)
    return str(task.out)


# -- sound, edit, export -------------------------------------------------------


def sound_stage(board: Storyboard, timeline: Timeline, film_dir: Path, options: RunOptions) -> dict[str, Path]:
    from storyagent.edit.assemble import encode_soundtrack
    from storyagent.sound.mix import mix

    result = mix(timeline, board, film_dir, seed=options.seed)
    # Encoded here, beside the shots still rendering, so the edit that follows only copies it.
    encode_soundtrack(result.mix, timeline, film_dir / cache.EDIT)
    return {"mix": result.mix, **result.stems}


def edit_stage(board: Storyboard, timeline: Timeline, clips: dict[str, Path], mix: dict[str, str],
               film_dir: Path, options: RunOptions, progress: Callable[[int, int], None] | None = None) -> Path:
    from storyagent.edit.assemble import assemble
    from storyagent.edit.cards import CARDS_VERSION, credits_frames, title_frames
    from storyagent.edit.subtitles import write_subtitles

    subtitles = write_subtitles(timeline, film_dir)
    cards = {
        "title": lambda: title_frames(board, timeline),
        "credits": lambda: credits_frames(board, timeline),
    }
    # What the cards show: the title, logline, language, cast and the first place.
    card_inputs = board.model_dump(mode="json", include={"title", "logline", "language", "characters", "locations"})
    card_inputs |= {"first_place": board.scenes[0].location}
    card_key = cache.key("card", card_inputs, CARDS_VERSION)
    cache.check_free_space(film_dir, _edit_bytes(timeline), "editing this film")
    return assemble(
        timeline,
        clips,
        cards,
        cache.resolve(mix["mix"], film_dir),
        film_dir / cache.FILM,
        subtitles["srt"],
        subtitles["ass"] if options.burn_subtitles else None,
        subtitle_language="chi" if board.language == "zh" else "eng",
        title=board.title,
        progress=progress,
        segments_dir=film_dir / cache.EDIT,
        jobs=options.jobs,
        card_keys={"title": f"title-{card_key}", "credits": f"credits-{card_key}"},
    )


def export_stage(board: Storyboard, timeline: Timeline, state: dict, film_dir: Path, options: RunOptions) -> dict[str, Path]:
    from storyagent.export import ExportJob, export_all
    from storyagent.export.manifest import FilmInfo, write_film_manifest
    from storyagent.run.cost import spent

    clips = {shot_id: cache.resolve(path, film_dir) for shot_id, path in state["clips"].items()}
    # Voice lines go on their own track line by line, so the voice stem is left out here.
    stems = {name: cache.resolve(state["mix"][name], film_dir) for name in ("music", "effects") if name in state["mix"]}
    exports = export_all(ExportJob(board=board, timeline=timeline, clips=clips, stems=stems, film_dir=film_dir))
    info = FilmInfo(
        title=board.title,
        premise=board.premise.text,
        planner=options.planner if state.get("source") == "premise" else "storyboard",
        renderer=renderer_name(board, options),
        voice_engine=options.voice_engine or "auto",
        duration=timeline.duration,
        frame_count=timeline.frame_count,
        fps=timeline.fps,
        width=timeline.width,
        height=timeline.height,
        seeds={"film": options.seed} | {c.id: c.seed for c in board.characters} | {loc.id: loc.seed for loc in board.locations},
        stage_seconds={k: round(v, 3) for k, v in state.get("timings", {}).items()},
        paths={name: cache.relative(p, film_dir) for name, p in {**exports, "film": state["film"]}.items()},
        spent_usd=spent(film_dir),
    )
    exports["manifest"] = write_film_manifest(film_dir / "film.json", info)
    return exports
