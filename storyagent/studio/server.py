"""The studio's HTTP API and page, as one Starlette app (`create_app`).

Safe by default: every request (the page, its scripts, the event stream, every file) carries the
studio's token (`?token=` or the `X-Storyagent-Token` header); the Host header must name this server
(a page on another site that rebinds its DNS name to 127.0.0.1 is refused); a request that changes
something must not come from another origin; and no file outside a film folder is ever served.
Errors are one line, `{"error": ...}`, never a traceback."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import mimetypes
import re
import secrets
import threading
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from storyagent import cache
from storyagent.errors import BusyError, StoryagentError, StoryboardError, UnknownIdError
from storyagent.storyboard import Storyboard, describe_validation_error, json_path, migrate, save_keeping_previous
from storyagent.storyboard.files import decode, parse
from storyagent.studio.renders import RenderRunning, Renders, one_line

TOKEN_HEADER = "x-storyagent-token"
STATE_CHANGING = {"POST", "PUT", "DELETE", "PATCH"}
STUDIO_DIR = f"{cache.STATE_DIR}/studio"  # previews and voice samples, inside the film's hidden folder
KEYFRAME_WIDTH = 480
FILM_NAME = re.compile(r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]{0,254}$")  # a child folder's name, never hidden or a path
SHOT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
FILM_ROUTES = {"storyboard", "lint", "shots", "render", "events", "estimate", "files", "voices"}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": one_line(message), **extra}, status_code=status, headers=SECURITY_HEADERS)


def etag_of(raw: bytes) -> str:
    return f'"{hashlib.sha256(raw).hexdigest()}"'


# -- the guard in front of everything --------------------------------------------------


class Guard:
    """ASGI middleware: the Host, the token and the Origin, checked before any route (or 404) runs."""

    def __init__(self, app: ASGIApp, token: str, host: str, port: int, studio: Studio) -> None:
        self.app, self.token, self.host, self.port, self.studio = app, token, host, port, studio

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            await error(403, refusal)(scope, receive, send)
            return
        await self.app(self.one_film(scope), receive, send)

    def one_film(self, scope: Scope) -> Scope:
        """A browser drops the '.' segment of /api/films/./storyboard (so does %2e): when the studio's root
        is the one film, /api/films/storyboard is that film's storyboard, and so on for every film route."""
        parts = scope["path"].split("/")
        if (len(parts) > 3 and parts[1:3] == ["api", "films"] and parts[3] in FILM_ROUTES and self.studio.single):
            path = "/".join([*parts[:3], ".", *parts[3:]])
            scope = {**scope, "path": path, "raw_path": path.encode()}
        return scope

    def refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        host = headers.get("host", "")
        if not self.host_allowed(host):
            return f"Host '{host}' is not this studio's (DNS rebinding?); open the URL the studio printed"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = headers.get(TOKEN_HEADER) or (query.get("token") or [""])[0]
        if not given or not secrets.compare_digest(given.encode(), self.token.encode()):
            return "missing or wrong token; open the URL the studio printed (it carries ?token=...)"
        origin = headers.get("origin")
        if scope["method"] in STATE_CHANGING and origin is not None and origin != f"http://{host}":
            return f"a request from {origin} may not change anything here"
        return None

    def host_allowed(self, host: str) -> bool:
        name, _, port = host.rpartition(":")
        if not name or port != str(self.port):
            return False
        name = name.strip("[]").lower()
        if name in ("127.0.0.1", "localhost", "::1", self.host.lower().strip("[]")):
            return True
        if self.host in ("0.0.0.0", "::"):  # listening on every address: any IP literal, never a DNS name
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


# -- films and paths --------------------------------------------------------------------


