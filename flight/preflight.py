"""The pre-flight checklist: what must hold before a drone takes off, each with its state and, when it failed, why.

:class:`~flight.fly.MissionFlight` ticks the checks as it prepares and launches a flight (link, GPS, launch site,
fence and failsafes, mission, battery, arming), so an operator sees a list, as in QGroundControl's or DJI Pilot's
pre-flight checklist, rather than a phase name: which checks passed, which is under way, and the one that failed
in the vehicle's or the station's own words (a pre-arm refusal lists the autopilot's ``PreArm:`` messages).

Example:
    >>> checks = Checklist()
    >>> with checks.checking("link", "connecting") as found:
    ...     found("tcp:127.0.0.1:5760")
    >>> checks.get("link"), checks.get("gps").state
    (Check(key='link', title='The vehicle answers on its link', state='passed', detail='tcp:127.0.0.1:5760'), 'waiting')
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

CheckState = Literal["waiting", "checking", "passed", "failed"]

#: Each check's key and what it means, in the order a flight passes them.
CHECKS: tuple[tuple[str, str], ...] = (
    ("link", "The vehicle answers on its link"),
    ("gps", "3-D GPS fix and a healthy EKF"),
    ("start", "Standing at the plan's launch site"),
    ("fence", "Fence, rally points and failsafes set and read back"),
    ("mission", "Mission uploaded and read back"),
    ("battery", "Battery charged for take-off"),
    ("arm", "Armed: the autopilot's pre-arm checks passed"),
)


@dataclass
class Check:
    """One check: its key, what it means, its state and a detail (what was found, or why it failed)."""

    key: str
    title: str
    state: CheckState = "waiting"
    detail: str = ""


class Checklist:
    """The checks of one flight, ticked by the flight's thread and read by displays (copies, under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks = {key: Check(key, title) for key, title in CHECKS}

    def get(self, key: str) -> Check:
        """A copy of check ``key``."""
        with self._lock:
            return Check(**asdict(self._checks[key]))

    def set(self, key: str, state: CheckState, detail: str = "") -> None:
        """Set a check's state and detail."""
        with self._lock:
            check = self._checks[key]
            check.state, check.detail = state, detail

    @contextlib.contextmanager
    def checking(self, key: str, detail: str = "") -> Iterator[Callable[[str], None]]:
        """Mark ``key`` under way for the block: failed with the error's words if it raises, else passed with what
        the block reported through the function it is given (what was found; nothing by default)."""
        found = [""]
        self.set(key, "checking", detail)
        try:
            yield lambda text: found.__setitem__(0, text)
        except BaseException as exc:
            self.set(key, "failed", str(exc) or type(exc).__name__)
            raise
        self.set(key, "passed", found[0])

    def records(self) -> list[dict[str, Any]]:
        """Every check as a plain record (key, title, state, detail), in flight order."""
        with self._lock:
            return [asdict(c) for c in self._checks.values()]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        with self._lock:
            return all(c.state == "passed" for c in self._checks.values())
