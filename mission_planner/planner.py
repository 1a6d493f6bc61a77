"""Plan a patrol: grids and drones in, a validated :class:`~mission_planner.plan.Plan` out.

The steps, each in its own module:

1. work areas: each selected grid clipped to where drones may fly (fence minus no-fly zones and margins);
2. patterns per grid (:mod:`coverage`, :mod:`streets`, :mod:`hotspots`, :mod:`perimeter`) as pattern routes;
3. battery-sized chunks and their assignment to drones and sorties (:mod:`sorties`, OR-Tools);
4. safe transit between chunks and home (:mod:`safe_space`), waypoints, figures;
5. every leg of every sortie validated (:mod:`safety`) before the plan is returned.

Example:
    >>> from mission_planner.district_io import load_district
    >>> district = load_district("examples/district.geojson")
    >>> plan = plan_patrol(district, PlanRequest(grids=["3", "5"], drones=2, alt_m=40))
    >>> round(plan.makespan_s / 60)
    23
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shapely
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.altitude import DEFAULT_PATROL_ALT_M, PatrolAltitude
from mission_planner.coverage import coverage_area, plan_coverage
from mission_planner.district import PATTERNS, Area, District, Grid, Pattern
from mission_planner.errors import InfeasibleError, PlanningError
from mission_planner.hotspots import plan_hotspots
from mission_planner.perimeter import plan_perimeter
from mission_planner.plan import DronePlan, GeoFenceZone, GridCoverage, Plan, Sortie, Waypoint, WaypointKind
from mission_planner.profiles import CameraProfile, VehicleProfile
from mission_planner.route import XY, PatternRoute
from mission_planner.safe_space import SafeSpace
from mission_planner.safety import validate_legs
from mission_planner.sorties import DroneStart, FlightModel, Leg, assign_chunks, split_route
from mission_planner.streets import plan_streets

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
MIN_AREA_M2 = 1.0  # slivers smaller than this (clipping noise) are not work


class PlanRequest(BaseModel):
    """What the operator asks for: which grids, how many drones, how high, with which vehicle and camera."""

    model_config = ConfigDict(extra="forbid")

    grids: list[str] | None = Field(None, title="Grids", description="Grid ids to patrol; None for all.")
    drones: int = Field(1, ge=1, le=32, title="Drones", description="How many drones fly at once.")
    alt_m: PatrolAltitude = DEFAULT_PATROL_ALT_M
    vehicle: VehicleProfile = Field(default_factory=VehicleProfile, title="Vehicle", description="")
    camera: CameraProfile = Field(default_factory=CameraProfile, title="Camera", description="")
    patterns: list[Pattern] | None = Field(
        None,
        title="Patterns",
        description="Patterns for every grid, overriding each grid's own; None keeps them.",
    )
    launches: list[str] | None = Field(
        None,
        title="Launch sites",
        description="Launch site ids to use, drones shared round-robin; None: all.",
    )


@dataclass(frozen=True)
class _Work:
    """A grid's work area and the routes its patterns made."""

    grid: Grid
    area: Area
    routes: list[PatternRoute]


def plan_patrol(district: District, request: PlanRequest, progress: Progress | None = None) -> Plan:
    """Plan a patrol of the requested grids, validated leg by leg against the fence and no-fly zones.

    Raises:
        PlanningError: With a message naming the grid, leg or field at fault and the fix (an unknown grid, an
            altitude above the fence, a grid inside a no-fly zone, a grid too far for one battery, ...).
    """
    report = progress or (lambda step, done, total: None)
    _check_altitude(district, request)
    grids = _select_grids(district, request.grids)
    drones = _drone_starts(district, request)
    safe = SafeSpace(district.allowed)
    model = FlightModel.of(request.vehicle, request.alt_m)
    swath_m, along_m = request.camera.footprint_m(request.alt_m)
    spacing_m = request.camera.line_spacing_m(request.alt_m)

    works: list[_Work] = []
    for i, grid in enumerate(grids):
        report("patterns", i, len(grids))
        area = _work_area(district, grid)
        patterns = tuple(request.patterns) if request.patterns else grid.patterns
        routes = [
            route
            for pattern in patterns
            for route in _pattern_routes(district, grid, area, pattern, safe, model, spacing_m, swath_m, along_m)
        ]
        works.append(_Work(grid, area, routes))
    report("patterns", len(grids), len(grids))

    distance = _cached(safe.distance)
    launch_points = sorted({d.xy for d in drones})
    chunks = [
        chunk for work in works for route in work.routes for chunk in split_route(route, model, launch_points, distance)
    ]
    report("sorties", 0, 1)
    schedule = assign_chunks(chunks, drones, model, distance, matrix=safe.distance_matrix)
    report("sorties", 1, 1)

    builder = _SortieBuilder(district, request, safe, model, swath_m, works)
    drone_plans: list[DronePlan] = []
    for d, (drone, sorties) in enumerate(zip(drones, schedule, strict=True)):
        report("waypoints", d, len(drones))
        plans: list[Sortie] = []
        clock = 0.0
        for legs in sorties:
            for sortie in builder.build_within_battery(
                drone, len(plans), [_oriented(chunks, leg) for leg in legs], start_s=clock
            ):
                plans.append(sortie)
                clock = sortie.start_s + sortie.duration_s + request.vehicle.battery_swap_s
        lon, lat = district.frame.to_lonlat(*drone.xy)
        drone_plans.append(
            DronePlan(
                drone_id=drone.drone_id,
                launch_id=drone.launch_id,
                home=(float(lat), float(lon)),
                sorties=plans,
            )
        )
    report("waypoints", len(drones), len(drones))

    return Plan(
        district=district.name,
        alt_m=request.alt_m,
        vehicle=request.vehicle,
        camera=request.camera,
        drones=drone_plans,
        grids=[_grid_coverage(w, swath_m) for w in works],
        fence=fence_zones(district),
        rally=[(float(s.geometry.y), float(s.geometry.x)) for s in district.launches],
        max_alt_m=district.max_alt_m,
    )


