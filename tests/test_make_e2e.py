"""End to end: the real CLI makes a short film, checked as a viewer's player
and an editor's NLE would see it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from storyagent.media.video import probe
from storyagent.timeline import Timeline
from tests.helpers.cli import storyagent

PREMISE = "a fox looks for its lost kite"


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("film") / "fox"
    result = storyagent("make", PREMISE, "-o", str(out), "--duration", "15", "--resolution", "640x360", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return out


def decoded_audio(path: Path) -> np.ndarray:
    from imageio_ffmpeg import get_ffmpeg_exe

    raw = subprocess.run([get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", "16000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def test_film_streams_are_what_players_expect(film: Path) -> None:
    info = probe(film / "film.mp4")
    video = next(s for s in info.streams if s.kind == "video")
    audio = next(s for s in info.streams if s.kind == "audio")
    assert (video.codec, video.width, video.height) == ("h264", 640, 360)
    assert video.pix_fmt == "yuv420p" and video.fps == pytest.approx(24)
    assert audio.codec == "aac"
    assert any(s.kind == "subtitle" and s.codec == "mov_text" for s in info.streams)


def test_film_duration_matches_the_timeline_to_a_frame(film: Path) -> None:
    timeline = Timeline.model_validate_json((film / "timeline.json").read_text(encoding="utf-8"))
    assert 12 <= timeline.duration <= 30  # 15 s of shots plus title and credits
    assert probe(film / "film.mp4").duration == pytest.approx(timeline.duration, abs=1 / timeline.fps)


def test_subtitles_cover_every_spoken_line(film: Path) -> None:
    timeline = Timeline.model_validate_json((film / "timeline.json").read_text(encoding="utf-8"))
    assert timeline.voice, "the film has no spoken line"
    for kind in ("srt", "vtt"):
        events = pysubs2.load(str(film / f"subtitles.{kind}")).events
        for placement in timeline.voice:
            middle_ms = (placement.start + placement.line.duration / 2) * 1000
            assert any(e.start <= middle_ms <= e.end for e in events), f"{kind}: no subtitle for {placement.line.text!r}"


def test_otio_timeline_opens_and_matches(film: Path) -> None:
    import opentimelineio as otio

    timeline = Timeline.model_validate_json((film / "timeline.json").read_text(encoding="utf-8"))
    opened = otio.adapters.read_from_file(str(film / "timeline.otio"))
    assert opened.duration().to_seconds() == pytest.approx(timeline.duration, abs=1 / timeline.fps)
    assert (film / "timeline.edl").read_text().startswith("TITLE:")


def test_audio_is_not_silent_and_speech_is_heard(film: Path) -> None:
    samples = decoded_audio(film / "film.mp4")
    rms_db = 20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-12)
    assert rms_db > -35, f"the film's audio is nearly silent ({rms_db:.1f} dBFS)"


def test_folder_has_everything_a_director_needs(film: Path) -> None:
    for name in ("storyboard.json", "film.json", "subtitles.srt", "subtitles.vtt", "timeline.otio", "mix.wav"):
        assert (film / name).is_file(), name
    assert list((film / "shots").glob("*.mp4")) and list((film / "cast").glob("*.png"))
    assert list((film / "stems").glob("*.wav"))
    manifest = json.loads((film / "film.json").read_text(encoding="utf-8"))
    assert manifest


def test_rendering_again_reuses_everything(film: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in (film / "shots").glob("*.mp4")}
    result = storyagent("render", str(film / "storyboard.json"), "--resolution", "640x360", "--log-json")
    assert result.returncode == 0, result.stderr[-2000:]
    after = {p.name: p.stat().st_mtime_ns for p in (film / "shots").glob("*.mp4")}
    assert after == before
    events = [json.loads(line) for line in result.stdout.splitlines()]  # stdout is JSON lines only
    assert events[-1]["event"] == "result" and Path(events[-1]["film"]) == film / "film.mp4"


def test_review_stops_after_planning(tmp_path: Path) -> None:
    result = storyagent("make", PREMISE, "-o", str(tmp_path / "r"), "--duration", "15", "--review")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "r" / "storyboard.json").is_file()
    assert not (tmp_path / "r" / "film.mp4").exists()
    assert "storyagent render" in result.stdout


def test_bad_input_is_one_line_and_keeps_the_storyboard(tmp_path: Path) -> None:
    result = storyagent("make", "   ")
    assert result.returncode != 0 and "premise" in result.stderr and "Traceback" not in result.stderr
    bad = tmp_path / "storyboard.json"
    bad.write_text('{"title": "x", "scenes": []}', encoding="utf-8")
    result = storyagent("render", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert bad.read_text(encoding="utf-8") == '{"title": "x", "scenes": []}'
