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
from collections.abc import Callable
from dataclasses import dataclass, field

import skia

from storyagent.cast import Place, Prop
from storyagent.renderers.animatic import camera
from storyagent.renderers.animatic.camera import View
from storyagent.storyboard import TimeOfDay, Weather
from storyagent.world import Biome, icons, scenery, world

RGB = tuple[float, float, float]
BELOW = 1e5  # how far a layer's ground band reaches toward the camera (world units)


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
STORM_CLOUD = (74, 80, 96)  # a storm's sky: dark, low cloud
LIGHTNING_EVERY = 3.7  # seconds between flashes in a storm
LIGHTNING_LENGTH = 0.3  # seconds a flash takes to fade
# What keeps a still shot alive: far clouds drift, cloud shadows (or fog banks) cross the ground, birds pass.
CLOUD_TILE = 12.0  # the sky's clouds repeat every this many frame heights
CLOUD_DRIFT = 0.025  # frame heights per second: a far cloud crosses a wide frame in about a minute
SHADOW_DRIFT = 2.5  # world units per second (a grown-up is 1 tall): a light breeze, that a tracking shot's
# scrolling ground still outpaces in the eye (it is drawn with sharper marks)
FLOCK_ROUND = 7.0  # frame heights a flock flies before it comes round again (the frame is about 1.8 wide)
FLOCK_SPEED = 0.09  # frame heights per second


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
        # Clouds grey a daylit sky; a night sky stays dark above whatever the weather.
        cloud = STORM_CLOUD if self.weather == Weather.STORM else OVERCAST
        overcast_top = mix(cloud, self.light.sky_top, 0.3) if self.light.sun else self.light.sky_top
        self.sky_top = mix(self.light.sky_top, overcast_top, amount)
        self.sky_horizon = mix(self.light.sky_horizon, self.lit(cloud), amount)

    def lit(self, rgb: RGB) -> RGB:
        dim = {Weather.STORM: 0.7, Weather.RAIN: 0.85}.get(self.weather, 1.0)
        return tuple(c * t * dim for c, t in zip(rgb, self.light.tint))  # type: ignore[return-value]

    def at(self, rgb: RGB, depth: float) -> RGB:
        """A colour seen through `depth` units of air: it fades toward the horizon."""
        haze = 1 - math.exp(-depth / (260 if self.weather != Weather.FOG else 60))
        return mix(self.lit(rgb), self.sky_horizon, 0.75 * haze)

    def icon_paint(self, strength: float = 1.0) -> skia.Paint | None:
        """A paint that lights an icon like the scene; `strength` below 1 keeps
        characters readable at night."""
        if self.light.tint == (1.0, 1.0, 1.0) and self.weather not in (Weather.STORM, Weather.RAIN):
            return None
        light = mix((255, 255, 255), self.lit((255, 255, 255)), strength)
        return skia.Paint(ColorFilter=skia.ColorFilters.Blend(colour(light), skia.BlendMode.kModulate))


@dataclass(frozen=True)
class Particles:
    """A tile of snowflakes, raindrops or bubbles, one frame height square (in
    frame heights), moving `fall` and `wind` frame heights per second."""

    picture: skia.Picture
    fall: float
    wind: float
    parallax: float  # how much a pan or tilt moves it: near particles move more


