"""Planning: a premise becomes a storyboard.

    >>> from storyagent.planners import plan
    >>> board = plan("polar bear visits penguins", duration=90, seed=1)

Planners are backends (one class each, subclassing `Planner`) registered as
`storyagent.planners` entry points (see `storyagent.plugins`):
`template` (offline, deterministic, from the story arcs in `templates/`) and
`llm` (any OpenAI-compatible chat server). `auto` picks `llm` when one is
configured (OPENAI_API_KEY, OPENAI_BASE_URL or an explicit base URL) and
`template` otherwise.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyagent.errors import BackendError, PlanError, PremiseError
from storyagent.plugins import Backend, Registry
from storyagent.storyboard import PremiseReading, Storyboard, describe_validation_error
from storyagent.storyboard.language import script, shown, undrawable

MAX_PREMISE = 2000  # characters: a line or a short paragraph


class PlanOptions(BaseModel):
    """How to plan. Every field has a default, so `plan(premise)` just works."""

    model_config = ConfigDict(extra="forbid")

    duration: float = Field(default=90.0, ge=5, le=3600, description="Target film length in seconds.")
    language: Literal["en", "zh"] | None = Field(
        default=None, description="Narration language; empty means detected from the premise (Chinese or English)."
    )
    seed: int = Field(default=0, ge=0, lt=2**32, description="Another seed gives another film from the same premise.")
    style: str | None = Field(default=None, max_length=500, description="Visual style in words; empty keeps the default.")
    planner: str = Field(default="auto", description="auto, template or llm.")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible server URL, e.g. http://localhost:11434/v1.")
    llm_model: str | None = Field(default=None, description="Model name on that server; empty means gpt-4o-mini.")
    llm_api_key: str | None = Field(default=None, description="API key; empty reads OPENAI_API_KEY (local servers need none).")
    timeout: float = Field(default=120.0, gt=0, le=3600, description="Seconds to wait for one LLM reply.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries with backoff on 429 and 5xx replies.")


class Planner(Backend, Protocol):
    """Writes a storyboard from a premise. Built with its `Options`; `PlanOptions` are every planner's."""

    def __init__(self, options: Any) -> None: ...

    def plan(self, premise: PremiseReading, options: PlanOptions) -> Storyboard:
        """Plan from the premise's reading; a reading with no `story` is read from its text first."""
        ...


PLANNERS: Registry[Planner] = Registry("planner", "storyagent.planners")


def available() -> list[str]:
    return ["auto", *PLANNERS.names()]


def llm_configured(options: PlanOptions) -> bool:
    return bool(options.llm_base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


def resolve(name: str, options: PlanOptions) -> str:
    """The backend `name` means: `auto` becomes `llm` or `template`."""
    if name == "auto":
        return "llm" if llm_configured(options) else "template"
    if name not in PLANNERS.names():
        raise BackendError(f"unknown planner '{name}'; choose one of: {', '.join(available())}")
    return name


def get_planner(name: str, options: PlanOptions) -> Planner:
    chosen = resolve(name, options)
    return PLANNERS.get(chosen)(PLANNERS.options(chosen, {}))


def plan(premise: str | PremiseReading, **options: Any) -> Storyboard:
    """Plan a storyboard from one line, or from a premise reading a director edited
    (`board.premise`). Options: see `PlanOptions`."""
    try:
        opts = PlanOptions(**options)
    except ValidationError as err:
        raise PlanError(f"plan options: {describe_validation_error(err, PlanOptions)}") from None
    if isinstance(premise, str):
        reading = PremiseReading(text=readable_premise(premise))
    else:
        reading = premise.model_copy(update={"text": readable_premise(premise.text)})
    return get_planner(opts.planner, opts).plan(reading, opts)


# Terminal escape sequences (colours, cursor moves, titles) pasted with a premise: CSI, OSC and two-byte ones.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
# What else is never text: control characters, lone surrogate halves, bidirectional overrides.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
SCRIPTS = "English or Chinese (Latin letters, most accented ones, and simplified Chinese characters)"


def readable_premise(premise: str) -> str:
    """The premise as a story can be told from it: escape sequences and control characters
    removed, accents composed (NFC), and only letters the film can narrate and draw.
    Anything else is one line saying what is wrong."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub(" ", _ESCAPES.sub("", premise or "")))
    text = " ".join(text.split())
    if not text:
        raise PremiseError('the premise is empty; describe the story in a line, e.g. "polar bear visits penguins"')
    if len(text) > MAX_PREMISE:
        raise PremiseError(f"the premise is {len(text)} characters long; keep it under {MAX_PREMISE} (a line or a short paragraph)")
    letters = [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    if not letters:
        raise PremiseError(f"the premise '{text}' has no words; describe the story in a line, e.g. \"polar bear visits penguins\"")
    foreign = [ch for ch in dict.fromkeys(letters) if script(ch) not in ("Latin", "Han", "Digit")
               and unicodedata.category(ch)[0] == "L"]
    if foreign:
        raise PremiseError(f"the premise is written in {script(foreign[0])} script ({shown(foreign, 3)}), which storyagent "
                           f"cannot narrate; it tells stories in {SCRIPTS}")
    missing = undrawable("".join(letters))
    if missing:
        raise PremiseError(f"the premise has {shown(missing)}, which the bundled font cannot draw; it draws {SCRIPTS}"
                           + ("; write Chinese in simplified characters" if script(missing[0]) == "Han" else ""))
    return text


