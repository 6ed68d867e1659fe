"""The command line. Each command is a thin shell over the Python API; every
StoryagentError becomes one red line and a non-zero exit, never a traceback."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import os
import re
import signal
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from rich.console import Console
from rich.markup import escape

from storyagent.errors import BackendError, Stopped, StoryagentError
from storyagent.renderers.preview import RenderPass

if TYPE_CHECKING:
    from storyagent.planners.lint import LintIssue
    from storyagent.storyboard import Storyboard

app = typer.Typer(
    name="storyagent",
    help=(
        "Turn one line into a finished, narrated animated short.\n\n"
        "Quick start:\n\n"
        '  storyagent make "polar bear visits penguins"\n\n'
        "Edit the storyboard.json it writes, then `storyagent render` it again:\n"
        "only what your edit touched is re-rendered.\n\n"
        "Check a storyboard you edited by hand with `storyagent validate` (is it a\n"
        "valid file?) and `storyagent lint` (is it good film grammar?)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Text that is not ours (paths, titles, ids, error messages) goes through `escape`: rich would take
# `[dit]` in "pip install 'storyagent[dit]'" or a folder named "[draft]" for markup and drop it.
# `emoji=False`: rich would also turn ":fox_face:" in a title or a path into a picture.
out = Console(soft_wrap=True, emoji=False)  # never break a path across lines
err = Console(stderr=True, emoji=False)

StoryboardFile = Annotated[Path, typer.Argument(metavar="STORYBOARD", help="A storyboard JSON file.", show_default=False)]


# Options shared by `make` and `render` (and, for planning, `plan`).
Planner = Annotated[str, typer.Option("--planner", help="auto (llm when one is configured, else template), or a planner by name.")]
Duration = Annotated[float, typer.Option("--duration", "-d", help="Target film length in seconds.", min=5, max=3600)]
Language = Annotated[str | None, typer.Option("--lang", help="Narration language: en or zh (default: the premise's).")]
Seed = Annotated[int, typer.Option("--seed", help="Another seed tells another story from the same premise.", min=0, max=2**32 - 1)]
Style = Annotated[str | None, typer.Option("--style", help="Visual style in words, e.g. 'watercolour storybook'.")]
LlmBaseUrl = Annotated[str | None, typer.Option("--llm-base-url", envvar="OPENAI_BASE_URL", help="OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama.")]
LlmModel = Annotated[str | None, typer.Option("--llm-model", help="Model name on the LLM server.")]
Renderer = Annotated[str | None, typer.Option("--renderer", help="Shot renderer (default: the storyboard's); its options are listed under its name.")]
Resolution = Annotated[str | None, typer.Option("--resolution", help="WIDTHxHEIGHT, e.g. 1280x720 (default) or 1920x1080.")]
Fps = Annotated[int | None, typer.Option("--fps", help="Frames per second (default 24).", min=1, max=120)]
VoiceEngine = Annotated[str | None, typer.Option("--voice-engine", help="Voice engine (default: the best available; `storyagent voices` lists them).")]
Jobs = Annotated[int | None, typer.Option("--jobs", "-j", help="Shots rendered at once (default: CPU cores, at most 4).", min=1)]
ExecutorKind = Annotated[str, typer.Option("--executor", help="Where shots render: local (processes on this machine) or ray (a Ray cluster).")]
RayAddress = Annotated[str | None, typer.Option("--ray-address", help="Ray cluster to join, e.g. ray://head:10001 (default: start Ray locally).")]
BurnSubtitles = Annotated[bool | None, typer.Option("--burn-subtitles/--no-burn-subtitles", help="Burn subtitles into the picture, or stop burning them (a soft track is always included; default: as the film was last made, else off).", show_default=False)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the result.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Also say what was read as something else on the way, e.g. an LLM's 'close up' read as close-up.")]
LogJson = Annotated[bool, typer.Option("--log-json", help="Print progress as JSON lines on stdout.")]
OutDir = Annotated[Path | None, typer.Option("--out", "-o", help="Film folder (default: named after the title).")]


def _render_options(renderer: str | None, renderer_options: dict, resolution: str | None, fps: int | None,
                    voice_engine: str | None, jobs: int | None, burn_subtitles: bool | None,
                    executor: str = "local", ray_address: str | None = None) -> dict:
    if executor not in ("local", "ray"):
        raise typer.BadParameter(f"'{executor}' is not local or ray", param_hint="--executor")
    options: dict = {"renderer": renderer, "renderer_options": renderer_options, "fps": fps,
                     "voice_engine": voice_engine, "executor": executor, "ray_address": ray_address}
    if burn_subtitles is not None:  # not given is not 'off': a render keeps what the film was made with
        options["burn_subtitles"] = burn_subtitles
    if jobs:
        options["jobs"] = jobs
    if resolution is not None:
        options["width"], options["height"] = _resolution(resolution)
    return options


def _resolution(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT within the bounds the storyboard's render settings allow (`storyagent schema`)."""
    from pydantic import ValidationError

    from storyagent.storyboard import RenderSettings, describe_validation_error

    match = re.fullmatch(r"(\d{1,5})[xX](\d{1,5})", text.strip())
    if not match:
        raise typer.BadParameter(f"'{text}' is not WIDTHxHEIGHT, e.g. 1280x720", param_hint="--resolution")
    width, height = int(match[1]), int(match[2])
    try:
        RenderSettings(width=width, height=height)
    except ValidationError as error:
        raise typer.BadParameter(f"'{text}': {describe_validation_error(error, RenderSettings)}",
                                 param_hint="--resolution") from None
    return width, height


