"""The simulated autopilot's parameters: ArduCopter names, units and defaults, stored the way ArduPilot keeps
them.

ArduPilot sends every parameter value as a float (``MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT``) together with its
declared type, and keeps floats at 32-bit precision; :class:`ParamStore` does the same so a read-back of a set
value differs from the sent double only in float32 noise, as on a real flight controller.

Example:
    >>> store = ParamStore(sysid=1)
    >>> store.value("WPNAV_SPEED")
    1000.0
    >>> store.set("WPNAV_SPEED", 750.0)
    750.0
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

INT8 = mavlink.MAV_PARAM_TYPE_INT8
INT16 = mavlink.MAV_PARAM_TYPE_INT16
INT32 = mavlink.MAV_PARAM_TYPE_INT32
REAL32 = mavlink.MAV_PARAM_TYPE_REAL32


@dataclass(frozen=True)
class ParamSpec:
    """One parameter's declaration: its MAVLink type, default value and whether the vehicle owns it."""

    ptype: int
    default: float
    read_only: bool = False


# ArduCopter 4.5 names and defaults, limited to what the simulator reads or a ground station commonly sets.
# Where SITL's defaults file differs from the firmware default (battery, frame), SITL's value is used.
DEFAULTS: dict[str, ParamSpec] = {
    "SYSID_THISMAV": ParamSpec(INT16, 1),
    "SYSID_MYGCS": ParamSpec(INT16, 255),
    "FRAME_CLASS": ParamSpec(INT8, 1),
    "FRAME_TYPE": ParamSpec(INT8, 1),
    "ARMING_CHECK": ParamSpec(INT32, 1),
    "ARMING_REQUIRE": ParamSpec(INT8, 1),
    "DISARM_DELAY": ParamSpec(INT8, 10),
    "AUTO_OPTIONS": ParamSpec(INT32, 0),
    "ANGLE_MAX": ParamSpec(INT16, 3000),
    "PILOT_SPEED_UP": ParamSpec(INT16, 250),
    "PILOT_SPEED_DN": ParamSpec(INT16, 0),
    "PILOT_ACCEL_Z": ParamSpec(INT16, 250),
    "WPNAV_SPEED": ParamSpec(REAL32, 1000.0),
    "WPNAV_SPEED_UP": ParamSpec(REAL32, 250.0),
    "WPNAV_SPEED_DN": ParamSpec(REAL32, 150.0),
    "WPNAV_ACCEL": ParamSpec(REAL32, 250.0),
    "WPNAV_RADIUS": ParamSpec(REAL32, 200.0),
    "LOIT_SPEED": ParamSpec(REAL32, 1250.0),
    "WP_YAW_BEHAVIOR": ParamSpec(INT8, 2),
    "RTL_ALT": ParamSpec(INT32, 1500),
    "RTL_ALT_FINAL": ParamSpec(INT32, 0),
    "RTL_CLIMB_MIN": ParamSpec(INT32, 0),
    "RTL_SPEED": ParamSpec(INT32, 0),
    "RTL_LOIT_TIME": ParamSpec(INT32, 5000),
    "LAND_SPEED": ParamSpec(INT16, 50),
    "LAND_SPEED_HIGH": ParamSpec(INT16, 0),
    "LAND_ALT_LOW": ParamSpec(INT16, 1000),
    "MIS_TOTAL": ParamSpec(INT16, 0, read_only=True),
    "MIS_RESTART": ParamSpec(INT8, 0),
    "MIS_OPTIONS": ParamSpec(INT16, 0),
    "FENCE_ENABLE": ParamSpec(INT8, 0),
    "FENCE_TYPE": ParamSpec(INT8, 7),
    "FENCE_ACTION": ParamSpec(INT8, 1),
    "FENCE_ALT_MAX": ParamSpec(REAL32, 100.0),
    "FENCE_ALT_MIN": ParamSpec(REAL32, -10.0),
    "FENCE_RADIUS": ParamSpec(REAL32, 300.0),
    "FENCE_MARGIN": ParamSpec(REAL32, 2.0),
    "FENCE_TOTAL": ParamSpec(INT8, 0, read_only=True),
    "RALLY_TOTAL": ParamSpec(INT8, 0, read_only=True),
    "RALLY_LIMIT_KM": ParamSpec(REAL32, 0.3),
    "RALLY_INCL_HOME": ParamSpec(INT8, 1),
    "BATT_MONITOR": ParamSpec(INT8, 4),
    "BATT_CAPACITY": ParamSpec(INT32, 5200),  # the patrol quad (SITL's test frame: 3300)
    "BATT_ARM_VOLT": ParamSpec(REAL32, 0.0),
    "BATT_LOW_VOLT": ParamSpec(REAL32, 10.5),  # SITL's: 3.5 V per cell of its 3S pack
    "BATT_CRT_VOLT": ParamSpec(REAL32, 0.0),
    "BATT_LOW_MAH": ParamSpec(REAL32, 0.0),
    "BATT_CRT_MAH": ParamSpec(REAL32, 0.0),
    "BATT_LOW_TIMER": ParamSpec(INT8, 10),
    "BATT_FS_LOW_ACT": ParamSpec(INT8, 0),
    "BATT_FS_CRT_ACT": ParamSpec(INT8, 0),
    "FS_GCS_ENABLE": ParamSpec(INT8, 0),
    "FS_GCS_TIMEOUT": ParamSpec(REAL32, 5.0),
    "FS_EKF_ACTION": ParamSpec(INT8, 1),
    "FS_EKF_THRESH": ParamSpec(REAL32, 0.8),
    "FS_OPTIONS": ParamSpec(INT32, 0),
    "GPS_TYPE": ParamSpec(INT8, 1),
    "MNT1_TYPE": ParamSpec(INT8, 1),
    "MNT1_PITCH_MIN": ParamSpec(REAL32, -90.0),
    "MNT1_PITCH_MAX": ParamSpec(REAL32, 20.0),
    "MNT1_YAW_MIN": ParamSpec(REAL32, -180.0),
    "MNT1_YAW_MAX": ParamSpec(REAL32, 180.0),
    "MNT1_DEFLT_MODE": ParamSpec(INT8, 3),
    "SR0_RAW_SENS": ParamSpec(INT16, 0),
    "SR0_EXT_STAT": ParamSpec(INT16, 0),
    "SR0_RC_CHAN": ParamSpec(INT16, 0),
    "SR0_POSITION": ParamSpec(INT16, 0),
    "SR0_EXTRA1": ParamSpec(INT16, 0),
    "SR0_EXTRA2": ParamSpec(INT16, 0),
    "SR0_EXTRA3": ParamSpec(INT16, 0),
    "SR0_PARAMS": ParamSpec(INT16, 10),
    "SIM_SPEEDUP": ParamSpec(REAL32, 1.0),
    "SIM_WIND_SPD": ParamSpec(REAL32, 0.0),
    "SIM_WIND_DIR": ParamSpec(REAL32, 180.0),
    "SIM_GPS_DISABLE": ParamSpec(INT8, 0),
}


