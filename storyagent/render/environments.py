"""Procedural environments: a sky by time of day, parallax layers by biome,
props from the icon library and weather as particles, all seeded by the
location, so the same place looks the same in every shot.

Every static layer is recorded once as a `skia.Picture` in world units and
repeats sideways every `period` units, so the camera can travel any distance;
per frame the renderer only replays pictures through the camera's matrix.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field

import skia

from storyagent.cast import Place, Prop
from storyagent.render import camera, icons
from storyagent.render.camera import View
from storyagent.storyboard import Biome, TimeOfDay, Weather

RGB = tuple[float, float, float]
BELOW = 1e5  # how far a layer's ground band reaches toward the camera (world units)
COLD = {Biome.SEA_ICE, Biome.SNOWY_MOUNTAINS}


@dataclass(frozen=True)
class Light:
    sky_top: RGB
    sky_horizon: RGB
    tint: RGB  # multiplies every colour of the scene
    sun: RGB | None  # None: the moon
    sun_height: float  # above the horizon, in frame heights
    stars: bool = False


LIGHTS = {
    TimeOfDay.DAWN: Light((122, 146, 206), (252, 206, 178), (1.0, 0.94, 0.92), (255, 236, 190), 0.12),
    TimeOfDay.DAY: Light((96, 164, 232), (206, 232, 248), (1.0, 1.0, 1.0), (255, 250, 224), 0.42),
    TimeOfDay.DUSK: Light((72, 76, 150), (250, 160, 110), (1.0, 0.86, 0.8), (255, 180, 100), 0.07),
    TimeOfDay.NIGHT: Light((12, 18, 48), (44, 62, 112), (0.5, 0.56, 0.78), None, 0.34, stars=True),
}
OVERCAST = (170, 178, 190)


def mix(a: RGB, b: RGB, amount: float) -> RGB:
    return tuple(x + (y - x) * amount for x, y in zip(a, b))  # type: ignore[return-value]


def colour(rgb: RGB, alpha: float = 1.0) -> int:
    r, g, b = (max(0, min(255, round(c))) for c in rgb)
    return skia.Color(r, g, b, max(0, min(255, round(alpha * 255))))


def fill(rgb: RGB, alpha: float = 1.0) -> skia.Paint:
    return skia.Paint(Color=colour(rgb, alpha), AntiAlias=True)


@dataclass
class Layer:
    """A band of scenery at one depth; repeats every `period` world units."""

    depth: float
    period: float
    picture: skia.Picture
    drift: float = 0.0  # world units per second (waves, clouds)
    bob: float = 0.0  # vertical swell in world units (waves)


@dataclass
class Palette:
    """The colours of a place once light, weather and distance are applied."""

    light: Light
    weather: Weather
    sky_top: RGB = (0, 0, 0)
    sky_horizon: RGB = (0, 0, 0)

    def __post_init__(self) -> None:
        grey = {Weather.CLOUDY: 0.45, Weather.FOG: 0.6, Weather.STORM: 0.7, Weather.RAIN: 0.55, Weather.SNOW: 0.35}
        amount = grey.get(self.weather, 0.0)
        self.sky_top = mix(self.light.sky_top, mix(OVERCAST, self.light.sky_top, 0.3) if self.light.sun else self.light.sky_top, amount)
        self.sky_horizon = mix(self.light.sky_horizon, self.lit(OVERCAST), amount)

    def lit(self, rgb: RGB) -> RGB:
        dim = 0.85 if self.weather in (Weather.STORM, Weather.RAIN) else 1.0
        return tuple(c * t * dim for c, t in zip(rgb, self.light.tint))  # type: ignore[return-value]

    def at(self, rgb: RGB, depth: float) -> RGB:
        """A colour seen through `depth` units of air: it fades toward the horizon."""
        haze = 1 - math.exp(-depth / (260 if self.weather != Weather.FOG else 60))
        return mix(self.lit(rgb), self.sky_horizon, 0.75 * haze)

    def icon_paint(self) -> skia.Paint | None:
        if self.light.tint == (1.0, 1.0, 1.0) and self.weather not in (Weather.STORM, Weather.RAIN):
            return None
        return skia.Paint(ColorFilter=skia.ColorFilters.Blend(colour(self.lit((255, 255, 255))), skia.BlendMode.kModulate))


@dataclass
class Environment:
    """Everything drawn around the characters of one place."""

    place: Place
    palette: Palette
    ground: RGB  # the far ground, from the horizon down
    layers: list[Layer]  # far to near, behind the characters
    front: list[Layer] = field(default_factory=list)  # in front of the characters (water lines)
    sky: skia.Picture | None = None  # sun, moon, stars: at infinity, in frame heights around the horizon
    underwater: bool = False
    particles: list[tuple[skia.Picture, float, float, float]] = field(default_factory=list)  # picture, fall, wind, parallax

    # -- per frame ---------------------------------------------------------------------

    def draw_back(self, canvas: skia.Canvas, view: View, seconds: float, width: int, height: int) -> None:
        canvas.save()
        canvas.setMatrix(camera.screen_matrix(view, width, height))
        big = 6 * max(width, height)
        top, bottom = self.palette.sky_top, self.palette.sky_horizon
        if self.underwater:
            top, bottom = self.palette.lit((70, 170, 210)), self.palette.lit((18, 70, 110))
        gradient = skia.GradientShader.MakeLinear(
            [skia.Point(0, -0.95 * height), skia.Point(0, 0)], [colour(top), colour(bottom)]
        )
        canvas.drawRect(skia.Rect(-big, -big, big, 0), skia.Paint(Shader=gradient))
        if self.sky is not None:
            canvas.save()
            canvas.scale(height, height)
            canvas.drawPicture(self.sky)
            canvas.restore()
        canvas.drawRect(skia.Rect(-big, 0, big, big), fill(self.ground))
        canvas.restore()
        for layer in self.layers:
            draw_layer(canvas, layer, view, seconds, width, height)
        canvas.resetMatrix()

    def draw_front(self, canvas: skia.Canvas, view: View, seconds: float, width: int, height: int) -> None:
        for layer in self.front:
            draw_layer(canvas, layer, view, seconds, width, height)
        canvas.resetMatrix()
        for picture, fall, wind, parallax in self.particles:
            draw_particles(canvas, picture, view, seconds, fall, wind, parallax, width, height)
        if self.place.weather in (Weather.FOG, Weather.STORM):
            veil = 0.35 if self.place.weather == Weather.FOG else 0.18
            canvas.drawRect(skia.Rect(0, 0, width, height), fill(self.palette.sky_horizon, veil))


def draw_layer(canvas: skia.Canvas, layer: Layer, view: View, seconds: float, width: int, height: int) -> None:
    matrix = camera.layer_matrix(view, layer.depth, width, height)
    inverse = skia.Matrix()
    if not matrix.invert(inverse):
        return
    corners = [inverse.mapXY(x, y) for x, y in ((0, 0), (width, 0), (0, height), (width, height))]
    left, right = min(p.x() for p in corners), max(p.x() for p in corners)
    shift = (layer.drift * seconds) % layer.period
    lift = layer.bob * math.sin(seconds * 1.3 + layer.depth)
    canvas.setMatrix(matrix)
    first = math.floor((left - shift) / layer.period) - 1
    last = math.floor((right - shift) / layer.period) + 1
    for n in range(first, last + 1):
        canvas.save()
        canvas.translate(n * layer.period + shift, lift)
        canvas.drawPicture(layer.picture)
        canvas.restore()


def draw_particles(canvas: skia.Canvas, picture: skia.Picture, view: View, seconds: float, fall: float, wind: float,
                   parallax: float, width: int, height: int) -> None:
    """A tile of particles (one frame height square, in frame heights) falling and
    drifting, repeated over the frame; a pan or tilt moves it a little."""
    dx = (wind * seconds - view.yaw * parallax) % 1.0
    dy = (fall * seconds + view.pitch * parallax) % 1.0
    canvas.save()
    canvas.scale(height, height)
    for i in range(-1, math.ceil(width / height) + 1):
        for j in (-1, 0):
            canvas.save()
            canvas.translate(i + dx, j + dy)
            canvas.drawPicture(picture)
            canvas.restore()
    canvas.restore()


# -- building -------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def environment(place: Place) -> Environment:
    """The environment of a place; built once per process and reused by every shot."""
    rng = random.Random(place.seed)
    palette = Palette(LIGHTS[place.time_of_day], place.weather)
    env = BUILDERS[place.biome](place, palette, rng)
    env.sky = sky_picture(palette, rng, env.underwater, place.biome == Biome.NIGHT_SKY)
    env.particles = weather_particles(place, palette, rng, env.underwater)
    return env


def record(period: float, draw) -> skia.Picture:
    recorder = skia.PictureRecorder()
    canvas = recorder.beginRecording(skia.Rect(-period, -BELOW, 2 * period, BELOW))
    draw(canvas)
    return recorder.finishRecordingAsPicture()


def ridge(period: float, base: float, peaks: list[tuple[int, float]], rng: random.Random, *, sharp: bool,
          samples: int = 160) -> skia.Path:
    """A skyline that repeats every `period`: `peaks` are (repeats per period,
    height) pairs; sharp ridges are mountains, smooth ones hills and dunes."""
    phases = [rng.random() for _ in peaks]
    path = skia.Path()
    edge = seam(period)
    path.moveTo(-edge, BELOW)
    for i in range(samples + 1):
        x = -edge + (period + 2 * edge) * i / samples
        y = base
        for (n, h), phase in zip(peaks, phases):
            u = n * x / period + phase
            wave = 1 - abs(2 * (u % 1.0) - 1) if sharp else 0.5 + 0.5 * math.sin(2 * math.pi * u)
            y += h * (wave**1.2 if sharp else wave)
        path.lineTo(x, -y)
    path.lineTo(period + edge, BELOW)
    path.close()
    return path


def seam(period: float) -> float:
    """How far a tile reaches into its neighbours: tiles overlap by a sliver of
    identical content so no hairline shows where they meet."""
    return period * 0.002


def ground_band(canvas: skia.Canvas, period: float, rgb: RGB) -> None:
    canvas.drawRect(skia.Rect(-seam(period), 0, period + seam(period), BELOW), fill(rgb))


def place_icons(canvas: skia.Canvas, props: list[Prop], period: float, count: int, rng: random.Random,
                scale: float = 1.0, paint: skia.Paint | None = None, y: float = 0.0) -> None:
    """Icons standing on the ground (or at height -y), spread along the period."""
    if not props:
        return
    slots = sorted(rng.uniform(0.05, 0.95) * period for _ in range(count))
    for x in slots:
        prop = rng.choice(props)
        assert prop.icon is not None
        box = icons.content_box(prop.icon)
        size = prop.height * scale * rng.uniform(0.8, 1.2) / box.height
        matrix = skia.Matrix.Translate(x - size * (box.left + box.right) / 2, y - size * box.bottom)
        matrix.preScale(size, size)
        canvas.drawPicture(icons.picture(prop.icon), matrix, paint)


def icon_props(place: Place) -> list[Prop]:
    return [p for p in place.props if p.icon is not None]


def wants(place: Place, *names: str) -> bool:
    return any(p.name in names for p in place.props)


def iceberg(canvas: skia.Canvas, x: float, width: float, height: float, rng: random.Random, palette: Palette,
            depth: float) -> None:
    """A faceted iceberg: a lit face and a shadowed face."""
    peak = x + width * rng.uniform(0.3, 0.7)
    shoulder = (x + width * rng.uniform(0.05, 0.25), -height * rng.uniform(0.45, 0.7))
    body = skia.Path()
    body.moveTo(x, 0)
    body.lineTo(*shoulder)
    body.lineTo(peak, -height)
    body.lineTo(x + width * rng.uniform(0.8, 0.95), -height * rng.uniform(0.3, 0.6))
    body.lineTo(x + width, 0)
    body.close()
    canvas.drawPath(body, fill(palette.at((236, 246, 252), depth)))
    shade = skia.Path()
    shade.moveTo(peak, -height)
    shade.lineTo(x + width * rng.uniform(0.8, 0.95), -height * rng.uniform(0.3, 0.6))
    shade.lineTo(x + width, 0)
    shade.lineTo(peak + width * 0.05, 0)
    shade.close()
    canvas.drawPath(shade, fill(palette.at((170, 204, 228), depth)))


def mountains(canvas: skia.Canvas, period: float, base: float, peaks: list[tuple[int, float]], rgb: RGB,
              snow: float | None, rng: random.Random, palette: Palette, depth: float) -> None:
    """A mountain range; `snow` is the height above which the peaks are white."""
    path = ridge(period, base, peaks, rng, sharp=True)
    canvas.drawPath(path, fill(palette.at(rgb, depth)))
    if snow is not None:
        canvas.save()
        canvas.clipRect(skia.Rect(-seam(period), -BELOW, period + seam(period), -snow))
        canvas.drawPath(path, fill(palette.at((246, 250, 255), depth)))
        canvas.restore()


def waves(period: float, amplitude: float, count: int, rgb: RGB, crest: RGB, palette: Palette, depth: float,
          top: float = 0.0) -> skia.Picture:
    """Water from height `top` toward the camera, its edge a row of swells."""
    def draw(canvas: skia.Canvas) -> None:
        path = skia.Path()
        edge = seam(period)
        path.moveTo(-edge, BELOW)
        for i in range(121):
            x = -edge + (period + 2 * edge) * i / 120
            path.lineTo(x, -top - amplitude * (0.5 + 0.5 * math.sin(2 * math.pi * count * x / period)))
        path.lineTo(period + edge, BELOW)
        path.close()
        canvas.drawPath(path, fill(palette.at(rgb, depth)))
        line = skia.Paint(Color=colour(palette.at(crest, depth), 0.8), AntiAlias=True,
                          Style=skia.Paint.kStroke_Style, StrokeWidth=amplitude * 0.35)
        for i in range(count):
            x = period * (i + 0.25) / count
            canvas.drawLine(x - period / count * 0.18, -top - amplitude * 0.95, x + period / count * 0.12,
                            -top - amplitude * 0.95, line)

    return record(period, draw)


def build_sea_ice(place: Place, palette: Palette, rng: random.Random) -> Environment:
    layers = [
        Layer(700, 4000, record(4000, lambda c: (
            c.drawPath(ridge(4000, 3, [(5, 5), (13, 3)], rng, sharp=False), fill(palette.at((232, 242, 250), 700))),
            ground_band(c, 4000, palette.at((214, 230, 242), 700))))),
    ]

    def bergs(canvas: skia.Canvas, period: float, depth: float, count: int, size: float) -> None:
        ground_band(canvas, period, palette.at((224, 236, 246), depth))
        for _ in range(count):
            x = rng.uniform(0, period * 0.85)
            iceberg(canvas, x, size * rng.uniform(1.2, 2.4), size * rng.uniform(0.6, 1.2), rng, palette, depth)

    many = 4 if wants(place, "iceberg") else 2
    layers.append(Layer(150, 900, record(900, lambda c: bergs(c, 900, 150, many, 22))))
    layers.append(Layer(30, 200, record(200, lambda c: bergs(c, 200, 30, many // 2, 5))))
    layers.append(Layer(5, 60, record(60, lambda c: (
        ground_band(c, 60, palette.at((236, 244, 251), 5)),
        c.drawPath(ridge(60, 0.05, [(3, 0.25), (7, 0.1)], rng, sharp=False), fill(palette.at((244, 249, 253), 5))),
        place_icons(c, icon_props(place), 60, 2, rng, paint=palette.icon_paint())))))
    layers.append(floor(palette, (246, 250, 254), (215, 230, 242), rng))
    return Environment(place, palette, palette.at((210, 228, 242), 900), layers)


def floor(palette: Palette, rgb: RGB, marks: RGB, rng: random.Random, period: float = 24.0) -> Layer:
    """The ground the characters stand on, with a few marks so motion reads."""
    def draw(canvas: skia.Canvas) -> None:
        ground_band(canvas, period, palette.lit(rgb))
        paint = fill(palette.lit(marks), 0.7)
        for _ in range(60):
            y = 0.02 * 150 ** rng.random()  # spread from just below the feet to far toward the camera
            w = rng.uniform(0.3, 1.0) * (0.3 + y)
            x = rng.uniform(0, period - w)
            canvas.drawOval(skia.Rect(x, y, x + w, y + w * 0.08), paint)

    return Layer(0.0, period, record(period, draw))


def build_snowy_mountains(place: Place, palette: Palette, rng: random.Random) -> Environment:
    props = icon_props(place)
    layers = [
        Layer(1200, 7000, record(7000, lambda c: mountains(c, 7000, 30, [(4, 170), (9, 80), (17, 30)],
                                                           (150, 168, 204), 150, rng, palette, 1200))),
        Layer(300, 1800, record(1800, lambda c: (
            mountains(c, 1800, 8, [(3, 60), (7, 30), (15, 10)], (118, 138, 176), 55, rng, palette, 300),
            ground_band(c, 1800, palette.at((228, 236, 246), 300))))),
        Layer(45, 260, record(260, lambda c: (
            c.drawPath(ridge(260, 1, [(2, 7), (5, 3)], rng, sharp=False), fill(palette.at((236, 242, 250), 45))),
            place_icons(c, props, 260, 5, rng, 1.2, palette.icon_paint(), y=-2)))),
        Layer(6, 50, record(50, lambda c: (
            ground_band(c, 50, palette.at((240, 245, 251), 6)),
            place_icons(c, props, 50, 2, rng, paint=palette.icon_paint())))),
        floor(palette, (246, 249, 253), (210, 222, 238), rng),
    ]
    return Environment(place, palette, palette.at((222, 232, 244), 900), layers)


def build_open_sea(place: Place, palette: Palette, rng: random.Random) -> Environment:
    water = (52, 112, 168)
    layers = [Layer(600, 3000, waves(3000, 2.0, 60, (74, 132, 184), (190, 220, 240), palette, 600))]
    if wants(place, "iceberg"):
        layers.append(Layer(200, 1200, record(1200, lambda c: iceberg(c, rng.uniform(100, 900), 40, 24, rng, palette, 200))))
    layers += [
        Layer(80, 400, waves(400, 1.0, 18, (62, 122, 176), (200, 228, 244), palette, 80), drift=1.5, bob=0.15),
        Layer(20, 90, waves(90, 0.45, 7, water, (214, 236, 248), palette, 20), drift=-0.8, bob=0.08),
        Layer(5, 24, waves(24, 0.22, 4, (44, 100, 156), (224, 242, 250), palette, 5), drift=0.5, bob=0.05),
    ]
    for prop in icon_props(place):
        layers.insert(1, Layer(120, 700, record(700, lambda c, p=prop: place_icons(c, [p], 700, 1, rng, 1.0, palette.icon_paint()))))
    front = [Layer(-0.2, 10, waves(10, 0.1, 3, (40, 96, 150), (230, 244, 252), palette, 0, top=-0.14), drift=0.35, bob=0.03)]
    return Environment(place, palette, palette.at((80, 136, 186), 900), layers, front)


def build_coast(place: Place, palette: Palette, rng: random.Random) -> Environment:
    sand = (232, 212, 168)
    layers = [
        Layer(900, 5000, record(5000, lambda c: c.drawPath(ridge(5000, 5, [(3, 40), (8, 12)], rng, sharp=False),
                                                           fill(palette.at((104, 140, 112), 900))))),
        Layer(200, 1000, waves(1000, 1.2, 30, (70, 138, 184), (200, 228, 244), palette, 200), drift=1.0, bob=0.1),
        Layer(40, 220, waves(220, 0.5, 9, (60, 130, 180), (226, 242, 250), palette, 40), drift=-0.6, bob=0.06),
    ]

    def beach(canvas: skia.Canvas) -> None:
        shore = ridge(80, -0.05, [(2, 0.15), (5, 0.05)], rng, sharp=False)
        canvas.drawPath(shore, fill(palette.at((246, 240, 222), 10)))
        canvas.save()
        canvas.translate(0, 0.08)
        canvas.drawPath(shore, fill(palette.at(sand, 10)))
        canvas.restore()
        place_icons(canvas, icon_props(place), 80, 3, rng, paint=palette.icon_paint())

    layers.append(Layer(10, 80, record(80, beach)))
    layers.append(floor(palette, (238, 220, 178), (214, 192, 146), rng))
    return Environment(place, palette, palette.at((90, 150, 192), 900), layers)


def tree_line(canvas: skia.Canvas, period: float, count: int, height: float, rgb: RGB, rng: random.Random) -> None:
    """Simple pine silhouettes: cheap to replay, read as a forest at a distance."""
    paint = fill(rgb)
    for _ in range(count):
        x, h = rng.uniform(0, period), height * rng.uniform(0.6, 1.3)
        w = h * 0.42
        path = skia.Path()
        path.moveTo(x - w / 2, 0.05 * h)
        path.lineTo(x, -h)
        path.lineTo(x + w / 2, 0.05 * h)
        path.close()
        canvas.drawPath(path, paint)


def build_forest(place: Place, palette: Palette, rng: random.Random) -> Environment:
    layers = [
        Layer(800, 5000, record(5000, lambda c: c.drawPath(ridge(5000, 10, [(3, 60), (7, 25)], rng, sharp=False),
                                                           fill(palette.at((96, 140, 112), 800))))),
        Layer(160, 800, record(800, lambda c: (
            c.drawPath(ridge(800, 2, [(2, 14), (5, 6)], rng, sharp=False), fill(palette.at((70, 120, 80), 160))),
            tree_line(c, 800, 90, 14, palette.at((52, 100, 66), 160), rng)))),
        Layer(35, 160, record(160, lambda c: (
            ground_band(c, 160, palette.at((96, 146, 76), 35)),
            tree_line(c, 160, 26, 7, palette.at((40, 88, 56), 35), rng)))),
        Layer(7, 50, record(50, lambda c: (
            ground_band(c, 50, palette.at((104, 156, 80), 7)),
            place_icons(c, icon_props(place), 50, 4, rng, paint=palette.icon_paint())))),
        floor(palette, (112, 164, 84), (88, 136, 64), rng),
    ]
    return Environment(place, palette, palette.at((110, 150, 100), 900), layers)


def build_grassland(place: Place, palette: Palette, rng: random.Random) -> Environment:
    layers = [
        Layer(800, 5000, record(5000, lambda c: c.drawPath(ridge(5000, 4, [(3, 30), (8, 10)], rng, sharp=False),
                                                           fill(palette.at((130, 170, 120), 800))))),
        Layer(150, 900, record(900, lambda c: c.drawPath(ridge(900, 1, [(2, 10), (5, 4)], rng, sharp=False),
                                                         fill(palette.at((140, 186, 96), 150))))),
        Layer(30, 150, record(150, lambda c: (
            c.drawPath(ridge(150, 0.2, [(2, 2), (5, 1)], rng, sharp=False), fill(palette.at((150, 196, 92), 30))),
            place_icons(c, icon_props(place), 150, 3, rng, 2.0, palette.icon_paint())))),
        Layer(5, 40, record(40, lambda c: (
            ground_band(c, 40, palette.at((156, 204, 96), 5)),
            place_icons(c, icon_props(place), 40, 6, rng, paint=palette.icon_paint())))),
        floor(palette, (160, 206, 98), (130, 178, 80), rng),
    ]
    return Environment(place, palette, palette.at((150, 190, 110), 900), layers)


def build_desert(place: Place, palette: Palette, rng: random.Random) -> Environment:
    layers = [
        Layer(900, 5000, record(5000, lambda c: mountains(c, 5000, 5, [(3, 70), (7, 25)], (196, 150, 120), None,
                                                          rng, palette, 900))),
        Layer(160, 900, record(900, lambda c: c.drawPath(ridge(900, 2, [(2, 16), (5, 5)], rng, sharp=False),
                                                         fill(palette.at((232, 190, 130), 160))))),
        Layer(30, 160, record(160, lambda c: (
            c.drawPath(ridge(160, 0.5, [(2, 3), (3, 1.5)], rng, sharp=False), fill(palette.at((240, 202, 142), 30))),
            place_icons(c, icon_props(place), 160, 3, rng, 1.0, palette.icon_paint())))),
        Layer(6, 40, record(40, lambda c: (
            ground_band(c, 40, palette.at((244, 212, 156), 6)),
            place_icons(c, icon_props(place), 40, 2, rng, paint=palette.icon_paint())))),
        floor(palette, (246, 218, 164), (226, 190, 130), rng),
    ]
    return Environment(place, palette, palette.at((236, 200, 150), 900), layers)


def buildings(canvas: skia.Canvas, period: float, count: int, height: float, palette: Palette, depth: float,
              rng: random.Random, windows: bool) -> None:
    x = 0.0
    wall_colours = [(120, 132, 160), (150, 120, 110), (110, 140, 150), (170, 150, 130), (130, 120, 150)]
    lit_window = (255, 226, 150) if palette.light.sun is None else (200, 222, 240)
    while x < period - 1e-6:
        w = min(period - x, period / count * rng.uniform(0.6, 1.3))
        h = height * rng.uniform(0.5, 1.4)
        canvas.drawRect(skia.Rect(x, -h, x + w * 0.94, 0.01), fill(palette.at(rng.choice(wall_colours), depth)))
        if windows:
            pane = fill(palette.at(lit_window, depth) if palette.light.sun else lit_window)
            size = w / 7
            for row in range(1, int(h / (size * 2))):
                for col in range(3):
                    if rng.random() < 0.7:
                        left = x + size * (1 + col * 2)
                        canvas.drawRect(skia.Rect(left, -row * size * 2, left + size, -row * size * 2 + size * 1.2), pane)
        x += w


def build_city(place: Place, palette: Palette, rng: random.Random) -> Environment:
    layers = [
        Layer(700, 3000, record(3000, lambda c: buildings(c, 3000, 40, 70, palette, 700, rng, False))),
        Layer(120, 500, record(500, lambda c: (
            buildings(c, 500, 14, 30, palette, 120, rng, True),
            ground_band(c, 500, palette.at((120, 120, 128), 120))))),
        Layer(25, 120, record(120, lambda c: (
            ground_band(c, 120, palette.at((134, 134, 140), 25)),
            place_icons(c, icon_props(place), 120, 4, rng, paint=palette.icon_paint())))),
        Layer(3, 30, record(30, lambda c: (
            ground_band(c, 30, palette.lit((150, 150, 156))),
            c.drawRect(skia.Rect(-seam(30), 0, 30 + seam(30), 0.12), fill(palette.lit((200, 200, 204))))))),
        floor(palette, (170, 170, 176), (140, 140, 146), rng),
    ]
    return Environment(place, palette, palette.at((140, 140, 150), 900), layers)


def clouds(canvas: skia.Canvas, period: float, count: int, size: float, rgb: RGB, rng: random.Random,
           lowest: float, highest: float) -> None:
    paint = fill(rgb, 0.92)
    for _ in range(count):
        x, y = rng.uniform(0, period), -rng.uniform(lowest, highest)
        for _ in range(5):
            r = size * rng.uniform(0.4, 0.8)
            cx, cy = x + rng.uniform(-size, size), y + rng.uniform(-size * 0.25, size * 0.1)
            canvas.drawOval(skia.Rect(cx - r * 1.6, cy - r, cx + r * 1.6, cy + r * 0.6), paint)


def build_night_sky(place: Place, palette: Palette, rng: random.Random) -> Environment:
    cloud = (214, 222, 244)
    layers = [
        Layer(600, 4000, record(4000, lambda c: c.drawPath(ridge(4000, 2, [(9, 18), (23, 8)], rng, sharp=False),
                                                           fill(palette.at(cloud, 600))))),
        Layer(120, 700, record(700, lambda c: clouds(c, 700, 6, 8, palette.at(cloud, 120), rng, 4, 30))),
        Layer(20, 120, record(120, lambda c: (
            c.drawPath(ridge(120, -0.5, [(3, 1.5), (7, 0.6)], rng, sharp=False), fill(palette.at((226, 232, 248), 20))),
            place_icons(c, icon_props(place), 120, 3, rng, 1.0, None, y=-6)))),
        Layer(2, 14, record(14, lambda c: clouds(c, 14, 2, 0.7, palette.lit((236, 240, 252)), rng, -0.2, 0.3))),
    ]
    return Environment(place, palette, palette.at(cloud, 900), layers)


def build_underwater(place: Place, palette: Palette, rng: random.Random) -> Environment:
    sand = (196, 186, 148)
    layers = [
        Layer(400, 2000, record(2000, lambda c: c.drawPath(ridge(2000, 4, [(4, 25), (9, 10)], rng, sharp=False),
                                                           fill(mix(palette.lit((40, 90, 120)), palette.lit((30, 80, 120)), 0.5))))),
        Layer(60, 300, record(300, lambda c: (
            c.drawPath(ridge(300, 0.5, [(3, 5), (7, 2)], rng, sharp=False), fill(palette.lit((70, 120, 130)))),
            place_icons(c, icon_props(place), 300, 5, rng, 3.0, None)))),
        Layer(8, 50, record(50, lambda c: (
            ground_band(c, 50, palette.lit((150, 150, 130))),
            place_icons(c, icon_props(place), 50, 4, rng, 1.0, None)))),
        floor(palette, sand, (170, 160, 120), rng),
    ]
    return Environment(place, palette, palette.lit((40, 90, 120)), layers, underwater=True)


def build_interior(place: Place, palette: Palette, rng: random.Random) -> Environment:
    wall, trim, wood = (238, 220, 190), (200, 170, 140), (176, 124, 84)
    period = 9.0
    outside = LIGHTS[place.time_of_day].sky_horizon

    def room(canvas: skia.Canvas) -> None:
        edge = seam(period)
        canvas.drawRect(skia.Rect(-edge, -BELOW, period + edge, 0), fill(palette.lit(wall)))
        canvas.drawRect(skia.Rect(-edge, -0.9, period + edge, 0), fill(palette.lit(trim)))
        canvas.drawRect(skia.Rect(-edge, -3.2, period + edge, -3.0), fill(palette.lit(trim)))
        canvas.drawRect(skia.Rect(1.0, -2.5, 2.8, -1.3), fill(palette.lit((120, 90, 70))))
        canvas.drawRect(skia.Rect(1.08, -2.42, 2.72, -1.38), fill(outside))
        canvas.drawRect(skia.Rect(1.88, -2.42, 1.92, -1.38), fill(palette.lit((120, 90, 70))))
        props = icon_props(place)
        wall_props = [p for p in props if p.icon == "framed-picture"]
        floor_props = [p for p in props if p.icon != "framed-picture"]
        place_icons(canvas, wall_props, period, 1, rng, paint=palette.icon_paint(), y=-1.5)
        place_icons(canvas, floor_props, period, 2, rng, paint=palette.icon_paint())

    def boards(canvas: skia.Canvas) -> None:
        ground_band(canvas, 6, palette.lit(wood))
        line = fill(palette.lit((150, 104, 70)))
        for i in range(1, 12):
            y = 0.06 * i * i
            canvas.drawRect(skia.Rect(-seam(6), y, 6 + seam(6), y + 0.02 * i), line)

    layers = [Layer(3.0, period, record(period, room)), Layer(0.0, 6, record(6, boards))]
    return Environment(place, palette, palette.lit(wood), layers)


BUILDERS = {
    Biome.SEA_ICE: build_sea_ice,
    Biome.SNOWY_MOUNTAINS: build_snowy_mountains,
    Biome.OPEN_SEA: build_open_sea,
    Biome.COAST: build_coast,
    Biome.FOREST: build_forest,
    Biome.GRASSLAND: build_grassland,
    Biome.DESERT: build_desert,
    Biome.CITY: build_city,
    Biome.NIGHT_SKY: build_night_sky,
    Biome.UNDERWATER: build_underwater,
    Biome.INTERIOR: build_interior,
}


def sky_picture(palette: Palette, rng: random.Random, underwater: bool, starry: bool) -> skia.Picture:
    """Sun or moon, stars and far clouds, in frame heights around the horizon centre."""
    def draw(canvas: skia.Canvas) -> None:
        if underwater:
            ray = fill((220, 240, 255), 0.10)
            for _ in range(7):
                x = rng.uniform(-2.5, 2.5)
                path = skia.Path()
                path.moveTo(x, -1.6)
                path.lineTo(x + 0.12, -1.6)
                path.lineTo(x + 0.7, 0.4)
                path.lineTo(x + 0.35, 0.4)
                path.close()
                canvas.drawPath(path, ray)
            return
        light = palette.light
        if light.stars or starry:
            star = skia.Paint(Color=colour((255, 255, 240), 0.9), AntiAlias=True, StrokeCap=skia.Paint.kRound_Cap)
            for _ in range(260):
                star.setStrokeWidth(rng.uniform(0.002, 0.006))
                canvas.drawPoint(rng.uniform(-3, 3), -rng.uniform(0.03, 2.0), star)
        x, y = rng.uniform(-0.6, 0.6), -light.sun_height
        if palette.weather not in (Weather.STORM, Weather.FOG, Weather.RAIN):
            body = light.sun or (246, 244, 226)
            glow = skia.GradientShader.MakeRadial(skia.Point(x, y), 0.28, [colour(body, 0.45), colour(body, 0.0)])
            canvas.drawCircle(x, y, 0.28, skia.Paint(Shader=glow, AntiAlias=True))
            canvas.drawCircle(x, y, 0.06 if light.sun else 0.045, fill(body))
            if light.sun is None:  # a crescent: the sky bites the moon
                canvas.drawCircle(x + 0.022, y - 0.012, 0.04, fill(palette.sky_top))
        cloudy = palette.weather in (Weather.CLOUDY, Weather.STORM, Weather.RAIN, Weather.SNOW)
        tone = palette.lit((250, 250, 252) if not cloudy else (214, 218, 226))
        clouds(canvas, 6.0, 14 if cloudy else 5, 0.06, tone, rng, 0.12, 0.7)
        canvas.translate(-6.0, 0)
        clouds(canvas, 6.0, 14 if cloudy else 5, 0.06, tone, random.Random(rng.random()), 0.12, 0.7)

    return record(6.0, draw)


def weather_particles(place: Place, palette: Palette, rng: random.Random,
                      underwater: bool) -> list[tuple[skia.Picture, float, float, float]]:
    """Tiles of snowflakes, raindrops or bubbles at three depths: near ones are
    bigger and faster, which reads as depth."""
    weather = place.weather
    if underwater:
        kind, count, fall, wind = "bubble", 40, -0.08, 0.01
    elif weather == Weather.SNOW or (weather == Weather.STORM and place.biome in COLD):
        kind, count, fall, wind = "snow", 90 if weather == Weather.SNOW else 200, 0.12, 0.03
        if weather == Weather.STORM:
            fall, wind = 0.3, 0.35
    elif weather in (Weather.RAIN, Weather.STORM):
        kind, count, fall, wind = "rain", 70 if weather == Weather.RAIN else 140, 1.4, 0.1
    else:
        return []
    tiles = []
    for near in (0.5, 0.75, 1.0):
        def draw(canvas: skia.Canvas, near: float = near) -> None:
            if kind == "snow":
                paint = skia.Paint(Color=colour(palette.lit((255, 255, 255)), 0.55 + 0.4 * near), AntiAlias=True,
                                   StrokeCap=skia.Paint.kRound_Cap, StrokeWidth=0.006 * near)
                canvas.drawPoints(skia.Canvas.kPoints_PointMode,
                                  [skia.Point(rng.random(), rng.random()) for _ in range(count)], paint)
            elif kind == "rain":
                paint = skia.Paint(Color=colour(palette.lit((210, 220, 235)), 0.35 + 0.3 * near), AntiAlias=True,
                                   StrokeWidth=0.0018 * near)
                for _ in range(count):
                    x, y = rng.random(), rng.random()
                    canvas.drawLine(x, y, x - 0.004 * near, y + 0.05 * near, paint)
            else:
                paint = skia.Paint(Color=colour((230, 246, 255), 0.5), AntiAlias=True, Style=skia.Paint.kStroke_Style,
                                   StrokeWidth=0.0015)
                for _ in range(count // 3):
                    canvas.drawCircle(rng.random(), rng.random(), 0.004 + 0.006 * near * rng.random(), paint)

        recorder = skia.PictureRecorder()
        draw(recorder.beginRecording(skia.Rect(-0.1, -0.1, 1.1, 1.1)))
        tiles.append((recorder.finishRecordingAsPicture(), fall * near, wind * near, 0.3 * near))
    return tiles
