"""OpenAI's videos API on loopback, as the openai SDK meets it: `POST /v1/videos` (multipart),
`GET /v1/videos/{id}`, `GET /v1/videos/{id}/content`, `POST /v1/videos/extensions` (JSON or
multipart), `POST /v1/videos/characters` (multipart), `GET /v1/videos/characters/{id}`. Answers are
shaped like `openai.types.Video` and the character responses; errors like OpenAI's
`{"error": {"message", "type", "param", "code"}}`.

It checks what the documented API checks (the key, the model, the allowed lengths and sizes, a
reference image of the size asked), serves a real MP4 of the length and size of each job, and
misbehaves on cue: jobs held running until `release()`, prompts refused by moderation (at the request
or in the job), clips shorter than asked, and any reply queued with `misbehave(route, ...)`."""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
from email import policy
from email.parser import BytesParser
from typing import Any

from PIL import Image

from tests.helpers.hosted import SECRET, Loopback, Reply, mp4

CREATE_SECONDS = {"4", "8", "12"}
EXTEND_SECONDS = {"4", "8", "12", "16", "20"}
SIZES = {"sora-2": {"1280x720", "720x1280"},
         "sora-2-pro": {"1280x720", "720x1280", "1792x1024", "1024x1792"}}
FPS = 24


def error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
          param: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": param, "code": code}}, headers or {})


def refused() -> Reply:
    """What OpenAI answers a prompt its moderation blocks."""
    return error(400, "Your request was blocked by our moderation system.", code="moderation_blocked")


def too_many(retry_after: str = "0") -> Reply:
    return error(429, "Rate limit reached for videos per minute.", kind="requests", code="rate_limit_exceeded",
                 headers={"Retry-After": retry_after})


def server_error() -> Reply:
    return error(500, "The server had an error while processing your request.", kind="server_error")


