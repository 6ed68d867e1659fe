"""espeak-ng through the shared library bundled in the `espeakng-loader` wheel:
no root, no system package, every language espeak knows, Mandarin included.
Robotic next to a neural voice, but it always works: the fallback engine.

Mandarin: the 1.52 library reads Chinese characters in tones (the old Debian
1.51 bug of reading tone digits aloud is gone), except the syllables
xiong/qiong/jiong, which its pinyin rules miss: it reads "熊" (xiong2, the bear
in every polar-bear film) as English "k-shung two". Those characters are
handed to espeak as phonemes instead.
"""

from __future__ import annotations

import ctypes
import re
import threading
import zlib

import numpy as np

from storyagent.cache import source_version
from storyagent.errors import VoiceError
from storyagent.plugins import NoOptions
from storyagent.storyboard import Voice
from storyagent.voice import Narrator

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES_INPUT = 0x100  # text may hold [[phonemes]]
_RATE, _PITCH = 1, 3
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_DEFAULT_WPM = 175
_PITCH_UNITS_PER_SEMITONE = 6  # measured: +20 on espeak's 0-100 scale raises f0 by ~3.4 semitones

LANGUAGE_VOICES = {"en": "en-us", "zh": "cmn"}
# Voice variants (espeak-ng-data/voices/!v): distinct timbres for distinct speakers.
VARIANTS = ["", "m3", "f2", "m7", "f4", "m1", "f1", "m5"]

# Characters whose pinyin espeak 1.52 cannot parse (all of GB2312 that fail:
# finals -iong), as espeak phoneme mnemonics with the tone's pitch contour.
_TONES = {"1": "55", "2": "35", "3": "214", "4": "51"}
_IONG_PINYIN = {
    "炯": "jiong3", "窘": "jiong3", "迥": "jiong3", "扃": "jiong1", "冂": "jiong1",
    "琼": "qiong2", "穷": "qiong2", "穹": "qiong2", "茕": "qiong2", "蛩": "qiong2", "筇": "qiong2",
    "跫": "qiong2", "邛": "qiong2", "銎": "qiong2",
    "兄": "xiong1", "凶": "xiong1", "胸": "xiong1", "匈": "xiong1", "汹": "xiong1", "芎": "xiong1",
    "雄": "xiong2", "熊": "xiong2",
}
_INITIALS = {"j": "tS;", "q": "tS;h", "x": "S;"}


def _iong_phonemes(pinyin: str) -> str:
    return f"[[{_INITIALS[pinyin[0]]}j'ong{_TONES[pinyin[-1]]}]]"


def mandarin_text(text: str) -> str:
    """`text` with the characters espeak misreads replaced by their phonemes."""
    return "".join(_iong_phonemes(_IONG_PINYIN[ch]) if ch in _IONG_PINYIN else ch for ch in text)


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Library:
    """The process-wide espeak-ng instance. espeak keeps global state, so every
    call goes through one lock."""

    lock = threading.Lock()
    _instance: _Library | None = None

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT | _INITIALIZE_PHONEME_EVENTS
        )
        if self.sample_rate <= 0:
            raise VoiceError(f"espeak-ng failed to initialise with data at {data.decode()}")
        self._chunks: list[np.ndarray] = []
        self._phonemes: list[str] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: espeak calls it later
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Library:
        with cls.lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_PHONEME:
                self._phonemes.append(events[i].id.decode("utf-8", "replace"))
            i += 1
        return 0

    def speak(self, text: str, voice_name: str, wpm: int, pitch: int) -> tuple[np.ndarray, list[str]]:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
                raise VoiceError(f"espeak-ng has no voice '{voice_name}'")
            self.lib.espeak_SetParameter(_RATE, wpm, 0)
            self.lib.espeak_SetParameter(_PITCH, pitch, 0)
            # Some voices (cmn+f2 ...) draw on espeak's random numbers, seeded from the clock at start-up:
            # seeded by what is said, a line sounds the same in every run.
            self.lib.espeak_ng_SetRandSeed(zlib.crc32(f"{voice_name}\0{text}".encode()))
            self._chunks, self._phonemes = [], []
            data = text.encode("utf-8") + b"\0"
            status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES_INPUT, None, None)
            if status != 0:
                raise VoiceError(f"espeak-ng could not speak {text[:40]!r} (status {status})")
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
            return pcm, list(self._phonemes)


class EspeakNarrator(Narrator):
    name = "espeak"
    version = source_version(__file__)

    def __init__(self, options: NoOptions) -> None:
        pass

    @staticmethod
    def unavailable_reason(language: str, explicit: bool = False) -> str | None:
        try:
            _Library.get()
        except (ImportError, OSError) as err:
            return f"espeak-ng library not loadable ({err}); pip install espeakng-loader"
        return None

    def voices(self, language: str) -> list[str]:
        base = LANGUAGE_VOICES.get(language, language)
        return [f"{base}+{v}" if v else base for v in VARIANTS]

    def synthesize(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, int]:
        pcm, _ = self._speak(text, voice, language)
        return pcm.astype(np.float32) / 32768.0, _Library.get().sample_rate

    def phonemes(self, text: str, voice: Voice, language: str) -> list[str]:
        """The phonemes espeak spoke; '(en)' among them means it switched to English."""
        return self._speak(text, voice, language)[1]

    def _speak(self, text: str, voice: Voice, language: str) -> tuple[np.ndarray, list[str]]:
        name = voice.voice or self.voices(language)[0]
        text = re.sub(r"\[\[|\]\]", " ", text)  # narration is never read as phoneme input
        if name.split("+")[0] in ("cmn", "zh"):
            text = mandarin_text(text)
        wpm = round(_DEFAULT_WPM * voice.rate)
        pitch = int(np.clip(50 + _PITCH_UNITS_PER_SEMITONE * voice.pitch, 0, 100))
        return _Library.get().speak(text, name, wpm, pitch)
