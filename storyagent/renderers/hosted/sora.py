"""Sora: each shot drawn by OpenAI's video models (`sora-2`, `sora-2-pro`) through the openai SDK's
`client.videos`, started from the shot's first keyframe.

A shot is one `create` (4, 8 or 12 s) and, when longer, `extend` requests (4 to 20 s each) that
continue it; the last job holds the whole stitched clip. Each character on screen is registered
once per film with `create_character`, from a 2 s clip of its reference sheet, remembered in the
film's ledger; a request names the characters by id and the prompt by their names.

The key is `OPENAI_API_KEY`; the address is `--base-url`, else `OPENAI_BASE_URL` (the SDK reads it),
else OpenAI's. The SDK's own retries are off: the base's bounded retries are the only ones.

Quirks of openai 3.57 met here: the reference-object forms (`video={"id": ...}`,
`input_reference={...}`) raise inside the SDK before sending, so an extension names its video in
the JSON body itself (`extra_body`); a keyframe goes up as a named PNG file, not bare bytes (those
would go as `application/octet-stream`); `create` has no `characters` parameter, so the ids go in
`extra_body` too.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from PIL import Image

from storyagent import cache
from storyagent.errors import BackendError
from storyagent.media.video import write_clip
from storyagent.renderers.hosted.base import Clip, HostedRenderer, JobStatus, Lengths, Rejected, Transient, retry_after
from storyagent.renderers.hosted.jobs import Ledger, RemoteState

if TYPE_CHECKING:
    from openai import APIStatusError, OpenAI

log = logging.getLogger(__name__)

MODELS = ("sora-2", "sora-2-pro")
# What the videos API takes: a create of 4, 8 or 12 s; an extension of 4 to 20 s (the SDK's docstring;
# its `VideoSeconds` type still lists only 4, 8 and 12).
LENGTHS = Lengths(create=(4, 8, 12), extend=(4, 8, 12, 16, 20))
# Both models take these; sora-2-pro also 1792x1024 and 1024x1792, which cost more per second than the
# price table's one price per model says, so they are never asked for.
LANDSCAPE, PORTRAIT = (1280, 720), (720, 1280)
SHEET_CLIP = (1280, 720, 2, 24)  # width, height, seconds, fps of the clip a character is registered from
# Words in an error's code or type that mean the content was refused ("moderation_blocked" ...).
REFUSALS = ("moderation", "policy", "safety", "content_filter")
STATES = {"queued": RemoteState.QUEUED, "in_progress": RemoteState.RUNNING, "completed": RemoteState.DONE}
TIMEOUT = 120.0  # seconds for one HTTP request (an upload, a poll, a download)

T = TypeVar("T")


class SoraRenderer(HostedRenderer):
    """`--renderer sora`: OpenAI's Sora 2 models over the videos API."""

    name = "sora"
    default_model = "sora-2"
    key_variables = ("OPENAI_API_KEY",)
    sdk = "openai"
    install = "pip install -U 'openai>=2.27'"

    @classmethod
    def lengths(cls, model: str) -> Lengths:
        if model not in MODELS:
            raise BackendError(f"the sora renderer has no model '{model}'; choose --model {' or '.join(MODELS)}")
        return LENGTHS

    @classmethod
    def size(cls, model: str, width: int, height: int) -> tuple[int, int]:
        """The allowed size nearest the film's aspect: landscape, or portrait for a taller film."""
        return PORTRAIT if height > width else LANDSCAPE

    @classmethod
    def preflight(cls, options: Any) -> str | None:
        missing = super().preflight(options)
        if missing is None and not _has_videos_api():
            return f"the sora renderer needs an openai SDK with the videos API and characters: {cls.install}"
        return missing

    def connect(self, key: str) -> SoraAPI:
        from openai import OpenAI

        # base_url None: the SDK reads OPENAI_BASE_URL, else uses OpenAI's address.
        client = OpenAI(api_key=key, base_url=self.options.base_url, max_retries=0, timeout=TIMEOUT)
        return SoraAPI(client, key)


