"""The service's clock: token expiry and login delays read time from here, so tests can move it by hand.

Example:
    >>> clock = ManualClock()
    >>> start = clock.now()
    >>> clock.advance(90)
    >>> (clock.now() - start).total_seconds(), clock.monotonic()
    (90.0, 90.0)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Real time: timezone-aware UTC ``now()`` for stored times, ``monotonic()`` seconds for intervals."""

    def now(self) -> datetime:
        """Now, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for rate limits and delays)."""
        return time.monotonic()


class ManualClock(Clock):
    """A clock that stands still until :meth:`advance` moves it (tests of expiry and delays)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime.now(UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        """The start time plus everything advanced so far."""
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Seconds advanced so far."""
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self._elapsed += seconds
