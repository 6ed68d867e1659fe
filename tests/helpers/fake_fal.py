"""fal.ai's queue and storage on 127.0.0.1, as fal documents them and fal-client 1.0.3 calls them.

Queue (docs.fal.ai: model-apis/inference/queue, api-reference/inference-api):
- POST /{application id} submits: {request_id, response_url, status_url, cancel_url, status: IN_QUEUE,
  queue_position};
- GET /{owner}/{alias}/requests/{id}/status: {status: IN_QUEUE | IN_PROGRESS | COMPLETED, ...}, 202 until
  complete, then 200 (the status and result URLs name only the owner and the app, not the endpoint path);
- GET /{owner}/{alias}/requests/{id}: the result, {video: {url, content_type, file_name, file_size}, seed};
  for content fal's checkers refused, a 422 of typed errors (docs.fal.ai/errors):
  {"detail": [{"loc": ["body", "prompt"], "msg": ..., "type": "content_policy_violation", "url": ...}]};
- PUT .../requests/{id}/cancel.
Storage (fal-client's "fal" repository): POST /storage/upload/initiate?storage_type=gcs with {file_name,
content_type} -> {upload_url, file_url}; PUT upload_url with the bytes; the file is served at file_url.
Every queue and storage call needs `Authorization: Key <key>` (401 otherwise). The result's video URL
points back here and serves a real MP4 of the length asked, at the size of the image it was sent.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from tests.helpers.hosted import SECRET, Loopback, Reply, mp4

POLICY_ERROR = {"detail": [{"loc": ["body", "prompt"], "msg": "The content was flagged by a content checker.",
                            "type": "content_policy_violation", "url": "https://docs.fal.ai/errors#content_policy_violation",
                            "input": "the flagged input"}]}


@dataclass
class Job:
    application: str
    arguments: dict[str, Any]
    polls: int = 0
    refused: bool = False
    failed: bool = False
    seconds: float = 5.0
    size: tuple[int, int] = (320, 180)


@dataclass
class Upload:
    name: str
    content_type: str
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeFal(Loopback):
    """Routes: submit, status, result, cancel, initiate, upload, file, video."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.uploads: dict[str, Upload] = {}
        self.refuse: str | None = None  # refuse the content of requests whose prompt holds this
        self.fail: str | None = None  # fail (a runner error) the requests whose prompt holds this
        self.short: tuple[str, float] | None = None  # (words, seconds): requests whose prompt holds the words get a clip this long
        self.times: list[tuple[str, float]] = []  # (route, time.monotonic()) of every request
        self.replies: list[tuple[str, int]] = []  # (route, HTTP status) of every answer
        self.fps = 8  # small clips: the renderer resamples to the film's rate anyway
        self.held = threading.Event()  # set: jobs stay IN_PROGRESS until `release`
        super().__init__()

    # -- controls ----------------------------------------------------------------

    def hold(self) -> None:
        self.held.set()

    def release(self) -> None:
        self.held.clear()

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route = self.route(method, path)
        self.times.append((route, time.monotonic()))
        reply = super()._handle(method, path, headers, body)
        self.replies.append((route, reply.status))
        return reply

    def submitted(self) -> list[dict[str, Any]]:
        """The arguments of each submitted request, in order."""
        return [job.arguments for job in self.jobs.values()]

    # -- the protocol ------------------------------------------------------------

    def route(self, method: str, path: str) -> str:
        path = urlsplit(path).path
        if path.startswith("/storage/upload/initiate"):
            return "initiate"
        if path.startswith("/upload/"):
            return "upload"
        if path.startswith("/files/"):
            return "file"
        if path.startswith("/media/"):
            return "video"
        if "/requests/" in path:
            return "status" if path.endswith("/status") else "cancel" if path.endswith("/cancel") else "result"
        return "submit"

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route = self.route(method, path)
        if route in ("submit", "status", "result", "cancel", "initiate") and headers.get("authorization") != f"Key {SECRET}":
            return Reply(401, {"detail": "Invalid API key"})
        return getattr(self, f"_{route}")(method, urlsplit(path).path, headers, body)

    def _submit(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        application = path.strip("/")
        owner, alias = application.split("/")[:2]
        arguments = json.loads(body)
        request_id = str(uuid.uuid4())
        prompt = json.dumps(arguments)  # whichever input takes the prompt
        job = Job(application, arguments, refused=bool(self.refuse and self.refuse in prompt),
                  failed=bool(self.fail and self.fail in prompt))
        job.seconds = self.short[1] if self.short and self.short[0] in prompt else _seconds_asked(arguments)
        job.size = self._image_size(arguments) or job.size
        self.jobs[request_id] = job
        base = f"{self.url}/{owner}/{alias}/requests/{request_id}"
        return Reply(200, {"status": "IN_QUEUE", "request_id": request_id, "response_url": base,
                           "status_url": f"{base}/status", "cancel_url": f"{base}/cancel", "queue_position": 0})

    def _status(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        request_id = path.split("/")[-2]
        job = self.jobs.get(request_id)
        if job is None:
            return Reply(404, {"detail": f"Request {request_id} not found"})
        job.polls += 1
        response_url = path.rsplit("/status", 1)[0]
        if job.polls == 1:
            return Reply(202, {"status": "IN_QUEUE", "queue_position": 0, "response_url": f"{self.url}{response_url}"})
        if job.polls == 2 or self.held.is_set():
            return Reply(202, {"status": "IN_PROGRESS", "logs": None, "response_url": f"{self.url}{response_url}"})
        done = {"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 1.5},
                "response_url": f"{self.url}{response_url}"}
        if job.failed:  # fal's request errors (docs.fal.ai: model-apis/request-errors)
            done |= {"error": "The runner encountered an internal server error.", "error_type": "runner_server_error"}
        return Reply(200, done)

    def _result(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        request_id = path.split("/")[-1]
        job = self.jobs.get(request_id)
        if job is None:
            return Reply(404, {"detail": f"Request {request_id} not found"})
        if job.polls < 3 or self.held.is_set():
            return Reply(400, {"detail": "Request is still in progress"})
        if job.refused:
            return Reply(422, POLICY_ERROR, headers={"X-Fal-Retryable": "false"})
        if job.failed:
            return Reply(500, {"detail": "The runner encountered an internal server error.",
                               "error_type": "runner_server_error"}, headers={"X-Fal-Error-Type": "runner_server_error"})
        size = len(self._clip(job))
        return Reply(200, {"video": {"url": f"{self.url}/media/{request_id}.mp4", "content_type": "video/mp4",
                                     "file_name": "output.mp4", "file_size": size},
                           "seed": job.arguments.get("seed", 42)})

    def _cancel(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return Reply(200, {"status": "CANCELLATION_REQUESTED"})

    def _video(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        job = self.jobs.get(path.rsplit("/", 1)[-1].removesuffix(".mp4"))
        if job is None:
            return Reply(404, b"not found")
        return Reply(200, self._clip(job), headers={"Content-Type": "video/mp4"})

    def _initiate(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        asked = json.loads(body)
        name = str(uuid.uuid4())
        self.uploads[name] = Upload(asked["file_name"], asked["content_type"])
        return Reply(200, {"upload_url": f"{self.url}/upload/{name}", "file_url": f"{self.url}/files/{name}"})

    def _upload(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        upload = self.uploads.get(path.rsplit("/", 1)[-1])
        if upload is None or method != "PUT":
            return Reply(404, {"detail": "no such upload"})
        upload.data, upload.headers = body, headers
        return Reply(200, b"")

    def _file(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        upload = self.uploads.get(path.rsplit("/", 1)[-1])
        if upload is None or not upload.data:
            return Reply(404, b"not found")
        return Reply(200, upload.data, headers={"Content-Type": upload.content_type})

    # -- what it serves ------------------------------------------------------------

    def _image_size(self, arguments: dict[str, Any]) -> tuple[int, int] | None:
        """The size of the first uploaded image the request names (a model follows its image's shape)."""
        for value in arguments.values():
            match = re.fullmatch(re.escape(self.url) + r"/files/([\w-]+)", str(value))
            if match and (upload := self.uploads.get(match.group(1))) and upload.data:
                with Image.open(io.BytesIO(upload.data)) as image:
                    return image.size
        return None

    def _clip(self, job: Job) -> bytes:
        return mp4(job.seconds, *job.size, self.fps)


def _seconds_asked(arguments: dict[str, Any]) -> float:
    if "duration" in arguments:
        return float(arguments["duration"])
    if "num_frames" in arguments:
        return int(arguments["num_frames"]) / int(arguments.get("frames_per_second", 16))
    return 5.0
