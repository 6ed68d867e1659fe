"""The layout track of a shot: where the camera is and where every character is drawn, frame by frame.

The animatic stages each shot and writes this beside its clip (`<clip stem>.layout.json`); it is what
later generators condition on (boxes, and masks from the matte pass), what lint checks against the
picture, and what a reframing edit follows. It is renderer-independent: any renderer that stages a
shot can write one.

Boxes are `[x0, y0, x1, y1]` in frame pixels (x right, y down, x1 and y1 exclusive edges) and may
extend past the frame: a figure cut by the frame edge keeps its whole box, and `visible` says how much
of it is inside.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from storyagent.cache import write_text_atomic
from storyagent.renderers.framing import Body

LAYOUT_SUFFIX = ".layout.json"
Box = tuple[float, float, float, float]


def layout_path(clip: Path) -> Path:
    """Where a clip's layout track lives: beside it, same name."""
    return clip.with_name(clip.name.removesuffix(clip.suffix) + LAYOUT_SUFFIX)


class Member(BaseModel):
    """One figure of the shot: a character, or one member of a group."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The character's id; a group's members are '<id>#1', '<id>#2', … front to back.")
    character: str = Field(description="The storyboard character it belongs to.")
    body: Body = Field(description="How it is built, which says which row of the framing table it is measured by: "
                                   "'upright', 'four-legs' or 'all-head'.")
    matte_colour: str = Field(description="Its flat colour in the matte pass, '#rrggbb'.")


class Camera(BaseModel):
    """The camera at one frame."""

    model_config = ConfigDict(extra="forbid")

    centre: tuple[float, float] = Field(description="World point (x, y; y down, the ground at 0, a grown-up human "
                                                    "1 unit tall) at the frame centre, on the characters' plane.")
    zoom: float = Field(description="Lens zoom: 1 is the normal 40-degree vertical field of view.")
    roll: float = Field(description="Roll, degrees clockwise.")
    pixels_per_unit: float = Field(description="Frame pixels per world unit on the characters' plane.")


class Figure(BaseModel):
    """One member as drawn in one frame."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The member's id, as in `ShotLayout.members`.")
    box: Box = Field(description="The drawn figure's box in frame pixels.")
    head: Box = Field(description="Its head's box in frame pixels (a figure that is one emoji: the upper half of "
                                  "its box, where an emoji draws its features).")
    facing: int = Field(description="+1 faces screen right, -1 screen left.")
    depth: float = Field(description="World units behind the characters' plane: the nearer figure is drawn over the "
                                     "farther, and of two at one depth the later in `members`.")
    visible: float = Field(ge=0, le=1, description="Fraction of the figure's box inside the frame.")


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera: Camera
    figures: list[Figure] = Field(description="Every member of the shot, on screen or not, in `members` order.")


class ShotLayout(BaseModel):
    """A shot's layout track: one `Frame` per frame of its clip."""

    model_config = ConfigDict(extra="forbid")

    shot: str
    fps: int
    width: int
    height: int
    members: list[Member]
    frames: list[Frame]

    def save(self, path: Path) -> Path:
        return write_text_atomic(path, self.model_dump_json())

    @classmethod
    def load(cls, path: Path) -> ShotLayout:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def matte_colours(count: int) -> list[str]:
    """`count` flat colours for the matte pass, far apart in hue and all bright, so no two members and no
    member and the black background are confused; the same list for every shot."""
    import colorsys

    colours = []
    for i in range(count):
        hue = (i * 0.381966) % 1.0  # the golden angle: each new hue lands in the widest gap left
        r, g, b = colorsys.hsv_to_rgb(hue, 1.0 if i % 2 == 0 else 0.55, 1.0)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return colours
