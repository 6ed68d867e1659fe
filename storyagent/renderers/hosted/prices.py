"""What hosted video models cost: a table in package data (`prices.json`: per provider and model, a
price per second or per clip, with the date and the page it was read from), over which a user's own
file (`STORYAGENT_PRICES`, same format) puts their prices. Prices change: the table says when it was
read, and estimates say which price they used."""

from __future__ import annotations

import functools
import json
import math
import os
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyagent.errors import BackendError

USER_PRICES = "STORYAGENT_PRICES"


class Price(BaseModel):
    """One model's price. A per-clip price covers a clip of up to `clip_seconds`; longer requests are
    billed per clip started."""

    model_config = ConfigDict(extra="forbid")

    per_second: float | None = Field(default=None, ge=0, description="US dollars per second of video.")
    per_clip: float | None = Field(default=None, ge=0, description="US dollars per clip.")
    clip_seconds: float | None = Field(default=None, gt=0, description="What one clip's price covers.")
    date: str = Field(description="When the price was read, YYYY-MM-DD.")
    source: str = Field(description="The page it was read from.")

    def of(self, seconds: float) -> float:
        if self.per_second is not None:
            return self.per_second * seconds
        clips = math.ceil(seconds / self.clip_seconds) if self.clip_seconds else 1
        return (self.per_clip or 0.0) * max(1, clips)


Table = dict[str, dict[str, Price]]  # provider -> model -> price


@functools.cache
def price_table() -> Table:
    """The package's prices with the user's over them."""
    table = _read(files("storyagent.renderers.hosted").joinpath("prices.json").read_text(encoding="utf-8"), "prices.json")
    if path := os.environ.get(USER_PRICES):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise BackendError(f"{USER_PRICES}={path}: cannot read it ({error.strerror or error})") from None
        for provider, models in _read(text, path).items():
            table.setdefault(provider, {}).update(models)
    return table


def _read(text: str, where: str) -> Table:
    try:
        raw = json.loads(text)
        return {provider: {model: Price.model_validate(price) for model, price in models.items()}
                for provider, models in raw.items() if not provider.startswith("_")}
    except (ValueError, AttributeError, ValidationError) as error:  # pydantic's ValidationError is a ValueError
        first = str(error).splitlines()[0]
        raise BackendError(f"{where}: not a price table ({first}); see the README's 'Hosted generators'") from None


def price_of(provider: str, model: str) -> Price | None:
    """The model's price, or None when neither table knows it."""
    return price_table().get(provider, {}).get(model)
