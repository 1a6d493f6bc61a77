"""A mission file as ground stations write it: items with their altitude modes, areas to survey, fence, rally.

:class:`PlanDocument` is what ``.plan`` (QGroundControl) and ``.waypoints`` (Mission Planner) files hold, kept
closely enough that reading a file and writing it back gives the same file: QGroundControl's altitude mode per item
(relative, AMSL, calculated above terrain, terrain frame), ``doJumpId`` numbering and ``null`` parameters survive.
Survey-type items (:class:`SurveyArea`) are kept as areas, for :mod:`mission_planner.plan_import` to re-plan.

Every number that comes from a file goes through :func:`number`: NaN, infinities and values out of range are
refused with the item and the field named, because a NaN altitude compares false against every limit and would
pass a fence check. ``null`` (QGroundControl) or ``nan`` (Mission Planner) is accepted only in a parameter the
command leaves unused (``unset``); it is kept as NaN in :class:`MissionItem` and written back as it came.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from mission_planner.mission_items import Cmd, MissionItem
from mission_planner.plan import GeoFenceZone, LatLon

LatLonAlt = tuple[float, float, float]

#: MAV_FRAME values whose x/y are latitude/longitude.
GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})
#: Frames whose altitude is above the terrain under the vehicle (needs terrain data to check).
TERRAIN_FRAMES = frozenset({10, 11})
#: Commands whose x/y/z are not a position, whatever their frame (QGroundControl writes 0 or null there).
POSITIONLESS = frozenset({Cmd.DO_CHANGE_SPEED, Cmd.DO_MOUNT_CONTROL, Cmd.NAV_RETURN_TO_LAUNCH, 1000, 177, 112, 93})
DO_JUMP = 177
#: Parameters (1-4) that a command uses, so they may not be null/NaN there.
REQUIRED_PARAMS: dict[int, tuple[int, ...]] = {
    Cmd.NAV_WAYPOINT: (1,),
    Cmd.NAV_LOITER_TIME: (1,),
    18: (1,),  # NAV_LOITER_TURNS: turns
    DO_JUMP: (1, 2),  # target, repeat count
    Cmd.DO_CHANGE_SPEED: (1, 2),  # speed type, speed
    181: (1, 2),  # DO_SET_RELAY
    183: (1, 2),  # DO_SET_SERVO
}
FIELDS = ("param1", "param2", "param3", "param4", "latitude", "longitude", "altitude")


class PlanFileError(ValueError):
    """A mission file that cannot be read or used; the message names the file, the item and the field."""


class AltitudeMode(IntEnum):
    """QGroundControl's altitude mode of an item (``AltitudeMode`` in a ``.plan``)."""

    MIXED = 0  # only as the plan's global mode
    RELATIVE = 1  # MAV_FRAME_GLOBAL_RELATIVE_ALT: above home
    AMSL = 2  # MAV_FRAME_GLOBAL: above mean sea level
    CALC_ABOVE_TERRAIN = 3  # sent as AMSL, computed by QGroundControl from its terrain data
    TERRAIN_FRAME = 4  # MAV_FRAME_GLOBAL_TERRAIN_ALT: above the terrain, resolved by the vehicle


#: The MAVLink frames each altitude mode may carry.
MODE_FRAMES = {
    AltitudeMode.RELATIVE: frozenset({3, 6}),
    AltitudeMode.AMSL: frozenset({0, 5}),
    AltitudeMode.CALC_ABOVE_TERRAIN: frozenset({0, 5}),
    AltitudeMode.TERRAIN_FRAME: frozenset({10, 11}),
}


def mode_of_frame(frame: int) -> AltitudeMode | None:
    """The altitude mode QGroundControl shows for a frame (None for frames without a position)."""
    if frame in (3, 6):
        return AltitudeMode.RELATIVE
    if frame in (0, 5):
        return AltitudeMode.AMSL
    if frame in TERRAIN_FRAMES:
        return AltitudeMode.TERRAIN_FRAME
    return None