# -- backends' options as flags ------------------------------------------------

RendererOptions = dict[str, Any] | None  # the renderer flags given, by option name (filled by with_renderer_flags)


def option_flags(options: type[BaseModel], panel: str) -> list[inspect.Parameter]:
    """One flag per field of a backend's options model: field name -> --flag, description -> help,
    Literal -> choices, bool -> a switch that turns it on, Field bounds -> the flag's range. A flag not
    given is None, so the backend's own default applies and a run records only what was set."""
    return [_flag(name, field, panel) for name, field in options.model_fields.items()]


def _flag(name: str, field: FieldInfo, panel: str) -> inspect.Parameter:
    kind = _without_none(field.annotation)
    settings: dict[str, Any] = {"help": _flag_help(field), "rich_help_panel": panel, "show_default": False}
    if kind in (int, float):
        settings |= _bounds(field)
    elif kind is not bool and get_origin(kind) is not Literal:
        kind = str  # read as text; the options model parses and checks it
    flag = typer.Option("--" + name.replace("_", "-"), **settings)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind | None, flag])


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = [kind for kind in get_args(annotation) if kind is not type(None)]
        return kinds[0] if len(kinds) == 1 else str
    return annotation


def _flag_help(field: FieldInfo) -> str:
    text = field.description or ""
    if field.default not in (None, False, PydanticUndefined) and "default" not in text:
        text = f"{text.rstrip('.')} (default: {field.default})."
    return text


def _bounds(field: FieldInfo) -> dict[str, Any]:
    """The field's range for the flag; an open end (gt, lt) is left to the options model to refuse."""
    bounds: dict[str, Any] = {}
    for rule in field.metadata:
        for attr, end in (("ge", "min"), ("gt", "min"), ("le", "max"), ("lt", "max")):
            if getattr(rule, attr, None) is not None:
                bounds[end] = getattr(rule, attr)
    return bounds


@functools.cache
def _renderer_flags() -> tuple[inspect.Parameter, ...]:
    """Every registered renderer's flags, each under a help panel of its own; an option two renderers
    share is one flag, described by the first, and checked by whichever renderer the run uses."""
    from storyagent.renderers.base import RENDERERS

    owners: dict[str, list[tuple[str, FieldInfo]]] = {}
    for name in RENDERERS.names():
        try:
            renderer = RENDERERS.get(name)
        except BackendError:
            continue  # a plug-in that does not load has no flags; choosing it says why, in one line
        for option, field in renderer.Options.model_fields.items():
            owners.setdefault(option, []).append((name, field))
    flags = []
    for option, fields in owners.items():
        first, field = fields[0]
        if len(fields) > 1:  # the help of the first says who else takes it
            others = ", ".join(name for name, _ in fields[1:])
            same = all(other.description == field.description for _, other in fields[1:])
            field = copy.copy(field)
            field.description = (f"{(field.description or '').rstrip('.')}; also for {others}." if same else
                                 f"{first}: {(field.description or '').rstrip('.')}; {others}: see their README sections.")
        flags.append(_flag(option, field, f"{first} renderer"))
    return tuple(flags)