class FakeSora(Loopback):
    def __init__(self) -> None:
        self.videos: dict[str, dict[str, Any]] = {}
        self.characters: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # each create, extension and character request, as parsed
        self.polls: dict[str, int] = {}
        self.held = threading.Event()  # set: jobs stay in_progress until release()
        # prompt text -> where moderation blocks it: "create" (a 400) or "job" (the job fails)
        self.refuse: dict[str, str] = {}
        self.times: dict[str, list[float]] = {}  # when each request of a route came (time.monotonic)
        self.short_by = 0.0  # served clips are this many seconds shorter than their job says
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def hold(self) -> None:
        self.held.set()

    def release(self) -> None:
        self.held.clear()

    def creates(self, text: str = "") -> int:
        """Create requests whose prompt has `text`."""
        return sum(1 for one in self.sent if one["route"] == "create" and text in one["prompt"])

    # -- Loopback --------------------------------------------------------------------

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        self.times.setdefault(self.route(method, path), []).append(time.monotonic())
        return super()._handle(method, path, headers, body)

    def route(self, method: str, path: str) -> str:
        path = path.split("?")[0]
        routes = [("POST", r"/v1/videos", "create"), ("POST", r"/v1/videos/extensions", "extend"),
                  ("POST", r"/v1/videos/characters", "character"), ("GET", r"/v1/videos/characters/[^/]+", "get_character"),
                  ("GET", r"/v1/videos/[^/]+/content", "content"), ("GET", r"/v1/videos/[^/]+", "retrieve")]
        return next((name for verb, pattern, name in routes if verb == method and re.fullmatch(pattern, path)), "unknown")

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("authorization") != f"Bearer {SECRET}":
            # OpenAI's 401 quotes part of the key; this one quotes all of it, so a leak would show.
            return error(401, f"Incorrect API key provided: {headers.get('authorization', '')[7:]}.",
                         code="invalid_api_key")
        route = self.route(method, path)
        ident = path.split("?")[0].rstrip("/").split("/")
        handler = {"create": lambda: self._create(headers, body), "extend": lambda: self._extend(headers, body),
                   "character": lambda: self._character(headers, body),
                   "get_character": lambda: self._get_character(ident[-1]),
                   "retrieve": lambda: self._retrieve(ident[-1]), "content": lambda: self._content(ident[-2], path)}
        if route not in handler:
            return error(404, f"Invalid URL ({method} {path})")
        return handler[route]()

    # -- the endpoints -----------------------------------------------------------------

    def _create(self, headers: dict[str, str], body: bytes) -> Reply:
        form = _form(headers, body)
        prompt, model = form.get("prompt", ""), form.get("model", "sora-2")
        seconds, size = form.get("seconds", "4"), form.get("size", "720x1280")
        self.sent.append({"route": "create", **{k: v for k, v in form.items()}})
        if not prompt:
            return error(400, "Missing required parameter: 'prompt'.", code="missing_required_parameter", param="prompt")
        if model not in SIZES:
            return error(400, f"Invalid model '{model}'.", code="invalid_value", param="model")
        if seconds not in CREATE_SECONDS:
            return error(400, f"Invalid seconds '{seconds}': allowed 4, 8, 12.", code="invalid_value", param="seconds")
        if size not in SIZES[model]:
            return error(400, f"Invalid size '{size}' for {model}.", code="invalid_value", param="size")
        reference = form.get("input_reference")
        if reference is not None:
            if reference["content_type"] not in ("image/png", "image/jpeg", "image/webp"):
                return error(400, f"Unsupported input_reference type {reference['content_type']}.",
                             code="invalid_value", param="input_reference")
            with Image.open(io.BytesIO(reference["data"])) as image:
                if f"{image.width}x{image.height}" != size:
                    return error(400, f"input_reference is {image.width}x{image.height}; it must match size {size}.",
                                 code="invalid_value", param="input_reference")
        for character in form.get("characters", []):
            if character not in self.characters:
                return error(400, f"Unknown character '{character}'.", code="invalid_value", param="characters")
        refused_at = next((where for text, where in self.refuse.items() if text in prompt), None)
        if refused_at == "create":
            return refused()
        return Reply(200, self._new(model, int(seconds), size, prompt, failed=refused_at == "job"))

    def _extend(self, headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("content-type", "").startswith("application/json"):
            data = json.loads(body)
            source = (data.get("video") or {}).get("id")
        else:
            data = _form(headers, body)
            source = data.get("video[id]")
        self.sent.append({"route": "extend", "video": source, "prompt": data.get("prompt", ""),
                          "seconds": data.get("seconds")})
        previous = self.videos.get(source or "")
        if previous is None:
            return error(404, f"Video with id '{source}' not found.", code="not_found", param="video")
        if previous["status"] != "completed":
            return error(400, f"Video '{source}' is not completed.", code="invalid_value", param="video")
        if str(data.get("seconds")) not in EXTEND_SECONDS:
            return error(400, "Invalid seconds: allowed 4, 8, 12, 16, 20.", code="invalid_value", param="seconds")
        total = int(previous["seconds"]) + int(data["seconds"])  # an extension's seconds are the stitched total
        return Reply(200, self._new(previous["model"], total, previous["size"], data.get("prompt", "")))

    def _character(self, headers: dict[str, str], body: bytes) -> Reply:
        form = _form(headers, body)
        video, name = form.get("video"), form.get("name", "")
        self.sent.append({"route": "character", "name": name, "video": video})
        if not name or video is None:
            return error(400, "Both 'name' and 'video' are required.", code="missing_required_parameter")
        if video["content_type"] != "video/mp4" or video["data"][4:8] != b"ftyp":
            return error(400, "video must be an MP4 file.", code="invalid_value", param="video")
        character = {"id": f"char_{next(self._ids):06d}", "created_at": int(time.time()), "name": name}
        self.characters[character["id"]] = character
        return Reply(200, character)

    def _get_character(self, character_id: str) -> Reply:
        if character_id not in self.characters:
            return error(404, f"Character '{character_id}' not found.", code="not_found")
        return Reply(200, self.characters[character_id])

    def _retrieve(self, video_id: str) -> Reply:
        video = self.videos.get(video_id)
        if video is None:
            return error(404, f"Video with id '{video_id}' not found.", code="not_found")
        self.polls[video_id] = self.polls.get(video_id, 0) + 1
        if video["status"] in ("queued", "in_progress") and not self.held.is_set():
            if video.pop("_fails", False):
                video.update(status="failed", progress=0, error={
                    "code": "moderation_blocked", "message": "The generated video was blocked by our moderation system."})
            elif video["status"] == "in_progress":
                video.update(status="completed", progress=100, completed_at=int(time.time()),
                             expires_at=int(time.time()) + 3600)
            else:
                video.update(status="in_progress", progress=50)
        elif video["status"] == "queued":
            video.update(status="in_progress", progress=10)
        return Reply(200, {k: v for k, v in video.items() if not k.startswith("_")})

    def _content(self, video_id: str, path: str) -> Reply:
        video = self.videos.get(video_id)
        if video is None:
            return error(404, f"Video with id '{video_id}' not found.", code="not_found")
        if video["status"] != "completed":
            return error(404, f"Video '{video_id}' is not ready: its status is {video['status']}.", code="not_found")
        if "variant=" in path and "variant=video" not in path:
            return error(400, "Only the video variant is served here.", code="invalid_value", param="variant")
        width, height = (int(n) for n in video["size"].split("x"))
        data = mp4(max(0.5, int(video["seconds"]) - self.short_by), width, height, FPS)
        return Reply(200, data, {"Content-Type": "video/mp4"})

    def _new(self, model: str, seconds: int, size: str, prompt: str, failed: bool = False) -> dict[str, Any]:
        video = {"id": f"video_{next(self._ids):06d}", "object": "video", "model": model, "status": "queued",
                 "progress": 0, "created_at": int(time.time()), "completed_at": None, "expires_at": None,
                 "error": None, "prompt": prompt, "remixed_from_video_id": None, "seconds": str(seconds),
                 "size": size, "_fails": failed}
        self.videos[video["id"]] = video
        return {k: v for k, v in video.items() if not k.startswith("_")}


def _form(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A multipart body: text fields as strings, files as {filename, content_type, data}, and the
    SDK's `characters[][id]` fields gathered as a list of ids under `characters`."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode() + body)
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            form[name] = {"filename": part.get_filename(), "content_type": part.get_content_type(), "data": data}
        elif name == "characters[][id]":
            form.setdefault("characters", []).append(data.decode())
        else:
            form[name] = data.decode()
    return form
