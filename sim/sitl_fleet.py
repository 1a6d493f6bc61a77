"""Several ArduCopter SITL vehicles at once, each at its own home, and the wait until each one is really up.

:class:`~sim.sitl.ArduPilotSITL` starts one process and returns as soon as its TCP port accepts connections, but
a freshly started ArduCopter is not ready then: it refuses mission uploads and arming until it has booted, found
its (simulated) GPS and aligned its EKF. :func:`wait_ready` waits for the GPS 3-D fix, the sign that it has booted
and is worth connecting to, and :class:`SITLFleet` starts N vehicles side by side (they boot in parallel), waits
for every one of them, and stops them all again, whatever goes wrong in between. It is what
``gridpatrol sitl`` and ``gridpatrol demo --sitl`` stand on.

Example:
    >>> homes = [(30.5877, 114.2899, 20.0, 0.0), (30.5890, 114.2950, 20.0, 0.0)]
    >>> with SITLFleet.from_env(homes, first_instance=3, speedup=10) as fleet:  # doctest: +SKIP
    ...     print(fleet.endpoints)
    ['tcp:127.0.0.1:5790', 'tcp:127.0.0.1:5800']
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from sim.sitl import ENV_VAR, ArduPilotSITL, SITLError

os.environ.setdefault("MAVLINK20", "1")

#: Home of a SITL vehicle: (lat, lon, alt AMSL m, heading deg).
Home = tuple[float, float, float, float]

GPS_RAW_INT = 24
GPS_FIX_3D = 3


def unset_message() -> str:
    """What to tell a person who asked for SITL without ``ARDUPILOT_SITL`` (said the same everywhere)."""
    return (
        f"{ENV_VAR} is not set: point it to an ArduCopter SITL binary, for example "
        f"`export {ENV_VAR}=../shared/sitl/arducopter` (or build one: ./waf configure --board sitl && ./waf copter, "
        "then use build/sitl/bin/arducopter)"
    )


def wait_ready(endpoint: str, timeout_s: float = 120.0, alive: Callable[[], bool] | None = None) -> int:
    """Connect to a SITL vehicle, wait for its heartbeat and a GPS 3-D fix, then disconnect; returns its sysid.

    ArduCopter refuses uploads and arming until it has booted; the GPS fix is the first thing a ground station
    can see that says it has. The connection is closed again so that the serial port is free for the user's
    ground station (SITL accepts a new TCP client after one leaves). The system id is the one the vehicle's
    heartbeat carries, what a ground station will see. ``alive`` (the process is still running) ends the wait
    early when SITL dies while booting.

    Raises:
        SITLError: SITL exited or closed the connection, or no heartbeat or no fix within ``timeout_s``.
    """
    from pymavlink import mavutil

    def closed() -> None:  # pymavlink would print "EOF on TCP socket" and reconnect, forever
        raise SITLError(f"SITL closed {endpoint} while booting")

    deadline = time.monotonic() + timeout_s
    master: Any = mavutil.mavlink_connection(endpoint, source_system=255, source_component=190)
    master.handle_eof = master.handle_disconnect = closed
    target: int | None = None
    asked = 0.0
    try:
        while time.monotonic() < deadline:
            if alive is not None and not alive():
                raise SITLError(f"SITL on {endpoint} exited while booting")
            if target is not None and time.monotonic() - asked > 2.0:  # ask (again) for GPS_RAW_INT at 2 Hz
                master.mav.command_long_send(
                    target, 1, mavutil.mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, 0, GPS_RAW_INT, 500_000, 0, 0, 0, 0, 0
                )
                master.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
                asked = time.monotonic()
            msg = master.recv_match(type=["HEARTBEAT", "GPS_RAW_INT"], blocking=True, timeout=0.5)
            if msg is None:
                continue
            if msg.get_type() == "HEARTBEAT" and target is None and msg.type != mavutil.mavlink.MAV_TYPE_GCS:
                target = int(msg.get_srcSystem())
            fixed = msg.get_type() == "GPS_RAW_INT" and msg.fix_type >= GPS_FIX_3D
            if target is not None and fixed and msg.get_srcSystem() == target:
                return target
        what = "no heartbeat" if target is None else "no GPS 3-D fix (the vehicle did not finish booting)"
        raise SITLError(f"{endpoint}: {what} after {timeout_s:.0f} s")
    finally:
        master.close()


def _running(proc: Any) -> bool:
    return proc is not None and proc.poll() is None


def log_tail(vehicle: ArduPilotSITL, lines: int = 3) -> str:
    """The last lines of a running (or just ended) SITL's own log, for an error message."""
    if vehicle._workdir is None:
        return "no log"
    try:
        text = (Path(vehicle._workdir) / "sitl.log").read_text(errors="replace")
    except OSError:
        return "no log"
    return " | ".join(text.strip().splitlines()[-lines:]) or "its log is empty"