def with_renderer_flags(command: Callable[..., None]) -> Callable[..., None]:
    """`command` takes every renderer's flags (where the command has no flag of that name itself);
    it receives the ones given as `renderer_options`, for the run's renderer to check."""
    own = [param for param in inspect.signature(command, eval_str=True).parameters.values()
           if param.name != "renderer_options"]
    flags = [flag for flag in _renderer_flags() if flag.name not in {param.name for param in own}]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        given = {flag.name: values.pop(flag.name) for flag in flags}
        # identity, not equality: 0 and 0.0 are values someone gave
        command(**values, renderer_options={k: v for k, v in given.items() if v is not None and v is not False})

    run.__signature__ = inspect.Signature([*own, *flags])  # type: ignore[attr-defined]
    run.__annotations__ = {param.name: param.annotation for param in [*own, *flags]}
    return run

def _reporter(quiet: bool, log_json: bool):
    """A context giving the progress callback; only the rich bars need starting and stopping."""
    from contextlib import nullcontext

    from storyagent.run.progress import JsonLines, RichProgress
    from storyagent.run.progress import Quiet as Silent

    if log_json:
        return nullcontext(JsonLines())
    if quiet:
        return nullcontext(Silent())
    return RichProgress()


def _show_details(verbose: bool) -> None:
    """--verbose: storyagent's INFO log (what it read as something else) as plain lines on stderr."""
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("storyagent").addHandler(handler)
        logging.getLogger("storyagent").setLevel(logging.INFO)


def _report(result, quiet: bool, log_json: bool) -> None:
    if log_json:  # stdout stays all JSON lines; the last one says where everything is
        from storyagent.run.progress import JsonLines

        JsonLines()({"event": "result", **result.model_dump(mode="json")})
        return
    if result.stopped_for_review:
        out.print(f"Stopped for review. Edit [bold]{escape(str(result.storyboard))}[/bold], then run:\n"
                  f"  storyagent render {escape(str(result.storyboard))}")
        return
    if quiet:
        out.print(escape(str(result.film)))
        return
    out.print(f"[green]Film ready:[/green] {escape(str(result.film))}")
    from storyagent.run.cost import summary

    for line in summary(result.film_dir):
        out.print(escape(line), highlight=False)
    storyboard = escape(str(result.storyboard))
    out.print(f"Storyboard to edit: {storyboard}  (then: storyagent render {storyboard})")


@app.command(rich_help_panel="Make films")
def plan(
    premise: Annotated[str, typer.Argument(metavar="PREMISE", help="What the film is about, in one line, e.g. \"polar bear visits penguins\"; or a storyboard .json file whose premise section you edited, to plan again from it.", show_default=False)],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the storyboard (default: storyboard.json, or the storyboard file given as PREMISE; the previous one is kept).", show_default=False)] = None,
    planner: Planner = "auto",
    duration: Duration = 90.0,
    language: Language = None,
    seed: Seed = 0,
    style: Style = None,
    llm_base_url: LlmBaseUrl = None,
    llm_model: LlmModel = None,
    verbose: Verbose = False,
) -> None:
    """Write a storyboard from one line, without rendering: scenes, shots, camera, narration, sound cues.

    The premise is first read into a structure (who, how many, the goal, the obstacle, places, props), saved as the storyboard's `premise` section and printed as "What was understood". Edit that section and run `storyagent plan storyboard.json` to plan again from what you wrote. The template planner works offline and gives the same film for the same premise and --seed; the llm planner asks any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp). Edit the JSON, check it with `storyagent lint`, film it with `storyagent render`.
    """
    from storyagent.planners import plan as plan_board
    from storyagent.planners.report import understood
    from storyagent.storyboard import PremiseReading, Storyboard, save_keeping_previous

    _show_details(verbose)
    reading: str | PremiseReading = premise
    if premise.lower().endswith(".json") and Path(premise).exists():  # plan again from an edited premise section
        reading = Storyboard.load(premise).premise
        out_file = out_file or Path(premise)
    out_file = out_file or Path("storyboard.json")
    board = plan_board(reading, planner=planner, duration=duration, language=language, seed=seed, style=style,
                       llm_base_url=llm_base_url, llm_model=llm_model)
    kept = save_keeping_previous(board, out_file)
    if kept:
        out.print(f"kept the previous {escape(out_file.name)} as {escape(str(kept))}")
    seconds = sum(shot.camera.duration for shot in board.shots())
    out.print(f"[green]{escape(board.title)}[/green]: {len(board.scenes)} scenes, {len(board.shots())} shots, "
              f"{seconds:.0f} s -> {escape(str(out_file))}")
    _print_understood(understood(board))