class Studio:
    """What the routes share: the root folder, the run options, the render jobs, a lock per film for saving."""

    def __init__(self, root: Path, run_options: dict[str, Any] | None = None) -> None:
        self.root = Path(root).resolve()
        self.run_options = dict(run_options or {})
        self.renders = Renders()
        self._save_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.closing = threading.Event()  # set when the server shuts down: its event streams end

    @property
    def single(self) -> bool:
        """The root is itself a film (addressed as '.')."""
        return (self.root / cache.STORYBOARD).is_file()

    def films(self) -> list[str]:
        if self.single:
            return ["."]
        names = []
        for child in sorted(self.root.iterdir()):
            if FILM_NAME.match(child.name) and self._inside(child) and (child / cache.STORYBOARD).is_file():
                names.append(child.name)
        return names

    def film_dir(self, film: str) -> Path:
        """The folder of `film` ('.' or a child folder's name); 404 for anything else."""
        if film == "." and self.single:
            return self.root
        if not self.single and FILM_NAME.match(film):
            folder = self.root / film
            if folder.is_dir() and self._inside(folder) and (folder / cache.STORYBOARD).is_file():
                return folder.resolve()
        raise HTTPException(404, f"no film '{film}' here")

    def _inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def storyboard_path(self, film_dir: Path) -> Path:
        path = film_dir / cache.STORYBOARD
        if not path.resolve().is_relative_to(film_dir):
            raise HTTPException(404, "the storyboard is a link out of the film folder; the studio does not follow it")
        return path

    def save_lock(self, film: str) -> threading.Lock:
        with self._lock:
            return self._save_locks.setdefault(film, threading.Lock())


def file_inside(folder: Path, relative: str) -> Path:
    """The regular file `relative` names inside `folder`; 404 for '..', an absolute path, a link out."""
    pure = PurePosixPath(relative)
    if not relative or "\x00" in relative or "\\" in relative or pure.is_absolute() or ".." in pure.parts:
        raise HTTPException(404, f"no file '{relative}' in this film")
    path = (folder / pure).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        raise HTTPException(404, f"no file '{relative}' in this film")
    return path


# -- storyboards as the page sends them ---------------------------------------------------


def problem(path: str, message: str) -> dict[str, str]:
    return {"path": path, "data_path": data_path(path), "message": message}


def data_path(path: str) -> str:
    """'scenes[0].shots[1].camera.size' as the page's data-path attribute: 'scenes.0.shots.1.camera.size'."""
    return re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")


def read_board(raw: bytes) -> tuple[Storyboard | None, list[dict[str, str]]]:
    """The storyboard in `raw`, or None and every problem found, each with its JSON path."""
    try:
        data = parse(decode(raw, "storyboard"), "storyboard")
        if not isinstance(data, dict):
            return None, [problem("", "the top level must be a JSON object")]
        data = migrate(data, "storyboard")
        return Storyboard.model_validate(data), []
    except ValidationError as err:
        return None, validation_problems(err)
    except StoryboardError as err:
        return None, [split_problem(str(err).removeprefix("storyboard: "))]


def validation_problems(err: ValidationError) -> list[dict[str, str]]:
    """Each of pydantic's errors as one line with its path, worded as `storyagent validate` words them."""
    problems = []
    for index, found in enumerate(err.errors(include_url=False)):
        path = json_path(tuple(found["loc"]))
        try:
            alone = ValidationError.from_exception_data(err.title, [found]) if index else err  # type: ignore[list-item]
            message = describe_validation_error(alone, Storyboard).removeprefix(f"{path}: ")
            message = re.sub(r" \(and \d+ more\)$", "", message)
        except Exception:  # noqa: BLE001 - an error pydantic will not rebuild keeps its own words
            message = found["msg"]
        problems.append(problem(path, message))
    return problems


def split_problem(line: str) -> dict[str, str]:
    match = re.match(r"^([A-Za-z_][\w.\[\]]*): (.*)$", line)
    return problem(match[1], match[2]) if match else problem("", line)


