"""What each stage of the pipeline does in the film folder. The graph calls
these; each reads its inputs, calls its stage module and writes its outputs
under a fixed name, so the folder is the same whoever runs it:

    storyboard.json        the director's document (earlier versions kept as storyboard.v<N>.json)
    cast/<id>.png          character reference sheets
    voice/*.wav            spoken lines, named by the hash of what made them
    shots/<id>.<hash>.mp4  shot clips, named by the hash of what made them
    edit/<hash>.mp4        the film's picture in segments between cuts, reused when unchanged
    timeline.json          when every shot, line, effect and music section plays
    stems/*.wav, mix.wav   voice, music and effects stems and the final mix
    film.mp4               the film
    subtitles.srt/.vtt, timeline.otio, timeline.edl, contact-sheet.*, film.json
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from storyagent.cache import write_bytes_atomic, write_text_atomic
from storyagent.run import catalogue
from storyagent.run.options import RunOptions
from storyagent.storyboard import Storyboard, save_keeping_previous
from storyagent.timeline import Timeline, build_timeline
from storyagent.voice.speak import SpokenLine

STORYBOARD = "storyboard.json"


# -- plan and cast -------------------------------------------------------------


def plan_stage(premise: str, options: RunOptions) -> Storyboard:
    from storyagent.plan import plan

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


def cast_stage(board: Storyboard, film_dir: Path, options: RunOptions) -> Storyboard:
    """Fix every character's look and voice, and the narrator's voice, in the storyboard, where the
    director can see and edit them; the voice stage reads the voices from there."""
    from storyagent.cast import assign_cast
    from storyagent.render.animatic.sheets import write_reference_sheets
    from storyagent.voice import cast_voices

    board = cast_voices(assign_cast(board), options.voice_engine, recast=options.voice_engine is not None)
    save_storyboard(board, film_dir)
    write_reference_sheets(board, film_dir / "cast")
    return board


def save_storyboard(board: Storyboard, film_dir: Path) -> Path:
    save_keeping_previous(board, film_dir / STORYBOARD)
    return film_dir / STORYBOARD


# -- voice and time ------------------------------------------------------------


def voice_stage(board: Storyboard, film_dir: Path, options: RunOptions, run_id: int | None = None) -> list[SpokenLine]:
    from storyagent.voice import speak_lines

    started = time.time()
    spoken = speak_lines(board, film_dir)
    for line in spoken:
        # A line whose file predates this stage came from the cache.
        action = "built" if Path(line.audio).stat().st_mtime >= started else "reused"
        catalogue.record(film_dir, run_id, "voice", f"{line.shot_id}:{line.index}", action, path=line.audio)
    return spoken


def time_stage(board: Storyboard, spoken: list[SpokenLine], film_dir: Path, options: RunOptions) -> Timeline:
    timeline = build_timeline(board, spoken, fps=options.fps, width=options.width, height=options.height)
    write_text_atomic(film_dir / "timeline.json", timeline.model_dump_json(indent=2) + "\n")
    return timeline


# -- render --------------------------------------------------------------------

_executor: Executor | None = None
_executor_lock = threading.Lock()  # shot branches run in parallel threads: create the workers once


def shot_executor(options: RunOptions, renderer: str) -> Executor:
    """The run's shot workers: local processes, or Ray tasks with --executor ray."""
    global _executor
    with _executor_lock:
        return _executor or _start_executor(options, renderer)


def _start_executor(options: RunOptions, renderer: str) -> Executor:
    global _executor
    if options.executor == "ray":
        from storyagent.run.executors import RayExecutor

        _executor = RayExecutor(options.ray_address, num_gpus=1.0 if renderer == "dit" else 0.0, num_cpus=options.jobs)
    else:
        from storyagent.run.executors import local_executor

        _executor = local_executor(options.jobs)
    return _executor


def close_shot_pool() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=True, cancel_futures=True)
        _executor = None


def renderer_name(board: Storyboard, options: RunOptions) -> str:
    return options.renderer or board.render.renderer