def _print_understood(lines: list[str]) -> None:
    if lines:
        out.print("What was understood:")
    for line in lines:
        out.print(f"  {escape(line)}", highlight=False)


@app.command(rich_help_panel="Make films")
@with_renderer_flags
def make(
    premise: Annotated[str, typer.Argument(metavar="PREMISE", help="What the film is about, in one line, e.g. \"polar bear visits penguins\".", show_default=False)],
    out_dir: OutDir = None,
    planner: Planner = "auto",
    duration: Duration = 90.0,
    language: Language = None,
    seed: Seed = 0,
    style: Style = None,
    llm_base_url: LlmBaseUrl = None,
    llm_model: LlmModel = None,
    renderer: Renderer = None,
    resolution: Resolution = None,
    fps: Fps = None,
    voice_engine: VoiceEngine = None,
    jobs: Jobs = None,
    executor: ExecutorKind = "local",
    ray_address: RayAddress = None,
    burn_subtitles: BurnSubtitles = None,
    review: Annotated[bool, typer.Option("--review", help="Stop after planning so you can edit storyboard.json first.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan, print the shots and what rendering them would cost "
                                          "(with a hosted --renderer), and stop: nothing is written or sent.")] = False,
    quiet: Quiet = False,
    log_json: LogJson = False,
    verbose: Verbose = False,
    renderer_options: RendererOptions = None,
) -> None:
    """Make a finished film from one line: plan, cast, voice, render, score, mix, edit.

    Writes a folder with film.mp4, storyboard.json (edit it and run `storyagent render`), subtitles, timeline.otio / .edl for your editor, a contact sheet, every shot and stem. Runs offline on a CPU by default; run the same command again to resume after a crash.
    """
    from storyagent.run.film import make as make_film

    options = _render_options(renderer, renderer_options, resolution, fps, voice_engine, jobs, burn_subtitles, executor,
                              ray_address)
    _show_details(verbose)
    if dry_run:
        from storyagent.planners import plan as plan_board

        board = plan_board(premise, planner=planner, duration=duration, language=language, seed=seed, style=style,
                           llm_base_url=llm_base_url, llm_model=llm_model)
        seconds = sum(shot.camera.duration for shot in board.shots())
        out.print(f"[green]{escape(board.title)}[/green]: {len(board.scenes)} scenes, {len(board.shots())} shots, "
                  f"{seconds:.0f} s (dry run: nothing written)")
        _print_estimate(board, None, options)
        return
    with _reporter(quiet, log_json) as progress:
        result = make_film(premise, out_dir, progress=progress, planner=planner, duration=duration, language=language,
                           seed=seed, style=style, llm_base_url=llm_base_url, llm_model=llm_model, review=review,
                           **options)
    _report(result, quiet, log_json)