@dataclass
class Environment:
    """Everything drawn around the characters of one place."""

    place: Place
    card: Biome
    palette: Palette
    ground: RGB  # the far ground, from the horizon down
    layers: list[Layer]  # far to near, behind the characters
    front: list[Layer] = field(default_factory=list)  # in front of the characters (water lines)
    sky: skia.Picture | None = None  # sun, moon, stars: at infinity, in frame heights around the horizon
    clouds: skia.Picture | None = None  # far clouds, one CLOUD_TILE wide, like the sky; they drift
    flock: Flock | None = None  # birds crossing the sky now and then
    particles: list[Particles] = field(default_factory=list)  # weather, nearest last

    @property
    def underwater(self) -> bool:
        return self.card.underwater

    def lightning(self, seconds: float) -> float:
        """How bright a lightning flash is at `seconds` (0: none): in a storm under an open sky, a flash every
        few seconds that fades fast, its timing fixed by the place's seed."""
        if self.place.weather != Weather.STORM or self.indoors or self.underwater:
            return 0.0
        since = (seconds - 0.4 - (self.place.seed % 1000) / 1000) % LIGHTNING_EVERY
        return max(0.0, 1 - since / LIGHTNING_LENGTH)

    @property
    def indoors(self) -> bool:
        """No sky, no weather."""
        return self.card.indoors

    @property
    def surface(self) -> bool:
        """The ground is open water: whoever is below it (a swimmer) shows only above the waterline."""
        return self.card.surface

    # -- per frame ---------------------------------------------------------------------

    def draw_back(self, canvas: skia.Canvas, view: View, seconds: float, width: int, height: int) -> None:
        canvas.save()
        canvas.setMatrix(camera.screen_matrix(view, width, height))
        big = 6 * max(width, height)
        top, bottom = self.palette.sky_top, self.palette.sky_horizon
        if self.underwater:
            top, bottom = self.palette.lit((70, 170, 210)), self.palette.lit((18, 70, 110))
        elif self.card.scenery.sky is not None:  # no air (the Moon) or no sky (a cave): its own colours
            top, bottom = self.card.scenery.sky
        gradient = skia.GradientShader.MakeLinear(
            [skia.Point(0, -0.95 * height), skia.Point(0, 0)], [colour(top), colour(bottom)]
        )
        canvas.drawRect(skia.Rect(-big, -big, big, 2), skia.Paint(Shader=gradient))  # 2 px under the ground: no seam
        if self.sky is not None:
            canvas.save()
            canvas.scale(height, height)
            canvas.drawPicture(self.sky)
            if self.clouds is not None:
                drift = (CLOUD_DRIFT * seconds) % CLOUD_TILE
                for tile in (-1, 0):  # two tiles cover any frame of a camera that turns less than a tile
                    canvas.drawPicture(self.clouds, skia.Matrix.Translate(drift + tile * CLOUD_TILE, 0), None)
            if self.flock is not None:
                self.flock.draw(canvas, seconds)
            flash = self.lightning(seconds)
            if flash:
                canvas.drawPath(bolt(self.place.seed + int(seconds / LIGHTNING_EVERY)),
                                skia.Paint(Color=colour((255, 255, 236), flash), AntiAlias=True,
                                           Style=skia.Paint.kStroke_Style, StrokeWidth=0.008))
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
        for particles in self.particles:
            draw_particles(canvas, particles, view, seconds, width, height)
        if self.place.weather in (Weather.FOG, Weather.STORM) and not self.indoors:
            veil = 0.35 if self.place.weather == Weather.FOG else 0.18
            canvas.drawRect(skia.Rect(0, 0, width, height), fill(self.palette.sky_horizon, veil))
        flash = self.lightning(seconds)
        if flash:
            canvas.drawRect(skia.Rect(0, 0, width, height), fill((236, 240, 255), 0.45 * flash))


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
        # A hard clip per tile: neighbours meet on the same pixel boundary, no seam, no overlap.
        canvas.clipRect(skia.Rect(0, -BELOW, layer.period, BELOW), skia.ClipOp.kIntersect, False)
        canvas.drawPicture(layer.picture)
        canvas.restore()


def draw_particles(canvas: skia.Canvas, particles: Particles, view: View, seconds: float, width: int,
                   height: int) -> None:
    """The particle tile, falling and drifting, repeated over the frame."""
    dx = (particles.wind * seconds - view.yaw * particles.parallax) % 1.0
    dy = (particles.fall * seconds + view.pitch * particles.parallax) % 1.0
    canvas.save()
    canvas.scale(height, height)
    for i in range(-1, math.ceil(width / height) + 1):
        for j in (-1, 0):
            canvas.save()
            canvas.translate(i + dx, j + dy)
            canvas.drawPicture(particles.picture)
            canvas.restore()
    canvas.restore()


# -- building -------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def environment(place: Place) -> Environment:
    """The environment of a place; built once per process and reused by every shot."""
    card = world().biome(place.biome)
    builder = Builder(place, Palette(LIGHTS[place.time_of_day], place.weather), random.Random(place.seed))
    env = builder.environment(card)
    if not card.indoors:
        airless = card.scenery.sky is not None
        env.sky = sky_picture(builder.palette, builder.rng, card.underwater, card.starry, airless=airless)
        if not card.underwater and not airless:
            env.clouds = cloud_picture(builder.palette, builder.rng)
        env.particles = weather_particles(place, builder.palette, builder.rng, env.underwater)
        if not card.underwater and not airless and builder.palette.light.sun is not None \
                and place.weather in (Weather.CLEAR, Weather.CLOUDY):
            env.flock = flock(builder.palette, builder.rng)
        builder.with_drifts(env)
    env.particles = env.particles or motes(place, builder.palette, builder.rng, card)
    return env


@dataclass
class Tile:
    """Where a layer's drawing steps draw: one period of the layer, at its depth."""

    canvas: skia.Canvas
    period: float
    depth: float
    palette: Palette
    rng: random.Random

    def at(self, rgb: RGB) -> RGB:
        return self.palette.at(rgb, self.depth)


Step = Callable[[Tile], None]


