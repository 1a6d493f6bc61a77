"""When to speak: priority, cooldown per incident type and place, and a cap on repeats."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

PRIORITY: dict[str, int] = {"operator": 0, "crowd": 1, "no_mask": 2, "information": 3}
"""Lower speaks first; the operator pre-empts everything."""


class Broadcast(BaseModel):
    """One warning that went to the loudspeaker: what, when, where and for which incident."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(title="Kind", description="Incident type or `operator`/`information`.")
    text: str = Field(title="Text", description="The words spoken.")
    lang: str = Field(title="Language", description="Language code of the voice.")
    at: datetime = Field(title="Time", description="When it was queued (UTC).")
    grid: str | None = Field(None, title="Grid", description="Grid cell the warning was for.")
    incident_id: str | None = Field(None, title="Incident id", description="The incident that caused it.")
    repeat: int = Field(1, ge=1, title="Repeat", description="How many times this place heard this warning.")


@dataclass
class Policy:
    """Decides whether a warning for (kind, place) may speak now.

    Args:
        cooldown_s: Seconds to keep quiet about the same kind at the same place.
        max_repeats: How many times one place hears one kind before the policy stops.
        clock: Seconds, monotonic; a test passes a fake.
    """

    cooldown_s: float = 30.0
    max_repeats: int = 3
    clock: Callable[[], float] = time.monotonic
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _count: dict[tuple[str, str], int] = field(default_factory=dict)

    def allow(self, kind: str, place: str, max_repeats: int | None = None) -> int | None:
        """The repeat number if (kind, place) may speak now, else ``None``; records the use when allowed."""
        if kind == "operator":
            return 1
        key = (kind, place)
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.cooldown_s:
            return None
        count = self._count.get(key, 0)
        if count >= (self.max_repeats if max_repeats is None else max_repeats):
            return None
        self._last[key] = now
        self._count[key] = count + 1
        return count + 1


def now_utc() -> datetime:
    """The current time in UTC, for :class:`Broadcast`."""
    return datetime.now(UTC)
