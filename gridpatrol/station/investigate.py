"""The operator's "investigate": fly to an incident, hover at a safe height, look at it, repeat the warning, resume.

Before the drone moves, the detour is checked against the mission's allowed airspace (the fence minus the
no-fly zones, as :func:`flight.safety.check_plan_file` computed it): the leg from where the drone is to the
stand-off point, the stand-off point itself, and the leg back to the mission item it will resume towards. A
detour that would leave it is refused with the reason, and the drone carries on with its mission.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from shapely.geometry import LineString, Point

from flight.errors import FlightError
from gridpatrol.station.config import RunConfig
from gridpatrol.station.rig import DroneRig
from incidents import Incident

log = logging.getLogger(__name__)


class Investigation:
    """One investigation by one drone (a thread once started); :attr:`phase` says where it is.

    Args:
        rig: The drone that goes.
        incident: What it goes to look at (it needs a ground position).
        run: The ``[run]`` section (stand-off distance, hover height, how long to watch).
        phrasebook: ``[speaker] phrasebook``: incident type -> language -> warning, repeated on arrival.
        note: Shows a line to the operator.
    """

    def __init__(
        self,
        rig: DroneRig,
        incident: Incident,
        run: RunConfig,
        phrasebook: Mapping[str, Mapping[str, str]],
        note: Callable[[str], None],
    ) -> None:
        self.rig, self.incident, self.run = rig, incident, run
        self.phrasebook, self.note = phrasebook, note
        self.phase = "checking"
        self.error: str | None = None
        self.target: tuple[float, float] | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the investigation is still under way."""
        return self._thread is not None and self._thread.is_alive()

    def _incident_xy(self) -> tuple[float, float]:
        inc = self.incident
        if inc.lat is None or inc.lon is None:
            raise FlightError(f"incident {inc.id} has no ground position, so there is nowhere to fly")
        x, y = self.rig.checked.frame.to_local(inc.lon, inc.lat)
        return float(x), float(y)

    def check(self) -> None:
        """Work out the stand-off point and refuse a detour outside the allowed airspace.

        Raises:
            FlightError: with what would be crossed and what to do instead.
        """
        state = self.rig.flight.vehicle.state if self.rig.flight.vehicle is not None else None
        if state is None or state.lat is None or state.lon is None or not state.armed:
            raise FlightError(f"{self.rig.link.id} is not flying, so it cannot investigate")
        frame, allowed = self.rig.checked.frame, self.rig.checked.allowed
        ix, iy = self._incident_xy()
        dx, dy = (float(v) for v in frame.to_local(state.lon, state.lat))
        run = self.run
        dist = math.hypot(dx - ix, dy - iy)
        f = min(1.0, run.investigate_offset_m / dist) if dist > 0 else 0.0
        sx, sy = ix + (dx - ix) * f, iy + (dy - iy) * f
        legs = [("the way there", LineString([(dx, dy), (sx, sy)]))]
        nxt = self._next_item_xy(state.mission_seq)
        if nxt is not None:
            legs.append(("the way back to the route", LineString([(sx, sy), nxt])))
        if not allowed.covers(Point(sx, sy)):
            raise FlightError(
                f"the stand-off point near incident {self.incident.id} is outside the fence or in a no-fly "
                "zone; look at it with the camera from the route instead"
            )
        for what, leg in legs:
            if not allowed.covers(leg):
                raise FlightError(
                    f"{what} would leave the fence or cross a no-fly zone; investigation refused, the mission goes on"
                )
        lon, lat = frame.to_lonlat(sx, sy)
        self.target = (float(lat), float(lon))

    def _next_item_xy(self, seq: int | None) -> tuple[float, float] | None:
        track, seqs = self.rig.checked.track, self.rig.checked.track_seqs
        if seq is None:
            return None
        for point, s in zip(track, seqs, strict=False):
            if s >= seq:
                return float(point[0]), float(point[1])
        return None

    def start(self) -> None:
        """Run the investigation in its own thread."""
        self._thread = threading.Thread(target=self._run, name=f"investigate-{self.rig.link.id}", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the investigation to finish."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        rig, inc = self.rig, self.incident
        commander: Any = rig.flight.commander
        assert self.target is not None and commander is not None
        try:
            self.phase = "pausing"
            commander.pause()
            self.phase = "flying"
            commander.goto(self.target[0], self.target[1], self.run.investigate_alt_m)
            self.phase = "pointing"
            commander.point_camera_at(inc.lat, inc.lon, 0.0)
            self.phase = "warning"
            template = self.phrasebook.get(inc.type, {}).get(rig.speaker.lang)
            if template:
                rig.speaker.announce(template.format(count=inc.people, grid=inc.grid_id or ""))
            self.phase = "watching"
            self._hold(self.run.investigate_hold_s)
            commander.clear_camera_target()
            self.phase = "resuming"
            commander.resume()
            self.phase = "done"
            self.note(f"{rig.link.id}: investigated incident {inc.id}; back on the route")
        except FlightError as exc:
            self.error = str(exc)
            self.phase = "failed"
            self.note(f"{rig.link.id}: investigation failed: {exc}; the drone holds, resume or return it")

    def _hold(self, vehicle_s: float) -> None:
        poses = self.rig.poses
        start = poses.vehicle_time(time.monotonic())
        while start is not None:
            now = poses.vehicle_time(time.monotonic())
            if now is None or now - start >= vehicle_s:
                return
            time.sleep(0.05)
