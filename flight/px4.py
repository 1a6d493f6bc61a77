"""PX4 behind the same API as ArduPilot: mode commands, the role of each mode, and mission-list quirks.

What differs from ArduPilot, and what this module hides:

- **Modes.** PX4 packs a main mode (bits 16-23) and a sub mode (bits 24-31) into HEARTBEAT ``custom_mode``
  (:mod:`flight.modes`). ``MAV_CMD_DO_SET_MODE`` takes them apart: ``param1`` base mode (custom-mode flag set),
  ``param2`` main mode, ``param3`` sub mode; ArduPilot wants the whole mode number in ``param2``.
- **Roles.** There is no GUIDED on PX4: a take-off is ``AUTO.TAKEOFF``, a pause or a go-to is ``AUTO.LOITER``
  (``DO_REPOSITION`` moves the loiter point), a return ``AUTO.RTL``. :data:`ROLE_MODES` names the mode each
  autopilot uses for each thing the ground station asks for.
- **Missions.** ArduPilot's mission item 0 is home (overwritten by the vehicle); PX4's item 0 is the first real
  item, and home is not in the list. PX4 flies gimbal items as ``DO_GIMBAL_MANAGER_PITCHYAW`` rather than
  ``DO_MOUNT_CONTROL``. :func:`to_px4_mission` / :func:`from_px4_mission` translate both ways, so uploads are
  verified against what PX4 really stores.

Example:
    >>> set_mode_params("px4", "AUTO.MISSION")
    (29.0, 4.0, 4.0)
    >>> set_mode_params("ardupilot", "AUTO")
    (1.0, 3.0, 0.0)
    >>> decode_px4_mode(mode_number("px4", "AUTO.RTL"))
    (4, 5)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from flight.modes import Autopilot, mode_name, mode_number
from mission_planner.mission_items import Cmd, Frame, MissionItem

Role = Literal["guided", "takeoff", "mission", "pause", "return", "land", "hold"]

#: The flight mode each autopilot uses for each thing the ground station asks for.
ROLE_MODES: dict[Autopilot, dict[Role, str]] = {
    "ardupilot": {
        "guided": "GUIDED",
        "takeoff": "GUIDED",
        "mission": "AUTO",
        "pause": "BRAKE",
        "hold": "LOITER",
        "return": "RTL",
        "land": "LAND",
    },
    "px4": {
        "guided": "AUTO.LOITER",
        "takeoff": "AUTO.TAKEOFF",
        "mission": "AUTO.MISSION",
        "pause": "AUTO.LOITER",
        "hold": "AUTO.LOITER",
        "return": "AUTO.RTL",
        "land": "AUTO.LAND",
    },
}

# MAV_MODE_FLAG bits PX4's own ground station sends with DO_SET_MODE (pymavlink's px4_map uses the same).
_CUSTOM = 1  # MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
_PX4_BASE_AUTO = 29  # custom | auto | guided | stabilize
_PX4_BASE_MANUAL = 81  # custom | stabilize | manual input
_PX4_BASE_ACRO = 65  # custom | manual input
_PX4_MANUAL_MAINS = {1, 2, 3, 7}  # MANUAL, ALTCTL, POSCTL, STABILIZED
_PX4_ACRO_MAINS = {5, 8}  # ACRO, RATTITUDE

MOUNT_CONTROL = Cmd.DO_MOUNT_CONTROL
GIMBAL_PITCHYAW = Cmd.DO_GIMBAL_MANAGER_PITCHYAW


def role_mode(autopilot: Autopilot, role: Role) -> str:
    """The mode name ``autopilot`` uses for ``role`` (e.g. ``role_mode("px4", "return") == "AUTO.RTL"``)."""
    return ROLE_MODES[autopilot][role]


def decode_px4_mode(custom_mode: int) -> tuple[int, int]:
    """Split a PX4 HEARTBEAT ``custom_mode`` into (main mode, sub mode)."""
    return (custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF


def set_mode_params(autopilot: Autopilot, name: str) -> tuple[float, float, float]:
    """``param1..3`` of ``MAV_CMD_DO_SET_MODE`` that select mode ``name`` on ``autopilot``.

    ArduPilot: (custom-mode flag, mode number, 0). PX4: (base mode, main mode, sub mode), with the base mode
    flags PX4's ground station sends.

    Raises:
        ValueError: ``name`` is not a mode of that autopilot (the message lists the valid ones).
    """
    number = mode_number(autopilot, name)
    if autopilot == "ardupilot":
        return float(_CUSTOM), float(number), 0.0
    main, sub = decode_px4_mode(number)
    if main in _PX4_MANUAL_MAINS:
        base = _PX4_BASE_MANUAL
    elif main in _PX4_ACRO_MAINS:
        base = _PX4_BASE_ACRO
    else:
        base = _PX4_BASE_AUTO
    return float(base), float(main), float(sub)


def mode_from_set_mode_params(autopilot: Autopilot, p1: float, p2: float, p3: float) -> str:
    """The mode name a ``DO_SET_MODE`` with these params selects (the inverse of :func:`set_mode_params`)."""
    if autopilot == "ardupilot":
        return mode_name(autopilot, int(p2))
    return mode_name(autopilot, (int(p2) << 16) | (int(p3) << 24))


def to_px4_mission(items: list[MissionItem]) -> list[MissionItem]:
    """An ArduPilot-style mission (item 0 is home) as PX4 stores it: home dropped, items renumbered from 0.

    ``DO_MOUNT_CONTROL`` (pitch in param1, yaw in param3) becomes ``DO_GIMBAL_MANAGER_PITCHYAW`` (pitch param1,
    yaw param2, rates NaN-free zero), which PX4's mission engine flies.

    Raises:
        ValueError: the list is empty (it must at least hold the home item).
    """
    if not items:
        raise ValueError("mission: the list is empty; it must start with the home item (seq 0)")
    out: list[MissionItem] = []
    for item in items[1:]:
        seq = len(out)
        if item.command == MOUNT_CONTROL:
            out.append(
                MissionItem(
                    seq,
                    Frame.MISSION,
                    GIMBAL_PITCHYAW,
                    current=0,
                    autocontinue=item.autocontinue,
                    param1=item.param1,
                    param2=item.param3,
                    mission_type=item.mission_type,
                )
            )
        else:
            out.append(replace(item, seq=seq, current=1 if seq == 0 else 0))
    return out


def from_px4_mission(items: list[MissionItem], home: tuple[float, float, float]) -> list[MissionItem]:
    """A PX4 mission read back, with home put in front as item 0 (ArduPilot's layout, what the planner wrote).

    Gimbal items stay ``DO_GIMBAL_MANAGER_PITCHYAW``: compare a read-back with :func:`to_px4_mission` of the
    upload, not with the upload itself.
    """
    lat, lon, alt = home
    first = MissionItem(0, Frame.GLOBAL, Cmd.NAV_WAYPOINT, current=1, x=lat, y=lon, z=alt)
    return [first, *(replace(item, seq=k + 1, current=0) for k, item in enumerate(items))]


def first_mission_item(autopilot: Autopilot) -> int:
    """The first item MISSION_START should fly: 1 on ArduPilot (0 is home), 0 on PX4."""
    return 0 if autopilot == "px4" else 1


def plan_seq(autopilot: Autopilot, vehicle_seq: int) -> int:
    """A vehicle's mission item number (MISSION_CURRENT, MISSION_ITEM_REACHED) as numbered in the plan file.

    :func:`to_px4_mission` drops home and keeps one item per item, so PX4's numbers are the plan's minus one.
    """
    return vehicle_seq + 1 if autopilot == "px4" else vehicle_seq


def vehicle_seq(autopilot: Autopilot, seq: int) -> int:
    """A plan file's mission item number as the vehicle numbers it (the inverse of :func:`plan_seq`)."""
    return seq - 1 if autopilot == "px4" else seq