@dataclass
class Builder:
    """Builds one place's layers; every random choice comes from the place's seed."""

    place: Place
    palette: Palette
    rng: random.Random

    @property
    def props(self) -> list[Prop]:
        return [p for p in self.place.props if p.icon is not None]

    def wants(self, *names: str) -> bool:
        return any(p.name in names for p in self.place.props)

    def layer(self, depth: float, period: float, *steps: Step, drift: float = 0.0, bob: float = 0.0) -> Layer:
        recorder = skia.PictureRecorder()
        canvas = recorder.beginRecording(skia.Rect(-period, -BELOW, 2 * period, BELOW))
        for step in steps:
            step(Tile(canvas, period, depth, self.palette, self.rng))
        return Layer(depth, period, recorder.finishRecordingAsPicture(), drift, bob)

    def environment(self, card: Biome) -> Environment:
        """The card's scenery, its layers built far to near (the order their random choices are drawn in)."""
        drawing = card.scenery
        layers = [built for layer in drawing.layers for built in self.layers(layer)]
        front = [built for layer in drawing.front for built in self.layers(layer)]
        ground = self.palette.lit(drawing.ground) if card.underwater or card.indoors else self.palette.at(drawing.ground, 900)
        return Environment(self.place, card, self.palette, ground, layers, front)

    def with_drifts(self, env: Environment) -> None:
        """Add what drifts over the place: clouds' shadows over the ground, banks of mist in
        fog. On the near ground, on the farthest ground within MID_GROUND and on the ground between, each drawn
        just after its own
        ground so nearer scenery covers it; mist drifts between the camera and the characters too."""
        tone = drift_tone(self.palette, self.place.weather, env.card)
        if tone is None:
            return
        rgb, alpha, on_ground = tone
        mid = max((layer.depth for layer in env.layers if 0 < layer.depth <= MID_GROUND), default=None)
        between = mid / 5 if mid is not None and mid > 10 else None  # the ground a high camera looks down on
        for depth, period, size in ((mid, 240.0, 20.0), (between, 120.0, 10.0), (0.0, 72.0, 6.0)):
            if depth is None:
                continue
            layer = self.layer(depth, period, drifting(size, rgb, alpha, on_ground), drift=SHADOW_DRIFT)
            at = max(i for i, other in enumerate(env.layers) if other.depth >= depth) + 1
            env.layers.insert(at, layer)
        if not on_ground:
            env.front.append(self.layer(-0.5, 40.0, drifting(3.0, rgb, alpha / 2, on_ground), drift=SHADOW_DRIFT))

    def layers(self, layer: scenery.Layer) -> list[Layer]:
        """The layers one scenery layer makes: none when it wants a prop the place lacks, one per prop
        when it draws each prop alone, else one."""
        if layer.when is not None and not self.wants(layer.when):
            return []
        chosen = [[prop] for prop in self.props] if layer.each_prop else [self.props]
        return [self.layer(layer.depth, layer.period, *(self.step(spec, props) for spec in layer.draw),
                           drift=layer.drift, bob=layer.bob) for props in chosen]

    def step(self, spec: scenery.Step, chosen: list[Prop]) -> Step:
        """The drawing step a scenery step names, with the card's parameters."""
        match spec:
            case scenery.Band():
                return band(spec.colour, lit=spec.lit)
            case scenery.Hills():
                return hills(spec.base, spec.peaks, spec.colour)
            case scenery.Mountains():
                return mountains(spec.base, spec.peaks, spec.colour, spec.snowline)
            case scenery.Swell():
                return swell(spec.amplitude, spec.count, spec.colour, spec.crest, spec.top)
            case scenery.Bergs():
                named = spec.named_count is not None and self.wants("iceberg")
                return bergs(spec.named_count if named else spec.count, spec.size)
            case scenery.Pines():
                return pines(spec.count, spec.height, spec.colour)
            case scenery.Bamboo():
                return bamboo(spec.count, spec.height, spec.colour)
            case scenery.Lighthouse():
                return lighthouse(spec.height, spec.at)
            case scenery.Blocks():
                return blocks(spec.count, spec.height, spec.windows)
            case scenery.Puffs():
                return puffs(spec.count, spec.size, spec.colour, spec.lowest, spec.highest, lit=spec.lit)
            case scenery.Props():
                shown = [p for p in chosen if (spec.only is None or p.icon in spec.only) and p.icon not in spec.skip]
                return props(shown, spec.count, spec.scale, spec.y, spec.lit)
            case scenery.Scuffs():
                return scuffs(spec.colour)
            case scenery.Kerb():
                return kerb(spec.colour)
            case scenery.Wall():
                return wall(spec.colour, spec.trim)
            case scenery.Planks():
                return planks(spec.colour)


# Drawing steps: each returns what a layer does in one tile.


def ridge(period: float, base: float, peaks: list[tuple[int, float]], rng: random.Random, *, sharp: bool,
          samples: int = 160) -> skia.Path:
    """A skyline that repeats every `period`: `peaks` are (repeats per period,
    height) pairs; sharp ridges are mountains, smooth ones hills and dunes."""
    phases = [rng.random() for _ in peaks]
    step = period / samples
    path = skia.Path()
    path.moveTo(-step, BELOW)
    for i in range(-1, samples + 2):  # one sample past each end, so the tile's clip cuts a full shape
        x = i * step
        y = base
        for (n, h), phase in zip(peaks, phases):
            u = n * x / period + phase
            wave = 1 - abs(2 * (u % 1.0) - 1) if sharp else 0.5 + 0.5 * math.sin(2 * math.pi * u)
            y += h * (wave**1.2 if sharp else wave)
        path.lineTo(x, -y)
    path.lineTo(period + step, BELOW)
    path.close()
    return path