class SoraAPI:
    """The four calls of `hosted.base.Provider` over `client.videos`, the SDK's errors sorted."""

    def __init__(self, client: OpenAI, key: str) -> None:
        self.client = client
        self._key = key  # only to keep it out of error messages

    def create(self, clip: Clip) -> str:
        from openai import omit

        characters = self._characters(clip)
        video = self._sorted(lambda: self.client.videos.create(
            prompt=clip.prompt, model=clip.model, seconds=str(clip.seconds[0]),  # type: ignore[arg-type]
            size=f"{clip.width}x{clip.height}",  # type: ignore[arg-type]
            input_reference=("keyframe.png", clip.first, "image/png") if clip.first is not None else omit,
            extra_body={"characters": [{"id": one} for one in characters]} if characters else None,
        ), f"shot {clip.shot_id}: creating its clip")
        return video.id

    def extend(self, clip: Clip, previous: str, seconds: int) -> str:
        from openai import omit

        # The SDK sends multipart and cannot send a video reference: this one is JSON, as the API takes it.
        video = self._sorted(lambda: self.client.videos.extend(
            prompt=clip.prompt, seconds=str(seconds), video=omit,  # type: ignore[arg-type]
            extra_body={"video": {"id": previous}}, extra_headers={"Content-Type": "application/json"},
        ), f"shot {clip.shot_id}: extending {previous}")
        return video.id

    def status(self, job_id: str) -> JobStatus:
        try:
            video = self._sorted(lambda: self.client.videos.retrieve(job_id), f"asking about {job_id}")
        except _Gone:
            # Deleted or expired: the ledger marks it failed and the next run asks anew.
            return JobStatus(state=RemoteState.FAILED, detail=f"{job_id} is no longer there")
        if video.status != "failed":
            return JobStatus(state=STATES.get(video.status, RemoteState.RUNNING))
        error = video.error
        detail = self._scrub(f"{error.code}: {error.message}") if error is not None else ""
        refused = error is not None and _refusal(error.code, error.type)
        return JobStatus(state=RemoteState.REJECTED if refused else RemoteState.FAILED, detail=detail)

    def download(self, job_id: str, out: Path) -> None:
        def fetch() -> None:
            with self.client.videos.with_streaming_response.download_content(job_id, variant="video") as response:
                response.stream_to_file(out)

        self._sorted(fetch, f"downloading {job_id}")

    # -- characters --------------------------------------------------------------------

    def _characters(self, clip: Clip) -> list[str]:
        """The Sora character id of each character on screen, registered the first time the film needs it.
        A sheet Sora refuses leaves that character to the keyframe and the prompt."""
        ledger = clip.ledger or Ledger(None)
        ids = []
        for who, sheet in clip.references.items():
            name = clip.names.get(who, who)
            try:
                ids.append(self._character(name, sheet, ledger))
            except Rejected as refusal:
                log.warning("sora refused %s's reference sheet as a character (%s); the keyframe shows it instead",
                            name, refusal)
        return ids

    def _character(self, name: str, sheet: bytes, ledger: Ledger) -> str:
        key = cache.key("sora-character", {"name": name, "sheet": hashlib.sha256(sheet).hexdigest()}, 1)
        with ledger.exclusive():  # the shots of a film, in their worker processes, register it once
            known = ledger.remembered(key)
            if known is not None:
                return known
            video = sheet_clip(sheet)
            made = self._sorted(lambda: self.client.videos.create_character(
                name=name, video=("character.mp4", video, "video/mp4")), f"registering {name} as a character")
            if not made.id:
                raise BackendError(f"sora registered {name} as a character but gave no id")
            ledger.remember(key, "sora", made.id)
            return made.id

    # -- errors ------------------------------------------------------------------------

    def _sorted(self, call: Callable[[], T], what: str) -> T:
        """`call`, its SDK errors turned into `Transient`, `Rejected`, `_Gone` or `BackendError`."""
        import openai

        try:
            return call()
        except openai.RateLimitError as error:
            if error.code == "insufficient_quota":  # waiting will not bring money
                raise BackendError(f"sora, {what}: {self._said(error)}") from None
            raise Transient(f"{what}: too many requests (429)", retry_after(error.response.headers)) from None
        except openai.APITimeoutError:
            raise Transient(f"{what}: no answer in {TIMEOUT:g} s") from None
        except openai.APIConnectionError:
            raise Transient(f"{what}: cannot reach the videos API") from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise BackendError(f"sora, {what}: OPENAI_API_KEY was refused ({error.status_code} "
                               f"{error.code or 'unauthorized'}); check the key and that it may use Sora") from None
        except openai.NotFoundError as error:
            raise _Gone(f"sora, {what}: {self._said(error)}") from None
        except openai.APIStatusError as error:
            if error.status_code >= 500:
                raise Transient(f"{what}: the videos API failed ({error.status_code})") from None
            if _refusal(error.code, error.type):
                raise Rejected(self._said(error)) from None
            raise BackendError(f"sora, {what}: {self._said(error)}") from None

    def _said(self, error: APIStatusError) -> str:
        """The API's own one-line reason, with its status and code (never the key)."""
        body = error.body if isinstance(error.body, dict) else {}
        message = str(body.get("message") or error.message).splitlines()[0]
        return self._scrub(f"{error.status_code} {error.code or error.type or 'error'}: {message}")

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "<OPENAI_API_KEY>") if self._key else text


class _Gone(BackendError):
    """The API has no such video (deleted, expired, never made)."""


def _refusal(*words: str | None) -> bool:
    return any(refused in (word or "").lower() for word in words for refused in REFUSALS)




def sheet_clip(sheet: bytes) -> bytes:
    """A short MP4 of a reference sheet, whole on white: what `create_character` takes (a video)."""
    width, height, seconds, fps = SHEET_CLIP
    with Image.open(io.BytesIO(sheet)) as image:
        drawn = image.convert("RGBA")
    scale = min(width / drawn.width, height / drawn.height)
    drawn = drawn.resize((max(1, round(drawn.width * scale)), max(1, round(drawn.height * scale))),
                         Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(drawn, ((width - drawn.width) // 2, (height - drawn.height) // 2), drawn)
    frame = np.asarray(canvas)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sheet.mp4"
        write_clip(itertools.repeat(frame, seconds * fps), out, fps, width, height)
        return out.read_bytes()


def _has_videos_api() -> bool:
    try:
        from openai.resources.videos import Videos
    except ImportError:
        return False
    return all(hasattr(Videos, call) for call in ("create", "extend", "create_character", "download_content"))