@app.command(rich_help_panel="Make films")
@with_renderer_flags
def render(
    path: StoryboardFile,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Film folder (default: the storyboard's own folder).")] = None,
    renderer: Renderer = None,
    resolution: Resolution = None,
    fps: Fps = None,
    voice_engine: VoiceEngine = None,
    jobs: Jobs = None,
    executor: ExecutorKind = "local",
    ray_address: RayAddress = None,
    burn_subtitles: BurnSubtitles = None,
    quiet: Quiet = False,
    log_json: LogJson = False,
    renderer_options: RendererOptions = None,
) -> None:
    """Render a storyboard into a film, e.g. after you edited it.

    Only what your edits touched is made again: shots, voice lines and the mix are reused when what they are made from has not changed.
    """
    from storyagent.run.film import render as render_film

    options = _render_options(renderer, renderer_options, resolution, fps, voice_engine, jobs, burn_subtitles, executor,
                              ray_address)
    with _reporter(quiet, log_json) as progress:
        result = render_film(path, out_dir, progress=progress, **options)
    _report(result, quiet, log_json)


@app.command(rich_help_panel="Make films")
@with_renderer_flags
def estimate(
    path: StoryboardFile,
    renderer: Renderer = None,
    resolution: Resolution = None,
    fps: Fps = None,
    renderer_options: RendererOptions = None,
) -> None:
    """Print what rendering a storyboard would cost at a hosted renderer: each shot's billed seconds and price,
    and the total still to pay (shots already rendered, or already asked for, cost nothing more).

    Uses the film's timeline when it has one, else the planned shot lengths. Prices come from the table in the
    package (overridden by a file named in STORYAGENT_PRICES); each estimate says which price and when it was read.
    """
    from storyagent.run.film import effective_options
    from storyagent.run.options import RunOptions
    from storyagent.run.status import current_timeline
    from storyagent.storyboard import Storyboard

    board = Storyboard.load(path)
    options = effective_options(path.parent, RunOptions.given(**_render_options(
        renderer, renderer_options, resolution, fps, None, None, None)))
    _print_estimate(board, path.parent, options.model_dump(exclude_unset=True),
                    current_timeline(board, path.parent))


def _print_estimate(board, film_dir: Path | None, options: dict, timeline=None) -> None:
    from rich.table import Table

    from storyagent.run.cost import estimate as estimate_cost
    from storyagent.run.options import RunOptions

    found = estimate_cost(board, RunOptions.given(**options), film_dir, timeline)
    if found is None:
        name = options.get("renderer") or board.render.renderer
        out.print(f"the {escape(name)} renderer runs on this machine: it costs nothing")
        return
    table = Table("shot", "length s", "billed s", "requests", "US$", "")
    for shot in found.shots:
        table.add_row(escape(shot.shot_id), f"{shot.seconds:.1f}", f"{shot.billed:g}", str(shot.requests),
                      "?" if shot.usd is None else f"{shot.usd:.2f}", "" if shot.to_pay else "done or paid already")
    out.print(table)
    total = "unknown (no price for this model)" if found.to_pay != found.to_pay else f"${found.to_pay:.2f}"
    out.print(f"{escape(found.renderer)} {escape(found.model)}: {total} to pay for "
              f"{sum(s.to_pay for s in found.shots)} of {len(found.shots)} shots (lengths from {found.lengths_from})")
    if found.price_source:
        out.print(f"price: {escape(found.price_source)}", highlight=False)


@app.command(rich_help_panel="Make films")
def studio(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", help="A film folder (the folder holding storyboard.json), or a "
                                           "folder of film folders (default: the current folder).")] = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address to listen on. The default answers this machine only; "
                                      "0.0.0.0 answers the network too (with a warning; the token is still required).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on; 0 takes any free one.", min=0, max=65535)] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the URL; do not open a browser.")] = False,
) -> None:
    """Direct the film in your browser: the storyboard as panels, forms for every field, lint as you type, preview a shot, render with live progress, play the film.

    Starts a local web server and opens its URL, e.g. `storyagent studio my-film/`. The URL carries a random token, as Jupyter's does: every request must have it, so only whoever holds the printed URL can use the studio. The server also checks the Host header (DNS rebinding) and the Origin of every change, and serves no file outside the film folders. Saving writes the same storyboard.json `storyagent plan` writes (the previous one kept as storyboard.v<N>.json); an edit made on disk meanwhile is detected, and you choose to reload or overwrite. Stop it with Ctrl-C.

    Without a film in FOLDER, the studio lists the film folders under it and makes new ones from a premise, stopping after planning as `storyagent make --review` does, so you edit before rendering.
    """
    import secrets
    import socket
    import webbrowser

    import uvicorn

    from storyagent.run import stages
    from storyagent.run.options import RunOptions
    from storyagent.studio import create_app

    root = folder.parent if folder.is_file() else folder
    if not root.is_dir():
        raise typer.BadParameter(f"'{folder}' is not a folder", param_hint="FOLDER")
    token = secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)  # listening before the URL is printed: a browser opening it at once is queued, not refused
    except OSError as error:
        listener.close()
        raise StoryagentError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port (0 takes any free one)") from None
    port = listener.getsockname()[1]
    app_ = create_app(root.resolve(), token, host, port)
    stages.keep_shot_workers()  # render after render in this process: an edited shot never waits for workers to start
    stages.warm_shot_workers(RunOptions())
    stages.warm_stages()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}/?token={token}"
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/yellow] listening on {escape(host)}: other machines can reach the studio; "
                  "anyone with the URL (and its token) can edit and render your films", highlight=False)
    out.print(f"storyagent studio for {escape(str(root.resolve()))}", highlight=False)
    out.print(f"open: {url}", highlight=False, markup=False)
    out.print("stop it with Ctrl-C", highlight=False)
    sys.stdout.flush()
    if not no_browser:
        webbrowser.open(url)
    stopped: list[int] = []
    for signum in STOP_SIGNALS:  # uvicorn stops on SIGINT/SIGTERM and re-raises the signal here when it is done
        signal.signal(signum, lambda got, _frame: stopped.append(got))
    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            app_.state.studio.closing.set()  # open progress streams end, so stopping does not wait for them
            await super().shutdown(sockets=sockets)

    config = uvicorn.Config(app_, log_level="warning", lifespan="off", timeout_graceful_shutdown=3,
                            access_log=False, server_header=False)
    try:
        Server(config).run(sockets=[listener])
    finally:
        listener.close()
        stages.stop_shot_pool()  # the kept workers, and a render still running, stop with the studio
    out.print("studio stopped", highlight=False)


