"""ArduCopter flight modes (HEARTBEAT ``custom_mode`` values) and which ones the simulator flies."""

from __future__ import annotations

from enum import IntEnum


class CopterMode(IntEnum):
    """ArduCopter's custom mode numbers, as sent in HEARTBEAT and accepted by SET_MODE / DO_SET_MODE."""

    STABILIZE = 0
    ACRO = 1
    ALT_HOLD = 2
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    CIRCLE = 7
    LAND = 9
    DRIFT = 11
    SPORT = 13
    FLIP = 14
    AUTOTUNE = 15
    POSHOLD = 16
    BRAKE = 17
    THROW = 18
    SMART_RTL = 21


#: Modes the simulator implements; asking for another one is refused like a mode the firmware lacks.
SUPPORTED = frozenset(
    {
        CopterMode.STABILIZE,
        CopterMode.ALT_HOLD,
        CopterMode.AUTO,
        CopterMode.GUIDED,
        CopterMode.LOITER,
        CopterMode.RTL,
        CopterMode.LAND,
        CopterMode.POSHOLD,
        CopterMode.BRAKE,
    }
)

#: Modes that need a position estimate (GPS); ArduCopter refuses to enter them without one.
NEEDS_POSITION = frozenset(
    {
        CopterMode.AUTO,
        CopterMode.GUIDED,
        CopterMode.LOITER,
        CopterMode.RTL,
        CopterMode.POSHOLD,
        CopterMode.BRAKE,
    }
)

#: Modes in which ArduCopter allows arming from a ground station (AUTO only with AUTO_OPTIONS bit 0).
ARMABLE = frozenset(
    {
        CopterMode.STABILIZE,
        CopterMode.ALT_HOLD,
        CopterMode.GUIDED,
        CopterMode.LOITER,
        CopterMode.POSHOLD,
    }
)


def mode_name(number: int) -> str:
    """The mode's name (``"GUIDED"``), or ``"MODE(n)"`` for an unknown number."""
    try:
        return CopterMode(number).name
    except ValueError:
        return f"MODE({number})"