# Where on the storyboard each lint finding belongs: the field of the shot it names, or a top-level field.
SHOT_FIELD = {
    "narration-too-long": "lines", "no-establishing-shot": "camera.size", "jump-cut": "camera.size",
    "heard-before-seen": "lines", "screen-direction-flip": "characters", "words-contradict-picture": "lines",
    "empty-crowd": "characters", "agreement": "description", "sound-out-of-place": "sound",
    "acting-fallback": "characters", "undrawable-text": "lines",
}
BOARD_FIELD = {
    "duration-off-target": "target_duration", "character-never-shown": "characters", "little-size-variety": "scenes",
    "unused-character": "characters", "unused-location": "locations", "unknown-icon": "characters",
    "premise-missing": "premise", "undrawable-text": "title",
}


def findings(board: Storyboard) -> list[dict[str, str]]:
    """planners/lint.py's issues, each with the JSON path of the field it concerns."""
    from storyagent.planners.lint import lint

    where = {shot.id: f"scenes[{i}].shots[{j}]" for i, scene in enumerate(board.scenes)
             for j, shot in enumerate(scene.shots)}
    out = []
    for issue in lint(board):
        path = _finding_path(board, issue.code, issue.shot, issue.message, where)
        out.append({"level": issue.level, "code": issue.code, "shot": issue.shot, "path": path,
                    "data_path": data_path(path), "message": issue.message})
    return out


def _finding_path(board: Storyboard, code: str, shot: str | None, message: str, where: dict[str, str]) -> str:
    named = re.match(r"^((?:characters|lines)\[\d+\]\.\w+|title): ", message)  # undrawable-text names its field
    if shot in where:
        if named and code == "undrawable-text":
            return f"{where[shot]}.{named[1]}"
        return f"{where[shot]}.{SHOT_FIELD[code]}" if code in SHOT_FIELD else where[shot]
    if named:
        return named[1]
    quoted = re.search(r"'([a-z0-9][a-z0-9_-]*)'", message)
    if code == "unused-location" and quoted:
        ids = [loc.id for loc in board.locations]
        return f"locations[{ids.index(quoted[1])}]" if quoted[1] in ids else "locations"
    if code in ("unused-character", "character-never-shown") and quoted:
        ids = [c.id for c in board.characters]
        return f"characters[{ids.index(quoted[1])}]" if quoted[1] in ids else "characters"
    return BOARD_FIELD.get(code, "")


# -- the app --------------------------------------------------------------------------------