FilmFolder = Annotated[Path, typer.Argument(metavar="FOLDER", help="A film folder (default: the current folder).")]


@app.command(rich_help_panel="Inspect and preview")
def status(folder: FilmFolder = Path(".")) -> None:
    """Show which shots are current, which your edits made stale, and which failed."""
    from rich.table import Table

    from storyagent.run.status import film_folder, shot_statuses

    film_dir = film_folder(folder)
    statuses = shot_statuses(film_dir)
    remote = any(item.remote for item in statuses)
    table = Table("shot", "state", "clip", *(("provider job", "US$") if remote else ()))
    colours = {"current": "green", "stale": "yellow", "failed": "red", "not rendered": "dim"}
    for item in statuses:
        job = ""
        if item.remote:
            job = ("rejected: kept its animatic" if item.remote == "rejected" else item.remote) + f" {item.job or ''}"
        table.add_row(escape(item.shot_id), f"[{colours[item.state]}]{item.state}[/]", escape(item.clip or ""),
                      *((escape(job.strip()), f"{item.usd:.2f}" if item.remote else "") if remote else ()))
    out.print(table)
    if remote:
        out.print(f"spent at providers so far: ${sum(item.usd for item in statuses):.2f}")
    stale = sum(item.state != "current" for item in statuses)
    out.print(f"{len(statuses) - stale} of {len(statuses)} shots current" +
              (f"; `storyagent render {escape(str(film_dir / 'storyboard.json'))}` brings the rest up to date" if stale else ""))


@app.command(rich_help_panel="Make films")
def reroll(
    folder: FilmFolder,
    shot_id: Annotated[str, typer.Argument(metavar="SHOT_ID", help="Id of the shot, e.g. north-1.", show_default=False)],
) -> None:
    """Ask a hosted generator for another take of one shot: the next `storyagent render` asks for it again
    with another seed (and pays for it); the current clip is kept in shots/.takes/."""
    from storyagent.run.status import film_folder
    from storyagent.run.takes import reroll as another_take

    take = another_take(film_folder(folder), shot_id)
    out.print(f"shot {escape(shot_id)}: take {take + 1} is asked for at the next render")


@app.command(rich_help_panel="Inspect and preview")
def history(folder: FilmFolder = Path(".")) -> None:
    """List the runs in a film folder: when, what, how long, and what each built or reused."""
    from rich.table import Table

    from storyagent.run import catalogue, cost
    from storyagent.run.status import film_folder

    film_dir = film_folder(folder)
    paid = cost.spent_by_run(film_dir, catalogue.runs(film_dir))
    table = Table("run", "command", "started (UTC)", "seconds", "status", "built", "reused", *(("US$ spent",) if paid else ()))
    for run in catalogue.runs(film_dir):
        made = catalogue.artifacts(film_dir, run.id)
        seconds = f"{(run.finished - run.started).total_seconds():.1f}" if run.finished else ""
        spent = paid.get(run.id, {})
        table.add_row(str(run.id), escape(run.command), f"{run.started:%Y-%m-%d %H:%M:%S}", seconds,
                      escape(run.status + (f": {run.message}" if run.message else "")),
                      str(sum(a.action == "built" for a in made)), str(sum(a.action == "reused" for a in made)),
                      *((f"{sum(spent.values()):.2f} ({len(spent)} shots)" if spent else "",) if paid else ()))
    out.print(table)


