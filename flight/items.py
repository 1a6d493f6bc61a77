"""Mission, fence and rally items as they travel in MISSION_ITEM_INT, converted from the planner's items, and the
read-back comparison that knows ArduPilot's quirks.

:class:`MissionItemInt` holds what the wire holds: latitude/longitude as ``int`` degrees * 1e7 for global
frames (so a comparison is exact, not float noise), altitude in metres. :func:`from_planner` converts the
planner's :class:`mission_planner.mission_items.MissionItem` (degrees), :func:`first_difference` decides
whether a download is what was uploaded, allowing only for what the autopilot legitimately changes:

* ArduPilot's mission item 0 is home: it is replaced by the vehicle's home, so it is not compared;
* everything else is compared with what the autopilot should hold of the upload (:mod:`flight.kept`: whole-second
  holds, dropped acceptance radii, centimetre altitudes, no ``autocontinue`` on fence and rally items, ...).

Items are always sent as MISSION_ITEM_INT, also when the vehicle asks with the legacy MISSION_REQUEST (ArduPilot
does), so positions arrive to the 1e-7 degree and are compared exactly.

Example:
    >>> from mission_planner.mission_items import MissionItem
    >>> item = from_planner(MissionItem(1, 3, 16, x=30.5441234, y=114.2951234, z=40.0))
    >>> item.x, item.y
    (305441234, 1142951234)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import FlightError
from flight.kept import GLOBAL_FRAMES, Autopilot, expected_readback
from flight.messages import float32
from mission_planner.mission_items import MissionItem
from mission_planner.qgc_plan import PlanFileError, read_qgc_plan

MISSION = mavlink.MAV_MISSION_TYPE_MISSION
FENCE = mavlink.MAV_MISSION_TYPE_FENCE
RALLY = mavlink.MAV_MISSION_TYPE_RALLY
TYPE_NAMES = {MISSION: "mission", FENCE: "fence", RALLY: "rally"}

#: Metres: the read-back altitude is float32 of whole centimetres; allow float32 noise only.
ALT_TOL_M = 0.0005


@dataclass(frozen=True)
class MissionItemInt:
    """One item as MISSION_ITEM_INT carries it (x/y: degrees * 1e7 for global frames, else raw params 5/6)."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    mission_type: int = MISSION

    @property
    def is_global(self) -> bool:
        """Whether x/y are latitude/longitude."""
        return self.frame in GLOBAL_FRAMES

    @property
    def lat(self) -> float:
        """Latitude in degrees (meaningful for global frames)."""
        return self.x / 1e7

    @property
    def lon(self) -> float:
        """Longitude in degrees (meaningful for global frames)."""
        return self.y / 1e7

    def to_message(self, target: tuple[int, int]) -> Any:
        """A MISSION_ITEM_INT message to ``target`` (system, component)."""
        return mavlink.MAVLink_mission_item_int_message(
            target[0], target[1], self.seq, self.frame, self.command, self.current, self.autocontinue,
            self.param1, self.param2, self.param3, self.param4, self.x, self.y, self.z, self.mission_type,
        )  # fmt: skip

    @classmethod
    def from_message(cls, msg: Any) -> MissionItemInt:
        """From a received MISSION_ITEM_INT, or a legacy MISSION_ITEM (float degrees, converted)."""
        frame = int(msg.frame)
        if msg.get_type() == "MISSION_ITEM" and frame in GLOBAL_FRAMES:
            x, y = round(msg.x * 1e7), round(msg.y * 1e7)
        else:
            x, y = int(msg.x), int(msg.y)
        return cls(
            seq=int(msg.seq), frame=frame, command=int(msg.command), current=int(msg.current),
            autocontinue=int(msg.autocontinue), param1=float(msg.param1), param2=float(msg.param2),
            param3=float(msg.param3), param4=float(msg.param4), x=x, y=y, z=float(msg.z),
            mission_type=int(getattr(msg, "mission_type", MISSION)),
        )  # fmt: skip

    def to_planner(self) -> MissionItem:
        """The planner's representation (degrees for global frames)."""
        scale = 1e7 if self.is_global else 1.0
        return MissionItem(
            seq=self.seq, frame=self.frame, command=self.command, current=self.current,
            autocontinue=self.autocontinue, param1=self.param1, param2=self.param2, param3=self.param3,
            param4=self.param4, x=self.x / scale, y=self.y / scale, z=self.z, mission_type=self.mission_type,
        )  # fmt: skip


def from_planner(item: MissionItem) -> MissionItemInt:
    """Convert one planner item (degrees) to the wire form (degrees * 1e7, rounded, for global frames).

    Raises:
        ValueError: latitude/longitude out of range; names the item.
    """
    frame = int(item.frame)
    if frame in GLOBAL_FRAMES:
        if not (-90 <= item.x <= 90 and -180 <= item.y <= 180):
            raise ValueError(f"item {item.seq}: latitude/longitude {item.x}, {item.y} out of range")
        x, y = round(item.x * 1e7), round(item.y * 1e7)
    else:
        x, y = round(item.x), round(item.y)
    return MissionItemInt(
        seq=int(item.seq), frame=frame, command=int(item.command), current=int(item.current),
        autocontinue=int(item.autocontinue), param1=float(item.param1), param2=float(item.param2),
        param3=float(item.param3), param4=float(item.param4), x=x, y=y, z=float(item.z),
        mission_type=int(item.mission_type),
    )  # fmt: skip


