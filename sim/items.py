"""Mission, fence and rally items as ArduPilot stores them: 1e7-degree integers, float32 parameters.

A ground station sends MISSION_ITEM_INT (or legacy MISSION_ITEM); the vehicle checks the command and frame,
keeps latitude/longitude as int32 1e-7 degrees, altitude in whole centimetres, and of the parameters only what
ArduPilot's per-command storage keeps (a waypoint's hold in whole seconds, no acceptance radius; the sign of a
NAV_LAND yaw; no ``autocontinue`` on fence and rally items), and answers downloads from what it kept. The
per-command table is :mod:`flight.kept`, measured on ArduCopter SITL; ``tests/sim/test_conformance.py`` compares
this simulator with the real SITL, so a difference in either shows. The ``*_INT`` frames of an upload come back as
their plain equivalents (6 GLOBAL_RELATIVE_ALT_INT reads back as 3 GLOBAL_RELATIVE_ALT).

:class:`StoredItem` is the simulator's own item type, on purpose: this is an independent implementation of the
vehicle side, so it does not share the ground station's mission-item code (``flight/items.py``, the planner's
:class:`~mission_planner.mission_items.MissionItem` on the wire) and a mistake there cannot hide itself here.
Only the measured storage table (:mod:`flight.kept`) is shared, and the conformance test keeps that honest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.kept import Fields, ardupilot_keeps
from mission_planner.mission_items import MissionItem
from sim.params import float32

MISSION, FENCE, RALLY = 0, 1, 2
TYPE_NAMES = {MISSION: "mission", FENCE: "fence", RALLY: "rally"}

#: Commands whose x/y/z are a location (ArduPilot's ``stored_in_location``).
LOCATION_COMMANDS = frozenset({16, 17, 18, 19, 21, 22, 31, 82, 179, 195, 201})
#: Mission commands the simulator accepts on upload; others are refused with MAV_MISSION_UNSUPPORTED.
MISSION_COMMANDS = LOCATION_COMMANDS | {
    20,  # NAV_RETURN_TO_LAUNCH
    93,  # NAV_DELAY
    112,  # CONDITION_DELAY
    115,  # CONDITION_YAW
    177,  # DO_JUMP
    178,  # DO_CHANGE_SPEED
    183,  # DO_SET_SERVO
    189,  # DO_LAND_START
    197,  # DO_SET_ROI_NONE
    203,  # DO_DIGICAM_CONTROL
    205,  # DO_MOUNT_CONTROL
    206,  # DO_SET_CAM_TRIGG_DIST
    1000,  # DO_GIMBAL_MANAGER_PITCHYAW
    2000,  # IMAGE_START_CAPTURE
    2001,  # IMAGE_STOP_CAPTURE
    2500,  # VIDEO_START_CAPTURE
    2501,  # VIDEO_STOP_CAPTURE
}
FENCE_COMMANDS = frozenset({5000, 5001, 5002, 5003, 5004})
RALLY_COMMANDS = frozenset({5100})
ALLOWED = {MISSION: MISSION_COMMANDS, FENCE: FENCE_COMMANDS, RALLY: RALLY_COMMANDS}

#: Upload frame -> the frame a download reports (ArduPilot keeps only "absolute / relative / terrain"; it takes
#: MAV_FRAME_MISSION as absolute).
FRAME_READBACK = {0: 0, 2: 0, 3: 3, 10: 10, 5: 0, 6: 3, 11: 10}


@dataclass(frozen=True)
class StoredItem:
    """One item as the vehicle keeps it."""

    command: int
    frame: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float
    autocontinue: int = 1

    @property
    def lat(self) -> float:
        """Latitude in degrees."""
        return self.x / 1e7

    @property
    def lon(self) -> float:
        """Longitude in degrees."""
        return self.y / 1e7

    def to_mission_item(self, seq: int, mission_type: int) -> MissionItem:
        """The planner's representation (degrees, metres) of this stored item."""
        return MissionItem(
            seq=seq,
            frame=self.frame,
            command=self.command,
            autocontinue=self.autocontinue,
            param1=self.param1,
            param2=self.param2,
            param3=self.param3,
            param4=self.param4,
            x=self.x / 1e7,
            y=self.y / 1e7,
            z=self.z,
            mission_type=mission_type,
        )

    def to_int_message(self, seq: int, mission_type: int, target: tuple[int, int], current: int = 0) -> Any:
        """A MISSION_ITEM_INT answering a download."""
        return mavlink.MAVLink_mission_item_int_message(
            target[0], target[1], seq, self.frame, self.command, current, self.autocontinue,
            self.param1, self.param2, self.param3, self.param4, self.x, self.y, self.z, mission_type,
        )  # fmt: skip

    def to_float_message(self, seq: int, mission_type: int, target: tuple[int, int], current: int = 0) -> Any:
        """A legacy MISSION_ITEM (float degrees) answering MISSION_REQUEST."""
        located = self.command in LOCATION_COMMANDS or self.command in FENCE_COMMANDS | RALLY_COMMANDS
        x, y = (self.x / 1e7, self.y / 1e7) if located else (float(self.x), float(self.y))
        return mavlink.MAVLink_mission_item_message(
            target[0], target[1], seq, self.frame, self.command, current, self.autocontinue,
            self.param1, self.param2, self.param3, self.param4, x, y, self.z, mission_type,
        )  # fmt: skip


