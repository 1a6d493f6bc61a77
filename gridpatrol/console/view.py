"""What the console shows, as JSON-ready dicts: the district, each drone's live state, incidents.

Everything here reads the running :class:`~gridpatrol.station.runtime.Station` (its rigs, incidents, run
settings) without changing it. Strings in these dicts may come from a vehicle (STATUSTEXT) or a district file
(grid and zone names); the page shows them as text only.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from mission_planner.district_io import load_district

#: Points kept per drone track (one per metre moved or more).
TRACK_POINTS = 600
#: A new track point once the drone has moved this far (m).
TRACK_STEP_M = 1.0


def district_geojson(path: Path) -> dict[str, Any]:
    """The district's fence, grids, no-fly zones and launch sites as a GeoJSON FeatureCollection (lon/lat)."""
    district = load_district(path)
    features: list[dict[str, Any]] = []

    def add(kind: str, fid: str, name: str, geometry: Any, **extra: Any) -> None:
        props = {"kind": kind, "id": fid, "name": name, **extra}
        features.append({"type": "Feature", "properties": props, "geometry": mapping(geometry)})

    for fence in district.fences:
        add("fence", fence.name, fence.name, fence.geometry, max_alt_m=fence.max_alt_m)
    for grid in district.grids:
        add("grid", grid.id, grid.name, grid.geometry, priority=grid.priority)
    for zone in district.nofly:
        add("nofly", zone.id, zone.name, zone.geometry)
    for site in district.launches:
        add("launch", site.id, site.name, site.geometry)
    return {"type": "FeatureCollection", "name": district.name, "features": features}


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320.0, (a[1] - b[1]) * 111_320.0 * math.cos(lat))


def grid_of_item(grid_items: dict[str, list[tuple[int, int]]], seq: int | None) -> str | None:
    """The grid that mission item ``seq`` works on, or None (take-off, transit, landing).

    Example:
        >>> grid_of_item({"4": [(4, 8)], "1": [(9, 13)]}, 10), grid_of_item({"4": [(4, 8)]}, 2)
        ('1', None)
    """
    if seq is None:
        return None
    for grid, runs in grid_items.items():
        if any(first <= seq <= last for first, last in runs):
            return grid
    return None


#: The review UI's five grid colours, by open incidents (``[api] grid_colour_thresholds`` sets the steps).
GRID_COLOURS = ("white", "green", "yellow", "orange", "red")


def grid_colour(count: int, thresholds: list[int]) -> str:
    """The colour of a grid with ``count`` incidents: white below the first threshold, then green ... red.

    Example:
        >>> [grid_colour(n, [1, 3, 6, 10]) for n in (0, 1, 3, 9, 10)]
        ['white', 'green', 'yellow', 'orange', 'red']
    """
    return GRID_COLOURS[sum(count >= t for t in thresholds[:4])]


def video_problem(state: str, frame_walls: Any, fps: float, now_wall: float, stall_s: float) -> str | None:
    """Why a drone's video analysis is not keeping up, in words, or None when it is (or there is no video).

    Analysing but no frame for ``stall_s`` plus one analysis period is a stall; an error is said as such.

    Example:
        >>> video_problem("analysing", [100.0], 2.0, 102.5, 1.5)
        'no analysed frame for 2.5 s'
        >>> video_problem("analysing", [100.0], 2.0, 101.0, 1.5) is None
        True
    """
    if state == "error":
        return "video analysis failed"
    if state != "analysing" or not frame_walls:
        return None
    silent = now_wall - frame_walls[-1]
    return f"no analysed frame for {silent:.1f} s" if silent > stall_s + 1.0 / max(fps, 0.1) else None


