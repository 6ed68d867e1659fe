"""Hosted renderers: each shot drawn by a provider's video model over its API, from the pre-vis.

For one shot a hosted renderer
1. draws the shot's keyframes from the animatic at the size the model takes (`renderers.keyframes`;
   a keyframe the director replaced is sent as it is) and gathers the cast's reference images;
2. asks the provider for the clip: one request that creates it and, for a shot longer than one
   request gives, requests that extend it. Each request is noted in the film's ledger
   (`hosted.jobs`) with its cost before it is sent, and its job id as soon as the provider gives it,
   before the first poll: a run killed at any point resumes by polling the same job, and the same
   request (by a hash of all it sends) is never paid for twice;
3. polls until the clip is done, downloads it, and fits it to the shot's frames, size and frame rate.

When the provider refuses the content (its policy), the shot keeps its animatic clip, marked as
such (`--strict` fails the run instead). A 429, a 5xx or a timeout is retried a bounded number of
times with backoff and jitter, honouring Retry-After.

A provider is one file: a `HostedRenderer` subclass that says which lengths and sizes its models
take and builds a `Provider`, the four calls over its SDK, which sorts the SDK's errors into
`Transient` (try again), `Rejected` (policy) and `BackendError` (nothing will help).
"""

from __future__ import annotations

import functools
import io
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from storyagent import cache
from storyagent.errors import BackendError, RenderError
from storyagent.media.video import fit_frame, probe, read_frames, resample_indices
from storyagent.plugins import Check
from storyagent.renderers.base import ShotJob, ShotPrice, ShotRenderer, get_renderer
from storyagent.renderers.hosted.jobs import Ledger, RemoteJob, RemoteState
from storyagent.renderers.hosted.prices import price_of
from storyagent.renderers.keyframes import keyframes, reference_images
from storyagent.renderers.prompts import shot_prompt, shot_seed

REQUEST_VERSION = 1  # how a request's key is made: change it and every request is new


class HostedOptions(BaseModel):
    """What every hosted renderer takes; a provider's Options add their own."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, max_length=200, description="The provider's model (default: its recommended one).")
    max_cost: float | None = Field(default=None, ge=0, description="Refuse to start when the estimate is over this "
                                   "many US dollars, and stop before the request that would cross it.")
    strict: bool = Field(default=False, description="Fail the run when the provider refuses a shot, "
                         "instead of keeping that shot's animatic.")
    base_url: str | None = Field(default=None, max_length=500, description="The provider's API address "
                                 "(default: its SDK's, or the provider's usual environment variable).")
    poll_seconds: float = Field(default=5.0, gt=0, le=600, description="How often to ask whether a clip is done.")
    wait_minutes: float = Field(default=60.0, gt=0, description="Stop waiting for a clip after this long "
                                "(its job is kept: the next run waits for it again).")
    retries: int = Field(default=5, ge=0, le=20, description="Retries of a request the provider was too busy for "
                         "(429, 5xx, a timeout).")
    retry_seconds: float = Field(default=2.0, ge=0, le=300, description="First wait before a retry; it doubles each time.")


# -- what a provider is asked and answers ----------------------------------------------------


@dataclass(frozen=True)
class Lengths:
    """The clip lengths a model makes, in seconds: a create request's, and an extension's (none: it cannot extend)."""

    create: tuple[int, ...]
    extend: tuple[int, ...] = ()


@dataclass(frozen=True)
class Clip:
    """One shot's clip as asked of a provider."""

    shot_id: str
    model: str
    prompt: str
    seconds: tuple[int, ...]  # the create request's length, then each extension's
    width: int
    height: int
    seed: int
    first: bytes | None = None  # PNG keyframes at width x height
    last: bytes | None = None
    references: dict[str, bytes] = field(default_factory=dict)  # character id -> PNG, in screen order
    names: dict[str, str] = field(default_factory=dict)  # character id -> name, as the prompt says it
    # The film's ledger, where a provider keeps what it makes once per film (Sora's characters, fal's uploads).
    ledger: Ledger | None = field(default=None, compare=False, repr=False)

    def key(self, provider: str, options: dict[str, Any]) -> str:
        """A hash of everything the requests send."""
        inputs = {
            "provider": provider, "model": self.model, "prompt": self.prompt, "seconds": list(self.seconds),
            "size": [self.width, self.height], "seed": self.seed, "options": options,
            "first": _digest(self.first), "last": _digest(self.last),
            "references": {who: _digest(image) for who, image in self.references.items()},
        }
        return cache.key("remote", inputs, REQUEST_VERSION)