def as_wire_items(items: list[Any], mission_type: int) -> list[MissionItemInt]:
    """Planner items or :class:`MissionItemInt` as a checked wire list: ``seq`` equal to the index, one type.

    Raises:
        ValueError: an item out of place or of another mission type; names it and the fix.
    """
    if mission_type not in TYPE_NAMES:
        raise ValueError(f"mission_type must be 0 (mission), 1 (fence) or 2 (rally), got {mission_type}")
    out = []
    for index, item in enumerate(items):
        wire = item if isinstance(item, MissionItemInt) else from_planner(item)
        if wire.seq != index:
            raise ValueError(f"{TYPE_NAMES[mission_type]} item at position {index} has seq {wire.seq}; renumber 0..n-1")
        if wire.mission_type != mission_type:
            raise ValueError(
                f"{TYPE_NAMES[mission_type]} item {index} has mission_type {wire.mission_type}; "
                f"upload it with mission_type={wire.mission_type}"
            )
        out.append(wire)
    return out


def _param_equal(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    fa, fb = float32(a), float32(b)
    return abs(fa - fb) <= 1e-6 * max(1.0, abs(fa))


def item_difference(
    sent: MissionItemInt, got: MissionItemInt, *, autopilot: Autopilot = "ardupilot", home_item: bool = False
) -> tuple[str, str] | None:
    """The first field where ``got`` (read back) is not what the vehicle should hold of ``sent``.

    Returns (field, "the vehicle has A, B was uploaded") or None. What the autopilot legitimately changes
    (:func:`flight.kept.expected_readback`) is allowed for; nothing else is: positions must match to the 1e-7
    degree, altitudes to the centimetre.
    """
    if home_item:
        return None
    want = expected_readback(sent, autopilot)

    def diff(name: str, a: Any, b: Any) -> tuple[str, str]:
        return name, f"the vehicle has {a!r}, {b!r} was uploaded"

    for name in ("command", "mission_type", "autocontinue", "frame"):
        if getattr(got, name) != getattr(want, name):
            return diff(name, getattr(got, name), getattr(sent, name))
    for name in ("param1", "param2", "param3", "param4"):
        if not _param_equal(getattr(got, name), getattr(want, name)):
            return diff(name, getattr(got, name), getattr(sent, name))
    if got.x != want.x:
        return diff("x (latitude * 1e7)" if want.is_global else "x", got.x, sent.x)
    if got.y != want.y:
        return diff("y (longitude * 1e7)" if want.is_global else "y", got.y, sent.y)
    if abs(got.z - want.z) > ALT_TOL_M if want.is_global else not _param_equal(got.z, want.z):
        return diff("z (altitude m)" if want.is_global else "z", got.z, sent.z)
    return None


def first_difference(
    sent: list[MissionItemInt], got: list[MissionItemInt], *, skip_home: bool, autopilot: Autopilot = "ardupilot"
) -> tuple[int, str, str] | None:
    """(seq, field, explanation) of the first read-back item that differs from the upload, or None.

    Args:
        skip_home: Item 0 is home and replaced by the vehicle (ArduPilot missions).
        autopilot: Whose storage rules to allow for (:func:`flight.kept.expected_readback`).
    """
    for a, b in zip(sent, got, strict=False):
        found = item_difference(a, b, autopilot=autopilot, home_item=skip_home and a.seq == 0)
        if found is not None:
            return a.seq, found[0], found[1]
    if len(got) != len(sent):
        return min(len(got), len(sent)), "count", f"the vehicle holds {len(got)} items, {len(sent)} were uploaded"
    return None


FIELD_NAMES = tuple(f.name for f in fields(MissionItemInt))


@dataclass(frozen=True)
class PlanItems:
    """A planner ``.plan`` file as wire items, ready for :func:`flight.mission_protocol.upload_verified`."""

    mission: list[MissionItemInt]
    fence: list[MissionItemInt]
    rally: list[MissionItemInt]
    home: tuple[float, float, float]
    validated: bool


def load_plan(path: Path, *, require_validated: bool = True) -> PlanItems:
    """Read a QGroundControl ``.plan`` (the planner's, with its validation stamp) as wire items.

    Raises:
        FlightError: unreadable, or ``require_validated`` and the stamp is missing or no longer matches (the
            route was edited after the planner checked it against the fence and no-fly zones).
    """
    try:
        plan = read_qgc_plan(path)
    except (PlanFileError, OSError) as exc:
        raise FlightError(f"cannot read plan {path}: {exc}") from None
    if require_validated and not plan.validated:
        raise FlightError(
            f"plan {path} is not validated by the gridpatrol planner (no stamp, or the mission or fence changed "
            "after it was planned); plan it again with `gridpatrol plan` so it is checked against the fence"
        )
    return PlanItems(
        mission=[from_planner(i) for i in plan.mission],
        fence=[from_planner(i) for i in plan.fence],
        rally=[from_planner(i) for i in plan.rally],
        home=plan.home,
        validated=plan.validated,
    )
