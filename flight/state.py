"""The always-current, immutable picture of one vehicle, built from its telemetry.

A :class:`VehicleState` is a frozen snapshot: the receive thread makes a new one for every telemetry message that
changes something, so a reader never sees a half-updated state and may keep a snapshot as long as it likes.
Values the vehicle has not reported yet are ``None`` (never a made-up 0: a battery of "0 %" and "unknown" must
not look alike to safety code).

Example:
    >>> s = VehicleState(sysid=1)
    >>> s.battery_pct is None, s.mode
    (True, 'UNKNOWN')
"""

from __future__ import annotations

from dataclasses import dataclass

#: How many recent STATUSTEXT messages a state keeps.
STATUSTEXT_KEEP = 20


@dataclass(frozen=True)
class VehicleState:
    """One vehicle's telemetry at one moment (see the module docs for ``None``).

    Attributes:
        sysid: MAVLink system id.
        lat, lon: Degrees (GLOBAL_POSITION_INT).
        alt_rel_m: Metres above home; ``alt_amsl_m`` above mean sea level.
        heading_deg: 0..360 clockwise from north.
        groundspeed_ms, climb_ms: From VFR_HUD (climb > 0 is up).
        battery_pct, voltage_v: Remaining charge and pack voltage (SYS_STATUS / BATTERY_STATUS).
        gps_fix, satellites: GPS_RAW_INT fix type (3 = 3D) and satellites in use.
        mode: Flight-mode name (:mod:`flight.modes`), ``"UNKNOWN"`` before the first heartbeat.
        armed: Motors armed (HEARTBEAT).
        mission_seq: Current mission item (MISSION_CURRENT); ``mission_reached`` the last reached one.
        ekf_ok: EKF has attitude, velocity and absolute horizontal position (EKF_STATUS_REPORT).
        statustext: Recent ``(monotonic time, severity, text)``, oldest first.
        home: ``(lat, lon, alt_amsl)`` from HOME_POSITION.
        last_heartbeat: ``time.monotonic()`` of the vehicle's last HEARTBEAT (0.0: none yet).
        time: ``time.monotonic()`` of the message that made this snapshot.
    """

    sysid: int
    lat: float | None = None
    lon: float | None = None
    alt_rel_m: float | None = None
    alt_amsl_m: float | None = None
    heading_deg: float | None = None
    groundspeed_ms: float | None = None
    climb_ms: float | None = None
    battery_pct: float | None = None
    voltage_v: float | None = None
    gps_fix: int | None = None
    satellites: int | None = None
    mode: str = "UNKNOWN"
    armed: bool = False
    mission_seq: int | None = None
    mission_reached: int | None = None
    ekf_ok: bool | None = None
    statustext: tuple[tuple[float, int, str], ...] = ()
    home: tuple[float, float, float] | None = None
    last_heartbeat: float = 0.0
    time: float = 0.0

    @property
    def has_position(self) -> bool:
        """Whether a position has been reported."""
        return self.lat is not None and self.lon is not None