@app.command("render-shot", rich_help_panel="Inspect and preview")
@with_renderer_flags
def render_shot(
    path: StoryboardFile,
    shot_id: Annotated[str, typer.Argument(metavar="SHOT_ID", help="Id of the shot, e.g. north-1.", show_default=False)],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Clip to write: .mp4, or .mkv for the matte pass "
                                                  "(default shot.mp4, or shot.mkv).", show_default=False)] = None,
    render_pass: Annotated[RenderPass, typer.Option("--pass", help="beauty: the picture; matte: each character (each "
                                                    "group member) one flat colour, all else black, lossless.")
                           ] = RenderPass.BEAUTY,
    renderer: Renderer = None,
    resolution: Resolution = None,
    fps: Fps = None,
    renderer_options: RendererOptions = None,
) -> None:
    """Render one shot to a clip, to preview a camera move or an edit in seconds; the animatic also writes the
    shot's layout track beside it (<clip>.layout.json)."""
    from storyagent.renderers.preview import render_shot as preview_shot
    from storyagent.storyboard import Storyboard

    size = _render_options(renderer, {}, resolution, fps, None, None, False)
    out_file = out_file or Path("shot.mkv" if render_pass == RenderPass.MATTE else "shot.mp4")
    clip = preview_shot(Storyboard.load(path), shot_id, out_file, width=size.get("width"), height=size.get("height"),
                        fps=fps, renderer=renderer, render_pass=render_pass, **(renderer_options or {}))
    out.print(f"[green]wrote[/green] {escape(str(clip))}")


@app.command("contact-sheet", rich_help_panel="Inspect and preview")
def contact_sheet(
    path: StoryboardFile,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Image to write (.png).")] = Path("contact-sheet.png"),
    columns: Annotated[int, typer.Option("--columns", help="Keyframes per row.", min=1, max=12)] = 4,
) -> None:
    """Write a contact sheet: one keyframe per shot with its id, camera and narration."""
    from storyagent.export.contact_sheet import write_contact_sheet
    from storyagent.storyboard import Storyboard

    written = write_contact_sheet(Storyboard.load(path), out_file, columns=columns)
    out.print(f"[green]wrote[/green] {escape(str(written['contact_sheet']))}")


@app.command(rich_help_panel="Set-up")
def doctor(
    models: Annotated[list[str] | None, typer.Option("--model", help="Also check this model folder or Hugging Face repo id (repeatable).")] = None,
) -> None:
    """Check what this machine can do: ffmpeg, voices, music, LLM, torch and GPUs, video models on disk.

    Each missing piece says what it is needed for; only the red ones stop storyagent from making a film.
    """
    from storyagent.run.doctor import run_checks, table

    checks = run_checks(models)
    out.print(table(checks))
    if any(check.required and not check.ok for check in checks):
        raise typer.Exit(1)


@app.command(rich_help_panel="Set-up")
def voices(
    language: Annotated[list[str] | None, typer.Option("--lang", help="Language(s) to check (default: en and zh).")] = None,
) -> None:
    """List the voice engines, their voices, and which one narrates each language.

    Choose another with --voice-engine; add Piper voices (.onnx + .onnx.json) to the folder named by STORYAGENT_PIPER_VOICES.
    """
    from rich.table import Table

    from storyagent.voice import choose_engine, engine_statuses

    for lang in language or ["en", "zh"]:
        try:
            chosen = choose_engine(lang)
        except StoryagentError as error:
            chosen = f"none ({error})"
        table = Table("engine", "usable", "voices / why not", title=escape(f"{lang}: narrated by {chosen}"))
        for status in engine_statuses(lang):
            mark = "[green]yes[/green]" if status.usable else "[dim]no[/dim]"
            shown = ", ".join(status.voices[:6]) + (" ..." if len(status.voices) > 6 else "")
            table.add_row(escape(status.name) + (" *" if status.name == chosen else ""), mark,
                          escape(shown if status.usable else status.reason))
        out.print(table)


