"""What the station keeps per drone (:class:`DroneRig`) and per incident (:class:`IncidentRecord`).

Kept apart from :mod:`gridpatrol.station.runtime` so the parts that act on one drone
(:mod:`gridpatrol.station.investigate`, the dashboard) need no import of the station itself.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flight.errors import FlightError
from flight.fly import FlightStatus, MissionFlight
from flight.safety import CheckedMission
from gridpatrol.station.config import DroneLink
from gridpatrol.station.poses import PoseTracker
from gridpatrol.station.skips import GridSkips
from gridpatrol.station.vision_proc import StreamProcess
from speaker.broadcast import Broadcast
from speaker.speaker import Speaker
from vision.camera_model import CameraPose

# Imported here, not on first use: incidents arrive pickled from the analysis processes, and unpickling the first
# one would otherwise import vision.incidents (OpenCV, supervision) in the events thread, delaying that incident's
# warning by about 0.9 s (measured with benchmarks/station.py).
from vision.incidents import Sighting

log = logging.getLogger(__name__)


@dataclass
class DroneRig:
    """Everything the station runs for one drone."""

    link: DroneLink
    checked: CheckedMission
    flight: MissionFlight
    poses: PoseTracker
    speaker: Speaker
    skips: GridSkips
    stream: StreamProcess | None = None
    thread: threading.Thread | None = None
    attached: bool = False
    stream_state: str = "starting"
    analysis_ended: bool = False
    frames: int = 0
    people: int = 0
    frame_walls: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    takeoff_t: float | None = None
    landing_t: float | None = None
    #: The statuses of the flights before this one (earlier sorties), oldest first.
    earlier: list[FlightStatus] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self) -> bool:
        """Start following the vehicle's poses and grid skips once its flight has a vehicle and a commander;
        returns whether it is (now or already) attached.

        A link that closes meanwhile (a failed pre-flight check, a dropped vehicle) raises here: the drone stays
        unattached and is tried again on the next call, and the station's other drones go on being followed.
        """
        with self._lock:
            vehicle, commander = self.flight.vehicle, self.flight.commander
            if self.attached or vehicle is None or commander is None:
                return self.attached
            try:
                self.poses.attach(vehicle)
                self.skips.attach(vehicle, commander)
            except FlightError as exc:
                log.debug("%s: not following its poses yet: %s", self.link.id, exc)
                return False
            self.attached = True
            return True

    def next_sortie(self, checked: CheckedMission, flight: MissionFlight, skips: GridSkips) -> None:
        """Take a new mission once the last flight has ended (a later sortie, a scheduled patrol): its flight
        and grid skips replace the old ones, which are kept in :attr:`earlier`; the loudspeaker, the video
        analysis and the poses go on as they were. Start it with :meth:`fly`.

        Raises:
            RuntimeError: The drone's flight has not ended.
        """
        with self._lock:
            if not self.flight.status.done:
                raise RuntimeError(f"{self.link.id} is still flying ({self.flight.status.phase})")
            self.skips.close()
            self.earlier.append(self.flight.status)
            self.checked, self.flight, self.skips = checked, flight, skips
            self.attached, self.thread = False, None
            self.takeoff_t = self.landing_t = None

    def hold(self, note: Callable[[str], None]) -> None:
        """Hold the drone where it is (the station stops without calling it home), or stop it before take-off;
        ``note`` tells the operator which."""
        commander = self.flight.commander
        if commander is None:
            self.flight.abort.set()
            return
        try:
            commander.pause()
            note(f"{self.link.id}: holding position (LOITER/BRAKE); the vehicle's failsafes stay armed")
        except FlightError as exc:
            note(f"{self.link.id}: could not hold: {exc}")

    def fly(self) -> None:
        """Start the flight's thread (connect, upload, check, take off, follow)."""
        self.thread = threading.Thread(target=self.flight.run, name=f"flight-{self.link.id}", daemon=True)
        self.thread.start()

    def track_flight_time(self, latest: CameraPose | None) -> None:
        """Note take-off and landing on the vehicle's clock from the newest pose."""
        if latest is None:
            return
        airborne = latest.alt_rel > 1.0
        if airborne and self.takeoff_t is None:
            self.takeoff_t = latest.time
        if self.takeoff_t is not None and not airborne and latest.time > self.takeoff_t + 5:
            self.landing_t = latest.time

    def analysis_died(self) -> str | None:
        """Why the analysis process ended without a word (killed, crashed), the first time it is asked; else None.

        A process that stops normally says "stopped" first, so only a silent end is reported."""
        process = self.stream.process if self.stream is not None else None
        if process is None or self.analysis_ended or self.stream_state not in ("starting", "ready", "analysing"):
            return None
        if process.exitcode is None:  # not started, or still running
            return None
        self.analysis_ended = True
        return f"the video analysis process ended (exit code {process.exitcode}); this drone's video is unwatched"

    @property
    def fps(self) -> float:
        """Frames analysed per second lately."""
        w = self.frame_walls
        return (len(w) - 1) / (w[-1] - w[0]) if len(w) >= 2 and w[-1] > w[0] else 0.0


@dataclass
class IncidentRecord:
    """An incident as the station handled it: which drone saw it and what was said.

    When things happened (frame, found, played) is kept apart, in :class:`gridpatrol.station.summary.Latencies`.
    """

    incident: Sighting
    drone_id: str
    broadcast: Broadcast | None = None
    played: bool = False
