"""fal: the shots drawn by any image-to-video model on fal.ai (`--model` is a fal application id),
through `fal-client`'s queue (submit, status, result) and its storage (upload).

fal hosts many models with as many input schemas, so a table in package data (`fal_models.json`) says,
for each application id, which input takes the prompt, the first and last keyframes, the length, the
aspect ratio, the seed and the negative prompt, what is always sent, and where the result keeps the
video. A user adds a model, or changes one, with a file of the same format named by
`STORYAGENT_FAL_MODELS`.

Keyframes go up to fal's storage once per film: the film's ledger remembers each upload's URL by a hash
of its bytes. fal's models cannot extend a clip: a shot longer than a model's longest clip gets that
clip, fitted to the shot.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from storyagent.errors import BackendError
from storyagent.renderers.hosted.base import (
    Clip,
    HostedOptions,
    HostedRenderer,
    JobStatus,
    Lengths,
    Rejected,
    Transient,
    retry_after,
)
from storyagent.renderers.hosted.jobs import Ledger, RemoteState
from storyagent.renderers.prompts import NEGATIVE_PROMPT

USER_MODELS = "STORYAGENT_FAL_MODELS"
MODELS_FILE = "storyagent/renderers/hosted/fal_models.json"
POLICY = "content_policy_violation"  # fal's error type for content its checkers refused (docs.fal.ai/errors)
# fal deletes an uploaded keyframe after this many days: it serves only its own shot's requests.
UPLOAD_DAYS = 7

T = TypeVar("T")


# -- the table of models -----------------------------------------------------------


class Duration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="The input that sets the clip's length.")
    values: dict[str, Any] = Field(min_length=1, description='Whole seconds -> what is sent for them: {"5": "5"} '
                                   'for a string, {"5": 81} for a number of frames.')

    @field_validator("values")
    @classmethod
    def _whole_seconds(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not all(seconds.isdigit() and int(seconds) > 0 for seconds in values):
            raise ValueError('lengths are whole seconds, written as strings: {"5": ...}')
        return values


class AspectRatio(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    values: list[str] = Field(min_length=1, description='The ratios the model takes, "W:H".')

    @field_validator("values")
    @classmethod
    def _ratios(cls, values: list[str]) -> list[str]:
        for value in values:
            width, _, height = value.partition(":")
            if not (width.isdigit() and height.isdigit() and int(width) and int(height)):
                raise ValueError(f'{value!r} is not a ratio "W:H"')
        return values


class FalModel(BaseModel):
    """How one fal application takes a shot, and where its result keeps the clip."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="Where these names were read.")
    prompt: str = "prompt"
    image: str = Field(default="image_url", description="The input that takes the first keyframe's URL.")
    end_image: str | None = Field(default=None, description="The input that takes the last keyframe's URL, if any.")
    duration: Duration
    aspect_ratio: AspectRatio | None = Field(default=None, description="None: the clip follows its image's shape.")
    short_side: int = Field(gt=0, le=4320, description="Pixels of the short side of the clips the model makes.")
    seed: str | None = None
    negative_prompt: str | None = None
    fixed: dict[str, Any] = Field(default_factory=dict, description="Inputs always sent (a resolution, a frame rate).")
    video: str = Field(default="video.url", description="Where the result keeps the clip's URL, dotted.")
    notes: str = ""

    def lengths(self) -> tuple[int, ...]:
        return tuple(sorted(int(seconds) for seconds in self.duration.values))


def fal_model(model: str) -> FalModel:
    """The table's entry for a fal application id."""
    found = fal_models().get(model)
    if found is None:
        raise BackendError(f"fal model {model!r} is not in storyagent's table of fal models: describe its inputs in a "
                           f"JSON file named by {USER_MODELS} (same format as {MODELS_FILE})")
    return found


def fal_models() -> dict[str, FalModel]:
    """The package's models with the user's over them."""
    path = os.environ.get(USER_MODELS)
    try:
        stamp = Path(path).stat().st_mtime_ns if path else 0
    except OSError as error:
        raise BackendError(f"{USER_MODELS}={path}: cannot read it ({error.strerror or error})") from None
    return dict(_models(path, stamp))


