"""Lockstep, for tests: each simulated drone waits for its camera's analysis instead of flying on without it.

Live, a drone flies on while its video is analysed, and the analysis takes the newest frame and drops the rest:
a slow or loaded machine analyses fewer frames of the same flight (as it should: that is what a real patrol
does). A test that checks what the cameras find cannot allow that, so in lockstep the simulated clock of each
drone (:meth:`sim.Simulator.hold_at`) runs at most ``sim_s_per_frame`` simulated seconds past the last frame
its analysis finished. A fast machine never waits; a slow one flies slower, seeing as many frames per simulated
second as a fast one.

The clock runs free while nothing is being analysed: below the analysis height
(:data:`~gridpatrol.station.vision_proc.MIN_ANALYSIS_ALT_M`: on the ground, taking off, landing), until the
drone's analysis is ready (its models loaded: a held clock would wait for a frame that cannot come yet, and a
ground station that times heartbeats in wall-clock time would call the link lost), once the drone's analysis
has stopped or failed, and once the station stops.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Protocol

from gridpatrol.station.vision_proc import MIN_ANALYSIS_ALT_M, StreamEvent


class SimClock(Protocol):
    """A simulator's clock as lockstep uses it (:class:`sim.Simulator`)."""

    @property
    def sim_time(self) -> float:
        """Simulated seconds since the start."""
        ...

    def hold_at(self, sim_time: float | None) -> None:
        """Let the clock run up to ``sim_time`` and wait there; ``None``: run freely."""
        ...


class Lockstep:
    """Holds each drone's simulated clock until its camera's analysis has caught up (see the module docs).

    Args:
        clocks: The simulator of each drone, by drone id (drones not named here are not held).
        sim_s_per_frame: Simulated seconds the clock may run per analysed frame: the demo uses its speed-up
            over the analysis rate, the spacing of frames a fast machine analyses live.

    Example:
        >>> class Clock:
        ...     sim_time, mark = 10.0, None
        ...     def hold_at(self, t): self.mark = t
        >>> clock = Clock()
        >>> step = Lockstep({"drone-1": clock}, sim_s_per_frame=2.0)
        >>> step.on_pose("drone-1", alt_rel=15.0); clock.mark is None  # its analysis is not ready yet
        True
        >>> step.on_event(StreamEvent("ready", "drone-1")); step.on_pose("drone-1", alt_rel=15.0); clock.mark
        12.0
        >>> step.on_event(StreamEvent("stopped", "drone-1")); clock.mark is None
        True
    """

    def __init__(self, clocks: Mapping[str, SimClock], sim_s_per_frame: float) -> None:
        if sim_s_per_frame <= 0:
            raise ValueError(f"sim_s_per_frame must be above 0, got {sim_s_per_frame}")
        self.clocks = dict(clocks)
        self.sim_s_per_frame = sim_s_per_frame
        self.waits = dict.fromkeys(self.clocks, 0)  # frames each clock was held for (how often lockstep mattered)
        self._marks: dict[str, float] = {}  # the held drones and where their clocks stop
        self._done: set[str] = set()  # analysis stopped or failed: never held again
        self._ready: set[str] = set()  # analysis ready (models loaded): held from now on
        self._lock = threading.Lock()

    def mark(self, drone_id: str) -> float | None:
        """Where the drone's clock stops now (simulated seconds); ``None`` while it runs free."""
        with self._lock:
            return self._marks.get(drone_id)

    def on_pose(self, drone_id: str, alt_rel: float) -> None:
        """The drone's newest pose: hold its clock once it is high enough to be analysed, free it below."""
        clock = self.clocks.get(drone_id)
        if clock is None:
            return
        with self._lock:
            if alt_rel < MIN_ANALYSIS_ALT_M or drone_id in self._done or drone_id not in self._ready:
                if self._marks.pop(drone_id, None) is not None:
                    clock.hold_at(None)
            elif drone_id not in self._marks:
                self._hold(drone_id, clock)

    def on_event(self, ev: StreamEvent) -> None:
        """An event of the drone's analysis: a frame done moves its clock's mark on; stopped or failed frees it."""
        clock = self.clocks.get(ev.drone_id)
        if clock is None:
            return
        with self._lock:
            if ev.kind in ("ready", "frame"):
                self._ready.add(ev.drone_id)
            if ev.kind == "frame" and ev.drone_id in self._marks:
                if clock.sim_time >= self._marks[ev.drone_id] - 1e-6:
                    self.waits[ev.drone_id] += 1
                self._hold(ev.drone_id, clock)
            elif ev.kind in ("error", "stopped"):
                self._done.add(ev.drone_id)
                if self._marks.pop(ev.drone_id, None) is not None:
                    clock.hold_at(None)

    def release_all(self) -> None:
        """Free every clock for good (the station stops: the drones return and land without analysis)."""
        with self._lock:
            self._done.update(self.clocks)
            for drone_id in list(self._marks):
                del self._marks[drone_id]
                self.clocks[drone_id].hold_at(None)

    def _hold(self, drone_id: str, clock: SimClock) -> None:
        mark = max(self._marks.get(drone_id, 0.0), clock.sim_time + self.sim_s_per_frame)
        self._marks[drone_id] = mark
        clock.hold_at(mark)