class Unreadable:
    """A JSON literal that is not a number (``NaN``, ``Infinity``): kept until the field it sits in is known."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def number(
    value: object,
    where: str,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
    unset: bool = False,
) -> float:
    """A finite number from a file, in ``[lo, hi]``; with ``unset``, None/NaN is allowed and returned as NaN.

    Raises:
        PlanFileError: not a number, NaN or infinite (unless ``unset``), or out of range; names ``where``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if unset:
            return math.nan
        shown = "null" if value is None else "NaN"
        raise PlanFileError(f"{where} is {shown}: this item needs a number there")
    if isinstance(value, Unreadable | bool) or not isinstance(value, int | float):
        raise PlanFileError(f"{where}: {value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise PlanFileError(f"{where} is {value!r}: only finite numbers can be checked and flown")
    if not lo <= out <= hi:
        raise PlanFileError(f"{where} is {out:g}, outside {lo:g} to {hi:g}")
    return out


def integer(value: object, where: str, *, lo: int = 0, hi: int = 65535) -> int:
    """A whole number from a file (JSON numbers like ``3.0`` too), in ``[lo, hi]``."""
    out = number(value, where, lo=lo, hi=hi)
    if out != int(out):
        raise PlanFileError(f"{where} is {out:g}, not a whole number")
    return int(out)


def is_positional(frame: int, command: int) -> bool:
    """Whether an item's x/y/z are a position (latitude, longitude, altitude) that the vehicle flies to or uses."""
    return frame in GLOBAL_FRAMES and command not in POSITIONLESS


def checked_item(
    seq: int, frame: int, command: int, values: list[object], autocontinue: int, where: str, mission_type: int = 0
) -> MissionItem:
    """A mission item from its seven values (param1-4, latitude, longitude, altitude), every number checked.

    Positional items need finite latitude/longitude in range and a finite altitude; a parameter the command uses
    (:data:`REQUIRED_PARAMS`) needs a number; any other value may be unset (None/NaN, kept as NaN).

    Raises:
        PlanFileError: naming ``where`` and the field.
    """
    positional = is_positional(frame, command)
    required = REQUIRED_PARAMS.get(command, ())
    out: list[float] = []
    for k, (name, value) in enumerate(zip(FIELDS, values, strict=True)):
        spot = f"{where}, {name} (command {command}, frame {frame})"
        if k >= 4 and positional:
            lo, hi = ((-90.0, 90.0), (-180.0, 180.0), (-1e5, 1e5))[k - 4]
            out.append(number(value, spot, lo=lo, hi=hi))
        else:
            out.append(number(value, spot, unset=k + 1 not in required))
    p1, p2, p3, p4, x, y, z = out
    return MissionItem(seq, frame, command, 0, autocontinue, p1, p2, p3, p4, x, y, z, mission_type)


@dataclass(frozen=True)
class PlanItem:
    """One simple mission item with what QGroundControl keeps beside it.

    Attributes:
        item: The MAVLink item (unset parameters are NaN; for DO_JUMP, param1 is the target's ``doJumpId``).
        altitude_mode: QGroundControl's ``AltitudeMode`` (None when the file has none).
        altitude: QGroundControl's ``Altitude`` (what its user typed: above home, sea level or terrain).
        amsl_alt_above_terrain: QGroundControl's ``AMSLAltAboveTerrain`` (None or the AMSL value it computed).
        do_jump_id: QGroundControl's ``doJumpId`` (what DO_JUMP targets refer to).
    """

    item: MissionItem
    altitude_mode: int | None = None
    altitude: float | None = None
    amsl_alt_above_terrain: float | None = None
    do_jump_id: int | None = None


@dataclass(frozen=True)
class SurveyArea:
    """A QGroundControl complex item (survey, corridor or structure scan), kept as the area to re-plan.

    Attributes:
        kind: ``survey``, ``CorridorScan`` or ``StructureScan``.
        where: The item, for messages (``plan.plan: mission item 3``).
        polygon: The survey or structure polygon, or the corridor's centre line, as (lat, lon).
        width_m: The corridor's width (CorridorScan) or the distance kept from the structure (StructureScan).
        alt_m: Flying altitude; above home when ``relative``, else above mean sea level.
        relative: Whether ``alt_m`` is above home (True) or AMSL (False).
        layers: Structure scans: how many layers, from ``alt_m`` up by ``layer_step_m``.
        layer_step_m: Structure scans: the height between layers.
    """

    kind: str
    where: str
    polygon: list[LatLon]
    alt_m: float
    relative: bool = True
    width_m: float = 0.0
    layers: int = 1
    layer_step_m: float = 0.0


@dataclass(frozen=True)
class PlanDocument:
    """A whole mission file: home, items in order, fence zones, rally points, and the planner's stamp if any."""

    home: LatLonAlt
    items: list[PlanItem | SurveyArea]
    fence: list[GeoFenceZone] = field(default_factory=list)
    rally: list[LatLonAlt] = field(default_factory=list)
    stamp: dict[str, Any] | None = None
    cruise_speed_ms: float | None = None
    hover_speed_ms: float | None = None
    firmware_type: int = 3  # MAV_AUTOPILOT_ARDUPILOTMEGA
    vehicle_type: int = 2  # MAV_TYPE_QUADROTOR
    global_altitude_mode: int | None = None

    @property
    def surveys(self) -> list[SurveyArea]:
        """The survey-type items still to be re-planned."""
        return [i for i in self.items if isinstance(i, SurveyArea)]

    def simple_items(self, where: str) -> list[PlanItem]:
        """The items, refusing survey-type ones (they need the district: ``gridpatrol plan import --district``).

        ``where`` is unused in the message (each survey names its own file and item) but kept for symmetry with
        :meth:`mission`.
        """
        if self.surveys:
            s = self.surveys[0]
            raise PlanFileError(
                f"{s.where} is a {s.kind}: give the district (`gridpatrol plan import FILE --district D.geojson`) "
                "so gridpatrol re-plans it over its area with the fence and no-fly zones"
            )
        return [i for i in self.items if isinstance(i, PlanItem)]

    def mission(self, where: str) -> list[MissionItem]:
        """MAVLink mission items, item 0 home (AMSL); DO_JUMP targets turned from ``doJumpId`` into seq numbers.

        Raises:
            PlanFileError: survey items left, or a DO_JUMP to a ``doJumpId`` no item has.
        """
        lat, lon, alt = self.home
        out = [MissionItem(0, 0, Cmd.NAV_WAYPOINT, current=1, x=lat, y=lon, z=alt)]
        simple = self.simple_items(where)
        seq_of = {p.do_jump_id: k + 1 for k, p in enumerate(simple) if p.do_jump_id is not None}
        for k, p in enumerate(simple):
            item = replace(p.item, seq=k + 1, current=0)
            if item.command == DO_JUMP:
                target = int(item.param1)
                if target not in seq_of:
                    raise PlanFileError(
                        f"{where}: mission item {k + 1} is a DO_JUMP to doJumpId {target}, which no item has"
                    )
                item = replace(item, param1=float(seq_of[target]))
            out.append(item)
        return out


def from_mission(
    mission: list[MissionItem], *, fence: list[GeoFenceZone] | None = None, rally: list[LatLonAlt] | None = None
) -> PlanDocument:
    """A document from MAVLink items (item 0 home): ``doJumpId`` = seq, so DO_JUMP targets stay as they are."""
    home = mission[0]
    items: list[PlanItem | SurveyArea] = []
    for item in mission[1:]:
        positional = is_positional(item.frame, item.command)
        items.append(
            PlanItem(
                item,
                altitude_mode=mode_of_frame(item.frame) if positional else None,
                altitude=item.z if positional else None,
                do_jump_id=item.seq,
            )
        )
    return PlanDocument((home.x, home.y, home.z), items, fence or [], rally or [])
