"""Sound effects: every tag is heard, none clips, each is as long as asked."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from storyagent.sound.effects import EFFECTS, ambience_for, render_cue, render_effect, resolve_tag
from storyagent.storyboard import Location

REQUIRED = [
    "wind", "blizzard", "waves", "splash", "underwater", "footsteps-snow", "footsteps-ice", "footsteps-sand",
    "footsteps-wood", "ice-crack", "gulls", "penguin-colony", "animal-call", "whoosh", "thunder", "rain",
    "fire-crackle", "crowd-cheer", "heartbeat", "magic-chime", "ship-horn", "engine", "city-traffic",
    "forest-birds", "crickets", "door", "bell",
]
SR = 48000


def test_the_library_has_every_required_effect():
    assert set(REQUIRED) <= set(EFFECTS) and len(EFFECTS) >= 25


@pytest.mark.parametrize("tag", sorted(EFFECTS))
def test_effect_is_heard_without_clipping_at_the_requested_length(tag):
    audio = render_effect(tag, 3.0, SR, seed=3)
    assert audio.shape == (3 * SR,) and audio.dtype == np.float32
    assert np.all(np.isfinite(audio))
    assert np.max(np.abs(audio)) <= 10 ** (-1 / 20) + 1e-6  # under -1 dBFS
    frames = audio[: len(audio) // 480 * 480].reshape(-1, 480)
    heard = np.sqrt(np.mean(frames**2, axis=1)) > 10 ** (-50 / 20)
    assert heard.mean() > 0.1, "mostly silent"
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    assert spectrum[np.fft.rfftfreq(len(audio), 1 / SR) > 100].sum() > 0.05 * spectrum.sum()  # audible on small speakers


def test_seeds_vary_an_effect_and_repeat_it():
    a, b, a2 = (render_effect("gulls", 2.0, SR, seed=s) for s in (1, 2, 1))
    assert np.array_equal(a, a2)
    assert not np.allclose(a, b)


def test_short_and_odd_lengths_are_exact():
    for seconds in (0.05, 0.3, 1.234):
        assert len(render_effect("splash", seconds, SR)) == round(seconds * SR)


def test_close_names_resolve_and_unknown_tags_are_skipped_with_a_warning(caplog):
    assert resolve_tag("Seagulls") == "gulls"
    assert resolve_tag("footsteps snow") == "footsteps-snow"
    assert resolve_tag("penguin colony") == "penguin-colony"
    assert resolve_tag("blizard") == "blizzard"
    with caplog.at_level(logging.WARNING):
        assert render_cue("theremin-solo", 1.0, SR) is None
    assert "theremin-solo" in caplog.text


def test_places_have_ambience_from_biome_and_weather():
    def beds(**fields):
        return {tag for tag, _ in ambience_for(Location(id="x", name="X", **fields))}

    assert beds(biome="sea-ice", weather="snow") == {"wind"}
    assert beds(biome="snowy-mountains", weather="storm") == {"wind", "blizzard"}
    assert "waves" in beds(biome="open-sea") and "gulls" in beds(biome="coast")
    assert beds(biome="forest", time_of_day="night") == {"crickets"}
    assert beds(biome="city", weather="rain") == {"city-traffic", "rain"}
    assert "thunder" in beds(biome="grassland", weather="storm")
