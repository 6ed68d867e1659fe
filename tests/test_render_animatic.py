"""The animatic as a viewer sees it, measured on its frames: shot sizes frame
the subject, camera moves move what they should, the same character and the
same place look the same in every shot, every biome draws a real scene."""

from __future__ import annotations

import itertools
import types

import numpy as np
import pytest

from storyagent.renderers import framing
from storyagent.renderers.base import ShotJob, get_renderer
from storyagent.renderers.framing import Body
from storyagent.renderers.layout import ShotLayout
from storyagent.storyboard import ShotSize
from storyagent.world import world
from tests.helpers.animatic_boards import BEAR, PENGUIN, board, render, shot

W, H = 320, 180
SIZES = ["extreme-wide", "wide", "full", "medium-wide", "medium", "medium-close-up", "close-up"]


def tinted(b, character: str = "pip"):
    """The same board with one character washed in magenta: the pixels that
    change between the two renders are exactly that character's."""
    data = b.model_dump()
    for c in data["characters"]:
        if c["id"] == character:
            c["visual"]["tint"] = "#ff00ff"
    return type(b).model_validate(data)


def subject_mask(b, shot_id: str, frame: int = 0, frames: int = 1, character: str = "pip") -> np.ndarray:
    plain = render(b, shot_id, frames, W, H)[frame]
    magenta = render(tinted(b, character), shot_id, frames, W, H)[frame]
    return np.abs(plain.astype(int) - magenta.astype(int)).sum(axis=2) > 30