def _check_altitude(district: District, request: PlanRequest) -> None:
    fence = district.max_alt_m
    if request.alt_m > fence:
        raise InfeasibleError(
            f"altitude {request.alt_m:g} m is above the fence's max_alt_m of {fence:g} m; fly lower (--alt) or "
            "raise max_alt_m on the fence feature"
        )
    if request.alt_m > request.vehicle.max_alt_m:
        raise InfeasibleError(
            f"altitude {request.alt_m:g} m is above the vehicle's max_alt_m of {request.vehicle.max_alt_m:g} m; "
            "fly lower or change the vehicle profile"
        )
    floor = max(f.min_alt_m for f in district.fences)
    if request.alt_m < floor:
        raise InfeasibleError(
            f"altitude {request.alt_m:g} m is below the fence's min_alt_m of {floor:g} m; fly higher (--alt)"
        )


def _select_grids(district: District, ids: Sequence[str] | None) -> list[Grid]:
    if not ids:
        return list(district.grids)
    unknown = [g for g in ids if g not in {grid.id for grid in district.grids}]
    if unknown:
        known = ", ".join(g.id for g in district.grids)
        raise PlanningError(f"unknown grid id(s) {', '.join(unknown)}; the district has grids {known}")
    chosen = list(dict.fromkeys(ids))  # keep the operator's order, drop repeats
    return [district.grid(g) for g in chosen]


def _drone_starts(district: District, request: PlanRequest) -> list[DroneStart]:
    sites = list(district.launches)
    if request.launches:
        by_id = {s.id: s for s in sites}
        missing = [i for i in request.launches if i not in by_id]
        if missing:
            raise PlanningError(f"unknown launch site(s) {', '.join(missing)}; the district has {', '.join(by_id)}")
        sites = [by_id[i] for i in request.launches]
    if not sites:
        raise InfeasibleError("the district has no launch site; add a Point feature with kind 'launch'")
    for site in sites:
        if not district.allowed.covers(site.local):
            raise InfeasibleError(
                f"launch site {site.id} ({site.name}) is outside the fence or inside a no-fly zone plus margin; "
                "move it or the fence"
            )
    return [
        DroneStart(
            f"drone-{i + 1}",
            sites[i % len(sites)].id,
            (float(sites[i % len(sites)].local.x), float(sites[i % len(sites)].local.y)),
        )
        for i in range(request.drones)
    ]


def _work_area(district: District, grid: Grid) -> Area:
    """The part of a grid a drone may fly over; errors that say why when there is none."""
    if not grid.local.intersects(district.fence_area):
        raise InfeasibleError(
            f"grid {grid.id} ({grid.name}) does not overlap the fence; move the fence to include it or drop "
            "the grid from --grids"
        )
    area = _polygons(grid.local.intersection(district.allowed))
    if area.is_empty:
        zones = [z.name for z in district.nofly if grid.local.intersects(z.keep_out)]
        raise InfeasibleError(
            f"grid {grid.id} ({grid.name}) lies entirely inside no-fly zone {', '.join(zones) or '?'} "
            "(with its margin); it cannot be patrolled from the air: drop it from --grids"
        )
    return area