@functools.cache
def _models(path: str | None, stamp: int) -> dict[str, FalModel]:  # `stamp`: an edited file is read again
    table = _read(files("storyagent.renderers.hosted").joinpath("fal_models.json").read_text(encoding="utf-8"),
                  MODELS_FILE)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise BackendError(f"{USER_MODELS}={path}: cannot read it ({error.strerror or error})") from None
        table.update(_read(text, path))
    return table


def _read(text: str, where: str) -> dict[str, FalModel]:
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise BackendError(f"{where}: not JSON ({error})") from None
    if not isinstance(raw, dict):
        raise BackendError(f"{where}: not a table of fal models (an object of application id -> inputs)")
    table = {}
    for model, entry in raw.items():
        if model.startswith("_"):
            continue
        try:
            table[model] = FalModel.model_validate(entry)
        except ValidationError as error:
            problem = error.errors()[0]
            at = ".".join(str(part) for part in problem["loc"])
            raise BackendError(f"{where}: {model}{'.' + at if at else ''}: {problem['msg']}") from None
    return table


def clip_size(spec: FalModel, width: int, height: int) -> tuple[int, int]:
    """The clip the model makes for a film of `width` x `height`: the film's shape (or the nearest the model
    takes) at the model's resolution."""
    aspect = width / height
    if spec.aspect_ratio is not None:
        aspect = _ratio(nearest_ratio(spec.aspect_ratio.values, width, height))
    long = 2 * round(spec.short_side * max(aspect, 1 / aspect) / 2)  # encoders want even sizes
    return (long, spec.short_side) if aspect >= 1 else (spec.short_side, long)


def nearest_ratio(values: list[str], width: int, height: int) -> str:
    return min(values, key=lambda value: abs(math.log(_ratio(value) * height / width)))


def _ratio(value: str) -> float:
    width, _, height = value.partition(":")
    return int(width) / int(height)


# -- the renderer ---------------------------------------------------------------------


class FalRenderer(HostedRenderer):
    """Shots drawn by an image-to-video model on fal.ai, from the pre-vis keyframes."""

    name = "fal"
    default_model = "fal-ai/kling-video/v2.1/standard/image-to-video"
    key_variables = ("FAL_KEY",)
    sdk = "fal_client"
    install = "pip install 'storyagent[hosted]' (or: pip install fal-client)"
    # A director's last keyframe re-renders its shot too, for the models that end on one.
    starts_from = ("first", "last")

    @classmethod
    def lengths(cls, model: str) -> Lengths:
        return Lengths(create=fal_model(model).lengths())

    @classmethod
    def size(cls, model: str, width: int, height: int) -> tuple[int, int]:
        return clip_size(fal_model(model), width, height)

    @classmethod
    def takes_last_frame(cls, model: str) -> bool:
        return fal_model(model).end_image is not None

    @classmethod
    def request_options(cls, options: HostedOptions) -> dict[str, Any]:
        # What the table says to send is part of the request: a changed entry asks anew.
        return {"inputs": fal_model(cls.model_of(options)).model_dump(mode="json", exclude={"source", "notes"})}

    def connect(self, key: str) -> FalProvider:
        return FalProvider(key, self.model, fal_model(self.model), self.options.base_url)


# -- the provider -------------------------------------------------------------------


class _Failed(Exception):
    """A finished request that made no clip."""