def band(rgb: RGB, *, lit: bool = False) -> Step:
    """The ground from this layer's foot toward the camera. (Fills reach past
    the tile on purpose: the tile's clip cuts them, so no soft edge shows.)"""
    def draw(tile: Tile) -> None:
        colour_ = tile.palette.lit(rgb) if lit else tile.at(rgb)
        tile.canvas.drawRect(skia.Rect(-tile.period, 0, 2 * tile.period, BELOW), fill(colour_))
    return draw


def hills(base: float, peaks: list[tuple[int, float]], rgb: RGB) -> Step:
    def draw(tile: Tile) -> None:
        tile.canvas.drawPath(ridge(tile.period, base, peaks, tile.rng, sharp=False), fill(tile.at(rgb)))
    return draw


def mountains(base: float, peaks: list[tuple[int, float]], rgb: RGB, snow: float | None = None) -> Step:
    """A mountain range; above a wavy `snow` line the peaks are white."""
    def draw(tile: Tile) -> None:
        path = ridge(tile.period, base, peaks, tile.rng, sharp=True)
        tile.canvas.drawPath(path, fill(tile.at(rgb)))
        if snow is not None:
            below_snowline = ridge(tile.period, snow, [(11, snow * 0.25), (29, snow * 0.1)], tile.rng, sharp=False)
            tile.canvas.save()
            tile.canvas.clipPath(below_snowline, skia.ClipOp.kDifference, True)
            tile.canvas.drawPath(path, fill(tile.at((246, 250, 255))))
            tile.canvas.restore()
    return draw


def swell(amplitude: float, count: int, rgb: RGB, crest: RGB, top: float = 0.0) -> Step:
    """Water from height `top` toward the camera, its edge a row of swells with foam."""
    def draw(tile: Tile) -> None:
        period, step = tile.period, tile.period / 120
        path = skia.Path()
        path.moveTo(-step, BELOW)
        for i in range(-1, 122):
            x = i * step
            path.lineTo(x, -top - amplitude * (0.5 + 0.5 * math.sin(2 * math.pi * count * x / period)))
        path.lineTo(period + step, BELOW)
        path.close()
        tile.canvas.drawPath(path, fill(tile.at(rgb)))
        foam = skia.Paint(Color=colour(tile.at(crest), 0.6), AntiAlias=True, Style=skia.Paint.kStroke_Style,
                          StrokeWidth=amplitude * 0.18, StrokeCap=skia.Paint.kRound_Cap)
        wavelength = period / count
        for i in range(count):  # a short curl of foam riding each crest
            crest_x = wavelength * (i + 0.25)
            curl = skia.Path()
            for j in range(9):
                x = crest_x + wavelength * (j / 8 - 0.6) * 0.2
                y = -top - amplitude * (0.5 + 0.5 * math.sin(2 * math.pi * x / wavelength)) - amplitude * 0.05
                curl.lineTo(x, y) if j else curl.moveTo(x, y)
            tile.canvas.drawPath(curl, foam)
    return draw


def props(chosen: list[Prop], count: int, scale: float = 1.0, y: float = 0.0, lit: bool = True) -> Step:
    """Icons standing on the ground (or hanging at height -y), spread along the tile."""
    def draw(tile: Tile) -> None:
        if not chosen:
            return
        paint = tile.palette.icon_paint() if lit else None
        for x in sorted(tile.rng.uniform(0.05, 0.95) * tile.period for _ in range(count)):
            prop = tile.rng.choice(chosen)
            assert prop.icon is not None
            box = icons.content_box(prop.icon)
            size = prop.height * scale * tile.rng.uniform(0.8, 1.2) / box.height
            matrix = skia.Matrix.Translate(x - size * (box.left + box.right) / 2, y - size * box.bottom)
            matrix.preScale(size, size)
            tile.canvas.drawPicture(icons.picture(prop.icon), matrix, paint)
    return draw


def bergs(count: int, size: float) -> Step:
    """Faceted icebergs: a lit face and a shadowed face."""
    def draw(tile: Tile) -> None:
        rng = tile.rng
        for _ in range(count):
            width, height = size * rng.uniform(1.2, 2.4), size * rng.uniform(0.6, 1.2)
            x = rng.uniform(0, tile.period - width)
            peak = x + width * rng.uniform(0.3, 0.7)
            right = (x + width * rng.uniform(0.8, 0.95), -height * rng.uniform(0.3, 0.6))
            body = polygon([(x, 0), (x + width * rng.uniform(0.05, 0.25), -height * rng.uniform(0.45, 0.7)),
                            (peak, -height), right, (x + width, 0)])
            tile.canvas.drawPath(body, fill(tile.at((236, 246, 252))))
            shade = polygon([(peak, -height), right, (x + width, 0), (peak + width * 0.05, 0)])
            tile.canvas.drawPath(shade, fill(tile.at((170, 204, 228))))
    return draw