class Watch:
    """Samples every drone a few times a second: the latest view of each and the track it flew.

    Args:
        station: The running station.
        stall_s: A drone whose telemetry has been silent this long (monotonic seconds) is ``stalled``.
        period_s: How often to sample.
    """

    def __init__(self, station: Any, stall_s: float, period_s: float = 0.25) -> None:
        self.station = station
        self.stall_s = stall_s
        self.period_s = period_s
        self.tracks: dict[str, deque[tuple[float, float]]] = {d: deque(maxlen=TRACK_POINTS) for d in station.rigs}
        self.version = 0
        self._drones: list[dict[str, Any]] = []
        self._grids: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sample()

    def start(self) -> None:
        """Sample in a thread of its own until :meth:`stop`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="console-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (:meth:`start` starts again)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.sample()

    def sample(self) -> None:
        """Take one sample of every drone."""
        now = time.monotonic()
        drones = [self._drone(drone_id, rig, now) for drone_id, rig in self.station.rigs.items()]
        counts: dict[str, int] = {}
        for record in list(self.station.incidents):
            grid = getattr(record.incident, "grid_id", None)
            if grid:
                counts[grid] = counts.get(grid, 0) + 1
        thresholds = self.station.settings.api.grid_colour_thresholds
        grids = {g: {"count": n, "colour": grid_colour(n, thresholds)} for g, n in counts.items()}
        with self._lock:
            self._drones = drones
            self._grids = grids
            self.version += 1

    def grids(self) -> dict[str, dict[str, Any]]:
        """Per grid with incidents: how many this patrol found and its colour (grids without any are white)."""
        with self._lock:
            return dict(self._grids)

    def drones(self, tracks: bool = False) -> list[dict[str, Any]]:
        """The latest view of every drone, with the whole track of each when ``tracks``."""
        with self._lock:
            views = [dict(d) for d in self._drones]
            if tracks:
                for d in views:
                    d["track"] = [list(p) for p in self.tracks.get(d["id"], ())]
        return views

    def _investigating(self, drone_id: str, rig: Any) -> bool:
        job = getattr(self.station, "investigations", {}).get(drone_id) or getattr(rig, "investigation", None)
        return bool(job is not None and job.running)

    def _drone(self, drone_id: str, rig: Any, now: float) -> dict[str, Any]:
        flight = rig.flight
        status = flight.status
        vehicle = flight.vehicle
        state = vehicle.state if vehicle is not None else None
        view: dict[str, Any] = {
            "id": drone_id,
            "phase": status.phase,
            "error": status.error,
            "checks": status.checks.records(),
            "items": status.total,
            "reached": len(status.reached),
            "video": rig.stream_state,
            "people": rig.people,
            "fps": round(rig.fps, 1),
            "connected": state is not None,
            "investigating": self._investigating(drone_id, rig),
            "grids": list(rig.checked.plan.grid_items),
            "video_problem": video_problem(
                rig.stream_state, rig.frame_walls, self.station.run.fps, time.time(), self.stall_s
            ),
        }
        if state is None:
            view.update(stalled=False, telemetry_age_s=None)
            return view
        heard = max(state.time, state.last_heartbeat)
        age = now - heard if heard > 0 else None
        seq = state.mission_seq
        view.update(
            lat=state.lat,
            lon=state.lon,
            alt_m=None if state.alt_rel_m is None else round(state.alt_rel_m, 1),
            heading_deg=None if state.heading_deg is None else round(state.heading_deg),
            speed_ms=None if state.groundspeed_ms is None else round(state.groundspeed_ms, 1),
            mode=state.mode,
            armed=state.armed,
            battery_pct=None if state.battery_pct is None else round(state.battery_pct),
            voltage_v=None if state.voltage_v is None else round(state.voltage_v, 1),
            gps_fix=state.gps_fix,
            satellites=state.satellites,
            link_ok=bool(vehicle.link_ok),
            telemetry_age_s=None if age is None else round(age, 2),
            stalled=age is not None and age > self.stall_s and not status.done,
            item=seq,
            grid=grid_of_item(rig.checked.plan.grid_items, seq),
            statustext=state.statustext[-1][2] if state.statustext else None,
        )
        if state.lat is not None and state.lon is not None:
            track = self.tracks.setdefault(drone_id, deque(maxlen=TRACK_POINTS))
            here = (round(state.lat, 7), round(state.lon, 7))
            if not track or _distance_m(track[-1], here) >= TRACK_STEP_M:
                track.append(here)
        return view


def incident_view(record: Any) -> dict[str, Any]:
    """An incident as the side list shows it, under the incident contract's names (:class:`incidents.Incident`:
    ``people``, ``grid_id``, ``ts`` as on the wire, UTC; the page shows it in local time); ``snapshot`` says
    whether its image can be fetched."""
    inc = record.incident
    return {
        "id": inc.id,
        "type": inc.type,
        "people": inc.people,
        "grid_id": inc.grid_id,
        "drone": record.drone_id,
        "lat": inc.lat,
        "lon": inc.lon,
        "ts": inc.wire()["ts"],
        "warned": record.broadcast is not None,
        "snapshot": bool(getattr(inc, "snapshot", None)),
    }