class FalProvider:
    """fal's queue and storage for one model, through fal-client."""

    def __init__(self, key: str, model: str, spec: FalModel, base_url: str | None) -> None:
        import fal_client
        import fal_client.client

        # fal-client retries 408, 409 and 429 answers, dropped connections and timeouts itself, up to ten
        # times and deaf to Retry-After, with no setting to say otherwise but this module constant. One
        # attempt each: the base's bounded retries, which honour Retry-After, are the only ones.
        fal_client.client.MAX_ATTEMPTS = 1
        self.model = model
        self.spec = spec
        self.client = routed_client(key, base_url) if base_url else fal_client.SyncClient(key=key)
        # Routed to base_url, keyframes go up through fal's storage API on that address: fal-client's CDN
        # upload makes its own clients for fixed addresses.
        self.upload_to: dict[str, Any] = {"repository": "fal", "fallback_repository": []} if base_url else {}
        self.videos: dict[str, str] = {}  # job id -> its clip's URL, once its result is read

    def create(self, clip: Clip) -> str:
        arguments = self.arguments(clip, clip.ledger or Ledger(None))
        handle = self._call(f"shot {clip.shot_id}: sending it to fal", lambda: self.client.submit(self.model, arguments))
        return handle.request_id

    def extend(self, clip: Clip, previous: str, seconds: int) -> str:
        raise BackendError(f"shot {clip.shot_id}: fal's models cannot extend a clip")

    def arguments(self, clip: Clip, ledger: Ledger) -> dict[str, Any]:
        """The model's inputs for the clip, named as the table says."""
        spec = self.spec
        arguments = {**spec.fixed, spec.prompt: clip.prompt, spec.duration.key: spec.duration.values[str(clip.seconds[0])]}
        if clip.first is not None:
            arguments[spec.image] = self._uploaded(clip.first, ledger)
        if spec.end_image is not None and clip.last is not None:
            arguments[spec.end_image] = self._uploaded(clip.last, ledger)
        if spec.aspect_ratio is not None:
            arguments[spec.aspect_ratio.key] = nearest_ratio(spec.aspect_ratio.values, clip.width, clip.height)
        if spec.seed is not None:
            arguments[spec.seed] = clip.seed
        if spec.negative_prompt is not None:
            arguments[spec.negative_prompt] = NEGATIVE_PROMPT
        return arguments

    def _uploaded(self, image: bytes, ledger: Ledger) -> str:
        """The URL of a keyframe on fal's storage, uploaded the first time the film sends it."""
        from fal_client import StorageSettings

        key = f"fal-upload:{hashlib.sha256(image).hexdigest()}"
        now = datetime.now(UTC)
        kept = ledger.remembered(key)
        if kept is not None and datetime.fromisoformat(json.loads(kept)["until"]) > now:
            return json.loads(kept)["url"]
        url = self._call("uploading a keyframe to fal", lambda: self.client.upload(
            image, "image/png", file_name="keyframe.png", lifecycle=StorageSettings(expires_in=f"{UPLOAD_DAYS}d"),
            **self.upload_to))
        # Used a day less than it is kept, so no request names a file fal is about to delete.
        ledger.remember(key, "fal", json.dumps({"url": url, "until": (now + timedelta(days=UPLOAD_DAYS - 1)).isoformat()}))
        return url

    def status(self, job_id: str) -> JobStatus:
        import fal_client

        state = self._call(f"asking fal about {job_id}", lambda: self.client.status(self.model, job_id))
        if isinstance(state, fal_client.Queued):
            return JobStatus(state=RemoteState.QUEUED, detail=f"{state.position} ahead in fal's queue")
        if isinstance(state, fal_client.InProgress):
            return JobStatus(state=RemoteState.RUNNING)
        # Completed, which a refused or failed request is too: its result tells.
        try:
            self.videos[job_id] = self._video_url(job_id)
        except Rejected as refusal:
            return JobStatus(state=RemoteState.REJECTED, detail=str(refusal))
        except _Failed as failure:
            return JobStatus(state=RemoteState.FAILED, detail=state.error or str(failure))
        except (Transient, BackendError):
            if not state.error:  # reading the result failed, not the request: ask again
                raise
        if state.error:  # the request failed for good (a runner error, a timeout): its result will not change
            return JobStatus(state=RemoteState.FAILED, detail=f"{state.error} ({state.error_type or 'no type given'})")
        return JobStatus(state=RemoteState.DONE)

    def _video_url(self, job_id: str) -> str:
        """The finished request's clip URL, from its result."""
        result = self._call(f"reading fal's result {job_id}", lambda: self.client.result(self.model, job_id),
                            finished=True)
        found: Any = result
        for part in self.spec.video.split("."):
            if isinstance(found, dict):
                found = found.get(part)
            elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
                found = found[int(part)]
            else:
                found = None
        if not isinstance(found, str) or not found:
            said = result.get("detail") if isinstance(result, dict) else None
            raise _Failed(f"its result holds no {self.spec.video}" + (f": {str(said)[:300]}" if said else ""))
        return found

    def download(self, job_id: str, out: Path) -> None:
        import httpx

        url = self.videos.get(job_id)
        if url is None:
            try:
                url = self._video_url(job_id)
            except _Failed as failure:
                raise BackendError(f"fal job {job_id} is done but {failure}") from None

        def fetch() -> None:
            # A plain client: the clip's URL is on fal's CDN, which needs no key and must not be sent one.
            with (httpx.Client(timeout=httpx.Timeout(120.0, connect=30.0), follow_redirects=True) as http,
                  http.stream("GET", url) as response, out.open("wb") as file):
                response.raise_for_status()
                for chunk in response.iter_bytes(1 << 20):
                    file.write(chunk)

        self._call(f"downloading fal's clip {job_id}", fetch)

    def _call(self, what: str, call: Callable[[], T], finished: bool = False) -> T:
        """`call`, its errors sorted: `Transient`, `Rejected`, `BackendError` (or `_Failed` for the result of a
        `finished` request that is an error of its own)."""
        import httpx
        from fal_client import FalClientHTTPError, FalClientTimeoutError

        try:
            return call()
        except FalClientHTTPError as error:
            raise _sorted(error.response, what, finished) from None
        except httpx.HTTPStatusError as error:
            raise _sorted(error.response, what, finished) from None
        except (httpx.TransportError, FalClientTimeoutError) as error:  # timeouts are transport errors too
            raise Transient(f"{what}: {type(error).__name__} on the way to fal") from None