def layout_of(b) -> ShotLayout:
    return get_renderer("animatic").layout(ShotJob(board=b, shot_id="a", frames=1, width=W, height=H, fps=24))


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    assert rows.size, "the subject is not in the frame"
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """How far the picture moved from a to b (dx, dy in pixels), by phase correlation."""
    ga, gb = a.mean(axis=2), b.mean(axis=2)
    window = np.outer(np.hanning(ga.shape[0]), np.hanning(ga.shape[1]))
    fa, fb = np.fft.fft2((ga - ga.mean()) * window), np.fft.fft2((gb - gb.mean()) * window)
    cross = fb * np.conj(fa)
    peak = np.unravel_index(np.argmax(np.abs(np.fft.ifft2(cross / (np.abs(cross) + 1e-9)))), ga.shape)
    dy, dx = (p if p <= n // 2 else p - n for p, n in zip(peak, ga.shape))
    return float(dx), float(dy)


def penguin_shot(size: str, movement: str = "static", **kw):
    return board([shot("a", size, movement, characters=[{"character": "pip"}], **kw)])


@pytest.mark.parametrize("size", ["extreme-wide", "wide", "full"])
def test_shot_size_covers_its_fraction_of_the_frame(size: str) -> None:
    """The penguin (all head) fills the share of the frame height the framing table aims at."""
    _, top, _, bottom = bbox(subject_mask(penguin_shot(size), "a"))
    assert (bottom - top) / H == pytest.approx(framing.aim(ShotSize(size), Body.ALL_HEAD).coverage, rel=0.12, abs=3 / H)


def test_closer_shot_sizes_show_more_of_the_subject() -> None:
    areas = [subject_mask(penguin_shot(size), "a").mean() for size in SIZES]
    assert all(b >= a * 0.98 for a, b in itertools.pairwise(areas)), areas
    assert areas[0] < 0.02 and areas[-1] > 0.5


def test_pan_moves_the_background_sideways_and_tilt_vertically() -> None:
    for movement, axis in (("pan-right", 0), ("pan-left", 0), ("tilt-up", 1), ("tilt-down", 1)):
        b = board([shot("a", "wide", movement, characters=[])], biome="city")
        frames = render(b, "a", 24, W, H)
        dx, dy = shift(frames[0], frames[-1])
        moved, still = (dx, dy) if axis == 0 else (dy, dx)
        assert abs(moved) > 0.1 * (W if axis == 0 else H), (movement, dx, dy)
        assert abs(still) <= 2, (movement, dx, dy)
        sign = {"pan-right": -1, "pan-left": 1, "tilt-up": 1, "tilt-down": -1}[movement]
        assert np.sign(moved) == sign, (movement, dx, dy)  # pan right: the world slides left


def test_dolly_in_grows_the_subject() -> None:
    b = penguin_shot("full", "dolly-in")
    first, last = bbox(subject_mask(b, "a", 0, 24)), bbox(subject_mask(b, "a", 23, 24))
    assert (last[3] - last[1]) > 1.4 * (first[3] - first[1])


def test_tracking_keeps_the_subject_framed_while_the_world_scrolls() -> None:
    b = board([shot("a", "full", "tracking", characters=[{"character": "pip", "motion": "walk",
                                                          "direction": "left-to-right"}], duration=3)], biome="forest")
    first, last = bbox(subject_mask(b, "a", 0, 48)), bbox(subject_mask(b, "a", 47, 48))
    assert abs((first[0] + first[2]) - (last[0] + last[2])) / 2 < 0.03 * W
    frames = render(b, "a", 48, W, H)
    background = (slice(0, H // 3), slice(None))  # the sky and far hills, above the subject
    dx, _ = shift(frames[0][background], frames[-1][background])
    assert dx < -2, "the far scenery should drift left as the camera follows the walker right"
    near = np.abs(frames[0][H - 12:].astype(int) - frames[-1][H - 12:].astype(int)).mean()
    assert near > 1, "the ground near the camera should scroll too"


def test_same_character_renders_identically_in_two_shots() -> None:
    scenes = [
        {"id": "s1", "location": "ice", "shots": [shot("a", "full")]},
        {"id": "s2", "location": "woods", "shots": [shot("b", "full")]},
    ]
    woods = {"id": "woods", "name": "Woods", "biome": "forest", "seed": 3}
    b = board([], scenes=scenes, extra_locations=[woods])
    inner = subject_mask(b, "a", character="nanuk")
    for _ in range(2):  # leave out the anti-aliased rim, where the background shows through
        inner = inner & np.roll(inner, 1, 0) & np.roll(inner, -1, 0) & np.roll(inner, 1, 1) & np.roll(inner, -1, 1)
    assert inner.sum() > 500
    one, two = render(b, "a", 1, W, H)[0], render(b, "b", 1, W, H)[0]
    assert not np.array_equal(one, two), "the two places should differ"
    # Where two of a figure's shapes meet, their anti-aliased edges let a trace of the background through.
    assert np.abs(one[inner].astype(int) - two[inner].astype(int)).max() <= 12


def test_same_location_renders_the_same_background_in_every_shot() -> None:
    scenes = [
        {"id": "s1", "location": "ice", "shots": [shot("a", "wide", characters=[])]},
        {"id": "s2", "location": "ice2", "shots": [shot("b", "wide", characters=[])]},
        {"id": "s3", "location": "ice", "shots": [shot("c", "wide", characters=[])]},
    ]
    other = {"id": "ice2", "name": "Other ice", "biome": "sea-ice", "seed": 99}
    b = board([], scenes=scenes, extra_locations=[other], props=["iceberg"])
    a, other_place, c = (render(b, s, 1, W, H)[0] for s in "abc")
    assert np.array_equal(a, c)
    assert not np.array_equal(a, other_place), "another seed should lay the place out differently"


@pytest.mark.parametrize("biome", world().biome_names())
def test_every_biome_draws_a_scene(biome: str) -> None:
    frame = render(board([shot("a", "wide")], biome=biome), "a", 1, W, H)[0]
    colours = len(np.unique(frame.reshape(-1, 3) // 8, axis=0))
    assert frame.std() > 8 and colours > 40, (biome, frame.std(), colours)


def test_biomes_and_times_of_day_look_different() -> None:
    means = {
        (biome, time): render(board([shot("a", "wide")], biome=biome, time_of_day=time), "a", 1, W, H)[0].mean(axis=(0, 1))
        for biome in ("sea-ice", "forest", "desert", "underwater") for time in ("day", "night")
    }
    for (biome, time), colour in means.items():
        if time == "night":
            assert colour.mean() < means[(biome, "day")].mean() * 0.8, biome
    day = [means[(b, "day")] for b in ("sea-ice", "forest", "desert", "underwater")]
    assert min(np.abs(a - b).sum() for i, a in enumerate(day) for b in day[i + 1:]) > 20


def test_weather_falls() -> None:
    still = board([shot("a", "wide", characters=[])], weather="clear")
    snowing = board([shot("a", "wide", characters=[])], weather="snow")
    calm = render(still, "a", 12, W, H)
    snow = render(snowing, "a", 12, W, H)
    sky = slice(0, H // 3)  # a clear sky changes only where its few clouds drift; falling snow fills it
    calm_sky, snow_sky = (np.abs(f[0][sky].astype(int) - f[-1][sky].astype(int)).sum(axis=2).astype(bool).mean()
                          for f in (calm, snow))
    assert snow_sky > 0.02 and snow_sky > 5 * calm_sky, (calm_sky, snow_sky)


def test_the_renderer_streams_exactly_the_frames_asked() -> None:
    b = board([shot("a", "full", "handheld", characters=[{"character": "nanuk", "motion": "walk"},
                                                         {"character": "pip", "motion": "jump"}])])
    job = ShotJob(board=b, shot_id="a", frames=37, width=W, height=H, fps=24)
    stream = get_renderer("animatic").frames(job)
    assert isinstance(stream, types.GeneratorType)
    frames = list(stream)
    assert len(frames) == 37
    assert all(f.shape == (H, W, 4) and f.dtype == np.uint8 for f in frames)
    assert all((f[..., 3] == 255).all() for f in frames), "the picture is opaque: the encoder ignores alpha"
    assert not np.array_equal(frames[0], frames[-1]), "handheld and walking should move"


@pytest.mark.parametrize("nanuk,pip", [
    ({"motion": "dance"}, {"motion": "jump"}),
    ({"motion": "walk", "direction": "left-to-right"}, {"motion": "run", "direction": "right-to-left"}),
])
def test_two_characters_never_overlap(nanuk: dict, pip: dict) -> None:
    b = board([shot("a", "wide", characters=[{"character": "nanuk", **nanuk}, {"character": "pip", **pip}])])
    for frame in (0, 11, 23):
        bear, penguin = bbox(subject_mask(b, "a", frame, 24, "nanuk")), bbox(subject_mask(b, "a", frame, 24, "pip"))
        assert bear[2] <= penguin[0] or penguin[2] <= bear[0], (bear, penguin)


def test_facing_follows_screen_direction() -> None:
    def facing(direction: str) -> np.ndarray:
        b = board([shot("a", "full", characters=[{"character": "pip", "direction": direction}])])
        return subject_mask(b, "a")

    right, left = facing("left-to-right"), facing("right-to-left")
    assert not np.array_equal(right, left)
    assert np.array_equal(right[:, ::-1].any(axis=1), left.any(axis=1))  # a mirror image


def test_characters_keep_their_relative_size() -> None:
    b = board([shot("a", "wide", characters=[{"character": "nanuk"}, {"character": "pip"}])])
    bear, penguin = bbox(subject_mask(b, "a", character="nanuk")), bbox(subject_mask(b, "a", character="pip"))
    ratio = (bear[3] - bear[1]) / (penguin[3] - penguin[1])
    assert ratio == pytest.approx(BEAR["visual"]["scale"] / PENGUIN["visual"]["scale"], rel=0.12)


def test_a_group_is_drawn_as_several_side_by_side() -> None:
    def with_count(count: int):
        b = board([shot("a", "wide", characters=[{"character": "pip", "motion": "walk"}])])
        b.characters[1].visual.count = count
        return b

    def widths(count: int) -> list[float]:  # each member's drawn width and the group's, in world units
        frame = layout_of(with_count(count)).frames[0]
        boxes = [figure.box for figure in frame.figures]
        spans = [(box[2] - box[0]) for box in boxes] + [max(b[2] for b in boxes) - min(b[0] for b in boxes)]
        return [span / frame.camera.pixels_per_unit for span in spans]

    [alone, _], colony = widths(1), widths(3)
    assert len(colony) == 4
    assert colony[-1] > 1.6 * alone  # side by side, the rows behind smaller: further away
    assert all(width < alone for width in colony[1:3])


def test_close_shots_of_a_drawn_body_frame_its_whole_head_ever_larger() -> None:
    """The polar bear emoji is a head on a drawn body: close sizes frame the head, ears and all."""
    from storyagent.renderers.animatic.renderer import ShotScene

    tops, distances = [], []
    for size in ("medium", "medium-close-up", "close-up", "extreme-close-up"):
        b = board([shot("a", size)])
        tops.append(bbox(subject_mask(b, "a", character="nanuk"))[1])
        distances.append(ShotScene.build(b, "a", W, H, 2.0).view_at(1.0).distance)
    assert all(top > 0 for top in tops[1:3]), tops  # nothing cropped above the ears
    assert all(far > near for far, near in itertools.pairwise(distances)), distances


def test_a_swimmer_in_open_water_shows_only_above_the_waterline() -> None:
    def drawn_height(biome: str) -> float:  # in world units
        b = board([shot("a", "full", characters=[{"character": "nanuk", "motion": "swim"}])], biome=biome)
        frame = layout_of(b).frames[0]
        _, top, _, bottom = frame.figures[0].box
        return (bottom - top) / frame.camera.pixels_per_unit

    assert drawn_height("open-sea") < 0.75 * drawn_height("sea-ice")


# -- a thing being built, a storm -------------------------------------------


def building_board(progress: float | None) -> object:
    snowman = {"character": "snowman", "progress": progress} if progress is not None else {"character": "snowman"}
    data = board([shot("a", "full", characters=[])], biome="grassland").model_dump()
    data["characters"].append({"id": "snowman", "name": "Snowman", "visual": {"keywords": ["snowman"]}})
    data["scenes"][0]["shots"][0]["characters"] = [snowman]
    return type(board([shot("a", characters=[])])).model_validate(data)


def matte_of(b) -> np.ndarray:
    """Where the thing is drawn: its matte pass (the same camera as the picture), as a mask."""
    job = ShotJob(board=b, shot_id="a", frames=1, width=W, height=H, fps=24)
    return next(iter(get_renderer("animatic").matte(job))).any(axis=2)


def test_a_thing_being_built_stands_only_up_to_its_progress() -> None:
    whole, half = matte_of(building_board(None)), matte_of(building_board(0.5))
    top, bottom = np.flatnonzero(whole.any(axis=1))[[0, -1]]
    upper = slice(top, top + (bottom - top) * 2 // 5)
    lower = slice(bottom - (bottom - top) // 4, bottom)
    assert not half[upper].any(), "nothing above the built part"
    assert (half[lower] == whole[lower]).mean() > 0.9, "the bottom stands as it will"
    assert np.array_equal(render(building_board(1.0), "a", 1, W, H)[0], render(building_board(None), "a", 1, W, H)[0]), \
        "1 is whole"


def test_before_the_work_starts_a_small_pile_of_material_lies_there() -> None:
    empty = render(board([shot("a", "full", characters=[])], biome="grassland"), "a", 1, W, H)[0].astype(int)
    whole = render(building_board(None), "a", 1, W, H)[0].astype(int)
    pile = render(building_board(0.0), "a", 1, W, H)[0].astype(int)
    heap = (np.abs(pile - empty).sum(axis=2) > 30).mean()
    assert 0 < heap < 0.25 * (np.abs(whole - empty).sum(axis=2) > 30).mean()


def test_a_storm_darkens_the_sky_and_lightning_flashes_now_and_then() -> None:
    def sky(weather: str, frames: int = 1) -> list[np.ndarray]:
        stormy = board([shot("a", "wide", characters=[], duration=5.0)], biome="grassland", weather=weather)
        return [f[: H // 3].astype(int).mean() for f in render(stormy, "a", frames, W, H, fps=10)]

    assert sky("storm")[0] < sky("cloudy")[0] - 30
    storm = sky("storm", 50)
    assert max(storm) > min(storm) + 25, "a flash lights the sky"
    assert sum(level > min(storm) + 25 for level in storm) < 10, "a flash, not a lit sky"
    rain = sky("rain", 50)
    assert max(rain) - min(rain) < 10
