"""Flight safety before take-off: refuse unsafe missions (fence, no-fly zones, ceiling, launch site).

Two layers, both before anything reaches the vehicle's mission store:

1. **Where the fence comes from.** A ``.plan`` written by ``gridpatrol plan`` carries SHA-256 digests of its mission
   and fence (the planner's stamp: our planner checked it already). A plan without a matching stamp (another
   ground station's, or edited) is checked against the district when one is given (``gridpatrol fly --district``:
   its fence and no-fly zones replace the file's inclusion fence and are what gets uploaded), else against the
   fence in the file; with neither it is refused (:class:`UnvalidatedPlanError`). Every number must be finite,
   and items whose altitude is above terrain are refused: there is no terrain data to check them against.
2. **Every leg again.** The mission is turned into the 3-D track the vehicle will fly (take-off climb, each leg,
   the landing) and checked with the planner's own leg validator
   (:func:`mission_planner.safety.validate_legs`) against the fence that will be uploaded: inside the inclusion
   zones, outside every exclusion (no-fly) zone, below the ceiling. Rally points must lie inside too.

These are checks of the plan's geometry and numbers only; nothing here talks to a vehicle. The vehicle's own fence
and failsafes (the checked fence uploaded, failsafe parameters set and read back) are :mod:`flight.failsafes`.

Example:
    >>> from pathlib import Path
    >>> checked = check_plan_file(Path("out/demo/drone-1-s1.plan"), SafetyConfig())  # doctest: +SKIP
    >>> checked.waypoints  # doctest: +SKIP
    14
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import shapely
from shapely.geometry import Point, Polygon

from flight.errors import FlightError
from flight.fly_config import SafetyConfig
from mission_planner.district import Area, District
from mission_planner.errors import UnsafeLegError
from mission_planner.geo import LocalFrame
from mission_planner.mavlink_items import items_to_zones, zone_items
from mission_planner.mission_items import MissionItem
from mission_planner.plan import GeoFenceZone
from mission_planner.plan_doc import TERRAIN_FRAMES, is_positional
from mission_planner.qgc_plan import PlanFileError, QgcPlanFile, read_qgc_plan
from mission_planner.safety import validate_legs

log = logging.getLogger(__name__)

XYZ = tuple[float, float, float]

# MAV_CMD navigation items the track builder understands (anything else with a position is refused).
WAYPOINT, LOITER_UNLIM, LOITER_TURNS, LOITER_TIME, RTL, LAND, TAKEOFF, LOITER_TO_ALT, SPLINE = (
    16, 17, 18, 19, 20, 21, 22, 31, 82,
)  # fmt: skip
POINT_NAVS = {WAYPOINT, LOITER_UNLIM, LOITER_TURNS, LOITER_TIME, LOITER_TO_ALT, SPLINE}
# DO items that do not move the vehicle (speed, gimbal, ROI, camera trigger, servo/relay).
HARMLESS_DO = {178, 205, 1000, 195, 197, 201, 206, 203, 183, 181, 184, 2000, 2001, 530}
ABSOLUTE_FRAMES = {0, 5}  # MAV_FRAME_GLOBAL(_INT): altitude above mean sea level


class UnsafeMissionError(FlightError):
    """A mission that must not fly: it leaves the fence, enters a no-fly zone, flies too high, or cannot be
    checked. The message names the file, the mission item and the fix."""


class UnvalidatedPlanError(UnsafeMissionError):
    """A ``.plan`` file without a valid planner stamp (edited after planning, or not from ``gridpatrol plan``)."""


@dataclass(frozen=True)
class CheckedMission:
    """A mission that passed every check, with what was learnt on the way.

    Attributes:
        path: The ``.plan`` file.
        plan: Its items (mission item 0 is the planned home).
        track: The 3-D track in metres (east, north, altitude above home) in the plan's local frame.
        track_seqs: For each track point, the mission item it comes from (0 for the start).
        allowed: Where the vehicle may fly (inclusion zones minus exclusions), metres.
        frame: The local frame of ``track`` and ``allowed`` (centred on the planned home).
        cruise_alt_m: The highest mission altitude (what RTL should climb to at least).
    """

    path: Path
    plan: QgcPlanFile
    track: list[XYZ]
    track_seqs: list[int]
    allowed: Area
    frame: LocalFrame
    cruise_alt_m: float

    @property
    def nav_seqs(self) -> list[int]:
        """Mission items the vehicle must reach in order (navigation items), as MISSION_ITEM_REACHED reports."""
        return [i.seq for i in self.plan.mission[1:] if i.command in POINT_NAVS | {TAKEOFF, LAND, RTL}]

    @property
    def waypoints(self) -> int:
        """How many navigation items the mission has."""
        return len(self.nav_seqs)


def check_plan_file(path: Path, config: SafetyConfig, *, district: District | None = None) -> CheckedMission:
    """Read a ``.plan`` and refuse it unless every leg is inside the fence it will fly under.

    The fence is the district's (with the file's own exclusion zones) when ``district`` is given, else the file's.
    The planner's stamp is not required: it only says our planner checked the plan already; every check runs again.

    Raises:
        UnvalidatedPlanError: neither a district nor an inclusion fence in the file to check the plan against.
        UnsafeMissionError: a leg leaves the fence or enters an exclusion zone, an altitude is above the ceiling,
            a number is NaN or infinite, an item cannot be checked (terrain frame, jumps), or the file is not a
            readable plan.
    """
    try:
        plan = read_qgc_plan(path)
    except FileNotFoundError:
        raise UnsafeMissionError(f"{path}: no such file; give a .plan written by `gridpatrol plan`") from None
    except PlanFileError as exc:
        raise UnsafeMissionError(str(exc)) from None
    if district is not None:
        from mission_planner.plan_import import district_fence  # the planner's modules: only when needed

        try:
            zones = district_fence(items_to_zones(plan.fence), district)
        except ValueError as exc:
            raise UnsafeMissionError(f"{path}: unreadable fence: {exc}") from None
        plan = replace(plan, fence=zone_items(zones))
    elif not plan.validated and not any(i.command in (5001, 5003) for i in plan.fence):
        what = (
            "its gridpatrol stamp no longer matches the mission or fence (edited after planning?)"
            if plan.stamped
            else "this plan was not made by gridpatrol"
        )
        raise UnvalidatedPlanError(
            f"{path}: {what}, and it holds no inclusion fence to check it against; give --district D.geojson so "
            "every leg is checked against the district's fence and no-fly zones (or re-plan it with `gridpatrol plan`)"
        )
    return check_mission(plan, config, label=str(path), path=path)


def check_mission(plan: QgcPlanFile, config: SafetyConfig, *, label: str, path: Path | None = None) -> CheckedMission:
    """Check every number, then every leg of ``plan.mission`` against ``plan.fence`` with the planner's validator.

    Raises:
        UnsafeMissionError: naming the mission items of the first unsafe leg, or the item and field of a NaN or
            infinite number, or an item whose altitude is above terrain (no terrain data to check it).
    """
    if len(plan.mission) < 2:
        raise UnsafeMissionError(f"{label}: the mission is empty; plan it with `gridpatrol plan`")
    _check_numbers(plan, label)
    lat0, lon0, _ = plan.home
    frame = LocalFrame(lon0, lat0)
    allowed = allowed_area(plan.fence, frame, label)
    track, seqs = mission_track(plan.mission, frame, label)
    for (_, _, z), seq in zip(track, seqs, strict=True):
        if z > config.fence_alt_max_m:
            raise UnsafeMissionError(
                f"{label}: mission item {seq} flies at {z:.1f} m, above the fence ceiling of "
                f"{config.fence_alt_max_m:g} m (fence_alt_max_m); re-plan lower or raise the ceiling"
            )
    names = _exclusion_names(plan.fence, frame)
    try:
        validate_legs(track, allowed, max_alt_m=config.fence_alt_max_m, label=label, zone_names=names)
    except UnsafeLegError as exc:
        raise UnsafeMissionError(_name_items(str(exc), track, seqs, allowed, names, config, label)) from None
    for rally in plan.rally:
        x, y = frame.to_local(rally.y, rally.x)
        if not allowed.covers(Point(float(x), float(y))):
            raise UnsafeMissionError(
                f"{label}: rally point {rally.seq} ({rally.x:.6f}, {rally.y:.6f}) is outside the fence or in a "
                "no-fly zone; an RTL would fly there. Move the launch site or the fence and re-plan"
            )
    cruise = max(z for _, _, z in track)
    return CheckedMission(path or Path(label), plan, track, seqs, allowed, frame, cruise)


def _check_numbers(plan: QgcPlanFile, label: str) -> None:
    """Refuse NaN or infinite positions and parameters (a NaN altitude compares false against every limit), and
    items above terrain. Unset (NaN) parameters the command does not use are allowed, as MAVLink allows them."""
    if not all(math.isfinite(v) for v in plan.home):
        raise UnsafeMissionError(f"{label}: the planned home {plan.home} is not finite; refusing to upload it")
    groups = (("mission item", plan.mission[1:]), ("fence item", plan.fence), ("rally point", plan.rally))
    for kind, items in groups:
        for item in items:
            fields = {"latitude": item.x, "longitude": item.y, "altitude": item.z}
            if kind == "fence item":
                fields = {"latitude": item.x, "longitude": item.y, "param1": item.param1}
            positional = kind != "mission item" or is_positional(item.frame, item.command)
            params = {"param1": item.param1, "param2": item.param2, "param3": item.param3, "param4": item.param4}
            for name, value in {**params, **fields}.items():
                bad = math.isinf(value) or (math.isnan(value) and positional and name in fields)
                if bad:
                    raise UnsafeMissionError(
                        f"{label}: {kind} {item.seq} has {name} {value}: only finite numbers can be checked and "
                        "flown; refusing to upload it"
                    )
            if kind == "mission item" and positional and item.frame in TERRAIN_FRAMES:
                raise UnsafeMissionError(
                    f"{label}: mission item {item.seq} has its altitude above terrain (frame {item.frame}); "
                    "gridpatrol has no terrain data to check it against the ground and the fence ceiling, so it is "
                    "refused: set it relative to home (QGroundControl altitude mode 'Relative') and check again"
                )


def _name_items(
    message: str,
    track: list[XYZ],
    seqs: list[int],
    allowed: Area,
    names: dict[str, Area],
    cfg: SafetyConfig,
    label: str,
) -> str:
    """Re-run the validator one leg at a time to say which mission items the unsafe leg joins."""
    for k in range(len(track) - 1):
        try:
            validate_legs(track[k : k + 2], allowed, max_alt_m=cfg.fence_alt_max_m, label=label, zone_names=names)
        except UnsafeLegError as exc:
            what = re.sub(r"^leg 0 -> 1 ", "", str(exc).removeprefix(f"{label}: "))
            return f"{label}: mission item {seqs[k]} -> {seqs[k + 1]} {what}; refusing to upload it"
    return f"{message}; refusing to upload it"


def _exclusion_names(fence: list[MissionItem], frame: LocalFrame) -> dict[str, Area]:
    """Exclusion zones by a name an operator can find in the plan ("exclusion zone 2 (circle 60 m)")."""
    out: dict[str, Area] = {}
    for zone in items_to_zones(fence):
        if not zone.inclusion:
            kind = f"circle {zone.radius_m:g} m" if zone.center is not None else f"polygon of {len(zone.polygon or [])}"
            out[f"{len(out) + 1} ({kind})"] = _zone_area(zone, frame)
    return out


def allowed_area(fence: list[MissionItem], frame: LocalFrame, label: str) -> Area:
    """Where a vehicle may fly under these fence items: inclusion zones minus exclusion zones, in metres.

    Raises:
        UnsafeMissionError: no inclusion zone (a mission without a fence is never flown), or unreadable items.
    """
    try:
        zones = items_to_zones(fence)
    except ValueError as exc:
        raise UnsafeMissionError(f"{label}: unreadable fence: {exc}") from None
    inside = [_zone_area(z, frame) for z in zones if z.inclusion]
    outside = [_zone_area(z, frame) for z in zones if not z.inclusion]
    if not inside:
        raise UnsafeMissionError(
            f"{label}: the plan has no inclusion fence; gridpatrol never flies without one (add a fence to the "
            "district and re-plan)"
        )
    area = shapely.union_all(inside)
    if outside:
        area = area.difference(shapely.union_all(outside))
    return area


def _zone_area(zone: GeoFenceZone, frame: LocalFrame) -> Area:
    if zone.polygon is not None:
        return frame.geom_to_local(Polygon([(lon, lat) for lat, lon in zone.polygon]))
    assert zone.center is not None and zone.radius_m is not None
    x, y = frame.to_local(zone.center[1], zone.center[0])
    return Point(float(x), float(y)).buffer(zone.radius_m, quad_segs=16)


def mission_track(mission: list[MissionItem], frame: LocalFrame, label: str) -> tuple[list[XYZ], list[int]]:
    """The 3-D path a vehicle flies through ``mission`` (ArduPilot semantics), and each point's item number.

    Item 0 is home (altitude 0 above it). Lat/lon 0 means "here", altitude 0 "the present altitude" (except a
    landing); RTL returns at the present altitude to home and lands; DO items that do not move the vehicle are
    skipped. Anything else is refused, because what cannot be checked must not fly.

    Raises:
        UnsafeMissionError: an item the checker does not understand (DO_JUMP, DO_SET_HOME, unknown commands).
    """
    home = mission[0]
    home_amsl = home.z
    here: XYZ = (0.0, 0.0, 0.0)
    track: list[XYZ] = [here]
    seqs = [0]

    def xy(item: MissionItem) -> tuple[float, float]:
        if item.x == 0 and item.y == 0:
            return here[0], here[1]
        x, y = frame.to_local(item.y, item.x)
        return float(x), float(y)

    def alt(item: MissionItem) -> float:
        if item.z == 0 and item.command != LAND:
            return here[2]
        return item.z - home_amsl if item.frame in ABSOLUTE_FRAMES else item.z

    def go(point: XYZ, seq: int) -> None:
        nonlocal here
        track.append(point)
        seqs.append(seq)
        here = point

    for item in mission[1:]:
        cmd = item.command
        if cmd == TAKEOFF:
            go((here[0], here[1], alt(item)), item.seq)
        elif cmd in POINT_NAVS:
            go((*xy(item), alt(item)), item.seq)
        elif cmd == LAND:
            x, y = xy(item)
            if (x, y) != here[:2]:
                go((x, y, here[2]), item.seq)
            go((x, y, 0.0), item.seq)
        elif cmd == RTL:
            go((0.0, 0.0, here[2]), item.seq)
            go((0.0, 0.0, 0.0), item.seq)
        elif cmd in HARMLESS_DO:
            continue
        else:
            raise UnsafeMissionError(
                f"{label}: mission item {item.seq} has command {cmd}, which the safety check cannot follow "
                "(jumps, home changes and unknown commands are refused); re-plan with `gridpatrol plan`"
            )
    return track, seqs


def check_start(checked: CheckedMission, lat: float, lon: float, config: SafetyConfig) -> float:
    """Refuse to fly from anywhere but the plan's launch site; returns the offset in metres.

    The planner checked the legs from the launch site; from elsewhere, the first leg is unchecked.

    Raises:
        UnsafeMissionError: the vehicle is too far from the launch site, or outside the fence.
    """
    x, y = checked.frame.to_local(lon, lat)
    offset = math.hypot(float(x), float(y))
    if offset > config.max_home_offset_m:
        raise UnsafeMissionError(
            f"{checked.path}: the vehicle is {offset:.0f} m from the plan's launch site (at most "
            f"{config.max_home_offset_m:g} m allowed); carry it to the launch site or fly the plan made for its site"
        )
    if not checked.allowed.covers(Point(float(x), float(y))):
        raise UnsafeMissionError(f"{checked.path}: the vehicle stands outside the fence or inside a no-fly zone")
    return offset
