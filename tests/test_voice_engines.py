"""Narrators: each engine really speaks, in the right language, in distinct voices."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from storyagent.errors import BackendError, ModelNotFoundError
from storyagent.storyboard import Voice
from storyagent.voice import cast_voices, choose_engine, engine_statuses, get_narrator, shift_pitch
from storyagent.voice.speak import trim_silence
from tests.helpers.sound_boards import small_board


def f0(audio: np.ndarray, sr: int) -> float:
    """Median pitch of the voiced 40 ms frames, by autocorrelation."""
    found = []
    frame = int(0.04 * sr)
    for start in range(0, len(audio) - frame, frame // 2):
        x = audio[start : start + frame]
        if np.sqrt(np.mean(x**2)) < 0.3 * np.sqrt(np.mean(audio**2)):
            continue
        c = np.correlate(x, x, "full")[frame - 1 :]
        lo, hi = sr // 400, sr // 60
        found.append(sr / (lo + np.argmax(c[lo:hi])))
    return float(np.median(found))


def test_espeak_speaks_english_with_plausible_length():
    audio, sr = get_narrator("espeak").synthesize("Far in the north lived a polar bear.", Voice(), "en")
    seconds = len(audio) / sr
    assert audio.dtype == np.float32 and 1.2 < seconds < 4.0
    assert np.sqrt(np.mean(audio**2)) > 0.02 and np.max(np.abs(audio)) <= 1.0


def test_espeak_narrates_chinese_in_mandarin():
    narrator = get_narrator("espeak")
    text = "在遥远的北方，住着一只小北极熊。他很好奇。"
    phonemes = narrator.phonemes(text, Voice(voice="cmn"), "zh")
    # espeak 1.52 falls back to English for 熊 (xiong2) unless we feed it phonemes: no '(en)' switch anywhere.
    assert not any("(en)" in p for p in phonemes)
    assert any("ong" in p for p in phonemes)  # 熊 is read as xiong
    audio, sr = narrator.synthesize(text, Voice(voice="cmn"), "zh")
    chars = 20
    assert 2.5 < chars / (len(audio) / sr) < 8.0  # Mandarin is spoken at roughly 3-6 characters a second


def test_espeak_says_a_line_the_same_in_every_run():
    """espeak seeds its random numbers from the clock; a line must not sound different in a new run."""
    code = (
        "import hashlib; from storyagent.storyboard import Voice; from storyagent.voice import get_narrator; "
        "audio, _ = get_narrator('espeak').synthesize('你是谁？你好大呀！', Voice(engine='espeak', voice='cmn+f2'), 'zh'); "
        "print(hashlib.sha256(audio.tobytes()).hexdigest())"
    )
    runs = []
    for _ in range(2):
        runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        time.sleep(1.1)  # the clock's seed moves on by the second
    assert runs[0] == runs[1]


def test_piper_speaks_with_the_bundled_voice():
    pytest.importorskip("piper")
    narrator = get_narrator("piper")
    assert "en_US-joe-medium" in narrator.voices("en")
    audio, sr = narrator.synthesize("Every night, he dreamed of little birds in black coats.", Voice(), "en")
    assert sr == 22050
    assert 2.0 < len(audio) / sr < 5.5
    assert np.sqrt(np.mean(audio**2)) > 0.02


def test_piper_pitch_and_rate_change_the_voice():
    pytest.importorskip("piper")
    narrator = get_narrator("piper")
    text = "Hello there, little penguin, how are you today?"
    plain, sr = narrator.synthesize(text, Voice(), "en")
    high, _ = narrator.synthesize(text, Voice(pitch=4.0), "en")
    fast, _ = narrator.synthesize(text, Voice(rate=1.25), "en")
    plain, high, fast = (trim_silence(a, sr) for a in (plain, high, fast))
    assert f0(high, sr) / f0(plain, sr) == pytest.approx(2 ** (4 / 12), rel=0.12)
    assert len(high) / len(plain) == pytest.approx(1.0, abs=0.15)  # pitch without a change of pace
    # Piper stretches phonemes, not the pauses and the model's minimum durations: measured 0.88 for 1.25x.
    assert 0.75 < len(fast) / len(plain) < 0.93


def test_shift_pitch_moves_a_tone_by_semitones():
    sr = 22050
    tone = np.sin(2 * np.pi * 200 * np.arange(sr) / sr).astype(np.float32)
    assert f0(shift_pitch(tone, 5.0), sr) == pytest.approx(200 * 2 ** (5 / 12), rel=0.03)


def test_automatic_choice_prefers_piper_for_english_and_espeak_for_chinese():
    pytest.importorskip("piper")
    assert choose_engine("en") == "piper"
    assert choose_engine("zh") == "espeak"
    assert choose_engine("en", "espeak") == "espeak"
    with pytest.raises(BackendError, match="cannot speak 'zh'"):
        choose_engine("zh", "piper")
    with pytest.raises(BackendError, match="unknown voice engine"):
        choose_engine("en", "festival")
    statuses = {s.name: s for s in engine_statuses("en")}
    assert statuses["espeak"].usable and statuses["espeak"].voices
    assert not statuses["coqui"].usable and statuses["coqui"].reason


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_every_speaking_character_gets_a_distinct_voice(engine):
    if engine == "piper":
        pytest.importorskip("piper")
    board = small_board()
    cast = cast_voices(board, engine)
    voices = [cast.narrator, cast.character("nanuk").voice, cast.character("pip").voice]
    keys = {(v.voice, v.pitch, v.rate) for v in voices}
    assert len(keys) == 3 and all(v.engine == engine for v in voices)
    assert cast_voices(board, engine) == cast  # deterministic
    assert cast_voices(cast, engine) == cast  # a cast storyboard keeps its voices
    assert board.character("nanuk").voice.voice is None  # the caller's storyboard is not modified


def test_the_narrator_speaks_in_the_engines_first_voice_a_little_slower():
    cast = cast_voices(small_board(), "espeak")
    first = get_narrator("espeak").voices("en")[0]
    assert cast.narrator == Voice(engine="espeak", voice=first, pitch=0.0, rate=0.9)


def test_a_voice_the_user_set_is_kept_unless_another_engine_is_forced():
    pytest.importorskip("piper")
    board = small_board()
    board.characters[0].voice = Voice(engine="espeak", voice="en-us+f4", pitch=2.0, rate=1.2)
    assert cast_voices(board, "espeak").character("nanuk").voice == board.characters[0].voice
    assert cast_voices(board, "piper").character("nanuk").voice == board.characters[0].voice  # espeak works here
    forced = cast_voices(board, "piper", recast=True).character("nanuk").voice
    assert (forced.engine, forced.voice, forced.pitch, forced.rate) == ("piper", "en_US-joe-medium", 2.0, 1.2)


class _SpeechServer(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, **body})
        sr = 24000
        t = np.arange(int(0.8 * sr)) / sr
        pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sr)
            wav.writeframes(pcm.tobytes())
        payload = buffer.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def speech_server():
    _SpeechServer.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SpeechServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_speech_goes_through_audio_speech(speech_server):
    narrator = get_narrator("openai", base_url=speech_server, api_key="test-key", model="tts-1-hd")
    audio, sr = narrator.synthesize("Hello penguins.", Voice(voice="nova", rate=1.2), "en")
    sent = _SpeechServer.requests[0]
    assert sent["path"] == "/v1/audio/speech"
    assert (sent["model"], sent["voice"], sent["input"], sent["response_format"]) == ("tts-1-hd", "nova", "Hello penguins.", "wav")
    assert sent["speed"] == pytest.approx(1.2)
    assert sr == 24000 and len(audio) / sr == pytest.approx(0.8, abs=0.01)
    assert f0(audio, sr) == pytest.approx(220, rel=0.03)


def test_openai_is_never_chosen_unasked(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("STORYAGENT_TTS_MODEL", raising=False)
    assert choose_engine("zh") == "espeak"
    assert choose_engine("zh", "openai") == "openai"


def test_coqui_model_folder_problems_are_named(tmp_path, monkeypatch):
    from storyagent.voice.coqui import check_model_folder, checkpoint, language_code

    with pytest.raises(ModelNotFoundError, match="does not exist"):
        check_model_folder(tmp_path / "missing")
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        check_model_folder(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model": "xtts", "languages": ["en", "zh-cn"]}))
    with pytest.raises(ModelNotFoundError, match="no checkpoint"):
        check_model_folder(tmp_path)
    (tmp_path / "model.pth").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match="vocab.json"):
        check_model_folder(tmp_path)
    (tmp_path / "vocab.json").write_text("{}")
    config = check_model_folder(tmp_path)
    assert checkpoint(tmp_path, config) == tmp_path  # XTTS loads from its folder
    assert language_code("zh", config) == "zh-cn"
    with pytest.raises(BackendError, match="does not speak 'fr'"):
        language_code("fr", config)
    monkeypatch.delenv("STORYAGENT_COQUI_MODEL", raising=False)
    with pytest.raises(ModelNotFoundError, match="STORYAGENT_COQUI_MODEL"):
        get_narrator("coqui")


def test_voices_command_names_the_engine_for_each_language():
    from typer.testing import CliRunner

    from storyagent.cli import app

    result = CliRunner().invoke(app, ["voices", "--lang", "zh"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "zh: narrated by espeak" in result.output and "cmn+f2" in result.output
