"""The vector icon library: Microsoft's Fluent Emoji (flat, MIT), vendored in
`assets/icons/` as one Iconify JSON of SVG bodies, plus search keywords.

Characters and props are drawn from it with skia's SVG renderer into
`skia.Picture`s, which replay as vectors: crisp at any camera zoom.

    >>> find("polar bear"), find("penguins"), find("pine tree")
    ('polar-bear', 'penguin', 'evergreen-tree')
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass

import skia

from storyagent.resources import ASSETS

ICON_DIR = ASSETS / "icons"

# Story nouns the emoji names and keywords miss or rank badly.
CURATED = {
    "iceberg": "ice",
    "ice floe": "ice",
    "pine": "evergreen-tree",
    "pine tree": "evergreen-tree",
    "fir": "evergreen-tree",
    "tree": "deciduous-tree",
    "oak": "deciduous-tree",
    "boat": "sailboat",
    "human": "person",
    "person": "person",
    "man": "man",
    "woman": "woman",
    "kid": "child",
    "king": "person-with-crown",
    "queen": "princess",
    "grandmother": "old-woman",
    "grandfather": "old-man",
    "wizard": "person-mage",
    "witch": "woman-mage",
    "puppy": "dog",
    "kitten": "cat",
    "bunny": "rabbit",
    "squirrel": "chipmunk",
    "stone": "rock",
    "boulder": "rock",
    "mountain": "snow-capped-mountain",
    "hill": "mountain",
    "star": "star",
    "moon": "crescent-moon",
    "flower": "blossom",
    "bush": "potted-plant",
    "grass": "herb",
    "city": "cityscape",
    "building": "office-building",
    "shop": "convenience-store",
    "car": "automobile",
    "ghost": "ghost",
}
SKIN_TONE = re.compile(r"-(dark|light|medium|medium-dark|medium-light)$")
# Words for some animal or other: no icon is chosen for them alone ("bird" and "fish" have icons of their own).
ANIMAL_WORDS = {"animal", "creature", "beast", "critter", "pet", "insect", "monster"}
# People are busts, drawn with a body like every other emoji person (see bodies.py).
FALLBACK_CHARACTER = "person"
FALLBACK_ANIMAL = "paw-prints"
FALLBACK_PROP = "sparkles"


@dataclass(frozen=True)
class Box:
    """The drawn part of an icon, as fractions of its square (0..1, y down)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


class IconLibrary:
    """The icons by name, with an index from keywords to names."""

    def __init__(self, data: dict, keywords: dict[str, list[str]]):
        self.size = float(data.get("height", 32))
        self.icons: dict[str, dict] = data["icons"]
        self.aliases: dict[str, dict] = data.get("aliases", {})
        self.keywords = keywords
        self.index: dict[str, list[tuple[int, str]]] = {}
        for name, words in keywords.items():
            if SKIN_TONE.search(name):
                continue
            for rank, word in enumerate(words):
                self.index.setdefault(word.lower(), []).append((rank, name))
        for name in self.icons:
            if not SKIN_TONE.search(name):
                for word in name.split("-"):
                    self.index.setdefault(word, []).append((50, name))

    def __contains__(self, name: str) -> bool:
        return name in self.icons or name in self.aliases

    def find(self, query: str) -> str | None:
        """The best icon for a noun or phrase, or None when nothing fits."""
        phrase = _normalise(query)
        if not phrase:
            return None
        for candidate in (phrase, _singular(phrase)):
            found = self._exact(candidate)
            if found:
                return found
        for candidate in (phrase, _singular(phrase)):
            found = self._keyword(candidate)
            if found:
                return found
        words = phrase.split()
        if len(words) > 1:  # "baby penguin" -> "penguin": English puts the head noun last
            return self.find(words[-1])
        return None

    def _exact(self, phrase: str) -> str | None:
        if phrase in CURATED:
            return CURATED[phrase]
        name = phrase.replace(" ", "-")
        return name if name in self else None

    def _keyword(self, phrase: str) -> str | None:
        hits = self.index.get(phrase)
        if not hits:
            return None
        return min(hits, key=lambda hit: (hit[0], len(hit[1]), hit[1]))[1]

    def svg(self, name: str) -> str:
        """A standalone SVG document for the icon, flips of aliases applied."""
        flip = False
        while name in self.aliases:
            alias = self.aliases[name]
            flip ^= bool(alias.get("hFlip"))
            name = alias["parent"]
        icon = self.icons[name]
        width, height = icon.get("width", self.size), icon.get("height", self.size)
        body = icon["body"]
        if flip:
            body = f'<g transform="translate({width} 0) scale(-1 1)">{body}</g>'
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">{body}</svg>'
        )


def _normalise(text: str) -> str:
    text = re.sub(r"[_\-]+", " ", text.lower())
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"^(a|an|the|some)\s+", "", text.strip())
    return " ".join(text.split())


