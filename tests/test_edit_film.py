"""The editor, judged the way a viewer would: the right streams, exactly the
timeline's frames, dissolves that blend, fades that reach black, a wipe with a
moving edge, audible sound and readable subtitles."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from storyagent.edit.assemble import assemble
from storyagent.errors import RenderError
from storyagent.media.video import ffmpeg_exe, probe, read_frames
from tests.helpers import edit_synthetic as syn

# A region clear of the moving square (top) and of the subtitles (bottom).
PLAIN = (slice(80, 120), slice(200, 300))


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    folder = tmp_path_factory.mktemp("film")
    tl = syn.timeline(folder)
    srt = syn.write_srt(folder / "subtitles.srt", tl)
    out = assemble(
        tl,
        syn.shot_clips(folder, tl),
        syn.card_frames(tl),
        syn.write_tone(folder / "mix.wav", tl.duration - 0.5),  # a mix a little short: the film still ends on time
        folder / "film.mp4",
        srt,
        syn.write_ass(folder / "subtitles.ass", srt),
    )
    frames = [frame[PLAIN].reshape(-1, 3).mean(axis=0) for frame in read_frames(out, tl.width, tl.height)]
    return tl, out, np.array(frames)


def test_streams_are_h264_aac_and_a_soft_subtitle_track(film):
    tl, out, _ = film
    info = probe(out)
    assert [(s.kind, s.codec) for s in info.streams] == [("video", "h264"), ("audio", "aac"), ("subtitle", "mov_text")]
    assert info.video.pix_fmt == "yuv420p"
    assert (info.width, info.height, info.fps) == (tl.width, tl.height, tl.fps)


@pytest.mark.parametrize("ffprobe", ["as installed", "hidden"])
def test_length_is_the_timelines_to_the_frame(film, ffprobe, request):
    if ffprobe == "hidden":  # what a pip-only user gets: the probe reads ffmpeg's own output
        request.getfixturevalue("no_ffprobe")
    tl, out, frames = film
    assert len(frames) == tl.frame_count
    info = probe(out)
    assert info.video.frames == tl.frame_count
    assert abs(info.duration - tl.duration) <= 1 / tl.fps
    assert abs(info.first("audio").duration - tl.duration) <= 1 / tl.fps


def test_moov_atom_comes_first_for_streaming(film):
    head = film[1].read_bytes()[:200_000]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")


def test_cards_open_and_close_the_film(film):
    *_, frames = film
    assert np.allclose(frames[0], syn.CARD_COLOURS["title"], atol=4)
    assert np.allclose(frames[-1], syn.CARD_COLOURS["credits"], atol=4)


def test_a_dissolve_blends_the_two_shots(film):
    tl, _, frames = film
    shot = tl.shot("s2")
    first, n = tl.frames(shot.start), tl.frames(shot.transition_in_duration)
    a, b = np.array(syn.colour_of("s1")), np.array(syn.colour_of("s2"))
    share_of_b = [float(np.dot(frames[i] - a, b - a) / np.dot(b - a, b - a)) for i in range(first, first + n)]
    assert np.allclose(frames[first - 1], a, atol=4) and np.allclose(frames[first + n], b, atol=4)
    assert all(0.0 < s < 1.0 for s in share_of_b)  # every overlapped frame shows both shots
    assert all(later > earlier for earlier, later in itertools.pairwise(share_of_b))
    middle = frames[first + n // 2]
    assert np.allclose(middle, (a + b) / 2, atol=25)


def test_a_fade_goes_through_black(film):
    tl, _, frames = film
    out_shot, in_shot = tl.shot("s4"), tl.shot("s5")
    last, first = tl.frames(out_shot.end) - 1, tl.frames(in_shot.start)
    brightness = frames.mean(axis=1)
    assert brightness[last] < 3 and brightness[first] < 3
    fading = brightness[last - tl.frames(out_shot.transition_out_duration) : last + 1]
    rising = brightness[first : first + tl.frames(in_shot.transition_in_duration) + 1]
    assert all(np.diff(fading) < 0) and all(np.diff(rising) > 0)
    assert brightness[tl.frames(tl.shot("s1").start)] < 3  # the first shot fades in from black too


def test_a_wipe_moves_its_edge_across_the_frame(film):
    tl, out, _ = film
    shot = tl.shot("s3")
    first, n = tl.frames(shot.start), tl.frames(shot.transition_in_duration)
    old, new = np.array(syn.colour_of("s2")), np.array(syn.colour_of("s3"))
    edges = []
    for i, frame in enumerate(read_frames(out, tl.width, tl.height)):
        if first <= i < first + n:
            row = frame[100].astype(int)
            edge = int(np.argmin(np.abs(row - new).sum(axis=1) < 30))  # first column not yet in the new shot
            edges.append(edge)
            # the old shot still covers the right, past the soft edge
            assert (np.abs(row[edge + 12 :] - old).sum(axis=1) < 30).all()
    assert edges[0] < tl.width * 0.2 and edges[-1] > tl.width * 0.8
    assert all(later > earlier for earlier, later in itertools.pairwise(edges))


def test_the_mix_is_audible(film):
    _, out, _ = film
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(out), "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(raw, np.int16).astype(float) / 32768
    rms = np.sqrt(np.mean(samples[: 16000 * 5] ** 2))
    assert rms > 0.1  # a 0.3-amplitude tone measures ~0.21


def test_soft_subtitles_carry_every_line(film):
    tl, out, _ = film
    text = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(out), "-map", "0:s", "-f", "srt", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for placement in tl.voice:
        assert placement.line.text in text


def test_burned_subtitles_are_drawn_while_a_line_is_spoken(film):
    tl, out, _ = film
    line = tl.voice[2]
    during = tl.frames(line.start + line.line.duration / 2)
    silent = tl.frames(tl.shot(line.line.shot_id).start) + 2
    bottom = {}
    for i, frame in enumerate(read_frames(out, tl.width, tl.height)):
        if i in (during, silent):
            bottom[i] = frame[-40:].max(axis=2)
    assert (bottom[during] > 220).sum() > 100  # white letters over the flat colour
    assert (bottom[silent] > 220).sum() == 0


def test_burned_chinese_subtitles_draw_real_glyphs(tmp_path):
    import pysubs2

    tl = syn.timeline(tmp_path)
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"], subs.info["PlayResY"] = str(tl.width), str(tl.height)
    subs.styles["Default"].fontname, subs.styles["Default"].fontsize = "Noto Sans SC", 40
    subs.append(pysubs2.SSAEvent(start=1000, end=2000, text="北极熊"))
    subs.append(pysubs2.SSAEvent(start=3000, end=4000, text="企鹅们"))
    subs.save(str(tmp_path / "zh.ass"))
    out = assemble(tl, syn.shot_clips(tmp_path, tl), syn.card_frames(tl), syn.write_tone(tmp_path / "mix.wav", 1.0),
                   tmp_path / "film.mp4", None, tmp_path / "zh.ass")
    wanted = {tl.frames(1.5): "bear", tl.frames(3.5): "penguins"}
    lit = {wanted[i]: frame[-60:].min(axis=2) > 200 for i, frame in enumerate(read_frames(out, tl.width, tl.height))
           if i in wanted}
    assert lit["bear"].sum() > 200 and lit["penguins"].sum() > 200
    # Missing glyphs would be drawn as identical empty boxes; different words must differ.
    assert (lit["bear"] ^ lit["penguins"]).sum() > 0.3 * (lit["bear"] | lit["penguins"]).sum()


def test_a_missing_clip_or_a_short_one_is_named(film, tmp_path):
    tl, _, _ = film
    mix = syn.write_tone(tmp_path / "mix.wav", 1.0)
    clips = {s.shot_id: tmp_path / "none.mp4" for s in tl.shots}
    with pytest.raises(RenderError, match="none.mp4: shot clip not found"):
        assemble(tl, clips, syn.card_frames(tl), mix, tmp_path / "film.mp4", None)
    short_title = dict(syn.card_frames(tl), title=lambda: syn.moving_square((0, 0, 0), 3, tl.width, tl.height))
    clips = syn.shot_clips(tmp_path, tl)
    with pytest.raises(RenderError, match="title card: ran out after 3 frames; the timeline needs 24"):
        assemble(tl, clips, short_title, mix, tmp_path / "film.mp4", None)
    assert not any(p.suffix == ".mp4" for p in tmp_path.iterdir())  # no half-written film


_MEASURE = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path
    import psutil
    from tests.helpers import edit_synthetic as syn
    from storyagent.edit.assemble import assemble
    from storyagent.timeline import Timeline

    folder = Path(sys.argv[1])
    tl = Timeline.model_validate_json((folder / "timeline.json").read_text())
    clips = {s.shot_id: folder / "shots" / f"{s.shot_id}.mp4" for s in tl.shots}
    peak = {"python": 0, "total": 0}
    done = False

    # Sampled, not ru_maxrss: a child's ru_maxrss starts at its parent's size when forked.
    def sample():  # this process alone, and with its ffmpeg encoder and decoders
        me = psutil.Process()
        while not done:
            try:
                python = me.memory_info().rss
                total = python + sum(p.memory_info().rss for p in me.children(recursive=True))
            except psutil.Error:
                continue
            peak["python"], peak["total"] = max(peak["python"], python), max(peak["total"], total)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    assemble(tl, clips, syn.card_frames(tl), folder / "mix.wav", folder / "film.mp4", folder / "s.srt")
    done = True
    sampler.join()
    print(json.dumps({"python_kb": peak["python"] // 1024, "total_kb": peak["total"] // 1024}))
    """
)