def renderer_options(board: Storyboard, options: RunOptions) -> dict:
    """What the shot renderer is built with; only the dit renderer takes options."""
    if renderer_name(board, options) != "dit":
        return {}
    return {"model": options.model or board.render.model, **options.dit.model_dump(exclude_defaults=True)}


@functools.cache
def render_code_version() -> str:
    """Hash of the renderers' source: a change to how shots are drawn makes old clips stale."""
    package = Path(__file__).parent.parent
    sources = sorted([*(package / "render").rglob("*.py"), *(package / "cast").glob("*.py"), package / "world" / "icons.py",
                      package / "edit" / "cards.py", package / "media" / "video.py"])
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]


def own_reference_digests(board: Storyboard, cast_ids: set[str], film_dir: Path | None) -> dict[str, str]:
    """Content hashes of the reference images a storyboard names: editing the file re-renders its shots."""
    digests = {}
    for character in board.characters:
        path = film_dir / character.visual.reference_image if film_dir and character.visual.reference_image else None
        if character.id in cast_ids and path is not None and path.is_file():
            digests[character.id] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return digests


def shot_key(board: Storyboard, timeline: Timeline, shot_id: str, options: RunOptions,
             film_dir: Path | None = None) -> str:
    """Hash of exactly what a shot's picture is made from."""
    scene = board.scene_of(shot_id)
    shot = next(s for s in scene.shots if s.id == shot_id)
    cast_ids = {on.character for on in shot.characters}
    inputs = {
        "shot": shot.model_dump(mode="json", exclude={"lines", "sound", "music_mood"}),
        "location": board.location(scene.location).model_dump(mode="json"),
        "characters": [c.model_dump(mode="json", exclude={"voice"}) for c in board.characters if c.id in cast_ids],
        "style": board.style,
        "frames": timeline.frames(timeline.shot(shot_id).duration),
        "size": [timeline.width, timeline.height, timeline.fps],
        "renderer": renderer_name(board, options),
        "model": options.model or board.render.model,
        "code": render_code_version(),
    }
    if inputs["renderer"] == "dit":
        inputs["dit"] = options.dit.picture()
        inputs["references"] = own_reference_digests(board, cast_ids, film_dir)
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def render_stage(board: Storyboard, timeline: Timeline, shot_id: str, film_dir: Path, options: RunOptions,
                 run_id: int | None = None) -> tuple[Path, float]:
    """The shot's clip, rendered in a worker process unless an identical one exists."""
    key = shot_key(board, timeline, shot_id, options, film_dir)
    clip = film_dir / "shots" / f"{shot_id}.{key}.mp4"
    if clip.exists():
        catalogue.record(film_dir, run_id, "shot", shot_id, "reused", key=key, path=clip)
        return clip, 0.0
    started = time.perf_counter()
    renderer = renderer_name(board, options)
    args = (
        board.model_dump(mode="json"),
        shot_id,
        timeline.frames(timeline.shot(shot_id).duration),
        timeline.edges(shot_id),
        timeline.width,
        timeline.height,
        timeline.fps,
        str(film_dir / "cast"),
        renderer,
        renderer_options(board, options),
        str(clip),
    )
    executor = shot_executor(options, renderer)
    if options.executor == "ray":
        from storyagent.run.executors import render_clip_files

        future = executor.submit(render_clip_files, render_clip, *args)
    else:
        future = executor.submit(render_clip, *args)
    try:
        result = future.result()
        if isinstance(result, dict):  # files from a Ray worker; the clip goes last, as a local worker writes it
            for name in sorted(result, key=lambda name: name == clip.name):
                write_bytes_atomic(clip.parent / name, result[name])
    except Exception:
        catalogue.record(film_dir, run_id, "shot", shot_id, "failed", key=key)
        raise
    seconds = time.perf_counter() - started
    catalogue.record(film_dir, run_id, "shot", shot_id, "built", key=key, path=clip, seconds=seconds)
    return clip, seconds


