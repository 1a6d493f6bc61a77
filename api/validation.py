"""Checks that keep unstorable or unreadable values out of the log, and a reader that tolerates old ones.

A value that arrives as JSON must come back out as JSON: no lone UTF-16 surrogates (``"\\ud800"`` cannot be
encoded as UTF-8), no NaN or Infinity (not JSON), no nesting deeper than the serializers handle. Requests that
break these rules get a 422 naming the field (:func:`json_problem`); rows that an older version stored anyway
are cleaned on the way out (:func:`readable_json`), so one bad row never stops a list or an export.

Example:
    >>> json_problem({"a": [1, float("nan")]}, max_depth=4)
    'a[1]: numbers must be finite (no NaN or Infinity)'
    >>> readable_json({"a": "\\ud800x"}, max_depth=4)
    {'a': '\\ufffdx'}
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field

SURROGATE = re.compile("[\ud800-\udfff]")
MAX_JSON_DEPTH = 16
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)
TOO_DEEP = "[nested too deep]"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as UTF-8 text, or None."""
    if SURROGATE.search(text):
        return "text must be valid Unicode (a lone surrogate such as \\ud800 is not)"
    return None


def _child(path: str, key: object) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """The first reason ``value`` cannot round-trip as JSON text, as ``"path: reason"``; None when it can.

    Walks iteratively, so a value nested far deeper than ``max_depth`` costs no recursion.
    """
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        where = f"{path}: " if path else ""
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return where + problem
        elif isinstance(item, float) and not math.isfinite(item):
            return where + "numbers must be finite (no NaN or Infinity)"
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return where + f"nested more than {max_depth} levels deep"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and text_problem(key):
                    return where + f"key {key!a}: {text_problem(key)}"
                stack.append((_child(path, key), child, depth + 1))
    return None


def readable_json(value: Any, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``value`` made JSON-safe for reading: lone surrogates become U+FFFD, NaN/Infinity null, and what is
    nested deeper than ``max_depth`` a marker string. Values that are fine come back equal."""

    def clean(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            return SURROGATE.sub("\ufffd", item)
        if isinstance(item, float):
            return item if math.isfinite(item) else None
        if isinstance(item, dict | list):
            if depth >= max_depth:
                return TOO_DEEP
            if isinstance(item, dict):
                return {clean(str(k), depth): clean(v, depth + 1) for k, v in item.items()}
            return [clean(v, depth + 1) for v in item]
        return item

    return clean(value, 0)


def check_json_fields(value: Any) -> Any:
    """For a ``field_validator("*")``: refuse a field value that cannot round-trip as JSON text."""
    if isinstance(value, BaseModel):
        return value
    problem = json_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# --- times


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a ValueError (so a 422) when that falls outside the years 1-9999."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("time is out of range once converted to UTC") from None


def sane_time(value: datetime) -> datetime:
    """``value`` in UTC when it lies between 2000-01-01 and a day after now (the server's clock)."""
    value = to_utc(value)
    if value < EARLIEST:
        raise ValueError("time must not be before 2000-01-01T00:00:00Z")
    if value > datetime.now(UTC) + MAX_AHEAD:
        raise ValueError("time must not be more than a day ahead of the server's clock")
    return value


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(sane_time),
    Field(description="Timezone-aware (e.g. ...Z); from 2000-01-01 up to a day after the server's now."),
]
QueryTime = Annotated[AwareDatetime, AfterValidator(to_utc)]


# --- tolerant reading


def _finite_or_none(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _readable_text(value: Any) -> Any:
    return SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


ReadFloat = Annotated[float | None, BeforeValidator(_finite_or_none)]
ReadText = Annotated[str, BeforeValidator(_readable_text)]


def _readable_object(value: Any) -> Any:
    cleaned = readable_json(value)
    if cleaned is None:
        return {}
    return cleaned if isinstance(cleaned, dict) else {"value": cleaned}


ReadJson = Annotated[dict[str, Any], BeforeValidator(_readable_object)]