def _sorted(response: Any, what: str, finished: bool) -> Exception:
    """The exception an error answer from fal stands for."""
    status = response.status_code
    body = _json(response)
    detail = _detail(body) or response.reason_phrase
    if _refused(body, response):
        return Rejected(detail)
    if status in (408, 409, 429) or status >= 500:
        return Transient(f"{what}: fal answered {status} ({detail})", retry_after=retry_after(response.headers))
    if status in (401, 403):
        return BackendError(f"{what}: fal refused the key ({status}); check FAL_KEY")
    if finished:
        return _Failed(f"fal answered {status}: {detail}")
    return BackendError(f"{what}: fal answered {status}: {detail}")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any) -> str:
    """fal's words for an error: a model's typed errors ({"detail": [{"loc", "msg", "type"}]}) or a request's
    ({"detail": "...", "error_type": "..."})."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc", [])[1:])
                parts.append(f"{where + ': ' if where else ''}{item.get('msg', item.get('type', ''))}")
        detail = "; ".join(parts)
    return str(detail)[:300] if detail else ""


def _refused(body: Any, response: Any) -> bool:
    """Whether fal's checkers (or the model's own) refused the content."""
    detail = body.get("detail") if isinstance(body, dict) else None
    typed = [item.get("type") for item in detail if isinstance(item, dict)] if isinstance(detail, list) else []
    kind = body.get("error_type") if isinstance(body, dict) else None
    return POLICY in typed or POLICY in (kind, response.headers.get("x-fal-error-type"))




@functools.cache
def _routed_client_class() -> type:
    """fal-client's client with its requests to fal's hosts sent to another address instead: the SDK
    builds its URLs from module constants (https, fal's hosts), so the address is changed on the way out."""
    from dataclasses import dataclass

    import fal_client
    import httpx
    from fal_client.client import QUEUE_URL_FORMAT, REST_URL, RUN_URL_FORMAT, USER_AGENT

    hosts = {httpx.URL(url).host for url in (QUEUE_URL_FORMAT, RUN_URL_FORMAT, REST_URL)}

    class Routed(httpx.BaseTransport):
        def __init__(self, base_url: str) -> None:
            self.base = httpx.URL(base_url.rstrip("/"))
            self.inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host in hosts:
                url = self.base.copy_with(raw_path=self.base.raw_path.rstrip(b"/") + request.url.raw_path)
                headers = request.headers.copy()
                headers["Host"] = url.netloc.decode("ascii")
                request = httpx.Request(request.method, url, headers=headers, stream=request.stream,
                                        extensions=request.extensions)
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    @dataclass(frozen=True)
    class RoutedClient(fal_client.SyncClient):
        base_url: str = ""

        @functools.cached_property
        def _client(self) -> httpx.Client:
            return httpx.Client(transport=Routed(self.base_url), timeout=self.default_timeout, follow_redirects=True,
                                headers={"Authorization": self._auth.header_value, "User-Agent": USER_AGENT})

    return RoutedClient


def routed_client(key: str, base_url: str) -> Any:
    return _routed_client_class()(key=key, base_url=base_url)
