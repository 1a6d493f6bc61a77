"""Ground-side watchdogs for one flying vehicle: battery reserve, lost link, fence breaches and failsafes.

The vehicle's own failsafes (set by :mod:`flight.safety`) are the first line; the watchdog is the second and
the operator's eyes:

- **Battery reserve.** Below ``reserve_pct`` while flying, and not already returning or landing, it commands a
  return to launch, **once** (an operator who takes over afterwards is not fought), and logs it.
- **Lost link.** No heartbeat: it raises an alarm (callback and log) and does nothing else. The vehicle's
  lost-link failsafe (``FS_GCS_ENABLE``) acts on its own; commands would not get through anyway. When the link
  comes back, it says so.
- **Fence.** ``Fence Breached`` STATUSTEXTs and FENCE_STATUS breaches are reported (the vehicle's
  ``FENCE_ACTION`` acts on them). Other failsafe texts (battery, GCS, EKF) are reported too.

It runs in its own thread (never in the link's receive thread, because the RTL command blocks for its ACK).

Example:
    >>> events = []  # doctest: +SKIP
    >>> with Watchdog(vehicle, Commander(vehicle), reserve_pct=20, on_event=events.append):  # doctest: +SKIP
    ...     fly()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from flight.commands import Commander
from flight.errors import FlightError
from flight.px4 import role_mode

if TYPE_CHECKING:
    from flight.vehicle import Vehicle

log = logging.getLogger(__name__)

EventKind = Literal[
    "battery_rtl", "battery_rtl_failed", "battery_forecast", "link_lost", "link_back", "fence_breach", "failsafe"
]
FAILSAFE_WORDS = ("failsafe", "battery 1 is low", "battery 1 is critical")


@dataclass(frozen=True)
class WatchEvent:
    """Something the operator must know about: what happened, to which vehicle, when (monotonic seconds)."""

    kind: EventKind
    sysid: int
    text: str
    time: float


class Watchdog:
    """Watches one vehicle's telemetry (see the module docs); a context manager that starts and stops it.

    Args:
        vehicle: The vehicle to watch.
        commander: Used for the one RTL on low battery.
        reserve_pct: Battery charge below which to return (0 disables the battery watch).
        on_event: Called with each :class:`WatchEvent` (from the watchdog thread; keep it short).
        period_s: How often to look.
        min_alt_m: Below this altitude the vehicle counts as on the ground (no RTL, e.g. before take-off).
    """

    def __init__(
        self,
        vehicle: Vehicle,
        commander: Commander,
        *,
        reserve_pct: float,
        on_event: Callable[[WatchEvent], None] | None = None,
        period_s: float = 0.1,
        min_alt_m: float = 1.0,
    ) -> None:
        self.vehicle = vehicle
        self.commander = commander
        self.reserve_pct = reserve_pct
        self.on_event = on_event
        self.period_s = period_s
        self.min_alt_m = min_alt_m
        self.events: list[WatchEvent] = []
        self.rtl_sent = False
        self.link_lost = False
        self._seen_texts: set[tuple[float, int, str]] = set(vehicle.state.statustext)
        self._breaches = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._fence_msgs: list[Any] = []
        self._fence_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Watchdog:
        """Start watching (a daemon thread); returns self."""
        if self._thread is not None:
            return self
        self._unsubscribe = self.vehicle.subscribe(self._on_fence_status, {"FENCE_STATUS"})
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"watchdog-{self.vehicle.sysid}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (idempotent), after one last look: what happened since the last pass (the link coming
        back as the vehicle lands, a last failsafe text) is still reported."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            try:
                self.check()
            except Exception:
                log.exception("vehicle %d: last watchdog pass failed", self.vehicle.sysid)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def __enter__(self) -> Watchdog:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.check()
            except Exception:  # the watchdog must keep watching whatever one pass does
                log.exception("vehicle %d: watchdog pass failed", self.vehicle.sysid)

    def _on_fence_status(self, msg: Any) -> None:  # receive thread: only queue it
        with self._fence_lock:
            self._fence_msgs.append(msg)

    # -- one pass --------------------------------------------------------------------------------------------

    def _emit(self, kind: EventKind, text: str) -> WatchEvent:
        event = WatchEvent(kind, self.vehicle.sysid, text, time.monotonic())
        self.events.append(event)
        level = logging.INFO if kind == "link_back" else logging.WARNING
        log.log(level, "vehicle %d: %s", self.vehicle.sysid, text)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("watchdog event callback failed")
        return event

    def check(self) -> list[WatchEvent]:
        """Look once at the telemetry; returns the events this pass raised (also kept in :attr:`events`)."""
        before = len(self.events)
        self._check_link()
        self._check_texts()
        self._check_fence_status()
        self._check_battery()
        return self.events[before:]

    def _check_link(self) -> None:
        ok = self.vehicle.link_ok
        if not ok and not self.link_lost:
            self.link_lost = True
            age = time.monotonic() - self.vehicle.state.last_heartbeat
            self._emit(
                "link_lost",
                f"LINK LOST: no heartbeat for {age:.1f} s; the vehicle's lost-link failsafe takes over "
                "(it returns home when it stops hearing this station)",
            )
        elif ok and self.link_lost:
            self.link_lost = False
            self._emit("link_back", "link back: heartbeats arrive again")

    def _check_texts(self) -> None:
        texts = self.vehicle.state.statustext
        for entry in texts:
            if entry in self._seen_texts:
                continue
            text = entry[2]
            low = text.lower()
            if "fence" in low and "breach" in low:
                self._emit("fence_breach", f"FENCE BREACH: the vehicle says {text!r}")
            elif any(word in low for word in FAILSAFE_WORDS) and "cleared" not in low:
                self._emit("failsafe", f"vehicle failsafe: {text}")
        self._seen_texts = set(texts)

    def _check_fence_status(self) -> None:
        with self._fence_lock:
            msgs, self._fence_msgs = self._fence_msgs, []
        for msg in msgs:
            count = int(msg.breach_count)
            if msg.breach_status and count > self._breaches:
                self._emit("fence_breach", f"FENCE BREACH #{count} reported by FENCE_STATUS (type {msg.breach_type})")
            self._breaches = max(self._breaches, count)

    def _check_battery(self) -> None:
        s = self.vehicle.state
        if self.rtl_sent or self.reserve_pct <= 0 or s.battery_pct is None or not s.armed:
            return
        if s.alt_rel_m is None or s.alt_rel_m < self.min_alt_m or s.battery_pct >= self.reserve_pct:
            return
        autopilot = self.commander.autopilot
        if s.mode in (role_mode(autopilot, "return"), role_mode(autopilot, "land")):
            return
        self.rtl_sent = True  # once, even if the command fails: the operator is told and decides
        try:
            self.commander.return_home()
        except FlightError as exc:
            self._emit("battery_rtl_failed", f"battery {s.battery_pct:.0f} % below reserve, but RTL failed: {exc}")
            return
        self._emit(
            "battery_rtl",
            f"battery {s.battery_pct:.0f} % is below the {self.reserve_pct:g} % reserve: returning home (RTL)",
        )
