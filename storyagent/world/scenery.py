"""How the animatic draws a biome, as data: a ground colour and parallax
layers, far to near, each drawn by a few steps. The step names are the
drawing functions of `renderers/animatic/environments.py`; a new biome combines
them with its own colours and sizes, and needs no code."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Colour = tuple[
    Annotated[int, Field(ge=0, le=255)], Annotated[int, Field(ge=0, le=255)], Annotated[int, Field(ge=0, le=255)]
]
Peaks = list[tuple[int, float]]  # (repeats per period, height) of the waves a skyline sums


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Step):
    """The ground from the layer's foot toward the camera."""

    draw: Literal["band"]
    colour: Colour
    lit: bool = Field(default=False, description="Lit like the scene but not faded by distance (near ground).")


class Hills(_Step):
    """A smooth skyline: hills, dunes, a sea of cloud."""

    draw: Literal["hills"]
    base: float
    peaks: Peaks
    colour: Colour


class Mountains(_Step):
    """A sharp skyline, white above a wavy snowline if it has one."""

    draw: Literal["mountains"]
    base: float
    peaks: Peaks
    colour: Colour
    snowline: float | None = None


class Swell(_Step):
    """Water from height `top` toward the camera, its edge a row of swells with foam."""

    draw: Literal["swell"]
    amplitude: float
    count: int
    colour: Colour
    crest: Colour
    top: float = 0.0


class Bergs(_Step):
    """Faceted icebergs."""

    draw: Literal["bergs"]
    count: int
    named_count: int | None = Field(default=None, description="How many when the place lists an iceberg.")
    size: float


class Pines(_Step):
    """Pine silhouettes: a forest at a distance."""

    draw: Literal["pines"]
    count: int
    height: float
    colour: Colour


class Bamboo(_Step):
    """Bamboo stalks, jointed, with leaves near their tops: a bamboo grove."""

    draw: Literal["bamboo"]
    count: int
    height: float
    colour: Colour


class Lighthouse(_Step):
    """A lighthouse on its rock, striped, its lamp lit at dusk and night; one per tile."""

    draw: Literal["lighthouse"]
    height: float
    at: float = Field(default=0.5, ge=0, le=1, description="Where along the tile it stands.")


class Blocks(_Step):
    """A street of buildings; with windows, they glow at night."""

    draw: Literal["blocks"]
    count: int
    height: float
    windows: bool


class Puffs(_Step):
    """Clouds between heights `lowest` and `highest`."""

    draw: Literal["puffs"]
    count: int
    size: float
    colour: Colour
    lowest: float
    highest: float
    lit: bool = False


class Props(_Step):
    """The place's props as icons standing on the ground, or hanging at height -y."""

    draw: Literal["props"]
    count: int
    scale: float = 1.0
    y: float = 0.0
    lit: bool = True
    only: list[str] | None = Field(default=None, description="Only props drawn with these icons.")
    skip: list[str] = Field(default_factory=list, description="Not the props drawn with these icons.")


class Scuffs(_Step):
    """Marks on the ground, so motion over it reads."""

    draw: Literal["scuffs"]
    colour: Colour


class Kerb(_Step):
    draw: Literal["kerb"]
    colour: Colour


class Wall(_Step):
    """A room's wall with a window onto the time of day."""

    draw: Literal["wall"]
    colour: Colour
    trim: Colour


class Planks(_Step):
    """The lines of a wooden floor."""

    draw: Literal["planks"]
    colour: Colour


Step = Annotated[
    Band | Hills | Mountains | Swell | Bergs | Pines | Bamboo | Lighthouse | Blocks | Puffs | Props | Scuffs | Kerb | Wall
    | Planks,
    Field(discriminator="draw"),
]


class Layer(_Step):
    """A band of scenery at one depth that repeats sideways every `period` world units."""

    depth: float
    period: float
    draw: list[Step]
    drift: float = Field(default=0.0, description="World units per second (waves, clouds).")
    bob: float = Field(default=0.0, description="Vertical swell in world units (waves).")
    when: str | None = Field(default=None, description="Only when the place lists this prop.")
    each_prop: bool = Field(default=False, description="One layer per icon prop, each drawing that prop alone.")


class Scenery(_Step):
    ground: Colour = Field(description="The far ground, from the horizon down.")
    sky: tuple[Colour, Colour] | None = Field(default=None, description="The sky's own colours, top and "
                                              "horizon, whatever the time of day (no air: black).")
    layers: list[Layer] = Field(description="Far to near, behind the characters.")
    front: list[Layer] = Field(default_factory=list, description="In front of the characters (water lines).")


# The names a step's `draw` takes: what `drawn_props` may name.
STEP_NAMES = frozenset(get_args(kind.model_fields["draw"].annotation)[0] for kind in get_args(get_args(Step)[0]))
