"""Veo on Google's Agent Platform (Vertex AI, API-key "express mode") as `google-genai` 3.x talks to it,
on 127.0.0.1: the real SDK runs against it unchanged.

    POST /v1beta1/publishers/google/models/{model}:predictLongRunning      starts an operation
        {"instances": [{"prompt", "image": {"bytesBase64Encoded", "mimeType"}, "lastFrame": ...}],
         "parameters": {"sampleCount", "durationSeconds", "seed", "aspectRatio", "resolution", "generateAudio"}}
        -> {"name": "projects/{p}/locations/{l}/publishers/google/models/{model}/operations/{id}"}
    POST /v1beta1/{model resource}:fetchPredictOperation  {"operationName": name}   polls it
        -> {"name", "done": false} until done, then {"name", "done": true, "response": {"@type": ...,
           "raiMediaFilteredCount": 0, "videos": [{"bytesBase64Encoded", "mimeType": "video/mp4"}]}}
           (or "raiMediaFilteredCount": 1 with "raiMediaFilteredReasons" and no videos; or "error": {code, message})

Errors are Google's JSON: {"error": {"code", "message", "status"}}. The key travels in `x-goog-api-key`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.hosted import Loopback, Reply, mp4

PROJECT = "projects/fake-project/locations/us-central1"
CREATE = re.compile(r"^/v1beta1/publishers/google/models/(?P<model>[^/:]+):predictLongRunning$")
POLL = re.compile(r"^/v1beta1/(?P<resource>.+):fetchPredictOperation$")
SIZES = {("16:9", "720p"): (1280, 720), ("9:16", "720p"): (720, 1280),
         ("16:9", "1080p"): (1920, 1080), ("9:16", "1080p"): (1080, 1920)}


def google_error(code: int, status: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}}, headers or {})


def busy(retry_after: str | None = "0") -> Reply:
    return google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests",
                        {"Retry-After": retry_after} if retry_after is not None else None)


def server_error() -> Reply:
    return google_error(500, "INTERNAL", "Internal error encountered.")


FILTERED_REASON = "The video could not be generated because it may violate Google's Responsible AI practices."
SAFETY_MESSAGE = ("The prompt could not be submitted. This prompt contains words that violate Vertex AI's usage "
                  "guidelines. Try rephrasing the prompt.")


@dataclass
class Operation:
    name: str
    model: str
    body: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    outcome: str = "video"  # "video", "filtered" (RAI) or "error"
    seconds: float | None = None  # the clip's length when not the one asked for


class FakeVeo(Loopback):
    """Counts `create` and `poll` requests. `hold = True` keeps new operations running until `release()`;
    `outcome` decides how the next operations finish ("video", "filtered", "error"), `outcomes` the same
    for a prompt holding some words; `clip_seconds` (by words of the prompt, "" for any) serves clips of
    that length whatever was asked (a wrong-length clip); `trouble(words, *replies)` answers the next create
    requests whose prompt holds `words` with those replies (a 429, a 500 ...)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.hold = False
        self.outcome = "video"
        self.outcomes: dict[str, str] = {}
        self.clip_seconds: dict[str, float] = {}
        self.operations: dict[str, Operation] = {}
        self.asked: list[str] = []  # the prompt of every create request, answered or not, in order
        self.created: list[dict[str, Any]] = []  # the body of every accepted create request, in order
        self._trouble: dict[str, list[Reply]] = {}

    def route(self, method: str, path: str) -> str:
        if method == "POST" and CREATE.match(path):
            return "create"
        if method == "POST" and POLL.match(path):
            return "poll"
        return "other"

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("x-goog-api-key") != self.key:
            return google_error(401, "UNAUTHENTICATED", "API keys are not supported by this API or the key is invalid.")
        if (found := CREATE.match(path)) and method == "POST":
            return self._create(found["model"], json.loads(body))
        if (found := POLL.match(path)) and method == "POST":
            return self._poll(found["resource"], json.loads(body))
        return google_error(404, "NOT_FOUND", f"{method} {path} is not a Veo method")

    def trouble(self, words: str, *replies: Reply) -> None:
        with self._lock:
            self._trouble.setdefault(words, []).extend(replies)

    def release(self) -> None:
        for operation in list(self.operations.values()):
            operation.done.set()

    # -- the methods ------------------------------------------------------------------

    def _create(self, model: str, body: dict[str, Any]) -> Reply:
        prompt = (body.get("instances") or [{}])[0].get("prompt")
        if not prompt:
            return google_error(400, "INVALID_ARGUMENT", "instances[0].prompt is required")
        with self._lock:
            self.asked.append(prompt)
            queued = next((replies for words, replies in self._trouble.items() if words in prompt and replies), None)
            if queued:
                return queued.pop(0)
        outcome = next((then for words, then in self.outcomes.items() if words in prompt), self.outcome)
        seconds = next((length for words, length in self.clip_seconds.items() if words in prompt), None)
        name = f"{PROJECT}/publishers/google/models/{model}/operations/{uuid.uuid4()}"
        operation = Operation(name=name, model=model, body=body, outcome=outcome, seconds=seconds)
        if not self.hold:
            operation.done.set()
        with self._lock:
            self.operations[name] = operation
            self.created.append(body)
        return Reply(200, {"name": name})

    def _poll(self, resource: str, body: dict[str, Any]) -> Reply:
        operation = self.operations.get(body.get("operationName", ""))
        if operation is None or not operation.name.startswith(resource + "/operations/"):
            return google_error(404, "NOT_FOUND", f"Operation {body.get('operationName')} not found")
        if not operation.done.is_set():
            return Reply(200, {"name": operation.name, "done": False})
        result: dict[str, Any] = {"name": operation.name, "done": True}
        if operation.outcome == "error":
            result["error"] = {"code": 13, "message": "Video generation failed: internal error."}
        elif operation.outcome == "filtered":
            result["response"] = {"@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                                  "raiMediaFilteredCount": 1,
                                  "raiMediaFilteredReasons": [FILTERED_REASON]}
        else:
            video = base64.b64encode(self.clip(operation)).decode()
            result["response"] = {"@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                                  "raiMediaFilteredCount": 0,
                                  "videos": [{"bytesBase64Encoded": video, "mimeType": "video/mp4"}]}
        return Reply(200, result)

    def clip(self, operation: Operation) -> bytes:
        """The MP4 the operation made: of the length and size asked (Veo makes 24 fps)."""
        parameters = operation.body.get("parameters", {})
        width, height = SIZES[(parameters.get("aspectRatio", "16:9"), parameters.get("resolution", "720p"))]
        seconds = operation.seconds if operation.seconds is not None else parameters.get("durationSeconds", 8)
        return mp4(seconds, width, height, 24)
