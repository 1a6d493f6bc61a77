"""Flight-mode names <-> HEARTBEAT ``custom_mode`` numbers for ArduCopter and PX4.

ArduPilot puts the mode number straight into ``custom_mode``; PX4 packs a main mode in bits 16-23 and a sub
mode in bits 24-31. Both are hidden behind :func:`mode_number` and :func:`mode_name`.

Example:
    >>> mode_number("ardupilot", "GUIDED")
    4
    >>> mode_name("px4", mode_number("px4", "AUTO.MISSION"))
    'AUTO.MISSION'
"""

from __future__ import annotations

from typing import Literal

Autopilot = Literal["ardupilot", "px4"]

ARDUCOPTER_MODES: dict[str, int] = {
    "STABILIZE": 0,
    "ACRO": 1,
    "ALT_HOLD": 2,
    "AUTO": 3,
    "GUIDED": 4,
    "LOITER": 5,
    "RTL": 6,
    "CIRCLE": 7,
    "LAND": 9,
    "DRIFT": 11,
    "SPORT": 13,
    "FLIP": 14,
    "AUTOTUNE": 15,
    "POSHOLD": 16,
    "BRAKE": 17,
    "THROW": 18,
    "AVOID_ADSB": 19,
    "GUIDED_NOGPS": 20,
    "SMART_RTL": 21,
    "FLOWHOLD": 22,
    "FOLLOW": 23,
    "ZIGZAG": 24,
    "SYSTEMID": 25,
    "AUTOROTATE": 26,
    "AUTO_RTL": 27,
}

_PX4_MAIN: dict[str, int] = {
    "MANUAL": 1,
    "ALTCTL": 2,
    "POSCTL": 3,
    "AUTO": 4,
    "ACRO": 5,
    "OFFBOARD": 6,
    "STABILIZED": 7,
    "RATTITUDE": 8,
}
_PX4_AUTO_SUB: dict[str, int] = {
    "READY": 1,
    "TAKEOFF": 2,
    "LOITER": 3,
    "MISSION": 4,
    "RTL": 5,
    "LAND": 6,
    "FOLLOW_TARGET": 8,
    "PRECLAND": 9,
}


def px4_custom_mode(main: int, sub: int = 0) -> int:
    """Pack a PX4 main/sub mode pair into a HEARTBEAT ``custom_mode`` value (main bits 16-23, sub 24-31)."""
    return (main << 16) | (sub << 24)


PX4_MODES: dict[str, int] = {name: px4_custom_mode(main) for name, main in _PX4_MAIN.items() if name != "AUTO"}
PX4_MODES.update({f"AUTO.{name}": px4_custom_mode(_PX4_MAIN["AUTO"], sub) for name, sub in _PX4_AUTO_SUB.items()})


def _table(autopilot: Autopilot) -> dict[str, int]:
    if autopilot == "ardupilot":
        return ARDUCOPTER_MODES
    if autopilot == "px4":
        return PX4_MODES
    raise ValueError(f"autopilot: unknown value {autopilot!r}; use 'ardupilot' or 'px4'")


def mode_number(autopilot: Autopilot, name: str) -> int:
    """Return the ``custom_mode`` number for a mode name, so commands can set modes by name.

    Raises:
        ValueError: the name is unknown; the message lists the valid names.
    """
    table = _table(autopilot)
    key = name.strip().upper()
    if key not in table:
        raise ValueError(f"mode: {name!r} is not a {autopilot} mode; use one of {', '.join(sorted(table))}")
    return table[key]


def mode_name(autopilot: Autopilot, custom_mode: int) -> str:
    """Return the mode name for a HEARTBEAT ``custom_mode``, or ``"UNKNOWN(n)"`` (telemetry never crashes)."""
    for name, number in _table(autopilot).items():
        if number == custom_mode:
            return name
    return f"UNKNOWN({custom_mode})"
