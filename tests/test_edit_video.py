"""Streaming video IO: a clip written frame by frame decodes back to the same
pictures, and failures are one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from storyagent.errors import RenderError
from storyagent.media.video import _probe_ffmpeg, probe, read_frames, write_clip

W, H, FPS = 160, 96, 24


def frames(count: int):
    for i in range(count):
        frame = np.full((H, W, 3), (30, 90, 150), np.uint8)
        frame[20:40, i * 2 : i * 2 + 20] = (250, 250, 0)
        yield frame


def test_clip_round_trips_frame_exact_and_near_lossless(tmp_path):
    clip = write_clip(frames(30), tmp_path / "shots" / "a.mp4", FPS, W, H)
    decoded = list(read_frames(clip, W, H))
    assert len(decoded) == 30
    for original, back in zip(frames(30), decoded):
        assert np.abs(original.astype(int) - back.astype(int)).mean() < 2.0
    assert sorted(p.name for p in clip.parent.iterdir()) == ["a.mp4"]  # no partial file left behind


def test_rgba_frames_encode_as_their_colours_ignoring_alpha(tmp_path):
    rgba = (np.dstack([f, np.full((H, W), i % 256, np.uint8)]) for i, f in enumerate(frames(10)))
    clip = write_clip(rgba, tmp_path / "a.mp4", FPS, W, H)
    for original, back in zip(frames(10), read_frames(clip, W, H), strict=True):
        assert np.abs(original.astype(int) - back.astype(int)).mean() < 2.0


def test_probe_reports_stream_size_rate_and_length(tmp_path):
    clip = write_clip(frames(48), tmp_path / "a.mp4", FPS, W, H)
    for info in (probe(clip), _probe_ffmpeg(clip)):  # with ffprobe, and the fallback that reads ffmpeg's output
        assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
        assert (info.width, info.height, info.fps) == (W, H, FPS)
        assert info.video.frames == 48
        assert info.duration == pytest.approx(2.0, abs=1 / FPS)
        assert info.video.duration == pytest.approx(2.0, abs=1 / FPS)


def test_decoding_scales_a_clip_of_another_size(tmp_path):
    clip = write_clip(frames(5), tmp_path / "a.mp4", FPS, W, H)
    assert next(read_frames(clip, W * 2, H * 2)).shape == (H * 2, W * 2, 3)


def test_a_frame_of_the_wrong_size_is_a_clear_error_and_leaves_no_file(tmp_path):
    with pytest.raises(RenderError, match=r"a\.mp4: frame is uint8\[10, 10, 3\], expected uint8\[96, 160, 3\]"):
        write_clip([np.zeros((10, 10, 3), np.uint8)], tmp_path / "a.mp4", FPS, W, H)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_renderer_leaves_no_clip(tmp_path):
    def broken():
        yield from frames(3)
        raise ValueError("renderer crashed")

    with pytest.raises(ValueError):
        write_clip(broken(), tmp_path / "a.mp4", FPS, W, H)
    assert list(tmp_path.iterdir()) == []


def test_odd_sizes_and_empty_clips_are_refused(tmp_path):
    with pytest.raises(RenderError, match="must be positive and even"):
        write_clip(frames(1), tmp_path / "a.mp4", FPS, 161, H)
    with pytest.raises(RenderError, match="no frames"):
        write_clip([], tmp_path / "a.mp4", FPS, W, H)


def test_an_unreadable_file_names_ffmpegs_complaint(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with pytest.raises(RenderError, match=r"^bad\.mp4: ffmpeg failed: .*Invalid data"):
        list(read_frames(bad, W, H))
    with pytest.raises(RenderError, match=r"^bad\.mp4: ff(probe|mpeg)"):
        probe(bad)
    with pytest.raises(RenderError, match="clip not found"):
        list(read_frames(tmp_path / "missing.mp4", W, H))