def pines(count: int, height: float, rgb: RGB) -> Step:
    """Pine silhouettes: cheap to replay, and they read as a forest at a distance."""
    def draw(tile: Tile) -> None:
        paint = fill(tile.at(rgb))
        for _ in range(count):
            h = height * tile.rng.uniform(0.6, 1.3)
            x = tile.rng.uniform(h * 0.21, tile.period - h * 0.21)
            tile.canvas.drawPath(polygon([(x - h * 0.21, 0.05 * h), (x, -h), (x + h * 0.21, 0.05 * h)]), paint)
    return draw


def bamboo(count: int, height: float, rgb: RGB) -> Step:
    """Bamboo stalks, jointed every few widths, with leaves fanning from the upper joints."""
    def draw(tile: Tile) -> None:
        rng = tile.rng
        for _ in range(count):
            h = height * rng.uniform(0.7, 1.2)
            w = h * 0.025
            x = rng.uniform(w, tile.period - w)
            shade = tuple(c * rng.uniform(0.85, 1.1) for c in rgb)
            tile.canvas.drawRect(skia.Rect(x - w / 2, -h, x + w / 2, 0.02 * h), fill(tile.at(shade)))
            joint = fill(tile.at(tuple(c * 0.7 for c in shade)))
            leaf = fill(tile.at(tuple(c * 0.85 for c in shade)))
            y = -h * rng.uniform(0.08, 0.14)
            while y > -h:
                tile.canvas.drawRect(skia.Rect(x - w * 0.65, y - w * 0.25, x + w * 0.65, y + w * 0.25), joint)
                if y < -h * 0.55:
                    for side in (-1, 1):
                        tip = x + side * w * rng.uniform(5, 9)
                        tile.canvas.drawPath(polygon([(x, y), (tip, y - w * rng.uniform(1, 4)),
                                                      (x + side * w * 2, y - w * 2.5)]), leaf)
                y -= h * 0.12
    return draw


def lighthouse(height: float, at: float) -> Step:
    """A lighthouse on a dark rock: a tapering white tower with red bands, a gallery and a lamp room whose
    lamp is lit once the sun is low, throwing a beam at night."""
    def draw(tile: Tile) -> None:
        canvas, x, h = tile.canvas, at * tile.period, height
        base, top = h * 0.11, h * 0.06  # half-widths of the tower at its foot and under the gallery
        canvas.drawPath(ridge_rock(x, h), fill(tile.at((92, 96, 104))))
        foot, neck = -h * 0.08, -h * 0.78
        tower = polygon([(x - base, foot), (x - top, neck), (x + top, neck), (x + base, foot)])
        canvas.drawPath(tower, fill(tile.at((244, 244, 240))))
        canvas.save()
        canvas.clipPath(tower, skia.ClipOp.kIntersect, True)
        for band_top in (0.22, 0.48):
            canvas.drawRect(skia.Rect(x - base, foot - h * (band_top + 0.12), x + base, foot - h * band_top),
                            fill(tile.at((200, 50, 46))))
        canvas.restore()
        canvas.drawRect(skia.Rect(x - top * 1.6, neck - h * 0.025, x + top * 1.6, neck), fill(tile.at((60, 60, 66))))
        lit = tile.palette.light.sun is None or tile.palette.light.sun_height < 0.1
        room = skia.Rect(x - top * 0.9, neck - h * 0.12, x + top * 0.9, neck - h * 0.025)
        canvas.drawRect(room, fill((255, 226, 130) if lit else tile.at((190, 214, 230))))
        canvas.drawPath(polygon([(x - top * 1.2, room.top()), (x, room.top() - h * 0.07), (x + top * 1.2, room.top())]),
                        fill(tile.at((200, 50, 46))))
        if tile.palette.light.sun is None:
            y = room.centerY()
            canvas.drawPath(polygon([(x, y - h * 0.01), (x + h * 1.6, y - h * 0.12), (x + h * 1.6, y + h * 0.1),
                                     (x, y + h * 0.01)]), fill((255, 240, 190), 0.22))
    return draw


def ridge_rock(x: float, height: float) -> skia.Path:
    """The rock a lighthouse stands on: a low, lumpy mound."""
    w = height * 0.3
    return polygon([(x - w, 0.0), (x - w * 0.7, -height * 0.06), (x - w * 0.3, -height * 0.1),
                    (x + w * 0.35, -height * 0.09), (x + w * 0.8, -height * 0.04), (x + w, 0.0)])


