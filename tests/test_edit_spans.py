"""A shot drawn in two spans on two workers is the shot drawn whole: the same frames, in the same pieces
the editor cuts, joined without re-encoding. And the film's sound is encoded once per mix."""

from __future__ import annotations

import numpy as np
import pytest

from storyagent.cache import reusable
from storyagent.edit.assemble import MIN_SPAN_PIXELS, ShotParts, encode_soundtrack
from storyagent.media.video import probe, read_frames
from storyagent.renderers.base import RenderJob, ShotJob
from storyagent.run.stages import render_clip
from tests.helpers import edit_synthetic as syn
from tests.helpers.animatic_boards import board, shot

W, H, FPS = 160, 90, 12


W720 = 1280 * 720
MIN_SPAN_FRAMES = MIN_SPAN_PIXELS // W720  # at 720p


def test_spans_halve_a_big_shot_and_cover_every_frame_once(tmp_path) -> None:
    parts = ShotParts(tmp_path / "a.key.mp4", head=6, tail=4, frames=2 * MIN_SPAN_FRAMES + 1)
    spans = parts.spans(W720)
    assert spans == [(0, MIN_SPAN_FRAMES), (MIN_SPAN_FRAMES, 2 * MIN_SPAN_FRAMES + 1)]
    runs = [run for first, end in spans for run in parts.runs(first, end)]
    assert sum(count for _, count in runs) == parts.frames
    names = [path.name for path, _ in runs]
    assert names[0] == "head.mp4" and names[-1] == "tail.mp4", "a piece inside one span is written whole"
    assert [name.split(".")[0] for name in names[1:-1]] == ["body", "body"], "the body is cut in two runs"


@pytest.mark.parametrize("head,tail,frames,pixels", [(0, 0, 2 * MIN_SPAN_FRAMES - 1, W720), (60, 0, 100, W720),
                                                     (0, 60, 100, W720), (0, 0, 2 * MIN_SPAN_FRAMES, W720 // 4)],
                         ids=["short", "long-head", "long-tail", "small-frames"])
def test_a_small_shot_or_a_middle_inside_a_blend_is_drawn_whole(tmp_path, head, tail, frames, pixels) -> None:
    assert ShotParts(tmp_path / "a.key.mp4", head, tail, frames).spans(pixels) == [(0, frames)]


def _job(tmp_path, name: str, frames: int, edges: tuple[int, int], span=None) -> RenderJob:
    b = board([shot("a", "full", "pan-left", characters=[{"character": "nanuk", "motion": "walk"}])])
    return RenderJob(shot=ShotJob(board=b, shot_id="a", frames=frames, width=W, height=H, fps=FPS),
                     edges=edges, renderer="animatic", out=tmp_path / name / "a.key.mp4", span=span)


@pytest.mark.parametrize("edges", [(0, 0), (5, 7)], ids=["no-pieces", "head-and-tail"])
def test_a_shot_drawn_in_spans_is_the_shot_drawn_whole(tmp_path, edges) -> None:
    frames = 100
    whole = _job(tmp_path, "whole", frames, edges)
    render_clip(whole.model_dump_json())
    parts = ShotParts(tmp_path / "spans" / "a.key.mp4", *edges, frames)
    spans = parts.spans(MIN_SPAN_PIXELS)  # as big as a 720p shot's, drawn small here
    assert len(spans) == 2
    for span in spans:
        render_clip(_job(tmp_path, "spans", frames, edges, span).model_dump_json())
    assert not parts.clip.exists(), "a span alone never makes the clip: the render stage joins them"
    parts.join_spans(spans)

    assert reusable(parts.clip) and probe(parts.clip).video.frames == frames
    assert not (parts.clip.parent / ".parts" / f"{parts.clip.stem}.spans").exists(), "the runs are joined and gone"
    whole_parts = ShotParts(whole.out, *edges, frames)
    for (mine, count), (theirs, _) in zip(parts.pieces() if parts.wanted else [(parts.clip, frames)],
                                          whole_parts.pieces() if parts.wanted else [(whole.out, frames)]):
        assert reusable(mine) and probe(mine).video.frames == count
    a = np.stack([f.astype(np.int16) for f in read_frames(parts.clip, W, H)])
    b = np.stack([f.astype(np.int16) for f in read_frames(whole.out, W, H)])
    assert a.shape == b.shape
    # Both are lossy encodes of the same drawing; only the keyframe where the second span starts differs.
    assert np.abs(a - b).mean() < 1.5
    assert np.abs(a[1:] - a[:-1]).mean() > 0.5, "the pan moves the picture"


def test_the_soundtrack_is_encoded_once_per_mix_and_is_as_long_as_the_picture(tmp_path) -> None:
    tl = syn.timeline(tmp_path)
    mix = syn.write_tone(tmp_path / "mix.wav", tl.duration - 0.5)  # shorter: padded to the picture
    track = encode_soundtrack(mix, tl, tmp_path / "edit")
    made = track.stat().st_mtime_ns
    assert encode_soundtrack(mix, tl, tmp_path / "edit") == track and track.stat().st_mtime_ns == made
    assert probe(track).duration == pytest.approx(tl.frame_count / tl.fps, abs=0.03)

    syn.write_tone(mix, tl.duration, hz=330.0)
    newer = encode_soundtrack(mix, tl, tmp_path / "edit")
    assert newer != track and not track.exists(), "a changed mix is encoded again, and the old track goes"


def test_the_render_stage_draws_a_big_shot_in_spans_and_joins_them(tmp_path, monkeypatch) -> None:
    from storyagent.edit import assemble
    from storyagent.run import stages
    from storyagent.run.options import RunOptions
    from storyagent.timeline import build_timeline

    monkeypatch.setattr(assemble, "MIN_SPAN_PIXELS", 1)  # every shot counts as big: drawn small here
    b = board([shot("a", "full", "pan-left", characters=[{"character": "nanuk", "motion": "walk"}])])
    timeline = build_timeline(b, [], fps=FPS, width=W, height=H)
    clip, _ = stages.render_stage(b, timeline, "a", tmp_path, RunOptions(jobs=2))
    frames = timeline.frames(timeline.shot("a").duration)
    assert reusable(clip) and probe(clip).video.frames == frames
    assert stages.shot_reusable(b, timeline, "a", tmp_path, RunOptions()), "the next run reuses it"
    assert not list(clip.parent.glob(".parts/*.spans")), "no run is left behind"
    stages.close_shot_pool()