def create_app(root: Path, token: str, host: str, port: int, *, run_options: dict[str, Any] | None = None) -> Starlette:
    """The studio for the films under `root` (or the one film `root` is), answering only requests that carry
    `token` and name `host`:`port` (or 127.0.0.1/localhost:`port`). `run_options` go to every render and
    estimate (e.g. {"width": 256, "height": 144, "fps": 12}); the film's stored options fill in the rest."""
    studio = Studio(root, run_options)

    async def page(request: Request) -> Response:
        return static_file("index.html")

    async def static(request: Request) -> Response:
        return static_file(request.path_params["file"])

    async def list_films(request: Request) -> Response:
        return json_response(await run_in_threadpool(lambda: [film_summary(studio, name) for name in studio.films()]))

    async def new_film(request: Request) -> Response:
        body = await json_body(request)
        return json_response(await run_in_threadpool(plan_film, studio, body))

    async def schema(request: Request) -> Response:
        from storyagent.storyboard import json_schema

        return json_response(json_schema())

    async def get_storyboard(request: Request) -> Response:
        path = studio.storyboard_path(studio.film_dir(request.path_params["film"]))
        raw = path.read_bytes()
        return Response(raw, media_type="application/json", headers={**SECURITY_HEADERS, "ETag": etag_of(raw)})

    async def put_storyboard(request: Request) -> Response:
        film = request.path_params["film"]
        path = studio.storyboard_path(studio.film_dir(film))
        expected = request.headers.get("if-match")
        if not expected:
            return error(428, "If-Match is required: send the ETag the storyboard was read with (or * to overwrite)")
        board, problems = read_board(await request.body())
        if board is None:
            return json_response({"problems": problems}, 422)

        def save() -> Response:
            with studio.save_lock(film):
                current = etag_of(path.read_bytes())
                if expected.strip() != "*" and expected.strip().removeprefix("W/") != current:
                    return error(412, "changed on disk", etag=current)
                kept = save_keeping_previous(board, path)
                raw = path.read_bytes()
                return json_response({"etag": etag_of(raw), "storyboard": json.loads(raw),
                                      "kept": kept.name if kept else None}, headers={"ETag": etag_of(raw)})

        return await run_in_threadpool(save)

    async def lint_board(request: Request) -> Response:
        studio.film_dir(request.path_params["film"])
        board, problems = read_board(await request.body())
        found = await run_in_threadpool(findings, board) if board is not None else []
        return json_response({"problems": problems, "findings": found})

    async def keyframe(request: Request) -> Response:
        film_dir = studio.film_dir(request.path_params["film"])
        png = await run_in_threadpool(keyframe_png, studio, film_dir, shot_id(request))
        return Response(png, media_type="image/png", headers=SECURITY_HEADERS)

    async def preview(request: Request) -> Response:
        film = request.path_params["film"]
        film_dir = studio.film_dir(film)
        raw = await request.body()
        board = None
        if raw.strip():  # the page may send its unsaved storyboard to preview an edit before saving it
            board, problems = read_board(raw)
            if board is None:
                return json_response({"problems": problems}, 422)
        shot = shot_id(request)
        await run_in_threadpool(render_preview, studio, film_dir, shot, board)
        return json_response({"url": f"/api/films/{film}/files/{STUDIO_DIR}/preview-{shot}.mp4"})

    async def reroll(request: Request) -> Response:
        from storyagent.run.takes import reroll as another_take

        film_dir = studio.film_dir(request.path_params["film"])
        take = await run_in_threadpool(another_take, film_dir, shot_id(request))
        return json_response({"take": take})

    async def render(request: Request) -> Response:
        film = request.path_params["film"]
        film_dir = studio.film_dir(film)
        body = await json_body(request, optional=True)
        shots = body.get("shots")
        if shots is not None:
            board = await run_in_threadpool(Storyboard.load, studio.storyboard_path(film_dir))
            known = {shot.id for shot in board.shots()}
            if not isinstance(shots, list) or not all(isinstance(s, str) and s in known for s in shots):
                return error(422, f"shots: a list of this storyboard's shot ids ({', '.join(sorted(known))})")
        job = studio.renders.start(film, lambda progress: render_film(studio, film, film_dir, progress))
        return json_response({"render": job.id, "events": f"/api/films/{film}/events"}, 202)

    async def events(request: Request) -> Response:
        film = request.path_params["film"]
        studio.film_dir(film)
        return StreamingResponse(event_stream(studio, film, request), media_type="text/event-stream",
                                 headers={**SECURITY_HEADERS, "X-Accel-Buffering": "no"})

    async def estimate(request: Request) -> Response:
        film_dir = studio.film_dir(request.path_params["film"])
        return json_response(await run_in_threadpool(estimate_cost, studio, film_dir))

    async def files(request: Request) -> Response:
        film_dir = studio.film_dir(request.path_params["film"])
        relative = request.path_params["path"]
        if PurePosixPath(relative).name == "subtitles.vtt" and not (film_dir / relative).exists():
            return await run_in_threadpool(vtt_from_srt, film_dir, relative)
        path = file_inside(film_dir, relative)
        return FileResponse(path, media_type=media_type(path), headers=SECURITY_HEADERS)

    async def voice(request: Request) -> Response:
        film_dir = studio.film_dir(request.path_params["film"])
        speaker = request.path_params["speaker"]
        if not SHOT_ID.match(speaker):
            raise HTTPException(404, f"no voice '{speaker}'")
        path = await run_in_threadpool(voice_sample, film_dir, speaker)
        return FileResponse(path, media_type="audio/wav", headers=SECURITY_HEADERS)

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/static/{file:path}", static, methods=["GET"]),
        Route("/api/films", list_films, methods=["GET"]),
        Route("/api/films", new_film, methods=["POST"]),
        Route("/api/schema", schema, methods=["GET"]),
        Route("/api/films/{film}/storyboard", get_storyboard, methods=["GET"]),
        Route("/api/films/{film}/storyboard", put_storyboard, methods=["PUT"]),
        Route("/api/films/{film}/lint", lint_board, methods=["POST"]),
        Route("/api/films/{film}/shots/{shot}/keyframe.png", keyframe, methods=["GET"]),
        Route("/api/films/{film}/shots/{shot}/preview", preview, methods=["POST"]),
        Route("/api/films/{film}/shots/{shot}/reroll", reroll, methods=["POST"]),
        Route("/api/films/{film}/render", render, methods=["POST"]),
        Route("/api/films/{film}/events", events, methods=["GET"]),
        Route("/api/films/{film}/estimate", estimate, methods=["GET"]),
        Route("/api/films/{film}/files/{path:path}", files, methods=["GET"]),
        Route("/api/films/{film}/voices/{speaker}.wav", voice, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, StoryagentError: unexpected_error,
                                                         Exception: unexpected_error})
    app.add_middleware(Guard, token=token, host=host, port=port, studio=studio)
    app.state.studio = studio
    return app