def blocks(count: int, height: float, windows: bool) -> Step:
    """A street of buildings; at night their windows glow."""
    walls = [(120, 132, 160), (150, 120, 110), (110, 140, 150), (170, 150, 130), (130, 120, 150)]

    def draw(tile: Tile) -> None:
        rng, x = tile.rng, 0.0
        glow = (255, 226, 150) if tile.palette.light.sun is None else tile.at((200, 222, 240))
        while x < tile.period - 1e-6:
            w = min(tile.period - x, tile.period / count * rng.uniform(0.6, 1.3))
            h = height * rng.uniform(0.5, 1.4)
            tile.canvas.drawRect(skia.Rect(x, -h, x + w * 0.94, 0.01), fill(tile.at(rng.choice(walls))))
            size = w / 7
            for row in range(1, int(h / (size * 2))) if windows else ():
                for col in range(3):
                    if rng.random() < 0.7:
                        left = x + size * (1 + col * 2)
                        tile.canvas.drawRect(skia.Rect(left, -row * size * 2, left + size, -row * size * 2 + size * 1.2),
                                             fill(glow))
            x += w
    return draw


def puffs(count: int, size: float, rgb: RGB, lowest: float, highest: float, *, lit: bool = False) -> Step:
    """Clouds between heights `lowest` and `highest`."""
    def draw(tile: Tile) -> None:
        clouds(tile.canvas, tile.period, count, size, tile.palette.lit(rgb) if lit else tile.at(rgb), tile.rng,
               lowest, highest)
    return draw


def scuffs(rgb: RGB) -> Step:
    """Marks on the ground, spread from just below the feet toward the camera."""
    def draw(tile: Tile) -> None:
        paint = fill(tile.palette.lit(rgb), 0.7)
        for _ in range(60):
            y = 0.02 * 150 ** tile.rng.random()
            w = tile.rng.uniform(0.3, 1.0) * (0.3 + y)
            x = tile.rng.uniform(0, tile.period - w)
            tile.canvas.drawOval(skia.Rect(x, y, x + w, y + w * 0.08), paint)
    return draw


SOFT_RINGS = 6  # flat ovals that make one soft patch: fewer show their steps, more cost a fill each
MID_GROUND = 60.0  # the farthest ground that clouds' shadows are drawn on, in world units


def drift_tone(palette: Palette, weather: Weather, card: Biome) -> tuple[RGB, float, bool] | None:
    """The colour and strength of what drifts over the place, and whether it lies on the ground: clouds'
    shadows, mist in fog; none indoors, underwater, without air, or under rain and snow (their particles
    move)."""
    if card.indoors or card.underwater or card.scenery.sky is not None:
        return None
    if weather == Weather.FOG:
        return mix(palette.sky_horizon, (255, 255, 255), 0.35), 0.4, False
    if weather in (Weather.CLEAR, Weather.CLOUDY):  # under the sun, or fainter under the moon and on bright snow
        return palette.lit((24, 36, 70)), 0.22 * (1 if palette.light.sun else 0.8) * (0.4 if card.snow else 1), True
    return None


def drifting(size: float, rgb: RGB, alpha: float, on_ground: bool) -> Step:
    """Soft patches about `size` units across, far apart along the tile: clouds' shadows lying on the
    ground (y >= 0, toward the camera), or banks of mist standing on it."""
    def draw(tile: Tile) -> None:
        rng, count = tile.rng, round(tile.period / (1.25 * size))
        for i in range(count):
            rx, ry = size * rng.uniform(0.7, 1.3), size * rng.uniform(0.2, 0.35)
            cx = tile.period * (i + 0.5) / count + rng.uniform(-0.5, 0.5) * (tile.period / count - 2 * rx)
            cx = min(max(cx, rx), tile.period - rx)  # whole within the tile, whose edge would cut it straight
            cy = ry * (rng.uniform(1.0, 1.5) if on_ground else rng.uniform(-0.6, 0.2))  # a shadow ends before the sky
            soft_patch(tile.canvas, cx, cy, rx, ry, rgb, alpha)
    return draw


def soft_patch(canvas: skia.Canvas, cx: float, cy: float, rx: float, ry: float, rgb: RGB, alpha: float) -> None:
    """An oval that fades out toward its rim, in SOFT_RINGS flat steps. Cheaper to fill than a gradient:
    each step is a ring drawn once (ovals stacked one inside the other would blend every pixel of the
    middle again and again), without antialiasing (a step's edge is too faint to show its pixels)."""
    def oval(ring: int) -> skia.Rect:
        part = 1 - 0.6 * ring / SOFT_RINGS
        return skia.Rect(cx - rx * part, cy - ry * part, cx + rx * part, cy + ry * part)

    for ring in range(SOFT_RINGS):
        path = skia.Path()
        path.setFillType(skia.PathFillType.kEvenOdd)
        path.addOval(oval(ring))
        if ring + 1 < SOFT_RINGS:
            path.addOval(oval(ring + 1))
        paint = fill(rgb, 1 - (1 - alpha / SOFT_RINGS) ** (ring + 1))  # as deep as that many rings stacked
        paint.setAntiAlias(False)
        canvas.drawPath(path, paint)


def polygon(points: list[tuple[float, float]]) -> skia.Path:
    path = skia.Path()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    return path