def _digest(data: bytes | None) -> str | None:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:cache.KEY_LENGTH] if data is not None else None


class JobStatus(BaseModel):
    state: RemoteState
    detail: str = ""


class Transient(Exception):
    """The provider could not take the request now (429, 5xx, a timeout): the same request may succeed later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The seconds a busy provider asks to wait: Retry-After-Ms, else Retry-After (seconds or an HTTP date);
    None when it says nothing readable (the renderer's own backoff applies)."""
    from email.utils import parsedate_to_datetime

    headers = headers or {}
    if millis := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    text = headers.get("retry-after")
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class Rejected(Exception):
    """The provider refused the content (its policy)."""


class Provider(Protocol):
    """One provider's API. Each call raises `Transient`, `Rejected` or `BackendError`, nothing else."""

    def create(self, clip: Clip) -> str:
        """Ask for the clip's first `clip.seconds[0]`; returns the job id."""
        ...

    def extend(self, clip: Clip, previous: str, seconds: int) -> str:
        """Ask for the finished job `previous` continued by `seconds`; returns the new job id."""
        ...

    def status(self, job_id: str) -> JobStatus: ...

    def download(self, job_id: str, out: Path) -> None:
        """Write the finished job's MP4 to `out`."""
        ...


# -- the renderer ---------------------------------------------------------------------


