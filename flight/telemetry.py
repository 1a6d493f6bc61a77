"""Telemetry: which messages a ground station asks for, how each updates :class:`~flight.state.VehicleState`,
and ``.tlog`` recording.

ArduPilot with zeroed ``SRx_`` rates sends nothing but HEARTBEAT until asked, so the link asks explicitly at
connect (:data:`DEFAULT_RATES`, by SET_MESSAGE_INTERVAL, with REQUEST_DATA_STREAM groups as the fallback for
autopilots that do not support or acknowledge it, see :data:`STREAM_OF`).

Example:
    >>> from pymavlink.dialects.v20 import ardupilotmega as mavlink
    >>> from flight.state import VehicleState
    >>> msg = mavlink.MAVLink_vfr_hud_message(0.0, 4.5, 90, 50, 60.0, 1.0)
    >>> apply(VehicleState(sysid=1), msg, "ardupilot", now=1.0).groundspeed_ms
    4.5
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.modes import Autopilot, mode_name
from flight.state import STATUSTEXT_KEEP, VehicleState

#: Messages (and Hz) asked for at connect.
DEFAULT_RATES: dict[str, float] = {
    "GLOBAL_POSITION_INT": 4.0,
    "ATTITUDE": 4.0,
    "VFR_HUD": 2.0,
    "SYS_STATUS": 1.0,
    "BATTERY_STATUS": 1.0,
    "GPS_RAW_INT": 1.0,
    "MISSION_CURRENT": 1.0,
    "EKF_STATUS_REPORT": 1.0,
    "HOME_POSITION": 0.2,
}

#: The REQUEST_DATA_STREAM group that carries each message on ArduPilot (the fallback for SET_MESSAGE_INTERVAL).
STREAM_OF: dict[str, int] = {
    "SYS_STATUS": mavlink.MAV_DATA_STREAM_EXTENDED_STATUS,
    "GPS_RAW_INT": mavlink.MAV_DATA_STREAM_EXTENDED_STATUS,
    "MISSION_CURRENT": mavlink.MAV_DATA_STREAM_EXTENDED_STATUS,
    "NAV_CONTROLLER_OUTPUT": mavlink.MAV_DATA_STREAM_EXTENDED_STATUS,
    "FENCE_STATUS": mavlink.MAV_DATA_STREAM_EXTENDED_STATUS,
    "GLOBAL_POSITION_INT": mavlink.MAV_DATA_STREAM_POSITION,
    "LOCAL_POSITION_NED": mavlink.MAV_DATA_STREAM_POSITION,
    "ATTITUDE": mavlink.MAV_DATA_STREAM_EXTRA1,
    "VFR_HUD": mavlink.MAV_DATA_STREAM_EXTRA2,
    "BATTERY_STATUS": mavlink.MAV_DATA_STREAM_EXTRA3,
    "EKF_STATUS_REPORT": mavlink.MAV_DATA_STREAM_EXTRA3,
    "MOUNT_STATUS": mavlink.MAV_DATA_STREAM_EXTRA3,
    "GIMBAL_DEVICE_ATTITUDE_STATUS": mavlink.MAV_DATA_STREAM_EXTRA3,
    "SYSTEM_TIME": mavlink.MAV_DATA_STREAM_RAW_SENSORS,
}

EKF_NEEDED = mavlink.EKF_ATTITUDE | mavlink.EKF_VELOCITY_HORIZ | mavlink.EKF_POS_HORIZ_ABS


def message_id(name: str) -> int:
    """MAVLink message id of a message name (``"ATTITUDE"`` -> 30).

    Raises:
        ValueError: unknown name; says where the names come from.
    """
    ident = getattr(mavlink, f"MAVLINK_MSG_ID_{name.strip().upper()}", None)
    if ident is None:
        raise ValueError(f"telemetry rate: {name!r} is not a MAVLink message of the ArduPilot dialect")
    return int(ident)


def _heartbeat(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    armed = bool(m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
    return replace(s, mode=mode_name(autopilot, int(m.custom_mode)), armed=armed, last_heartbeat=now, time=now)


def _global_position(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    heading = s.heading_deg if m.hdg == 65535 else m.hdg / 100.0
    return replace(
        s,
        lat=m.lat / 1e7,
        lon=m.lon / 1e7,
        alt_amsl_m=m.alt / 1000.0,
        alt_rel_m=m.relative_alt / 1000.0,
        heading_deg=heading,
        time=now,
    )


def _vfr_hud(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    return replace(s, groundspeed_ms=float(m.groundspeed), climb_ms=float(m.climb), time=now)


def _sys_status(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    pct = s.battery_pct if m.battery_remaining < 0 else float(m.battery_remaining)
    volts = s.voltage_v if m.voltage_battery in (0, 65535) else m.voltage_battery / 1000.0
    return replace(s, battery_pct=pct, voltage_v=volts, time=now)


def _battery_status(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    if m.id != 0:
        return s
    cells = [v for v in m.voltages if v != 65535]
    volts = sum(cells) / 1000.0 if cells else s.voltage_v
    pct = s.battery_pct if m.battery_remaining < 0 else float(m.battery_remaining)
    return replace(s, battery_pct=pct, voltage_v=volts, time=now)


def _gps_raw(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    sats = None if m.satellites_visible == 255 else int(m.satellites_visible)
    return replace(s, gps_fix=int(m.fix_type), satellites=sats, time=now)


def _mission_current(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    return replace(s, mission_seq=int(m.seq), time=now)


def _mission_reached(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    return replace(s, mission_reached=int(m.seq), time=now)


def _ekf(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    flags = int(m.flags)
    ok = flags & EKF_NEEDED == EKF_NEEDED and not flags & mavlink.EKF_CONST_POS_MODE
    return replace(s, ekf_ok=ok, time=now)


def _statustext(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    text = m.text if isinstance(m.text, str) else m.text.decode(errors="replace")
    entry = (now, int(m.severity), text.rstrip("\x00"))
    return replace(s, statustext=(*s.statustext[-(STATUSTEXT_KEEP - 1) :], entry), time=now)


def _home(s: VehicleState, m: Any, autopilot: Autopilot, now: float) -> VehicleState:
    return replace(s, home=(m.latitude / 1e7, m.longitude / 1e7, m.altitude / 1000.0), time=now)


UPDATERS: dict[str, Callable[[VehicleState, Any, Autopilot, float], VehicleState]] = {
    "HEARTBEAT": _heartbeat,
    "GLOBAL_POSITION_INT": _global_position,
    "VFR_HUD": _vfr_hud,
    "SYS_STATUS": _sys_status,
    "BATTERY_STATUS": _battery_status,
    "GPS_RAW_INT": _gps_raw,
    "MISSION_CURRENT": _mission_current,
    "MISSION_ITEM_REACHED": _mission_reached,
    "EKF_STATUS_REPORT": _ekf,
    "STATUSTEXT": _statustext,
    "HOME_POSITION": _home,
}


def apply(state: VehicleState, msg: Any, autopilot: Autopilot, now: float | None = None) -> VehicleState | None:
    """The state after ``msg``, or None when ``msg`` does not feed the state (most messages do not)."""
    updater = UPDATERS.get(msg.get_type())
    if updater is None:
        return None
    return updater(state, msg, autopilot, time.monotonic() if now is None else now)


class TlogWriter:
    """Records raw MAVLink packets in pymavlink's ``.tlog`` format: 8-byte big-endian µs timestamp + packet.

    Both directions are recorded, as MAVProxy does; ``mavutil.mavlink_connection(path)`` reads the file back.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] | None = path.open("ab")
        self._lock = threading.Lock()

    def write(self, packet: bytes, when: float | None = None) -> None:
        """Append one packet stamped ``when`` (seconds since the epoch, default now)."""
        stamp = struct.pack(">Q", int((time.time() if when is None else when) * 1e6))
        with self._lock:
            if self._file is not None:
                self._file.write(stamp + packet)

    def close(self) -> None:
        """Flush and close (idempotent)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
