"""When to speak: priority, cooldown per incident type and place or track, and a cap on repeats."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

PRIORITY: dict[str, int] = {"operator": 0, "crowd": 1, "no_mask": 2, "information": 3}
"""Lower speaks first; the operator pre-empts everything."""


@dataclass
class Policy:
    """Decides whether a warning of one kind may speak now, for a place and the tracked people it is for.

    A warning is held back when its (kind, place) spoke less than ``cooldown_s`` ago, when at least
    ``track_overlap`` of its tracks heard the same kind less than ``cooldown_s`` ago (anywhere: a group
    walking into the next grid is not warned again), or when the place has heard it ``max_repeats`` times.

    Args:
        cooldown_s: Seconds to keep quiet about the same kind at the same place or to the same tracks.
        max_repeats: How many times one place hears one kind before the policy stops.
        track_overlap: Share of an incident's tracks that must have heard the line to keep quiet.
        clock: Seconds, monotonic; a test passes a fake.

    Example:
        >>> p = Policy(cooldown_s=30, clock=lambda: 0.0)
        >>> p.allow("crowd", "B7", tracks=["4", "5"]), p.allow("crowd", "B8", tracks=["4", "5"])
        (1, None)
    """

    cooldown_s: float = 30.0
    max_repeats: int = 3
    track_overlap: float = 0.5
    clock: Callable[[], float] = time.monotonic
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _count: dict[tuple[str, str], int] = field(default_factory=dict)
    _track_last: dict[tuple[str, str], float] = field(default_factory=dict)

    def allow(
        self,
        kind: str,
        place: str,
        max_repeats: int | None = None,
        tracks: Iterable[str] = (),
        at: float | None = None,
    ) -> int | None:
        """The repeat number if the warning may speak now, else ``None``; records the use when allowed.

        ``at``: when the incident happened (seconds, on the clock of the frames: the vehicle's in a simulation,
        where a busy machine stretches wall time), so cooldowns mean the same at any speed; default: ``clock``.
        """
        if kind == "operator":
            return 1
        key = (kind, place)
        now = self.clock() if at is None else at
        last = self._last.get(key)
        if last is not None and now - last < self.cooldown_s:
            return None
        track_keys = [(kind, str(t)) for t in dict.fromkeys(tracks)]
        if track_keys:
            heard = sum(1 for k in track_keys if now - self._track_last.get(k, -float("inf")) < self.cooldown_s)
            if heard >= self.track_overlap * len(track_keys):
                return None
        count = self._count.get(key, 0)
        if count >= (self.max_repeats if max_repeats is None else max_repeats):
            return None
        self._last[key] = now
        self._count[key] = count + 1
        for k in track_keys:
            self._track_last[k] = now
        if len(self._track_last) > 4096:
            self._track_last = {k: t for k, t in self._track_last.items() if now - t < self.cooldown_s}
        return count + 1