@app.command(rich_help_panel="Storyboard files")
def schema() -> None:
    """Print the storyboard JSON Schema: every field, its type and what it means."""
    from storyagent.storyboard import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")


@app.command(rich_help_panel="Storyboard files")
def validate(path: StoryboardFile) -> None:
    """Check that a storyboard file is well formed: types, names, references.

    Errors name the JSON path, e.g. scenes[2].shots[1].camera.movment.
    """
    from storyagent.storyboard import Storyboard

    board = Storyboard.load(path)
    out.print(f"[green]ok[/green] {escape(str(path))}: {len(board.scenes)} scenes, {len(board.shots())} shots")


@app.command(rich_help_panel="Storyboard files")
def lint(
    path: StoryboardFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print the issues as a JSON list.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    with_picture: Annotated[bool, typer.Option(
        "--render", help="Also check the picture, from each shot's layout track (the one beside its current clip "
        "in the storyboard's film folder, else measured afresh at the film's size and frame rate, without "
        "drawing; nothing is written): a character off screen, a size that misses its row of the framing "
        "table, an interaction or a character's line in an extreme-wide, a facing flipped across a cut.")] = False,
) -> None:
    """Review a storyboard's film grammar: narration that cannot fit its shot, jump cuts, missing establishing shots, 180-degree flips, duration, actions the acting table does not know.

    With --render, also what the staged picture shows. Exits 1 when there are errors (or warnings with --strict).
    """
    from storyagent.planners.lint import lint as run_lint
    from storyagent.storyboard import Storyboard

    board = Storyboard.load(path)
    issues = _lint_with_picture(board, path) if with_picture else run_lint(board)
    if as_json:
        sys.stdout.write(json.dumps([i.model_dump() for i in issues], indent=2, ensure_ascii=False) + "\n")
    else:
        for issue in issues:
            colour = "red" if issue.level == "error" else "yellow"
            out.print(f"[{colour}]{issue.level}[/{colour}] {_where(issue.shot)}{escape(issue.message)} [dim]({issue.code})[/dim]")
        errors = sum(i.level == "error" for i in issues)
        out.print(f"{escape(str(path))}: {errors} error(s), {len(issues) - errors} warning(s)")
    failing = [i for i in issues if i.level == "error" or strict]
    if failing:
        raise typer.Exit(1)


def _lint_with_picture(board: Storyboard, path: Path) -> list[LintIssue]:
    """The storyboard lint and the picture's, with a bar on stderr while the layouts are measured."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from storyagent.renderers.lint_picture import lint_picture
    from storyagent.run.picture import film_layouts

    with Progress(TextColumn("Staging shots"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("layouts", total=len(board.shots()))
        found = film_layouts(board, path.absolute().parent, lambda done, _: bar.update(task, completed=done))
    err.print(f"[dim]layouts: {len(found.cached)} from the film's clips, {len(found.layouts) - len(found.cached)} "
              f"measured at {found.width}x{found.height}, {found.fps} fps[/dim]")
    return lint_picture(board, found.layouts)


def _where(shot: str | None) -> str:
    return f"shot [bold]{escape(shot)}[/bold]: " if shot else ""


def one_line(text: str) -> str:
    """`text` safe to print on a terminal as one line: a line break or an escape sequence (from a file
    name, say) is shown as its code, never acted on."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: repr(m.group())[1:-1], text)


# Ctrl-C, `kill`, a closed terminal: each stops a run the same way, keeping what is finished.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def main() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        app()
    except StoryagentError as error:
        err.print(f"[red]error:[/red] {escape(one_line(str(error)))}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except Stopped as stop:
        err.print("stopped; run the same command again to resume", highlight=False)
        sys.exit(stop.exit_code)


def _stop(signum: int, _frame: types.FrameType | None) -> None:
    """The first stop signal stops the shot workers at once and unwinds the run (the graph waits for its
    running stages, which end as their workers do); a second one leaves at once."""
    for again in STOP_SIGNALS:
        signal.signal(again, _leave)
    stages = sys.modules.get("storyagent.run.stages")  # loaded only by a command that renders shots
    if stages is not None:
        stages.stop_shot_pool()
    raise Stopped(signum)


def _leave(signum: int, _frame: types.FrameType | None) -> None:
    os.write(2, b"stopped at once; run the same command again to resume\n")
    os._exit(128 + signum)
