"""`--renderer veo`: Google's Veo draws each shot from its first keyframe, through `google-genai`.

Veo is reached on Google's Gemini Enterprise Agent Platform (Vertex AI) with an API key ("express
mode"): the SDK's `generate_videos` no longer serves the Gemini Developer API (google-genai 3.x refuses
it there, and Google shut Veo down on that API in 2026). One shot is one long-running operation:
`models.generate_videos` starts it (its name is the job id), `operations.get` polls it, and the
finished operation carries the clip's bytes (no Cloud Storage bucket is asked for).

Sent: the shot's prompt, its first keyframe as the starting image, and its last keyframe where the
model takes one. The cast's reference sheets are not sent: Veo takes reference images only instead
of a starting image, and the keyframe already draws the cast as the pre-vis places them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from storyagent.errors import BackendError
from storyagent.renderers.hosted.base import Clip, HostedRenderer, JobStatus, Lengths, Rejected, Transient, retry_after
from storyagent.renderers.hosted.jobs import RemoteState

T = TypeVar("T")

TIMEOUT_MS = 180_000  # one HTTP request; a finished operation carries the whole clip inline
POLICY_WORDS = ("safety", "policy", "responsible ai", "sensitive", "usage guidelines", "prohibited", "violat")


@dataclass(frozen=True)
class VeoModel:
    """What one Veo model takes."""

    seconds: tuple[int, ...]
    last_frame: bool  # a last frame as well as the first (interpolation)


# The models the price table prices (Veo 2, 5 to 8 s, has no price found for it, so it is left out).
MODELS: dict[str, VeoModel] = {
    "veo-3.1-generate-001": VeoModel((4, 6, 8), last_frame=True),
    "veo-3.1-fast-generate-001": VeoModel((4, 6, 8), last_frame=True),
    "veo-3.1-lite-generate-001": VeoModel((4, 6, 8), last_frame=False),
    "veo-3.0-generate-001": VeoModel((4, 6, 8), last_frame=False),
    "veo-3.0-fast-generate-001": VeoModel((4, 6, 8), last_frame=False),
}


def model_info(model: str) -> VeoModel:
    if model not in MODELS:
        raise BackendError(f"the veo renderer does not know the model '{model}'; choose one of: {', '.join(MODELS)}")
    return MODELS[model]


class VeoRenderer(HostedRenderer):
    """Each shot drawn by Veo from the pre-vis keyframes."""

    name = "veo"
    default_model = "veo-3.1-fast-generate-001"
    key_variables = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # the order google-genai itself reads them in
    sdk = "google.genai"
    install = "pip install 'storyagent[hosted]' (or: pip install google-genai)"

    @classmethod
    def lengths(cls, model: str) -> Lengths:
        # No extensions: Veo extends only a video in a Cloud Storage bucket, which an API key has none of.
        return Lengths(create=model_info(model).seconds)

    @classmethod
    def size(cls, model: str, width: int, height: int) -> tuple[int, int]:
        # 720p in the film's orientation: every Veo model makes it, and it is the size the price table prices.
        return (1280, 720) if width >= height else (720, 1280)

    @classmethod
    def takes_last_frame(cls, model: str) -> bool:
        return model_info(model).last_frame

    @classmethod
    def sends_references(cls, model: str) -> bool:
        return False  # Veo takes reference images only without a keyframe, and the keyframe wins

    def connect(self, key: str) -> VeoProvider:
        from google import genai
        from google.genai import types

        # No retries in the SDK: the renderer's own bounded retries are the only ones. The base URL, when
        # not given, is the SDK's (or GOOGLE_VERTEX_BASE_URL, which the SDK reads itself).
        http = types.HttpOptions(base_url=self.options.base_url, timeout=TIMEOUT_MS,
                                 retry_options=types.HttpRetryOptions(attempts=1))
        return VeoProvider(genai.Client(vertexai=True, api_key=key, http_options=http), key)


class VeoProvider:
    """Veo's long-running operations over `google-genai`, its errors sorted for the renderer."""

    def __init__(self, client: Any, key: str) -> None:
        self.client = client
        self._key = key  # only to keep it out of any message the API echoes back
        self._finished: dict[str, Any] = {}  # job id -> its video, from the poll that found it done

    def create(self, clip: Clip) -> str:
        from google.genai import types

        # No soundtrack: the film makes its own (and Veo on the Agent Platform bills a silent clip less).
        config: dict[str, Any] = {"number_of_videos": 1, "duration_seconds": clip.seconds[0], "seed": clip.seed,
                                  "aspect_ratio": "16:9" if clip.width >= clip.height else "9:16",
                                  "resolution": f"{min(clip.width, clip.height)}p", "generate_audio": False}
        if clip.last is not None and model_info(clip.model).last_frame:
            config["last_frame"] = types.Image(image_bytes=clip.last, mime_type="image/png")
        image = types.Image(image_bytes=clip.first, mime_type="image/png") if clip.first is not None else None
        source = types.GenerateVideosSource(prompt=clip.prompt, image=image)
        operation = self._call(lambda: self.client.models.generate_videos(
            model=clip.model, source=source, config=types.GenerateVideosConfig(**config)))
        if not operation.name:
            raise BackendError(f"veo started no operation for shot {clip.shot_id} (its answer had no name)")
        return str(operation.name)

    def extend(self, clip: Clip, previous: str, seconds: int) -> str:
        raise BackendError("the veo renderer does not extend clips")  # its lengths never ask it to

    def status(self, job_id: str) -> JobStatus:
        from google.genai import types

        operation = self._call(lambda: self.client.operations.get(types.GenerateVideosOperation(name=job_id)))
        if not operation.done:
            return JobStatus(state=RemoteState.RUNNING)
        if operation.error:
            message = str(operation.error.get("message") or operation.error)
            refused = _is_policy(message)
            return JobStatus(state=RemoteState.REJECTED if refused else RemoteState.FAILED, detail=self._clean(message))
        videos = operation.response.generated_videos if operation.response else None
        if not videos or videos[0].video is None:
            return _empty(operation.response)
        self._finished[job_id] = videos[0].video
        return JobStatus(state=RemoteState.DONE)

    def download(self, job_id: str, out: Path) -> None:
        video = self._finished.pop(job_id, None)
        if video is None:  # found done in an earlier run: ask for the operation again
            if self.status(job_id).state != RemoteState.DONE:
                raise BackendError(f"veo operation {job_id} holds no video")
            video = self._finished.pop(job_id)
        if video.video_bytes:
            out.write_bytes(video.video_bytes)
        elif video.uri:
            raise BackendError(f"veo left the clip of {job_id} at {video.uri}, not in its answer; "
                               "storyagent does not read Cloud Storage")
        else:
            raise BackendError(f"veo operation {job_id} holds an empty video")

    # -- errors ------------------------------------------------------------------------

    def _call(self, call: Callable[[], T]) -> T:
        """`call`, with the SDK's and the network's errors turned into Transient, Rejected or BackendError."""
        from google.genai import errors

        timeouts, unreachable = _network_errors()
        try:
            return call()
        except errors.ClientError as error:
            raise self._client_error(error) from None
        except errors.ServerError as error:
            raise Transient(f"veo answered HTTP {error.code}: {self._clean(error.message or '')}".rstrip(": ")) from None
        except errors.APIError as error:
            raise BackendError(f"veo answered HTTP {error.code}: {self._clean(error.message or '')}") from None
        except timeouts:
            raise Transient("veo did not answer in time") from None
        except unreachable as error:
            raise Transient(f"could not reach veo ({type(error).__name__})") from None
        except ValueError as error:  # the SDK refused the request before sending it
            raise BackendError(f"veo: {self._clean(str(error))}") from None

    def _client_error(self, error: Any) -> Exception:
        message = self._clean(error.message or str(error.details))
        if error.code == 429:
            return Transient(f"veo is busy (HTTP 429): {message}", retry_after(getattr(error.response, "headers", None)))
        if error.code in (401, 403):
            return BackendError(f"veo refused the API key (HTTP {error.code} {error.status or ''}): {message}. Veo runs on "
                                "Google's Agent Platform (Vertex AI): set GOOGLE_API_KEY to a key of a project with "
                                "that API enabled; a Gemini API key from AI Studio is not enough")
        if error.code == 400 and _is_policy(message):
            return Rejected(message)
        if error.code == 404:
            return BackendError(f"veo does not offer this model to this key (HTTP 404): {message}")
        return BackendError(f"veo refused the request (HTTP {error.code} {error.status or ''}): {message}")

    def _clean(self, text: str) -> str:
        """The API's message on one line, without the key should it ever be echoed."""
        return " ".join(text.replace(self._key, "***").split())[:400]


def _network_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """Timeouts and other transport failures of httpx and of its fork httpx2, which google-genai
    prefers when it is installed."""
    import importlib.util

    modules = [importlib.import_module(name) for name in ("httpx", "httpx2") if importlib.util.find_spec(name)]
    return (tuple(module.TimeoutException for module in modules), tuple(module.TransportError for module in modules))


def _is_policy(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in POLICY_WORDS)


def _empty(response: Any) -> JobStatus:
    """A finished operation without a video: Veo's safety filters took it, or it failed."""
    filtered = getattr(response, "rai_media_filtered_count", None) or 0
    reasons = "; ".join(getattr(response, "rai_media_filtered_reasons", None) or [])
    if filtered:
        return JobStatus(state=RemoteState.REJECTED, detail=reasons or "filtered by Veo's safety filters")
    return JobStatus(state=RemoteState.FAILED, detail="the operation finished without a video")