class ItemError(ValueError):
    """An uploaded item the vehicle refuses; ``result`` is the MAV_MISSION_RESULT sent in the MISSION_ACK."""

    def __init__(self, result: int, message: str) -> None:
        super().__init__(message)
        self.result = result


def store_item(msg: Any, mission_type: int) -> StoredItem:
    """Convert an uploaded MISSION_ITEM(_INT) to what the vehicle stores, or raise :class:`ItemError`."""
    command = int(msg.command)
    frame = int(msg.frame)
    is_int = msg.get_type() == "MISSION_ITEM_INT"
    if command not in ALLOWED[mission_type]:
        raise ItemError(
            mavlink.MAV_MISSION_UNSUPPORTED,
            f"{TYPE_NAMES[mission_type]} item {msg.seq}: command {command} is not supported",
        )
    located = command in LOCATION_COMMANDS or mission_type in (FENCE, RALLY)
    if located:
        if frame not in FRAME_READBACK:
            raise ItemError(
                mavlink.MAV_MISSION_UNSUPPORTED_FRAME,
                f"{TYPE_NAMES[mission_type]} item {msg.seq}: frame {frame} is not supported",
            )
        x = int(msg.x) if is_int else int(float32(msg.x) * 1e7)
        y = int(msg.y) if is_int else int(float32(msg.y) * 1e7)
        if not -900_000_000 <= x <= 900_000_000:
            raise ItemError(mavlink.MAV_MISSION_INVALID_PARAM5_X, f"item {msg.seq}: latitude out of range")
        if not -1_800_000_000 <= y <= 1_800_000_000:
            raise ItemError(mavlink.MAV_MISSION_INVALID_PARAM6_Y, f"item {msg.seq}: longitude out of range")
    else:
        x, y = int(msg.x), int(msg.y)
    params = (float32(msg.param1), float32(msg.param2), float32(msg.param3), float32(msg.param4))
    kept = ardupilot_keeps(command, mission_type, Fields(frame, int(msg.autocontinue), *params, x, y, float32(msg.z)))
    return StoredItem(
        command=command,
        frame=kept.frame,
        param1=float32(kept.param1),
        param2=float32(kept.param2),
        param3=float32(kept.param3),
        param4=float32(kept.param4),
        x=int(kept.x),
        y=int(kept.y),
        z=kept.z,
        autocontinue=kept.autocontinue,
    )