def test_memory_does_not_grow_with_film_length(tmp_path):
    def measure(repeat: int) -> dict:
        folder = tmp_path / f"r{repeat}"
        tl = syn.timeline(folder, repeat=repeat)
        (folder / "timeline.json").write_text(tl.model_dump_json())
        syn.shot_clips(folder, tl)
        syn.write_tone(folder / "mix.wav", tl.duration)
        syn.write_srt(folder / "s.srt", tl)
        run = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(Path(__file__).parents[1]), "PATH": "/usr/bin:/bin"},
        )
        return {"seconds": tl.duration, **json.loads(run.stdout)}

    short, long = measure(1), measure(4)
    assert long["seconds"] > 3 * short["seconds"]
    # Holding the frames would cost 170 kB each: ~160 MB more for the long film.
    assert long["python_kb"] < short["python_kb"] * 1.1
    assert long["total_kb"] < short["total_kb"] * 1.2


def test_shots_in_pieces_make_the_same_film_encoding_only_the_blends(film, tmp_path):
    tl, whole_film, _ = film
    clips = syn.shot_clips(tmp_path, tl, pieces=True)
    segments = tmp_path / "segments"
    out = assemble(tl, clips, syn.card_frames(tl), syn.write_tone(tmp_path / "mix.wav", tl.duration),
                   tmp_path / "film.mp4", None, segments_dir=segments)
    assert probe(out).video.frames == tl.frame_count
    for whole, pieced in zip(read_frames(whole_film, tl.width, tl.height), read_frames(out, tl.width, tl.height), strict=True):
        assert np.abs(whole[:120].astype(int) - pieced[:120].astype(int)).mean() < 3  # above the burned subtitles
    encoded = sum(probe(piece).video.frames for piece in segments.glob("*.mp4"))
    blended = sum(sum(tl.edges(s.shot_id)) for s in tl.shots) - sum(tl.overlap_frames(i) for i in range(len(tl.shots)))
    cards = sum(tl.frames(c.duration) for c in tl.cards)
    assert encoded == cards + blended  # each shot's body joins the film as the render worker encoded it
