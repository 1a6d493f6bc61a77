"""MAVLink mission items: the one item type of `.plan` / `.waypoints` files and of the upload to a vehicle.

The field names follow MAVLink's MISSION_ITEM_INT (x = latitude, y = longitude, z = altitude, in degrees and
metres here, not in 1e7 integers). The planner builds lists of these; ``flight/`` uploads the same type and reads
it back (``flight/items.py`` puts x/y on the wire's 1e-7 degree grid and converts to and from MISSION_ITEM_INT),
so there is no second item type on the ground-station side. The simulator keeps its own stored-item type
(``sim/items.py``) as an independent implementation of the vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum


class Frame(IntEnum):
    """MAV_FRAME values the planner uses."""

    GLOBAL = 0  # altitude above mean sea level
    MISSION = 2  # no position (DO_ commands)
    GLOBAL_RELATIVE_ALT = 3  # altitude above home
    GLOBAL_TERRAIN_ALT = 10


class Cmd(IntEnum):
    """MAV_CMD values the planner uses."""

    NAV_WAYPOINT = 16
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    DO_CHANGE_SPEED = 178
    DO_SET_HOME = 179
    DO_MOUNT_CONTROL = 205
    DO_GIMBAL_MANAGER_PITCHYAW = 1000


@dataclass(frozen=True)
class MissionItem:
    """One mission item. ``seq`` is its index in the list (0 is home on ArduPilot)."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    mission_type: int = 0  # MAV_MISSION_TYPE: 0 mission, 1 fence, 2 rally

    def with_seq(self, seq: int) -> MissionItem:
        """A copy renumbered to ``seq``."""
        return replace(self, seq=seq)

    def same_as(self, other: MissionItem, *, pos_tol_deg: float = 1e-7, alt_tol_m: float = 0.01) -> bool:
        """Equal within the precision a vehicle keeps (1e-7 degrees, float altitude).

        Used to verify an upload against its read-back: ArduPilot stores lat/lon as 1e7 integers and params as
        float32, so exact float equality is the wrong test.
        """
        if (self.seq, self.command, self.mission_type) != (other.seq, other.command, other.mission_type):
            return False
        if self.frame != other.frame:
            return False
        params_a = (self.param1, self.param2, self.param3, self.param4)
        params_b = (other.param1, other.param2, other.param3, other.param4)
        if any(abs(a - b) > 1e-4 * max(1.0, abs(a)) for a, b in zip(params_a, params_b, strict=True)):
            return False
        return (
            abs(self.x - other.x) <= pos_tol_deg
            and abs(self.y - other.y) <= pos_tol_deg
            and abs(self.z - other.z) <= alt_tol_m
        )