def _polygons(geom: BaseGeometry) -> Area:
    """Only the polygon parts of a clipped geometry, without slivers."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area >= MIN_AREA_M2]
    if not parts:
        return MultiPolygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _pattern_routes(
    district: District,
    grid: Grid,
    area: Area,
    pattern: Pattern,
    safe: SafeSpace,
    model: FlightModel,
    spacing_m: float,
    swath_m: float,
    along_m: float,
) -> list[PatternRoute]:
    """The routes of one pattern over one grid: one per separate part of the work area for area patterns."""
    parts = [p for p in shapely.get_parts(area) if isinstance(p, Polygon)]
    if pattern == "coverage":
        penalty_m = model.turn_penalty_s * model.speed_ms
        return [plan_coverage(grid.id, p, spacing_m, swath_m, along_m, penalty_m) for p in parts]
    if pattern == "perimeter":
        return [plan_perimeter(grid.id, p, swath_m) for p in parts]
    if pattern == "streets":
        streets = [s.local for s in district.streets if s.local.intersects(area)]
        return [plan_streets(grid.id, area, streets, safe, swath_m)]
    if pattern == "hotspots":
        spots = [(h.local.x, h.local.y, h.dwell_s) for h in district.hotspots_in(grid)]
        spots = [s for s in spots if safe.contains_leg((s[0], s[1]), (s[0], s[1]))]
        if not spots:
            raise InfeasibleError(
                f"grid {grid.id} ({grid.name}) has pattern 'hotspots' but no hotspot that can be flown to lies "
                "in it; add hotspot features (with grid_id) or drop the pattern"
            )
        return [plan_hotspots(grid.id, [((x, y), dwell) for x, y, dwell in spots], safe)]
    raise PlanningError(f"unknown pattern {pattern!r} for grid {grid.id}; use one of {', '.join(PATTERNS)}")


def _cached(distance: Callable[[XY, XY], float]) -> Callable[[XY, XY], float]:
    memo: dict[tuple[XY, XY], float] = {}

    def cached(a: XY, b: XY) -> float:
        key = (a, b)
        if key not in memo:
            memo[key] = distance(a, b)
        return memo[key]

    return cached


def _oriented(chunks: Sequence[PatternRoute], leg: Leg) -> PatternRoute:
    chunk = chunks[leg.chunk]
    return chunk.reversed() if leg.reverse else chunk


class _SortieBuilder:
    """Turns an ordered list of chunks into a flyable sortie: take-off, transits, work, return, landing."""

    def __init__(
        self,
        district: District,
        request: PlanRequest,
        safe: SafeSpace,
        model: FlightModel,
        swath_m: float,
        works: Sequence[_Work],
    ) -> None:
        self.district = district
        self.request = request
        self.safe = safe
        self.model = model
        self.swath_m = swath_m
        self.areas = {w.grid.id: w.grid.local for w in works}

    def build_within_battery(
        self, drone: DroneStart, index: int, chunks: Sequence[PatternRoute], start_s: float
    ) -> list[Sortie]:
        """The sortie, or, should its flown path (detour corners included) exceed the battery, two or more."""
        sortie = self.build(drone, index, chunks, start_s)
        if sortie.duration_s <= self.request.vehicle.usable_s or len(chunks) == 1:
            if sortie.duration_s > self.request.vehicle.usable_s:
                raise InfeasibleError(
                    f"{drone.drone_id} sortie {index + 1} over grid {chunks[0].grid_id} needs "
                    f"{sortie.duration_s / 60:.1f} min, more than a battery gives; raise endurance_min or add a "
                    "launch site nearer to it"
                )
            return [sortie]
        half = len(chunks) // 2
        first = self.build_within_battery(drone, index, chunks[:half], start_s)
        later = first[-1].start_s + first[-1].duration_s + self.request.vehicle.battery_swap_s
        return first + self.build_within_battery(drone, index + len(first), chunks[half:], later)

    def build(self, drone: DroneStart, index: int, chunks: Sequence[PatternRoute], start_s: float) -> Sortie:
        alt = self.request.alt_m
        home = drone.xy
        points: list[tuple[XY, WaypointKind, str | None, float]] = [(home, "takeoff", None, 0.0)]
        here = home
        for chunk in chunks:
            points += [(p, "transit", None, 0.0) for p in self.safe.path(here, chunk.start)[1:-1]]
            points += [(p, chunk.pattern, chunk.grid_id, chunk.holds.get(i, 0.0)) for i, p in enumerate(chunk.points)]
            here = chunk.end
        points += [(p, "transit", None, 0.0) for p in self.safe.path(here, home)[1:-1]]
        points.append((home, "return", None, 0.0))

        label = f"{drone.drone_id} sortie {index + 1}"
        track = [(home[0], home[1], 0.0)] + [(p[0], p[1], alt) for p, *_ in points] + [(home[0], home[1], 0.0)]
        validate_legs(
            track,
            self.district.allowed,
            max_alt_m=self.district.max_alt_m,
            min_alt_m=0.0,
            label=label,
            zone_names={z.name: z.keep_out for z in self.district.nofly},
        )
        horizontal = sum(math.dist(a[0], b[0]) for a, b in itertools.pairwise(points))
        path_route = PatternRoute("_", "coverage", tuple(p for p, *_ in points))
        duration = (
            self.model.climb_s
            + self.model.travel_s(horizontal)
            + sum(h for *_, h in points)
            + path_route.turns() * self.model.turn_penalty_s
            + self.model.descent_s
        )
        waypoints = self._waypoints(points)
        grid_ids = list(dict.fromkeys(c.grid_id for c in chunks))
        covered = [coverage_area(c, self.swath_m) for c in chunks if c.pattern == "coverage"]
        area = 0.0
        if covered:
            swath = shapely.union_all(covered)
            area = shapely.union_all([self.areas[g] for g in grid_ids]).intersection(swath).area
        return Sortie(
            drone_id=drone.drone_id,
            index=index,
            launch_id=drone.launch_id,
            waypoints=waypoints,
            grid_ids=grid_ids,
            length_m=horizontal + 2 * alt,
            duration_s=duration,
            energy_pct=100.0 * duration / (self.request.vehicle.endurance_min * 60.0),
            area_covered_m2=area,
            start_s=start_s,
        )

    def _waypoints(self, points: Sequence[tuple[XY, WaypointKind, str | None, float]]) -> list[Waypoint]:
        frame = self.district.frame
        xs = [p[0][0] for p in points]
        ys = [p[0][1] for p in points]
        lons, lats = frame.to_lonlat(xs, ys)
        alt = self.request.alt_m
        out: list[Waypoint] = []
        for i, ((_, kind, grid_id, hold), lon, lat) in enumerate(zip(points, lons, lats, strict=True)):
            out.append(
                Waypoint(
                    lat=float(lat),
                    lon=float(lon),
                    alt_m=alt,
                    kind=kind,
                    speed_ms=self.request.vehicle.cruise_speed_ms if i == 0 else None,
                    hold_s=hold,
                    gimbal_pitch_deg=self.request.camera.gimbal_pitch_deg if i == 0 else None,
                    grid_id=grid_id,
                )
            )
        last = out[-1]
        out.append(last.model_copy(update={"kind": "land", "alt_m": 0.0}))
        return out


def _grid_coverage(work: _Work, swath_m: float) -> GridCoverage:
    grid_area = work.grid.local.area
    swaths = [coverage_area(r, swath_m) for r in work.routes]
    covered = work.grid.local.intersection(shapely.union_all(swaths)).area if swaths else 0.0
    return GridCoverage(
        grid_id=work.grid.id,
        name=work.grid.name,
        patterns=list(dict.fromkeys(r.pattern for r in work.routes)),
        area_m2=grid_area,
        covered_m2=covered,
        coverage_pct=min(100.0, 100.0 * covered / grid_area) if grid_area else 0.0,
    )


def fence_zones(district: District) -> list[GeoFenceZone]:
    """The fence to upload: inclusion polygons from the fences (their holes as exclusions) and the no-fly zones."""
    zones: list[GeoFenceZone] = []

    def ring(coords: Sequence[tuple[float, ...]]) -> list[tuple[float, float]]:
        pts = [(float(c[1]), float(c[0])) for c in coords]
        return pts[:-1] if len(pts) > 1 and pts[0] == pts[-1] else pts

    for fence in district.fences:
        for poly in shapely.get_parts(fence.geometry):
            zones.append(GeoFenceZone(inclusion=True, polygon=ring(poly.exterior.coords)))
            zones += [GeoFenceZone(inclusion=False, polygon=ring(h.coords)) for h in poly.interiors]
    for zone in district.nofly:
        if zone.radius_m is not None:
            c = zone.geometry.centroid
            zones.append(GeoFenceZone(inclusion=False, center=(float(c.y), float(c.x)), radius_m=zone.radius_m))
        else:
            for poly in shapely.get_parts(zone.geometry):
                zones.append(GeoFenceZone(inclusion=False, polygon=ring(poly.exterior.coords)))
    return zones