def _singular(phrase: str) -> str:
    for plural, single in (("ves", "f"), ("ies", "y"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("s", "")):
        if phrase.endswith(plural) and len(phrase) > len(plural) + 2 and not phrase.endswith("ss"):
            return phrase[: -len(plural)] + single
    return phrase


@functools.cache
def library() -> IconLibrary:
    data = json.loads((ICON_DIR / "icons.json").read_text(encoding="utf-8"))
    keywords = json.loads((ICON_DIR / "keywords.json").read_text(encoding="utf-8"))
    return IconLibrary(data, keywords)


def find(query: str) -> str | None:
    return library().find(query)


def choose(nouns: list[str], hint: str = "character", description: str = "") -> str:
    """An icon for something named by `nouns` (most specific first), else one
    named in `description`, else a neutral stand-in: a figure for a character,
    paw prints for an animal, sparkles for a prop."""
    for noun in nouns:
        found = None if _normalise(noun) in ANIMAL_WORDS else find(noun)
        if found:
            return found
    words = _normalise(description).split()
    for size in (2, 1):  # "polar bear" before "bear"
        for i in range(len(words) - size + 1):
            found = library()._exact(" ".join(words[i : i + size]))
            if found:
                return found
    if hint == "prop":
        return FALLBACK_PROP
    said = {w for noun in nouns for w in _normalise(noun).split()} | set(words)
    return FALLBACK_ANIMAL if said & ANIMAL_WORDS else FALLBACK_CHARACTER


def native_facing(name: str) -> int:
    """Which way the drawing looks (+1 right, -1 left): Fluent's animals and
    walkers face left unless their name says otherwise."""
    return 1 if "facing-right" in name else -1


def flip_for(name: str, facing: int) -> bool:
    """Whether to mirror the icon so it faces `facing` (+1 right, -1 left)."""
    return (facing > 0) != (native_facing(name) > 0)


# -- drawing -------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def picture(name: str) -> skia.Picture:
    """The icon as a vector picture in a unit square (0..1, y down)."""
    svg = library().svg(name).encode("utf-8")
    # copyData: the stream must own its bytes, or skia may read them after Python freed them.
    dom = skia.SVGDOM.MakeFromStream(skia.MemoryStream(svg, True))
    size = dom.containerSize()
    recorder = skia.PictureRecorder()
    canvas = recorder.beginRecording(skia.Rect(1, 1))
    canvas.scale(1 / size.width(), 1 / size.height())
    dom.render(canvas)
    return recorder.finishRecordingAsPicture()


@functools.lru_cache(maxsize=256)
def raster(name: str, n: int = 128):
    """The icon's square as RGBA pixels, `n` x `n` (uint8, premultiplied): for measuring it."""
    import numpy as np

    pixels = np.zeros((n, n, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    with surface as canvas:
        canvas.scale(n, n)
        canvas.drawPicture(picture(name))
    pixels.setflags(write=False)  # shared by every caller through the cache
    return pixels


@functools.lru_cache(maxsize=256)
def average_colour(name: str) -> tuple[int, int, int]:
    """The icon's mean colour over what it draws (the colour of a heap of what it is made of)."""
    import numpy as np

    pixels = raster(name).astype(float)
    alpha = pixels[:, :, 3]
    if alpha.sum() == 0:
        return (128, 128, 128)
    # Premultiplied: the colour sums divided by the alpha sum are the mean of the unpremultiplied colours.
    r, g, b = (round(255 * pixels[:, :, c].sum() / alpha.sum()) for c in range(3))
    return (r, g, b)


@functools.lru_cache(maxsize=256)
def content_box(name: str) -> Box:
    """Where the icon actually draws inside its square: feet stand on `bottom`."""
    import numpy as np

    pixels = raster(name)
    n = len(pixels)
    rows = np.flatnonzero(pixels[:, :, 3].max(axis=1) > 8)
    cols = np.flatnonzero(pixels[:, :, 3].max(axis=0) > 8)
    if rows.size == 0:
        return Box(0.0, 0.0, 1.0, 1.0)
    return Box(cols[0] / n, rows[0] / n, (cols[-1] + 1) / n, (rows[-1] + 1) / n)


def hex_colour(value: str, alpha: int = 255) -> int:
    """A skia colour from '#rrggbb'."""
    return skia.Color(int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16), alpha)


def tint_paint(tint: str | None, amount: float = 0.45) -> skia.Paint | None:
    """A paint that washes the icon with `tint` (#rrggbb), keeping its shading."""
    if not tint:
        return None
    colour = hex_colour(tint, round(255 * amount))
    return skia.Paint(ColorFilter=skia.ColorFilters.Blend(colour, skia.BlendMode.kSrcATop))


def draw(canvas: skia.Canvas, name: str, x: float, y: float, size: float, *, flip: bool = False,
         paint: skia.Paint | None = None) -> None:
    """Draw the icon's square with its top-left at (x, y), `size` units wide
    (`paint`: a colour filter over it, e.g. a `tint_paint`)."""
    canvas.drawPicture(picture(name), placement(x, y, size, flip), paint)


def placement(x: float, y: float, size: float, flip: bool = False) -> skia.Matrix:
    """Where `draw` puts the icon's unit square: top-left at (x, y), `size` wide, mirrored if `flip`."""
    matrix = skia.Matrix.Translate(x, y)
    matrix.preScale(size, size)
    if flip:
        matrix.preTranslate(1, 0)
        matrix.preScale(-1, 1)
    return matrix


def unknown_icons(named: list[str | None]) -> list[str]:
    """Icons a director named that the library does not have, each as 'json.path: message';
    `named` holds the storyboard's characters' icons, in order."""
    known = library()
    problems = []
    for i, name in enumerate(named):
        if name and name not in known:
            guess = difflib.get_close_matches(name, list(known.icons), n=1) or [find(name)]
            hint = f"; did you mean '{guess[0]}'?" if guess[0] else " (names are Fluent Emoji's, e.g. 'polar-bear')"
            problems.append(f"characters[{i}].visual.icon: no icon named '{name}'{hint}")
    return problems