# -- what the routes do ----------------------------------------------------------------------


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


async def json_body(request: Request, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPException(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def shot_id(request: Request) -> str:
    shot = request.path_params["shot"]
    if not SHOT_ID.match(shot):
        raise HTTPException(404, f"no shot '{shot}'")
    return shot


STATIC_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
                ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png"}


def static_file(name: str) -> Response:
    folder = Path(str(resources.files("storyagent.studio") / "static"))
    path = file_inside(folder, name)
    return FileResponse(path, media_type=STATIC_TYPES.get(path.suffix, "application/octet-stream"),
                        headers=SECURITY_HEADERS)


def media_type(path: Path) -> str:
    return {".vtt": "text/vtt", ".srt": "text/plain", ".mp4": "video/mp4", ".json": "application/json",
            ".otio": "application/json"}.get(path.suffix, mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def film_summary(studio: Studio, name: str) -> dict[str, Any]:
    film_dir = studio.film_dir(name)
    summary: dict[str, Any] = {"film": name, "title": None, "shots": 0, "has_film": (film_dir / cache.FILM).is_file()}
    try:
        board = Storyboard.load(film_dir / cache.STORYBOARD)
    except StoryagentError as err:
        return {**summary, "error": one_line(str(err))}
    return {**summary, "title": board.title, "shots": len(board.shots())}


def plan_film(studio: Studio, body: dict[str, Any]) -> dict[str, Any]:
    """A new film planned from a premise by the same graph as `storyagent make --review`, in a new child
    folder named after its title: it stops before casting, for the director to edit."""
    from storyagent.run.film import free_folder, make, slug

    if studio.single:
        raise HTTPException(409, f"{studio.root} is one film; start the studio in the folder above it to make new ones")
    premise = body.get("premise")
    if not isinstance(premise, str) or not premise.strip():
        raise HTTPException(422, "premise: write what the film is about, in one line")
    options = {name: body[name] for name in ("duration", "seed", "language", "style", "planner") if body.get(name) is not None}
    planning = free_folder(studio.root / f".studio-new-{secrets.token_hex(4)}")
    try:
        result = make(premise.strip(), planning, review=True, **{**studio.run_options, **options})
        board = Storyboard.load(result.storyboard)
        folder = free_folder(studio.root / slug(board.title))
        if folder.exists():
            folder.rmdir()  # free_folder gives an empty folder or a new name
        planning.rename(folder)  # the run keeps paths relative to its folder: it carries on where it is moved
    except BaseException:
        if planning.exists() and not (planning / cache.STORYBOARD).exists():
            import shutil

            shutil.rmtree(planning, ignore_errors=True)
        raise
    return {"film": folder.name, "title": board.title}


def keyframe_png(studio: Studio, film_dir: Path, shot: str) -> bytes:
    """The shot's picture ~480 px wide: the middle frame of its current clip, else the animatic's keyframe."""
    import io

    from PIL import Image

    from storyagent.export.contact_sheet import cached_middle_frame

    board = Storyboard.load(studio.storyboard_path(film_dir))
    board.shot(shot)  # UnknownIdError -> 404
    width = KEYFRAME_WIDTH
    height = max(2, round(width * board.render.height / board.render.width / 2) * 2)
    clip = current_clip(film_dir, shot)
    if clip is not None:
        frame = cached_middle_frame(clip, width, height)
    else:
        from storyagent.cast import assign_cast
        from storyagent.renderers.animatic.renderer import keyframe as animatic_keyframe

        frame = animatic_keyframe(assign_cast(board), shot, width, height)
    out = io.BytesIO()
    Image.fromarray(frame).save(out, format="PNG")
    return out.getvalue()


def current_clip(film_dir: Path, shot: str) -> Path | None:
    from storyagent.run.status import shot_statuses

    try:
        statuses = shot_statuses(film_dir)
    except StoryagentError:
        return None
    for status in statuses:
        if status.shot_id == shot and status.state == "current" and status.clip:
            path = (film_dir / status.clip).resolve()
            return path if path.is_relative_to(film_dir) else None
    return None


def render_preview(studio: Studio, film_dir: Path, shot: str, board: Storyboard | None) -> Path:
    """The shot's animatic into .storyagent/studio/preview-<shot>.mp4, at most 640 px wide."""
    from storyagent.renderers.preview import render_shot

    board = board or Storyboard.load(studio.storyboard_path(film_dir))
    board.shot(shot)
    options = studio.run_options
    width = options.get("width") or min(board.render.width, 640)
    height = options.get("height") or max(2, round(width * board.render.height / board.render.width / 2) * 2)
    cast_dir = film_dir / cache.CAST
    out = film_dir / STUDIO_DIR / f"preview-{shot}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    return render_shot(board, shot, out, width=width, height=height, fps=options.get("fps"), renderer="animatic",
                       cast_dir=cast_dir if cast_dir.is_dir() else None)


def render_film(studio: Studio, film: str, film_dir: Path, progress: Any) -> dict[str, Any]:
    """The incremental render of the film's storyboard.json (run/film.py), its events sent to `progress`."""
    from storyagent.run.film import render
    from storyagent.timeline import Timeline

    result = render(studio.storyboard_path(film_dir), progress=progress, **studio.run_options)
    if result.stopped_for_review or result.film is None:
        return {"event": "failed", "message": "the run stopped for review; render again to go on"}
    duration = None
    try:
        duration = round(Timeline.model_validate_json((film_dir / cache.TIMELINE).read_bytes()).duration, 3)
    except (OSError, ValueError):
        pass
    name = result.film.relative_to(film_dir).as_posix()
    exports = {key: path.relative_to(film_dir).as_posix() for key, path in result.exports.items()
               if path.is_relative_to(film_dir)}
    return {"event": "finished", "film": name, "duration": duration, "url": f"/api/films/{film}/files/{name}",
            "exports": exports}


async def event_stream(studio: Studio, film: str, request: Request):
    """The film's render events as Server-Sent Events, from the first event of the running render (or, when
    none runs, of the last one) to its `finished` or `failed`; then the stream ends. Before any render it
    waits for one. Each event's id is `<render>-<n>`: a browser reconnecting with `Last-Event-ID` goes on
    after the event it last had, and once it has had a render's end it waits for the next render."""
    yield "retry: 2000\n\n"
    seen, sent = _last_event(request.headers.get("last-event-id", ""))
    quiet = 0.0
    while not studio.closing.is_set():
        job = studio.renders.latest(film)
        if job is not None and job.id != seen:
            seen, sent = job.id, 0
        new = job.since(sent) if job is not None else []
        for event in new:
            sent += 1
            yield f"id: {job.id}-{sent}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
            if event.get("event") in ("finished", "failed"):
                return
        quiet = 0.0 if new else quiet + 0.1
        if quiet >= 15:  # a comment line now and then keeps proxies and the browser from timing the stream out
            quiet = 0.0
            yield ": waiting\n\n"
            if await request.is_disconnected():
                return
        await asyncio.sleep(0.1)


def _last_event(header: str) -> tuple[int | None, int]:
    match = re.fullmatch(r"(\d+)-(\d+)", header.strip())
    return (int(match[1]), int(match[2])) if match else (None, 0)


def estimate_cost(studio: Studio, film_dir: Path) -> dict[str, Any]:
    import math

    from storyagent.run.cost import estimate
    from storyagent.run.film import effective_options
    from storyagent.run.options import RunOptions
    from storyagent.run.status import current_timeline

    board = Storyboard.load(studio.storyboard_path(film_dir))
    options = effective_options(film_dir, RunOptions.given(**studio.run_options))
    found = estimate(board, options, film_dir, current_timeline(board, film_dir))
    if found is None:
        return {"free": True, "renderer": options.renderer or board.render.renderer}

    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 4)

    return {"free": False, **found.model_dump(mode="json"), "to_pay": number(found.to_pay), "total": number(found.total),
            "shots_to_pay": sum(shot.to_pay for shot in found.shots)}


def vtt_from_srt(film_dir: Path, relative: str) -> Response:
    """subtitles.vtt made from the film's .srt beside it, for the player's <track>."""
    import pysubs2

    srt = file_inside(film_dir, str(PurePosixPath(relative).with_suffix(".srt")))
    subs = pysubs2.load(str(srt), encoding="utf-8")
    return Response(subs.to_string("vtt"), media_type="text/vtt", headers=SECURITY_HEADERS)


def voice_sample(film_dir: Path, speaker: str) -> Path:
    """A short line said in `speaker`'s voice (the narrator's or a character's), kept under .storyagent/studio."""
    from storyagent.media.audio import write_wav
    from storyagent.storyboard import NARRATOR
    from storyagent.voice import cast_voices, get_narrator, voice_key
    from storyagent.voice.speak import cast_voice, speak_text

    board = Storyboard.load(film_dir / cache.STORYBOARD)
    if speaker != NARRATOR:
        board.character(speaker)  # UnknownIdError -> 404
    if cast_voice_missing(board, speaker):
        board = cast_voices(board)
    voice = cast_voice(board, speaker)
    said = [line.text for shot in board.shots() for line in shot.lines if line.speaker == speaker]
    name = "" if speaker == NARRATOR else board.character(speaker).name
    text = said[0] if said else (("你好，我是" + name + "。") if board.language == "zh" and name else
                                 f"Hello, I am {name}." if name else "Once upon a time.")
    out = film_dir / STUDIO_DIR / "voices" / f"{voice_key(text, voice, voice.engine or '', board.language)}.wav"
    if not out.is_file():
        audio, rate, _ = speak_text(get_narrator(voice.engine or ""), text, voice, board.language)
        write_wav(out, audio, rate)
    return out


def cast_voice_missing(board: Storyboard, speaker: str) -> bool:
    from storyagent.storyboard import NARRATOR

    voice = board.narrator if speaker == NARRATOR else board.character(speaker).voice
    return voice.engine is None


# -- errors as one line --------------------------------------------------------------------------


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.status_code, str(exc.detail))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RenderRunning | BusyError):
        return error(409, str(exc))
    if isinstance(exc, UnknownIdError):
        return error(404, str(exc))
    if isinstance(exc, StoryboardError):
        return error(422, str(exc))
    if isinstance(exc, StoryagentError):
        return error(400, str(exc))
    return error(500, f"internal error ({type(exc).__name__}: {exc})")
