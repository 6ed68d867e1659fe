"""OpenAI speech (`audio.speech.create`), or any server that offers the same
endpoint. Costs money per line, so it is chosen automatically only when
STORYAGENT_TTS_MODEL names a model; `--voice-engine openai` needs just a key.

Settings: OPENAI_API_KEY, STORYAGENT_TTS_BASE_URL (default: OpenAI),
STORYAGENT_TTS_MODEL (default gpt-4o-mini-tts), STORYAGENT_TTS_VOICES
(comma-separated voice names, the narrator's first).
"""

from __future__ import annotations

import io
import os
import wave

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import source_version
from storyagent.errors import BackendError, VoiceError
from storyagent.storyboard import Voice
from storyagent.voice import Narrator, as_float_mono, engine_rate, shift_pitch

DEFAULT_MODEL = "gpt-4o-mini-tts"
DEFAULT_VOICES = ["fable", "onyx", "nova", "echo", "shimmer", "alloy", "coral", "sage", "ash"]


class OpenAIOptions(BaseModel):
    """Where to speak; each empty field is read from the environment (see above)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, description="Speech model (default: $STORYAGENT_TTS_MODEL, else gpt-4o-mini-tts).")
    base_url: str | None = Field(default=None, description="Server (default: $STORYAGENT_TTS_BASE_URL, else OpenAI).")
    api_key: str | None = Field(default=None, description="API key (default: $OPENAI_API_KEY).")
    voices: list[str] | None = Field(default=None, description="Voice names, the narrator's first.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one line.")


class OpenAINarrator(Narrator):
    name = "openai"
    Options = OpenAIOptions
    version = source_version(__file__)

    def __init__(self, options: OpenAIOptions) -> None:
        self.model = options.model or os.environ.get("STORYAGENT_TTS_MODEL") or DEFAULT_MODEL
        self.base_url = options.base_url or os.environ.get("STORYAGENT_TTS_BASE_URL")
        self.api_key = options.api_key or os.environ.get("OPENAI_API_KEY")
        configured = [v.strip() for v in os.environ.get("STORYAGENT_TTS_VOICES", "").split(",") if v.strip()]
        self._voices = options.voices or configured or DEFAULT_VOICES
        self.timeout = options.timeout

    @staticmethod
    def unavailable_reason(language: str, explicit: bool = False) -> str | None:
        if not os.environ.get("OPENAI_API_KEY"):
            return "OPENAI_API_KEY is not set"
        if not explicit and not os.environ.get("STORYAGENT_TTS_MODEL"):
            return "not chosen automatically (it is billed per line); set STORYAGENT_TTS_MODEL or pass --voice-engine openai"
        return None

    def voices(self, language: str) -> list[str]:
        return list(self._voices)

    def synthesize(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, int]:
        import openai

        if not self.api_key:
            raise BackendError("voice engine 'openai' needs OPENAI_API_KEY")
        client = openai.OpenAI(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout, max_retries=2)
        speed = float(np.clip(engine_rate(voice), 0.25, 4.0))
        try:
            response = client.audio.speech.create(
                model=self.model, voice=voice.voice or self._voices[0], input=text, response_format="wav", speed=speed
            )
        except openai.APIError as err:
            raise VoiceError(f"openai speech ({self.model}) failed: {err}") from None
        audio, sr = read_wav_bytes(response.content)
        return shift_pitch(audio, voice.pitch), sr


def read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Decode a 16-bit PCM WAV, tolerating the unknown-length header of a streamed reply."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2:
                raise VoiceError(f"speech reply is {8 * wav.getsampwidth()}-bit audio; expected 16-bit WAV")
            frames = wav.readframes(wav.getnframes())
            channels, sr = wav.getnchannels(), wav.getframerate()
    except (wave.Error, EOFError) as err:
        raise VoiceError(f"speech reply is not a WAV file: {err}") from None
    pcm = np.frombuffer(frames[: len(frames) // (2 * channels) * 2 * channels], dtype="<i2").reshape(-1, channels)
    return as_float_mono(pcm), sr
