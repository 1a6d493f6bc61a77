"""The patrol's figures: incidents by type and grid, each drone's flight, latencies from frame to warning.

:class:`Latencies` keeps the timestamps of each incident (frame taken, incident found, warning started), apart
from the incident itself; :func:`patrol_summary` turns the station's state into the summary that
``gridpatrol run`` prints and ``benchmarks/station.py`` reads.

Example:
    >>> percentiles([0.1, 0.2, 0.3, 0.4])
    {'p50': 0.2, 'p95': 0.4, 'n': 4}
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gridpatrol.station.rig import DroneRig, IncidentRecord
from speaker.broadcast import Broadcast


def percentiles(values: list[float]) -> dict[str, float | None]:
    """The 50th and 95th percentiles (nearest rank) of sorted ``values`` and how many there are."""
    if not values:
        return {"p50": None, "p95": None, "n": 0}

    def pick(q: float) -> float:
        return round(values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))], 3)

    return {"p50": pick(0.5), "p95": pick(0.95), "n": len(values)}


@dataclass
class IncidentTiming:
    """When one incident's frame was taken, sent, found and warned about (wall clock, this machine)."""

    frame_wall: float
    found_wall: float
    analysis_ms: float | None = None  # the vision pipeline's time on the incident's frame
    sent_wall: float | None = None  # when the analysis process sent the incident
    played_wall: float | None = None  # when its warning started playing


class Latencies:
    """Per incident id, its :class:`IncidentTiming` (thread-safe: the events and speaker threads both write)."""

    def __init__(self) -> None:
        self._by_id: dict[str, IncidentTiming] = {}
        self._lock = threading.Lock()

    def found(self, incident_id: str, timing: IncidentTiming) -> None:
        """Record an incident just found."""
        with self._lock:
            self._by_id[incident_id] = timing

    def played(self, incident_id: str, wall: float) -> bool:
        """Record the start of an incident's first warning; ``False`` if unknown or already played."""
        with self._lock:
            timing = self._by_id.get(incident_id)
            if timing is None or timing.played_wall is not None:
                return False
            timing.played_wall = wall
            return True

    def get(self, incident_id: str) -> IncidentTiming | None:
        """The timing of one incident, if the station found it."""
        with self._lock:
            return self._by_id.get(incident_id)

    def all(self) -> list[IncidentTiming]:
        """Every incident's timing, in the order found."""
        with self._lock:
            return list(self._by_id.values())


def drone_summary(rig: DroneRig) -> dict[str, Any]:
    """One drone's flight: phase, items reached, flight time, frames analysed, grids covered and skipped."""
    st = rig.flight.status
    flown = (rig.landing_t or 0) - rig.takeoff_t if rig.takeoff_t is not None and rig.landing_t else None
    return {
        "phase": st.phase,
        "ok": st.ok,
        "error": st.error,
        "reached": len([q for q in st.reached if q in st.nav_seqs]),
        "items": st.total,
        "flight_time_s": None if flown is None else round(flown, 1),
        "frames": rig.frames,
        "landed_from_home_m": st.landed_from_home_m,
        "skipped_grids": list(rig.skips.skipped),
        "grids": rig.skips.coverage(st.reached),
    }


def patrol_summary(
    rigs: Iterable[DroneRig],
    incidents: list[IncidentRecord],
    broadcasts: list[Broadcast],
    latencies: Latencies,
    outbox_counts: dict[str, Any],
    started_wall: float,
) -> dict[str, Any]:
    """Incidents by type and grid, warnings played, flight figures per drone, latencies, outbox state."""
    by_type = Counter(r.incident.type for r in incidents)
    by_grid = Counter((r.incident.type, r.incident.grid_id or "-") for r in incidents)
    timings = latencies.all()
    lat_warn = sorted(t.played_wall - t.frame_wall for t in timings if t.played_wall is not None)
    lat_found = sorted(t.found_wall - t.frame_wall for t in timings)
    return {
        "incidents": dict(by_type),
        "incidents_by_grid": {f"{t}@{g}": n for (t, g), n in sorted(by_grid.items())},
        "warnings_played": len([b for b in broadcasts if b.outcome == "played"]),
        "broadcasts": len(broadcasts),
        "drones": {rig.link.id: drone_summary(rig) for rig in rigs},
        "latency_found_s": percentiles(lat_found),
        "latency_warning_s": percentiles(lat_warn),
        "outbox": outbox_counts,
        "wall_s": round(time.time() - started_wall, 1),
    }
