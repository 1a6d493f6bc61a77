"""Re-plan another ground station's survey items with our own planner, inside the district's allowed area.

QGroundControl's survey sweeps the convex hull of its polygon at one angle and knows nothing of no-fly zones; here
the polygon (a corridor: its centre line grown by half its width) is clipped to where drones may fly in the
district (fence minus no-fly zones and their margins), each part is swept by :func:`mission_planner.coverage.
plan_coverage` (concave parts are decomposed into cells), and the parts, and the legs into and out of the survey,
are joined by safe paths (:class:`mission_planner.safe_space.SafeSpace`). A structure scan becomes one loop per
layer around the structure, at the distance the file gives, refused if a loop leaves the allowed area.

All geometry is in the district's local metric frame.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.coverage import plan_coverage
from mission_planner.district import District
from mission_planner.errors import PlanningError
from mission_planner.mission_items import Cmd, MissionItem
from mission_planner.perimeter import plan_perimeter
from mission_planner.plan_doc import (
    DO_JUMP,
    AltitudeMode,
    PlanDocument,
    PlanFileError,
    PlanItem,
    SurveyArea,
    is_positional,
)
from mission_planner.profiles import CameraProfile, VehicleProfile
from mission_planner.route import XY
from mission_planner.safe_space import SafeSpace
from mission_planner.sorties import FlightModel

MIN_AREA_M2 = 1.0
XYZ = tuple[float, float, float]


def replan_surveys(
    doc: PlanDocument, district: District, camera: CameraProfile, vehicle: VehicleProfile
) -> tuple[PlanDocument, list[str]]:
    """The document with every survey item replaced by our waypoints, and a note per survey for the operator.

    ``doJumpId`` values are renumbered 1, 2, ... in item order and DO_JUMP targets follow them.

    Raises:
        PlanFileError: a survey outside the allowed area, below home, or a DO_JUMP into a survey (its items are
            replaced, so the target is gone).
    """
    if not doc.surveys:
        return doc, []
    safe = SafeSpace(district.allowed)
    frame = district.frame
    out: list[tuple[PlanItem, int | None]] = []  # each item with its old doJumpId
    notes: list[str] = []
    hx, hy = frame.to_local(doc.home[1], doc.home[0])
    home = (float(hx), float(hy))
    here: XY | None = None
    for k, entry in enumerate(doc.items):
        if isinstance(entry, PlanItem):
            out.append((entry, entry.do_jump_id))
            here = _local_xy(entry.item, district) or here
            continue
        alt_rel = entry.alt_m if entry.relative else entry.alt_m - doc.home[2]
        if alt_rel <= 0:
            raise PlanFileError(f"{entry.where}: its altitude {entry.alt_m:g} m is not above home; nothing to fly")
        route = _survey_route(entry, district, safe, camera, vehicle, alt_rel)
        following = _next_position(doc.items[k + 1 :], district, home)
        points = _joined(safe, here, route, following)
        lons, lats = frame.to_lonlat([p[0] for p in points], [p[1] for p in points])
        for (_, _, z), lat, lon in zip(points, lats, lons, strict=True):
            out.append((_waypoint(float(lat), float(lon), z, entry.relative), None))
        here = (route[-1][0], route[-1][1])
        notes.append(f"{entry.where} re-planned by gridpatrol: {len(points)} waypoints at {entry.alt_m:g} m")
    return replace(doc, items=_renumbered(out, doc)), notes


def _local_xy(item: MissionItem, district: District) -> XY | None:
    if not is_positional(item.frame, item.command) or (item.x == 0 and item.y == 0):
        return None
    x, y = district.frame.to_local(item.y, item.x)
    return float(x), float(y)


def _next_position(items: list[PlanItem | SurveyArea], district: District, home: XY) -> XY | None:
    """Where the vehicle flies after a survey: the next item with a position, or home for a return (RTL)."""
    for entry in items:
        if isinstance(entry, SurveyArea):
            return None  # joined when that survey is planned
        if entry.item.command == Cmd.NAV_RETURN_TO_LAUNCH:
            return home
        xy = _local_xy(entry.item, district)
        if xy is not None:
            return xy
    return None


def _waypoint(lat: float, lon: float, alt: float, relative: bool) -> PlanItem:
    frame = 3 if relative else 0
    item = MissionItem(0, frame, Cmd.NAV_WAYPOINT, x=lat, y=lon, z=alt)
    mode = AltitudeMode.RELATIVE if relative else AltitudeMode.AMSL
    return PlanItem(item, altitude_mode=int(mode), altitude=alt)


def _parts(geom: BaseGeometry) -> list[Polygon]:
    return [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area >= MIN_AREA_M2]


def _survey_route(
    area: SurveyArea,
    district: District,
    safe: SafeSpace,
    camera: CameraProfile,
    vehicle: VehicleProfile,
    alt_rel: float,
) -> list[XYZ]:
    """The survey's points (metres, with the file's altitude: above home or AMSL as the item says)."""
    frame = district.frame
    lonlat = [(lon, lat) for lat, lon in area.polygon]
    if area.kind == "StructureScan":
        return _structure_loops(area, frame.geom_to_local(Polygon(lonlat)).buffer(0), safe)
    if area.kind == "CorridorScan":
        shape = frame.geom_to_local(LineString(lonlat)).buffer(area.width_m / 2.0, cap_style="flat")
    else:
        shape = frame.geom_to_local(Polygon(lonlat)).buffer(0)
    parts = _parts(shape.intersection(district.allowed))
    if not parts:
        raise PlanFileError(
            f"{area.where}: its area lies outside the district's fence or inside its no-fly zones; nothing to survey"
        )
    swath, along = camera.footprint_m(alt_rel)
    spacing = camera.line_spacing_m(alt_rel)
    model = FlightModel.of(vehicle, alt_rel)
    penalty = model.turn_penalty_s * model.speed_ms
    points: list[XY] = []
    for k, part in enumerate(sorted(parts, key=lambda p: (p.centroid.x, p.centroid.y))):
        try:
            sweep = list(plan_coverage(f"{area.kind} part {k + 1}", part, spacing, swath, along, penalty).points)
        except (PlanningError, ValueError) as exc:
            raise PlanFileError(f"{area.where}: cannot be re-planned ({exc})") from None
        if points:
            points += _safe_path(safe, points[-1], sweep[0], area.where)[1:-1]
        points += sweep
    return [(x, y, area.alt_m) for x, y in points]


def _structure_loops(area: SurveyArea, structure: Polygon, safe: SafeSpace) -> list[XYZ]:
    """One closed loop per layer, ``width_m`` from the structure's walls, bottom layer first."""
    orbit = structure.buffer(area.width_m, join_style="mitre")
    loop = list(plan_perimeter("structure", orbit, 0.0).points) if isinstance(orbit, Polygon) else []
    for a, b in itertools.pairwise(loop):
        if not safe.contains_leg(a, b):
            raise PlanFileError(
                f"{area.where}: the loop {area.width_m:g} m around the structure leaves the district's fence or "
                "enters a no-fly zone; it cannot be flown here"
            )
    return [(x, y, area.alt_m + layer * area.layer_step_m) for layer in range(area.layers) for x, y in loop]