def clouds(canvas: skia.Canvas, period: float, count: int, size: float, rgb: RGB, rng: random.Random,
           lowest: float, highest: float) -> None:
    paint = fill(rgb, 0.92)
    for _ in range(count):
        x, y = rng.uniform(size * 2, period - size * 2), -rng.uniform(lowest, highest)
        for _ in range(5):
            r = size * rng.uniform(0.4, 0.8)
            cx, cy = x + rng.uniform(-size, size) * 0.6, y + rng.uniform(-size * 0.25, size * 0.1)
            canvas.drawOval(skia.Rect(cx - r * 1.6, cy - r, cx + r * 1.6, cy + r * 0.6), paint)


def kerb(rgb: RGB) -> Step:
    def draw(tile: Tile) -> None:
        tile.canvas.drawRect(skia.Rect(-tile.period, 0, 2 * tile.period, 0.12), fill(tile.palette.lit(rgb)))
    return draw


def wall(rgb: RGB, trim: RGB) -> Step:
    """A room's wall with a window onto the time of day (the light's own horizon, unlit by the room)."""
    def draw(tile: Tile) -> None:
        lit, canvas, period = tile.palette.lit, tile.canvas, tile.period
        outside = tile.palette.light.sky_horizon
        canvas.drawRect(skia.Rect(-period, -BELOW, 2 * period, 0), fill(lit(rgb)))
        canvas.drawRect(skia.Rect(-period, -0.9, 2 * period, 0), fill(lit(trim)))
        canvas.drawRect(skia.Rect(-period, -3.2, 2 * period, -3.0), fill(lit(trim)))
        frame = fill(lit((120, 90, 70)))
        canvas.drawRect(skia.Rect(1.0, -2.5, 2.8, -1.3), frame)
        canvas.drawRect(skia.Rect(1.08, -2.42, 2.72, -1.38), fill(outside))
        canvas.drawRect(skia.Rect(1.88, -2.42, 1.92, -1.38), frame)
    return draw


def planks(rgb: RGB) -> Step:
    def draw(tile: Tile) -> None:
        line = fill(tile.palette.lit(rgb))
        for i in range(1, 12):
            y = 0.06 * i * i  # farther apart toward the camera
            tile.canvas.drawRect(skia.Rect(-tile.period, y, 2 * tile.period, y + 0.02 * i), line)
    return draw


def bolt(seed: int) -> skia.Path:
    """A lightning bolt from the clouds to the horizon, in frame heights around the horizon centre."""
    rng = random.Random(seed)
    x, y = rng.uniform(-0.8, 0.8), -1.0
    path = skia.Path()
    path.moveTo(x, y)
    while y < -0.03:
        x, y = x + rng.uniform(-0.06, 0.06), y + rng.uniform(0.06, 0.14)
        path.lineTo(x, min(y, -0.03))
    return path


def sky_picture(palette: Palette, rng: random.Random, underwater: bool, starry: bool, airless: bool = False
                ) -> skia.Picture:
    """Sun or moon, stars and far clouds (none without air), in frame heights around the horizon centre."""
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

    recorder = skia.PictureRecorder()
    draw(recorder.beginRecording(skia.Rect(-6, -3, 6, 1)))
    return recorder.finishRecordingAsPicture()


def cloud_picture(palette: Palette, rng: random.Random) -> skia.Picture:
    """Far clouds over one CLOUD_TILE of sky, in frame heights around the horizon centre: two halves
    of different clouds, so the drift repeats only every tile."""
    recorder = skia.PictureRecorder()
    canvas = recorder.beginRecording(skia.Rect(-CLOUD_TILE / 2, -3, CLOUD_TILE / 2, 1))
    cloudy = palette.weather in (Weather.CLOUDY, Weather.STORM, Weather.RAIN, Weather.SNOW)
    tone = palette.lit((250, 250, 252) if not cloudy else (214, 218, 226))
    half = CLOUD_TILE / 2
    clouds(canvas, half, 14 if cloudy else 8, 0.06, tone, rng, 0.12, 0.7)
    canvas.translate(-half, 0)
    clouds(canvas, half, 14 if cloudy else 8, 0.06, tone, random.Random(rng.random()), 0.12, 0.7)
    return recorder.finishRecordingAsPicture()


@dataclass(frozen=True)
class Flock:
    """A few birds far off, crossing the sky and coming round again every FLOCK_ROUND frame heights;
    in frame heights around the horizon centre, like the sky."""

    birds: tuple[tuple[float, float, float], ...]  # each bird's place behind the lead (dx, dy) and wingbeat phase
    height: float  # of the lead above the horizon
    start: float  # where the lead is at 0 s, along the round
    heading: int  # +1 flies right, -1 left
    paint: skia.Paint

    def draw(self, canvas: skia.Canvas, seconds: float) -> None:
        lead = (self.start + FLOCK_SPEED * seconds) % FLOCK_ROUND - FLOCK_ROUND / 2
        span = 0.016  # a bird's wingspan
        for dx, dy, phase in self.birds:
            x, y = self.heading * (lead - dx), -self.height + dy
            beat = math.sin(2 * math.pi * (2.5 * seconds + phase))  # wings up (+1) and down (-1)
            wing = skia.Path()
            wing.moveTo(x - span / 2, y - span * 0.3 * beat)
            wing.quadTo(x - span / 4, y - span * 0.25, x, y)
            wing.quadTo(x + span / 4, y - span * 0.25, x + span / 2, y - span * 0.3 * beat)
            canvas.drawPath(wing, self.paint)


