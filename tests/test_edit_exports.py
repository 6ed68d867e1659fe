"""Exports an editor opens: the OTIO timeline and the EDL show the same cut as
the film, frame for frame; film.json records what made it."""

from __future__ import annotations

import json
import re

import opentimelineio as otio
import pytest

from storyagent.export.contact_sheet import write_contact_sheet_pdf
from storyagent.export.manifest import FilmInfo, write_film_manifest
from storyagent.export.otio import build_otio, write_edl, write_otio
from tests.helpers import edit_synthetic as syn


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("film")
    tl = syn.timeline(folder)
    clips = syn.shot_clips(folder, tl)
    stems = {name: syn.write_tone(folder / "stems" / f"{name}.wav", tl.duration) for name in ("music", "effects")}
    otio_path = write_otio(tl, clips, stems, folder / "timeline.otio", name="Test Film")
    film = build_otio(tl, clips, stems, name="Test Film", relative_to=folder)
    edl_path = write_edl(film, folder / "timeline.edl")
    assert len(film.tracks) == 4  # the EDL leaves the caller's timeline whole
    return tl, folder, otio.adapters.read_from_file(str(otio_path)), edl_path


def frames(t: otio.opentime.RationalTime) -> int:
    return round(t.to_frames())


def test_otio_opens_and_lasts_as_long_as_the_film(exported):
    tl, _, film, _ = exported
    assert frames(film.duration()) == tl.frame_count
    assert [(t.kind, t.name) for t in film.tracks] == [
        ("Video", "Picture"), ("Audio", "Voice"), ("Audio", "Music"), ("Audio", "Effects"),
    ]
    for track in film.tracks[2:]:
        assert frames(track.duration()) == tl.frame_count


def test_the_picture_track_cuts_where_the_film_does(exported):
    tl, folder, film, _ = exported
    picture = film.tracks[0]
    clips = list(picture.find_clips())
    assert [c.name for c in clips] == ["title card", *[s.shot_id for s in tl.shots], "credits card"]
    for clip in clips[1:-1]:
        shot = tl.shot(clip.name)
        placed = clip.range_in_parent()
        assert tl.frames(shot.start) <= frames(placed.start_time)
        assert frames(placed.end_time_exclusive()) <= tl.frames(shot.end)
        assert (folder / clip.media_reference.target_url).is_file()  # relative to the .otio file


def test_dissolves_and_wipes_overlap_exactly_the_frames_the_film_blends(exported):
    tl, _, film, _ = exported
    picture = film.tracks[0]
    transitions = [item for item in picture if isinstance(item, otio.schema.Transition)]
    assert [(t.name, t.transition_type) for t in transitions] == [("dissolve", "SMPTE_Dissolve"), ("wipe", otio.schema.TransitionTypes.Custom)]
    for transition, incoming, outgoing in zip(transitions, ("s2", "s3"), ("s1", "s2")):
        span = picture.range_of_child(transition)
        assert frames(span.start_time) == tl.frames(tl.shot(incoming).start)
        assert frames(span.end_time_exclusive()) == tl.frames(tl.shot(outgoing).end)
        before, after = picture.neighbors_of(transition)
        # The handles the transition uses lie inside the clip files.
        assert frames(after.source_range.start_time - transition.in_offset) >= 0
        assert (frames(before.source_range.end_time_exclusive() + transition.out_offset)
                <= frames(before.media_reference.available_range.end_time_exclusive()))


def test_fades_are_marked_on_their_clips(exported):
    _, _, film, _ = exported
    effects = {c.name: [e.effect_name for e in c.effects] for c in film.tracks[0].find_clips()}
    assert effects["s1"] == ["FadeIn"] and effects["s4"] == ["FadeOut"] and effects["s5"] == ["FadeIn", "FadeOut"]


def test_voice_lines_sit_where_they_are_heard(exported):
    tl, _, film, _ = exported
    voice = list(film.tracks[1].find_clips())
    assert len(voice) == len(tl.voice)
    for clip, placement in zip(voice, tl.voice):
        assert clip.range_in_parent().start_time.to_seconds() == pytest.approx(placement.start, abs=1e-6)
        assert clip.metadata["storyagent"]["text"] == placement.line.text


def test_the_edl_reads_back_as_the_same_cut(exported):
    tl, _, _, edl_path = exported
    back = otio.adapters.read_from_file(str(edl_path), rate=tl.fps)
    assert [t.kind for t in back.tracks] == ["Video"]  # CMX 3600 holds the picture only
    picture = back.tracks[0]
    assert frames(picture.duration()) == tl.frame_count
    assert sum(isinstance(item, otio.schema.Transition) for item in picture) == 2
    starts = {c.name: frames(c.range_in_parent().start_time) for c in picture.find_clips()}
    for shot in tl.shots:  # an EDL event starts where its shot first shows (a dissolve's start)
        assert starts[shot.shot_id] == tl.frames(shot.start)


def test_film_json_records_what_made_the_film(tmp_path):
    info = FilmInfo(
        title="Test Film", planner="template", renderer="animatic", voice_engine="piper:en_US-joe-medium",
        duration=13.0, frame_count=312, fps=24, width=320, height=180,
        seeds={"film": 7}, stage_seconds={"render": 1.5}, paths={"film": "film.mp4"},
    )
    path = write_film_manifest(tmp_path / "film.json", info)
    data = json.loads(path.read_text())
    assert FilmInfo.model_validate(data) == info
    assert {"python", "storyagent", "opentimelineio", "ffmpeg"} <= set(data["versions"])
    assert [p.name for p in tmp_path.iterdir()] == ["film.json"]


def test_the_contact_sheet_pdf_is_one_page_holding_the_whole_image(tmp_path):
    from PIL import Image

    Image.new("RGB", (1200, 800), (200, 100, 50)).save(tmp_path / "contact-sheet.png")
    pdf = write_contact_sheet_pdf(tmp_path / "contact-sheet.png", tmp_path / "contact-sheet.pdf", title="Test Film")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", data)) == 1
    assert b"/MediaBox [0 0 900.00 600.00]" in data  # the image's proportions
    assert b"/Width 1200" in data and b"/Height 800" in data  # at full resolution
