"""Mission, fence and rally items on the wire: the planner's :class:`~mission_planner.mission_items.MissionItem`
to and from MISSION_ITEM_INT, and the read-back comparison that knows ArduPilot's quirks.

There is one mission-item type, the planner's (degrees and metres); ``flight/`` sends and receives it. The wire
holds latitude/longitude as ``int`` degrees * 1e7 for global frames, so :func:`wire_item` puts an item on that
grid before it is sent (what the vehicle can hold), :func:`wire_xy` gives the integers (so comparisons are exact,
not float noise), and :func:`to_message` / :func:`from_message` convert to and from the MAVLink messages.
:func:`first_difference` decides whether a download is what was uploaded, allowing only for what the autopilot
legitimately changes:

* ArduPilot's mission item 0 is home: it is replaced by the vehicle's home, so it is not compared;
* everything else is compared with what the autopilot should hold of the upload (:mod:`flight.kept`: whole-second
  holds, dropped acceptance radii, centimetre altitudes, no ``autocontinue`` on fence and rally items, ...).

Items are always sent as MISSION_ITEM_INT, also when the vehicle asks with the legacy MISSION_REQUEST (ArduPilot
does), so positions arrive to the 1e-7 degree and are compared exactly. The simulator (``sim/items.py``) keeps
its own stored-item type on purpose: it is an independent implementation of the vehicle side.

Example:
    >>> item = wire_item(MissionItem(1, 3, 16, x=30.54412344, y=114.29512336, z=40.0))
    >>> item.x, wire_xy(item)
    (30.5441234, (305441234, 1142951234))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


def is_global(item: MissionItem) -> bool:
    """Whether the item's x/y are latitude/longitude (a global frame)."""
    return int(item.frame) in GLOBAL_FRAMES


def wire_xy(item: MissionItem) -> tuple[int, int]:
    """x and y as MISSION_ITEM_INT carries them: degrees * 1e7 for global frames, else the raw whole numbers.

    Raises:
        ValueError: x or y is not finite (it cannot be sent).
    """
    scale = 1e7 if is_global(item) else 1.0
    return round(item.x * scale), round(item.y * scale)


def wire_item(item: MissionItem) -> MissionItem:
    """``item`` as the wire can carry it: x/y on the 1e-7 degree grid (whole numbers off global frames), plain
    ``int``/``float`` fields.

    Raises:
        ValueError: latitude/longitude out of range, or not finite; names the item.
    """
    frame = int(item.frame)
    if frame in GLOBAL_FRAMES and not (-90 <= item.x <= 90 and -180 <= item.y <= 180):
        raise ValueError(f"item {item.seq}: latitude/longitude {item.x}, {item.y} out of range")
    try:
        x, y = wire_xy(item)
    except (ValueError, OverflowError):
        raise ValueError(f"item {item.seq}: x/y {item.x}, {item.y} are not finite numbers") from None
    scale = 1e7 if frame in GLOBAL_FRAMES else 1.0
    return MissionItem(
        seq=int(item.seq), frame=frame, command=int(item.command), current=int(item.current),
        autocontinue=int(item.autocontinue), param1=float(item.param1), param2=float(item.param2),
        param3=float(item.param3), param4=float(item.param4), x=x / scale, y=y / scale, z=float(item.z),
        mission_type=int(item.mission_type),
    )  # fmt: skip


def to_message(item: MissionItem, target: tuple[int, int]) -> Any:
    """A MISSION_ITEM_INT message of ``item`` to ``target`` (system, component)."""
    x, y = wire_xy(item)
    return mavlink.MAVLink_mission_item_int_message(
        target[0], target[1], item.seq, item.frame, item.command, item.current, item.autocontinue,
        item.param1, item.param2, item.param3, item.param4, x, y, item.z, item.mission_type,
    )  # fmt: skip


def from_message(msg: Any) -> MissionItem:
    """The item in a received MISSION_ITEM_INT, or a legacy MISSION_ITEM (float degrees, put on the 1e-7 grid)."""
    frame = int(msg.frame)
    scale = 1e7 if frame in GLOBAL_FRAMES else 1.0
    if msg.get_type() == "MISSION_ITEM":
        x, y = round(msg.x * scale), round(msg.y * scale)
    else:
        x, y = int(msg.x), int(msg.y)
    return MissionItem(
        seq=int(msg.seq), frame=frame, command=int(msg.command), current=int(msg.current),
        autocontinue=int(msg.autocontinue), param1=float(msg.param1), param2=float(msg.param2),
        param3=float(msg.param3), param4=float(msg.param4), x=x / scale, y=y / scale, z=float(msg.z),
        mission_type=int(getattr(msg, "mission_type", MISSION)),
    )  # fmt: skip


def as_wire_items(items: list[MissionItem], mission_type: int) -> list[MissionItem]:
    """Items as a checked wire list (:func:`wire_item` each): ``seq`` equal to the index, one mission type.

    Raises:
        ValueError: an item out of place, of another mission type, or with a position the wire cannot carry;
            names it and the fix.
    """
    if mission_type not in TYPE_NAMES:
        raise ValueError(f"mission_type must be 0 (mission), 1 (fence) or 2 (rally), got {mission_type}")
    out = []
    for index, item in enumerate(items):
        wire = wire_item(item)
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
    sent: MissionItem, got: MissionItem, *, autopilot: Autopilot = "ardupilot", home_item: bool = False
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
    located = is_global(want)
    (got_x, got_y), (want_x, want_y), (sent_x, sent_y) = wire_xy(got), wire_xy(want), wire_xy(sent)
    if got_x != want_x:
        return diff("x (latitude * 1e7)" if located else "x", got_x, sent_x)
    if got_y != want_y:
        return diff("y (longitude * 1e7)" if located else "y", got_y, sent_y)
    if abs(got.z - want.z) > ALT_TOL_M if located else not _param_equal(got.z, want.z):
        return diff("z (altitude m)" if located else "z", got.z, sent.z)
    return None


def first_difference(
    sent: list[MissionItem], got: list[MissionItem], *, skip_home: bool, autopilot: Autopilot = "ardupilot"
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


@dataclass(frozen=True)
class PlanItems:
    """A planner ``.plan`` file as wire items (:func:`wire_item`), ready for
    :func:`flight.mission_protocol.upload_verified`."""

    mission: list[MissionItem]
    fence: list[MissionItem]
    rally: list[MissionItem]
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
        mission=[wire_item(i) for i in plan.mission],
        fence=[wire_item(i) for i in plan.fence],
        rally=[wire_item(i) for i in plan.rally],
        home=plan.home,
        validated=plan.validated,
    )