def flock(palette: Palette, rng: random.Random) -> Flock:
    """Three to five birds in a loose line, dark against the sky."""
    birds = tuple((0.035 * i + rng.uniform(-0.01, 0.01), rng.uniform(-0.02, 0.02), rng.random())
                  for i in range(rng.randint(3, 5)))
    paint = skia.Paint(Color=colour(palette.lit((58, 60, 72)), 0.85), AntiAlias=True,
                       Style=skia.Paint.kStroke_Style, StrokeWidth=0.0035, StrokeCap=skia.Paint.kRound_Cap)
    return Flock(birds, rng.uniform(0.2, 0.45), rng.uniform(0, FLOCK_ROUND), rng.choice((-1, 1)), paint)


def weather_particles(place: Place, palette: Palette, rng: random.Random, underwater: bool) -> list[Particles]:
    """Tiles of snowflakes, raindrops or bubbles at three depths: near ones are
    bigger and faster, which reads as depth."""
    weather = place.weather
    if underwater:
        kind, count, fall, wind = "bubble", 40, -0.08, 0.01
    elif weather == Weather.SNOW or (weather == Weather.STORM and world().biome(place.biome).snow):
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
                flakes = [skia.Point(rng.random(), rng.random()) for _ in range(count)]
                if weather == Weather.SNOW:  # a faint grey rim: slow white flakes still show against white snow
                    rim = skia.Paint(Color=colour(palette.lit((112, 128, 156)), 0.3), AntiAlias=True,
                                     StrokeCap=skia.Paint.kRound_Cap, StrokeWidth=0.0095 * near)
                    canvas.drawPoints(skia.Canvas.kPoints_PointMode, flakes, rim)
                paint = skia.Paint(Color=colour(palette.lit((255, 255, 255)), 0.55 + 0.4 * near), AntiAlias=True,
                                   StrokeCap=skia.Paint.kRound_Cap, StrokeWidth=0.006 * near)
                canvas.drawPoints(skia.Canvas.kPoints_PointMode, flakes, paint)
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
        tiles.append(Particles(recorder.finishRecordingAsPicture(), fall * near, wind * near, 0.3 * near))
    return tiles


@dataclass(frozen=True)
class Motes:
    """Specks drifting in the air: their colour, a faint rim (so light specks show on light walls), how many
    in a frame-height square and how fast they move (frame heights per second)."""

    rgb: RGB
    rim: RGB | None
    count: int
    fall: float
    wind: float
    glow: bool = False


DUST = Motes((255, 244, 214), (120, 96, 72), 48, 0.02, 0.03)
CAVE_DUST = Motes((230, 226, 220), None, 36, 0.02, 0.025, glow=True)
MOON_DUST = Motes((230, 230, 236), None, 36, 0.02, 0.025, glow=True)
FIREFLIES = Motes((236, 250, 140), None, 30, -0.015, 0.03, glow=True)


def motes(place: Place, palette: Palette, rng: random.Random, card: Biome) -> list[Particles]:
    """Something small drifting in the air where no weather falls: dust in a room, a cave or over the Moon,
    fireflies on a calm night over land. Two depths."""
    calm_night = palette.light.sun is None and place.weather in (Weather.CLEAR, Weather.CLOUDY)
    if card.indoors:
        kind = CAVE_DUST if card.scenery.sky is not None else DUST
    elif card.scenery.sky is not None:
        kind = MOON_DUST
    elif calm_night and not card.water and not card.snow and not card.underwater:
        kind = FIREFLIES
    else:
        return []
    tiles = []
    for near in (0.6, 1.0):
        recorder = skia.PictureRecorder()
        canvas = recorder.beginRecording(skia.Rect(-0.1, -0.1, 1.1, 1.1))
        points = [skia.Point(rng.random(), rng.random()) for _ in range(kind.count)]
        strokes = [(0.016 * near, kind.rgb, 0.16)] if kind.glow else []
        strokes += [(0.0095 * near, palette.lit(kind.rim), 0.3)] if kind.rim else []
        # A glow or a rim, then the speck itself, unlit by the scene: it catches what light there is.
        for width, rgb, alpha in [*strokes, (0.006 * near, kind.rgb, 0.85)]:
            paint = skia.Paint(Color=colour(rgb, alpha), AntiAlias=True, StrokeCap=skia.Paint.kRound_Cap,
                               StrokeWidth=width)
            canvas.drawPoints(skia.Canvas.kPoints_PointMode, points, paint)
        tiles.append(Particles(recorder.finishRecordingAsPicture(), kind.fall * near, kind.wind * near, 0.3 * near))
    return tiles