class HostedRenderer(ShotRenderer):
    """A shot renderer backed by a provider's API. A subclass names the provider and its models."""

    Options: ClassVar[type[HostedOptions]] = HostedOptions
    starts_from = ("first",)
    default_model: ClassVar[str]
    key_variables: ClassVar[tuple[str, ...]]  # where the API key is looked for, in order
    sdk: ClassVar[str]  # the module the provider's SDK imports as
    install: ClassVar[str]  # how to get it
    # The code a clip passes through: this folder (the animatic's keyframes are drawn once, then their content counts).
    version = cache.source_version(Path(__file__).parent)

    # -- what a subclass says about its models --------------------------------------

    @classmethod
    def lengths(cls, model: str) -> Lengths:
        raise NotImplementedError

    @classmethod
    def size(cls, model: str, width: int, height: int) -> tuple[int, int]:
        """The size the model is asked for, nearest the film's."""
        raise NotImplementedError

    @classmethod
    def takes_last_frame(cls, model: str) -> bool:
        return False

    @classmethod
    def sends_references(cls, model: str) -> bool:
        """Whether the cast's reference images go with each request (then they are part of its key)."""
        return True

    @classmethod
    def request_options(cls, options: HostedOptions) -> dict[str, Any]:
        """The provider's own options that change what it makes (they go into the request's key)."""
        return {}

    def connect(self, key: str) -> Provider:
        """The provider's client, with the API key and `self.options.base_url`."""
        raise NotImplementedError

    # -- Backend ----------------------------------------------------------------------

    @classmethod
    def model_of(cls, options: HostedOptions) -> str:
        return options.model or cls.default_model

    @classmethod
    def api_key(cls) -> str | None:
        return next((os.environ[name] for name in cls.key_variables if os.environ.get(name)), None)

    @classmethod
    def preflight(cls, options: HostedOptions) -> str | None:
        if not _importable(cls.sdk):
            return f"the {cls.name} renderer needs its SDK: {cls.install}"
        if cls.api_key() is None:
            return f"the {cls.name} renderer needs an API key: set {' or '.join(cls.key_variables)}"
        try:
            cls.lengths(cls.model_of(options))
        except BackendError as error:
            return str(error)
        return None

    @classmethod
    def doctor(cls, models: list[str]) -> list[Check]:
        found = [name for name in cls.key_variables if os.environ.get(name)]
        return [
            Check(name=f"{cls.name} SDK", ok=_importable(cls.sdk), detail=cls.sdk if _importable(cls.sdk) else cls.install,
                  needed_for=f"--renderer {cls.name}"),
            Check(name=f"{cls.name} API key", ok=bool(found),
                  detail=f"{found[0]} is set" if found else f"set {' or '.join(cls.key_variables)}",
                  needed_for=f"--renderer {cls.name} (paid: see `storyagent estimate`)"),
        ]

    @classmethod
    def cache_inputs(cls, options: HostedOptions) -> dict[str, Any]:
        return {"model": cls.model_of(options), **cls.request_options(options)}

    @classmethod
    def price(cls, options: HostedOptions, seconds: float) -> ShotPrice:
        model = cls.model_of(options)
        asked = plan_lengths(cls.lengths(model), seconds)
        price = price_of(cls.name, model)
        return ShotPrice(seconds=sum(asked), requests=len(asked),
                         usd=round(sum(price.of(part) for part in asked), 4) if price else float("nan"))

    def __init__(self, options: HostedOptions) -> None:
        self.options = options
        self.model = self.model_of(options)
        self._provider: Provider | None = None

    def provider(self) -> Provider:
        if self._provider is None:
            key = self.api_key()
            if key is None:
                raise BackendError(f"the {self.name} renderer needs an API key: set {' or '.join(self.key_variables)}")
            self._provider = self.connect(key)
        return self._provider

    # -- one shot ----------------------------------------------------------------------

    def frames(self, job: ShotJob) -> Iterator[np.ndarray]:
        ledger = Ledger(job.film_dir)
        clip = self.clip(job, ledger)
        request = clip.key(self.name, self.request_options(self.options))
        out = _remote_clip(job, request)
        try:
            if not cache.reusable(out):
                job_id = self._obtain(clip, request, job, ledger)
                self._fetch(job_id, out, request, ledger, job.shot_id)
        except Rejected as refusal:
            if self.options.strict:
                raise RenderError(f"shot {job.shot_id}: {self.name} refused it ({refusal}); --strict stops here") from None
            yield from get_renderer("animatic").frames(job)
            return
        yield from self._fitted(out, clip, job, ledger, request)

    def _fetch(self, job_id: str, out: Path, request: str, ledger: Ledger, shot_id: str) -> None:
        """Download the finished clip. One the provider no longer has (expired) is asked for anew next run."""
        def download() -> None:
            with cache.atomic_path(out) as partial:
                self.provider().download(job_id, partial)

        try:
            self._retrying(download, f"shot {shot_id}: downloading {job_id}")
        except BackendError as gone:
            for row in ledger.all():
                if row.request == request and row.state == RemoteState.DONE:
                    ledger.update(row, state=RemoteState.FAILED, detail=f"download failed: {gone}"[:500])
            raise RenderError(f"shot {shot_id}: {gone}; run again to ask for it anew") from None
        cache.seal(out)

    def clip(self, job: ShotJob, ledger: Ledger | None = None) -> Clip:
        """What the provider is asked for this shot."""
        width, height = self.size(self.model, job.width, job.height)
        wanted = ("first", "last") if self.takes_last_frame(self.model) else ("first",)
        frames = {which: _png(image) for which, image in keyframes(job, width, height, wanted).items()}
        references = ({ref.character: _png(ref.image) for ref in reference_images(job)}
                      if self.sends_references(self.model) else {})
        return Clip(
            shot_id=job.shot_id, model=self.model, prompt=shot_prompt(job.board, job.shot_id),
            seconds=plan_lengths(self.lengths(self.model), job.frames / job.fps), width=width, height=height,
            seed=shot_seed(job.board, job.shot_id) + (ledger.take(job.shot_id) if ledger else 0),
            first=frames.get("first"), last=frames.get("last"),
            references=references, names={who: job.board.character(who).name for who in references}, ledger=ledger,
        )

    def _obtain(self, clip: Clip, request: str, job: ShotJob, ledger: Ledger) -> str:
        """The id of the finished job that holds the whole clip: found in the ledger, else asked for."""
        previous: str | None = None
        price = price_of(self.name, self.model)
        for step, seconds in enumerate(clip.seconds):
            row = ledger.find(request, step)
            if row is None:
                row = ledger.reserve(RemoteJob(request=request, step=step, shot_id=job.shot_id, shot_key=job.key,
                                               provider=self.name, model=self.model, seconds=seconds,
                                               usd=round(price.of(seconds), 4) if price else 0.0))
                row = self._send(row, clip, previous, seconds, ledger)
            if row.state == RemoteState.REJECTED:
                raise Rejected(row.detail or "refused")
            row = self._wait(row, ledger)
            previous = row.job_id
        assert previous is not None
        return previous

    def _send(self, row: RemoteJob, clip: Clip, previous: str | None, seconds: int, ledger: Ledger) -> RemoteJob:
        provider = self.provider()
        what = f"shot {clip.shot_id}: asking {self.name} for {seconds} s"
        try:
            if previous is None:
                job_id = self._retrying(lambda: provider.create(clip), what)
            else:
                job_id = self._retrying(lambda: provider.extend(clip, previous, seconds), what)
        except Rejected as refusal:
            ledger.update(row, state=RemoteState.REJECTED, detail=str(refusal)[:500])
            raise
        except BaseException as error:
            ledger.update(row, state=RemoteState.FAILED, detail=str(error)[:500])
            raise
        return ledger.update(row, job_id=job_id, state=RemoteState.QUEUED)

    def _wait(self, row: RemoteJob, ledger: Ledger) -> RemoteJob:
        provider = self.provider()
        deadline = time.monotonic() + self.options.wait_minutes * 60
        while row.state != RemoteState.DONE:
            status = self._retrying(functools.partial(provider.status, row.job_id),
                                    f"shot {row.shot_id}: asking about {row.job_id}")
            if status.state != row.state:
                # Only a failure's reason is kept: the detail of a finished job is for warnings about its clip.
                failed = status.state in (RemoteState.FAILED, RemoteState.REJECTED)
                row = ledger.update(row, state=status.state, detail=status.detail[:500] if failed else "")
            if status.state == RemoteState.REJECTED:
                raise Rejected(status.detail or "refused")
            if status.state == RemoteState.FAILED:
                raise RenderError(f"shot {row.shot_id}: {self.name} job {row.job_id} failed"
                                  + (f": {status.detail}" if status.detail else "") + "; run again to ask anew")
            if status.state == RemoteState.DONE:
                break
            if time.monotonic() > deadline:
                raise RenderError(f"shot {row.shot_id}: {self.name} job {row.job_id} is still {status.state} after "
                                  f"{self.options.wait_minutes:g} minutes; run again to keep waiting for it")
            time.sleep(self.options.poll_seconds)
        return row

    def _retrying(self, call: Callable[[], T], what: str) -> T:
        """`call`, tried again on a `Transient` error after a growing, jittered wait (Retry-After when given)."""
        for attempt in range(self.options.retries + 1):
            try:
                return call()
            except Transient as busy:
                if attempt == self.options.retries:
                    raise RenderError(f"{what}: {busy} (after {attempt} retries); run again to try once more") from None
                wait = busy.retry_after if busy.retry_after is not None else self.options.retry_seconds * 2 ** attempt
                time.sleep(min(300.0, wait) * random.uniform(1.0, 1.25))
        raise AssertionError("unreachable")

    def _fitted(self, path: Path, clip: Clip, job: ShotJob, ledger: Ledger, request: str) -> Iterator[np.ndarray]:
        """The downloaded clip as exactly the shot's frames at the film's size. A clip longer than the shot
        (lengths come in steps) is cut; one shorter than asked, or of another size, is fitted with a warning."""
        info = probe(path)
        asked = sum(clip.seconds)
        problems = []
        if info.duration < asked - 0.5:
            problems.append(f"{info.duration:.1f} s, not the {asked} s asked for")
        if (info.width, info.height) != (clip.width, clip.height):
            problems.append(f"{info.width}x{info.height}, not {clip.width}x{clip.height}")
        if problems:
            warning = f"shot {job.shot_id}: {self.name}'s clip is {' and '.join(problems)}; fitted to the shot"
            rows = [row for row in ledger.all() if row.request == request]
            if rows:
                ledger.update(rows[-1], detail=warning)
        fps = info.fps or job.fps
        count = max(1, round(info.duration * fps))
        wanted = resample_indices(job.frames, job.fps, count, fps)
        frames = read_frames(path, info.width, info.height)
        index, frame = -1, None
        for want in wanted:
            while index < want:
                following = next(frames, None)
                if following is None:
                    break  # the stream held fewer frames than its duration said: the last one holds
                index, frame = index + 1, following
            if frame is None:
                raise RenderError(f"shot {job.shot_id}: {self.name}'s clip {path.name} holds no frames")
            yield fit_frame(frame, job.width, job.height)
        frames.close()


T = TypeVar("T")


def plan_lengths(lengths: Lengths, seconds: float) -> tuple[int, ...]:
    """The requests that cover `seconds`: the shortest create that does, else the longest create and the
    fewest extensions after it. A model that cannot extend gives its longest clip, fitted to the shot."""
    fits = [n for n in sorted(lengths.create) if n >= seconds - 0.05]
    if fits:
        return (fits[0],)
    asked = [max(lengths.create)]
    while lengths.extend and sum(asked) < seconds - 0.05:
        rest = seconds - sum(asked)
        asked.append(next((n for n in sorted(lengths.extend) if n >= rest - 0.05), max(lengths.extend)))
    return tuple(asked)


def _remote_clip(job: ShotJob, request: str) -> Path:
    """Where the provider's clip is kept, by the request's key (a scratch folder for a shot on its own)."""
    if job.film_dir is not None:
        folder = job.film_dir / cache.REMOTE_CLIPS
    else:
        import tempfile

        folder = Path(tempfile.gettempdir()) / "storyagent-remote"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{request}.mp4"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
