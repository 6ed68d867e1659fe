"""One exception hierarchy. The CLI turns any of these into a one-line message
and a non-zero exit; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import signal


class StoryagentError(Exception):
    """Base of every error a user can cause or fix. `str(err)` is one line."""

    exit_code = 1


class StoryboardError(StoryagentError):
    """A storyboard file or object is malformed; the message names the JSON path."""

    exit_code = 2


class UnknownIdError(StoryboardError):
    """A storyboard has no shot, character or location with the id asked for;
    the message names the id and the nearest one the storyboard has."""


class PremiseError(StoryagentError):
    """The premise is empty or unusable."""

    exit_code = 2


class PlanError(StoryagentError):
    """A planner could not produce a valid storyboard."""


class LLMError(PlanError):
    """The LLM server is unreachable, timed out, or does not know the model."""


class BackendError(StoryagentError):
    """A backend is unknown, not installed or not configured."""


class ModelNotFoundError(BackendError):
    """Local model weights are missing or incomplete."""


class VoiceError(StoryagentError):
    """Speech synthesis failed."""


class RenderError(StoryagentError):
    """A shot or the film could not be rendered or encoded."""


class BusyError(StoryagentError):
    """Another run holds the film folder."""


class FolderError(StoryagentError):
    """A file or folder storyagent must write cannot be written there: not a regular file or
    folder, read-only, or the disk is full. The message names the path and what to do."""


class WorldError(StoryagentError):
    """The world data (packaged, or a file `STORYAGENT_WORLD` names) is malformed."""

    exit_code = 2


class Stopped(BaseException):
    """A signal (Ctrl-C, SIGTERM, SIGHUP) stopped the run. What is finished is kept and the same command
    resumes. A BaseException, so no `except Exception` swallows it, and not a KeyboardInterrupt, which
    click turns into a silent exit 130 before storyagent can say anything."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum  # what a shell reports for a process ended by that signal