def render_clip(board: dict, shot_id: str, frames: int, edges: tuple[int, int], width: int, height: int, fps: int,
                cast_dir: str, renderer: str, renderer_options: dict, out: str) -> str:
    """Runs in a worker process: draw the shot's frames and encode them as they
    come, in the pieces the editor will cut the shot into."""
    from storyagent.edit.assemble import ShotParts
    from storyagent.render.base import ShotJob, get_renderer

    job = ShotJob(
        board=Storyboard.from_dict(board),
        shot_id=shot_id,
        frames=frames,
        width=width,
        height=height,
        fps=fps,
        cast_dir=Path(cast_dir),
    )
    ShotParts(Path(out), *edges, frames).write(get_renderer(renderer, **renderer_options).frames(job), fps, width, height)
    return out


# -- sound, edit, export -------------------------------------------------------


def sound_stage(board: Storyboard, timeline: Timeline, film_dir: Path, options: RunOptions) -> dict[str, Path]:
    from storyagent.sound.mix import mix

    result = mix(timeline, board, film_dir, seed=options.seed)
    return {"mix": result.mix, **result.stems}


def edit_stage(board: Storyboard, timeline: Timeline, clips: dict[str, Path], mix: dict[str, str],
               film_dir: Path, options: RunOptions, progress: Callable[[int, int], None] | None = None) -> Path:
    from storyagent.edit.assemble import assemble
    from storyagent.edit.cards import credits_frames, title_frames
    from storyagent.edit.subtitles import write_subtitles

    subtitles = write_subtitles(timeline, film_dir)
    cards = {
        "title": lambda: title_frames(board, timeline),
        "credits": lambda: credits_frames(board, timeline),
    }
    # What the cards show: the title, logline, language, cast and the first place (the code is in the shot key).
    card_inputs = board.model_dump(mode="json", include={"title", "logline", "language", "characters", "locations"})
    card_inputs |= {"first_place": board.scenes[0].location, "code": render_code_version()}
    card_key = hashlib.sha256(json.dumps(card_inputs, sort_keys=True).encode()).hexdigest()[:16]
    return assemble(
        timeline,
        clips,
        cards,
        Path(mix["mix"]),
        film_dir / "film.mp4",
        subtitles["srt"],
        subtitles["ass"] if options.burn_subtitles else None,
        subtitle_language="chi" if board.language == "zh" else "eng",
        title=board.title,
        progress=progress,
        segments_dir=film_dir / "edit",
        jobs=options.jobs,
        card_keys={"title": f"title-{card_key}", "credits": f"credits-{card_key}"},
    )


def export_stage(board: Storyboard, timeline: Timeline, state: dict, film_dir: Path, options: RunOptions) -> dict[str, Path]:
    from storyagent.export.contact_sheet import write_contact_sheet
    from storyagent.export.otio import (
        EDL_RATES,
        FilmInfo,
        build_otio,
        save_otio,
        write_contact_sheet_pdf,
        write_edl,
        write_film_manifest,
    )

    clips = {shot_id: Path(path) for shot_id, path in state["clips"].items()}
    # Voice lines go on their own track line by line, so the voice stem is left out here.
    stems = {name: Path(state["mix"][name]) for name in ("music", "effects") if name in state["mix"]}
    edit = build_otio(timeline, clips, stems, name=board.title, relative_to=film_dir)
    exports = {"otio": save_otio(edit, film_dir / "timeline.otio")}
    if timeline.fps in EDL_RATES:  # other rates have no SMPTE timecode; the .otio still carries the edit
        exports["edl"] = write_edl(edit, film_dir / "timeline.edl")
    exports.update(write_contact_sheet(board, film_dir / "contact-sheet.png", clips=clips))
    exports["contact_sheet_pdf"] = write_contact_sheet_pdf(film_dir / "contact-sheet.png", film_dir / "contact-sheet.pdf",
                                                           title=board.title)
    info = FilmInfo(
        title=board.title,
        premise=board.premise,
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
        paths={name: str(Path(p).relative_to(film_dir)) for name, p in {**exports, "film": state["film"]}.items()},
    )
    exports["manifest"] = write_film_manifest(film_dir / "film.json", info)
    return exports
