"""Faces that act: a speaker's mouth (a bird's beak) opens as loud as its line is at each instant, and a
sleeper's eyes are closed, drawn over the emoji's own face."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from storyagent.cast import assign_cast
from storyagent.renderers.animatic import face
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.renderers.speech import RATE, Speech
from storyagent.storyboard import Storyboard
from tests.helpers.animatic_boards import board, shot

W, H, FPS = 480, 270, 12


def frames(b: Storyboard, shot_id: str, count: int, speech: list[Speech] = ()) -> np.ndarray:
    job = ShotJob(board=b, shot_id=shot_id, frames=count, width=W, height=H, fps=FPS, speech=list(speech))
    return np.stack([frame[..., :3].astype(int) for frame in get_renderer("animatic").frames(job)])


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b).sum(axis=-1) > 40


# A line of 2 s that rises and falls twice, silent for a moment between.
ENVELOPE = [round(max(0.0, math.sin(2 * math.pi * i / (RATE * 1.0))), 2) for i in range(2 * RATE)]


@pytest.mark.parametrize(("who", "size"), [("nanuk", "close-up"), ("pip", "close-up"), ("nanuk", "wide")])
def test_the_mouth_opens_as_loud_as_the_line_is(who: str, size: str) -> None:
    b = assign_cast(board([shot("a", size, characters=[{"character": who, "action": "talks"}], duration=2.0)]))
    speech = [Speech(character=who, start=0.25, levels=ENVELOPE)]
    talking, quiet = frames(b, "a", 2 * FPS, speech), frames(b, "a", 2 * FPS)
    mouth = np.array([changed(t, q).sum() for t, q in zip(talking, quiet, strict=True)])
    level = np.array([speech[0].level(i / FPS) for i in range(2 * FPS)])
    assert np.corrcoef(mouth, level)[0, 1] > 0.9
    assert (mouth[level < face.QUIET] == 0).all()  # shut, it is the emoji's own mouth
    head = get_renderer("animatic").layout(ShotJob(board=b, shot_id="a", frames=1, width=W, height=H, fps=FPS))
    x0, y0, x1, y1 = head.frames[0].figures[0].head
    # Wide open, it is a mouth: dark, in the face, a few hundredths of the head whatever the shot's size.
    widest = int(np.argmax(mouth))
    inside = changed(talking[widest], quiet[widest])
    ys, xs = np.nonzero(inside)
    assert x0 <= xs.mean() <= x1 and y0 <= ys.mean() <= y1
    assert talking[widest][inside].mean() < 80
    share = mouth.max() / ((min(x1, W) - max(x0, 0)) * (min(y1, H) - max(y0, 0)))
    print(who, size, mouth.max(), share)
    assert 0.01 < share < 0.12


def test_speech_moves_no_figure() -> None:
    b = assign_cast(board([shot("a", "medium", characters=[{"character": "nanuk", "action": "talks"}])]))
    job = ShotJob(board=b, shot_id="a", frames=6, width=W, height=H, fps=FPS)
    speaking = job.model_copy(update={"speech": [Speech(character="nanuk", start=0.0, levels=[1.0] * 20)]})
    assert get_renderer("animatic").layout(speaking) == get_renderer("animatic").layout(job)


@pytest.mark.parametrize(("icon", "eyes"), [("bear", 2), ("person", 2), ("penguin", 2), ("cat", 1)])
def test_a_sleeper_closes_its_eyes(icon: str, eyes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where each eye was, the sleeper shows the colour around it with a dark lid's arc across its lower half."""
    data = board([shot("a", "medium", characters=[{"character": "nanuk", "action": "sleeps"}])]).model_dump()
    data["characters"][0]["visual"]["icon"] = icon
    b = assign_cast(Storyboard.model_validate(data))
    asleep = frames(b, "a", 1)[0]
    monkeypatch.setattr(face, "draw", lambda *args: None)
    open_eyed = frames(b, "a", 1)[0]
    patches, count = ndimage.label(ndimage.binary_closing(changed(asleep, open_eyed), iterations=4))
    sizes = ndimage.sum(np.ones_like(patches), patches, range(1, count + 1))
    assert (sizes > 30).sum() == eyes
    dark = lambda image: image @ np.array([0.299, 0.587, 0.114]) < 80
    for label in np.flatnonzero(sizes > 30) + 1:
        patch = patches == label
        rows = np.nonzero(patch)[0]
        assert dark(open_eyed)[patch].mean() > 0.15, "the patch is where an eye was"
        lid = dark(asleep) & patch
        assert 0.03 < lid.sum() / patch.sum() < 0.5, "a thin dark arc, not a dark patch"
        assert np.nonzero(lid)[0].mean() > rows.min() + 0.4 * (rows.max() - rows.min()), "the arc sags"
        colours, counts = np.unique(asleep[patch & ~dark(asleep)] // 12, axis=0, return_counts=True)
        assert counts.max() > 0.5 * patch.sum(), "most of it is one colour, the skin's"
        around = open_eyed[ndimage.binary_dilation(patch, iterations=4) & ~ndimage.binary_dilation(patch)]
        assert np.abs(np.median(around, axis=0) - colours[counts.argmax()] * 12 - 6).max() < 24