class SITLFleet:
    """N ArduCopter SITL vehicles, instance ``first_instance + i`` at ``homes[i]`` (port 5760 + 10 * instance).

    Args:
        binary: The ``arducopter`` SITL executable.
        homes: One (lat, lon, alt AMSL m, heading deg) per vehicle.
        first_instance: SITL instance of the first vehicle.
        speedup: SITL's ``--speedup`` for every vehicle.
        defaults: Extra parameter defaults for every vehicle.
        ready_timeout_s: Wall seconds each vehicle may take to get its GPS fix (bounds a hang, nothing more).
    """

    def __init__(
        self,
        binary: str,
        homes: Sequence[Home],
        *,
        first_instance: int = 0,
        speedup: float = 1.0,
        defaults: dict[str, float] | None = None,
        ready_timeout_s: float = 180.0,
    ) -> None:
        if not homes:
            raise SITLError("a SITL fleet needs at least one vehicle")
        self.vehicles = [
            ArduPilotSITL(binary, home=h, instance=first_instance + i, speedup=speedup, defaults=defaults)
            for i, h in enumerate(homes)
        ]
        self.ready_timeout_s = ready_timeout_s
        #: Each vehicle's MAVLink system id as its heartbeat says (known once :meth:`start` returned).
        self.sysids: list[int] = []
        self._started: list[ArduPilotSITL] = []

    @classmethod
    def from_env(cls, homes: Sequence[Home], **kwargs: Any) -> SITLFleet:
        """A fleet of the binary named by ``ARDUPILOT_SITL`` (SITLError with :func:`unset_message` when unset)."""
        path = os.environ.get(ENV_VAR)
        if not path:
            raise SITLError(unset_message())
        return cls(path, homes, **kwargs)

    @property
    def endpoints(self) -> list[str]:
        """``tcp:127.0.0.1:PORT`` of each vehicle's serial0, in order."""
        return [v.endpoint for v in self.vehicles]

    def start(self, on_ready: Callable[[int, ArduPilotSITL], None] | None = None) -> SITLFleet:
        """Start every vehicle, then wait until each has a GPS fix (``on_ready(i, vehicle)`` as each is).

        On any failure the vehicles already started are stopped before the error is raised.
        """
        self.sysids = []
        try:
            for v in self.vehicles:
                self._started.append(v)
                v.start()
            for i, v in enumerate(self.vehicles):
                self.sysids.append(wait_ready(v.endpoint, self.ready_timeout_s, functools.partial(_running, v._proc)))
                if on_ready is not None:
                    on_ready(i, v)
        except BaseException:
            self.stop()
            raise
        return self

    def exited(self) -> list[tuple[int, str]]:
        """(index, exit status and the end of its log) of each started vehicle whose process has ended."""
        gone = []
        for i, v in enumerate(self.vehicles):
            proc = v._proc
            if v in self._started and proc is not None and proc.poll() is not None:
                gone.append((i, f"exit status {proc.returncode}; {log_tail(v)}"))
        return gone

    def stop(self) -> None:
        """Stop every vehicle that was started (each waited for, so no process is left behind)."""
        while self._started:
            self._started.pop().stop()

    def __enter__(self) -> SITLFleet:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