def _safe_path(safe: SafeSpace, a: XY, b: XY, where: str) -> list[XY]:
    try:
        return safe.path(a, b)
    except PlanningError as exc:
        raise PlanFileError(f"{where}: no safe way in or out of the survey ({exc})") from None


def _joined(safe: SafeSpace, before: XY | None, route: list[XYZ], after: XY | None) -> list[XYZ]:
    """The route with safe detours from the previous position and to the next one, at the survey's first and
    last altitude (the straight leg is kept when it is already safe, or when an end lies outside: the flight
    check then names that leg)."""

    def detour(a: XY, b: XY, z: float) -> list[XYZ]:
        if math.dist(a, b) < 1e-6 or safe.contains_leg(a, b):
            return []
        try:
            return [(x, y, z) for x, y in safe.path(a, b)[1:-1]]
        except PlanningError:
            return []

    first, last = route[0], route[-1]
    head = detour(before, (first[0], first[1]), first[2]) if before is not None else []
    tail = detour((last[0], last[1]), after, last[2]) if after is not None else []
    return head + route + tail


def _renumbered(items: list[tuple[PlanItem, int | None]], doc: PlanDocument) -> list[PlanItem | SurveyArea]:
    """``doJumpId`` = position (1, 2, ...), DO_JUMP param1 pointing at its target's new id."""
    new_id = {old: k + 1 for k, (_, old) in enumerate(items) if old is not None}
    out: list[PlanItem | SurveyArea] = []
    for k, (p, _) in enumerate(items):
        item = p.item
        if item.command == DO_JUMP:
            target = int(item.param1)
            if target not in new_id:
                raise PlanFileError(
                    f"mission item {k + 1} is a DO_JUMP to doJumpId {target}, which is not a simple item (a survey "
                    "that is re-planned, or missing); set the jump again after importing"
                )
            item = replace(item, param1=float(new_id[target]))
        out.append(replace(p, item=item, do_jump_id=k + 1))
    return out