def float32(value: float) -> float:
    """``value`` rounded to the nearest IEEE float32, as an autopilot stores it."""
    return float(struct.unpack("<f", struct.pack("<f", float(value)))[0])


def _coerce(ptype: int, value: float) -> float:
    if ptype == REAL32:
        return float32(value)
    bits = {INT8: 8, INT16: 16, INT32: 32}.get(ptype, 32)
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return float(max(low, min(high, round(value))))


class ParamStore(Mapping[str, float]):
    """A vehicle's parameters in ArduPilot's order, type-aware; reads like a dict (name -> value).

    Args:
        sysid: The vehicle's system id, stored in ``SYSID_THISMAV``.
        overrides: Values that replace the defaults (like a SITL ``--defaults`` file).
    """

    def __init__(self, sysid: int, overrides: dict[str, float] | None = None) -> None:
        self._specs = dict(sorted(DEFAULTS.items()))
        self._names = list(self._specs)
        self._values = {name: _coerce(spec.ptype, spec.default) for name, spec in self._specs.items()}
        self._values["SYSID_THISMAV"] = float(sysid)
        for name, value in (overrides or {}).items():
            if name not in self._specs:
                raise KeyError(f"unknown parameter {name!r} in the simulator's defaults; see sim/params.py")
            self._values[name] = _coerce(self._specs[name].ptype, value)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def names(self) -> list[str]:
        """Parameter names in index order (alphabetical; the PARAM_VALUE index of each)."""
        return list(self._names)

    def index(self, name: str) -> int:
        """The index a PARAM_VALUE carries for ``name``."""
        return self._names.index(name)

    def name_at(self, index: int) -> str | None:
        """The name at ``index``, or None when out of range."""
        return self._names[index] if 0 <= index < len(self._names) else None

    def ptype(self, name: str) -> int:
        """The MAV_PARAM_TYPE of ``name``."""
        return self._specs[name].ptype

    def value(self, name: str) -> float:
        """The stored value of ``name`` (KeyError if the vehicle has no such parameter)."""
        return self._values[name]

    def set(self, name: str, value: float) -> float:
        """Store ``value`` with the parameter's precision and return what is stored.

        Raises:
            KeyError: ``name`` is not a parameter of this vehicle.
            PermissionError: the parameter is read-only (a count the vehicle keeps, such as ``MIS_TOTAL``).
        """
        spec = self._specs[name]
        if spec.read_only:
            raise PermissionError(f"parameter {name} is read-only")
        self._values[name] = _coerce(spec.ptype, value)
        return self._values[name]

    def set_internal(self, name: str, value: float) -> None:
        """Update a value the vehicle itself maintains (read-only to ground stations)."""
        self._values[name] = _coerce(self._specs[name].ptype, value)

    def as_dict(self) -> dict[str, float]:
        """A snapshot of every parameter."""
        return dict(self._values)
