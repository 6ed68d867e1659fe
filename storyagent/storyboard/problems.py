"""What is wrong with a storyboard file, as one line with its JSON path:
pydantic's validation errors made readable, with a did-you-mean."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

# -- turning pydantic errors into one line with a JSON path -------------------


def json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe_validation_error(err: ValidationError, model: type[BaseModel]) -> str:
    """The first error as 'path: message', with a did-you-mean for unknown fields."""
    errors = err.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    path = json_path(loc)
    kind = first["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
        allowed = _fields_at(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if guess:
            message += f"; did you mean '{guess[0]}'?"
        elif allowed:
            message += f"; allowed: {', '.join(allowed)}"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "enum":
        expected = first.get("ctx", {}).get("expected", "")
        message = f"{_shown(first['input'])} is not one of {expected}"
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        guess = difflib.get_close_matches(str(first["input"]), options, n=1)
        if guess:
            message += f"; did you mean '{guess[0]}'?"
    else:
        message = first["msg"][0].lower() + first["msg"][1:]
        if "input" in first and not isinstance(first["input"], (dict, list)):
            message += f" (got {_shown(first['input'])})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {message}{more}"


def _shown(value: Any, limit: int = 60) -> str:
    """`value` as the message quotes it: a 10 MB string is shown by its start and length."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value))} characters)"


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model found by walking `loc` from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside list[X] / X | None annotations, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def unknown_id(kind: str, name: str, known: set[str]) -> str:
    """"unknown character 'x'" with the nearest known id, or every known id when none is near."""
    message = f"unknown {kind} '{name}'"
    guess = difflib.get_close_matches(name, sorted(known), n=1)
    if guess:
        return f"{message}; did you mean '{guess[0]}'?"
    return f"{message}; known: {', '.join(sorted(known)) or 'none'}"
