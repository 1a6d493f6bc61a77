"""Sorties: cut pattern routes into battery-sized pieces and share them among drones.

Deterministic, in three steps:

1. :func:`split_route` cuts each pattern route into chunks that a drone can fly on one battery, counting the
   climb, the transit from the nearest launch site, the work (length, hovers, turns) and the way home.
2. OR-Tools routing forms sorties: its vehicles are batteries leaving the launch sites, each limited to the
   usable battery time; it minimises total flight time; each chunk may be flown in either direction.
3. Sorties are scheduled on the drones of their launch site, longest first onto the drone free first (LPT),
   which bounds the makespan within 4/3 of the best schedule of those sorties.

Distances come from a callable (``distance(a, b)`` in metres), so the solver sees the safe-path lengths that
avoid no-fly zones, not straight lines through them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from mission_planner.errors import InfeasibleError
from mission_planner.profiles import VehicleProfile
from mission_planner.route import XY, PatternRoute

Distance = Callable[[XY, XY], float]
DistanceMatrix = Callable[[Sequence[XY]], np.ndarray]


DETOUR_TURNS = 4


@dataclass(frozen=True)
class FlightModel:
    """Times a vehicle takes at a given altitude: what a sortie costs in battery seconds."""

    speed_ms: float
    climb_s: float
    descent_s: float
    usable_s: float
    swap_s: float
    turn_penalty_s: float

    @classmethod
    def of(cls, vehicle: VehicleProfile, alt_m: float) -> FlightModel:
        """The model for this vehicle flying at ``alt_m`` above its launch site."""
        return cls(
            speed_ms=vehicle.cruise_speed_ms,
            climb_s=alt_m / vehicle.climb_rate_ms,
            descent_s=alt_m / vehicle.descent_rate_ms,
            # keep a few turns in hand for the corners of detours around no-fly zones
            usable_s=vehicle.usable_s - DETOUR_TURNS * vehicle.turn_penalty_s,
            swap_s=vehicle.battery_swap_s,
            turn_penalty_s=vehicle.turn_penalty_s,
        )

    def work_s(self, route: PatternRoute) -> float:
        """Seconds to fly a route: its length at cruise, its hovers, its turns, and the turns into and out of it."""
        return route.length_m / self.speed_ms + route.hold_s + (route.turns() + 2) * self.turn_penalty_s

    def travel_s(self, metres: float) -> float:
        """Seconds of transit for a distance at cruise speed."""
        return metres / self.speed_ms


@dataclass(frozen=True)
class DroneStart:
    """A drone and the launch site it flies from (in metres)."""

    drone_id: str
    launch_id: str
    xy: XY


@dataclass(frozen=True)
class Leg:
    """One chunk in a drone's schedule, with the direction it is flown in."""

    chunk: int
    reverse: bool


def _round_trip_s(model: FlightModel, launches: Sequence[XY], start: XY, end: XY, distance: Distance) -> float:
    """Battery seconds spent outside the work: climb, out from and back to the best launch site, descent."""
    best = min(distance(p, start) + distance(end, p) for p in launches)
    return model.climb_s + model.descent_s + model.travel_s(best)


def split_route(
    route: PatternRoute, model: FlightModel, launches: Sequence[XY], distance: Distance
) -> list[PatternRoute]:
    """Cut a route into consecutive chunks that each fit one battery, flown from the nearest launch site.

    The whole route is returned unchanged when it fits. Hovers are never split; a long segment is cut at the
    point where the battery budget runs out.

    Raises:
        InfeasibleError: When the grid is too far for one battery (even a few metres of work do not fit).
    """
    if model.work_s(route) + _round_trip_s(model, launches, route.start, route.end, distance) <= model.usable_s:
        return [route]
    chunks: list[PatternRoute] = []
    points = list(route.points)
    holds = dict(route.holds)
    while points:
        chunk_pts, chunk_holds, rest_pts, rest_holds = _take_chunk(route, points, holds, model, launches, distance)
        chunks.append(PatternRoute(route.grid_id, route.pattern, tuple(chunk_pts), chunk_holds, route.swath_m))
        points, holds = rest_pts, rest_holds
    return chunks


def _fits(pts: list[XY], hold_s: float, model: FlightModel, launches: Sequence[XY], distance: Distance) -> bool:
    piece = PatternRoute("_", "coverage", tuple(pts))
    work = model.work_s(piece) + hold_s
    return work + _round_trip_s(model, launches, pts[0], pts[-1], distance) <= model.usable_s


def _take_chunk(
    route: PatternRoute,
    points: list[XY],
    holds: dict[int, float],
    model: FlightModel,
    launches: Sequence[XY],
    distance: Distance,
) -> tuple[list[XY], dict[int, float], list[XY], dict[int, float]]:
    """The longest prefix of ``points`` that fits a battery, and what is left (starting where it stopped)."""
    first_hold = holds.get(0, 0.0)
    if not _fits([points[0]], first_hold, model, launches, distance):
        need = _round_trip_s(model, launches, points[0], points[0], distance) + first_hold
        raise InfeasibleError(
            f"grid {route.grid_id} is too far for one battery: reaching it ({route.pattern}) and coming back "
            f"takes {need / 60:.1f} min, a battery gives {model.usable_s / 60:.1f} min usable. Fix: add a "
            "launch site nearer to it, raise the vehicle's endurance_min or lower its reserve_pct"
        )
    taken = [points[0]]
    taken_holds = {0: first_hold} if first_hold else {}
    hold_total = first_hold
    for i in range(1, len(points)):
        h = holds.get(i, 0.0)
        if _fits([*taken, points[i]], hold_total + h, model, launches, distance):
            taken.append(points[i])
            if h:
                taken_holds[len(taken) - 1] = h
            hold_total += h
            continue
        # Cut the segment taken[-1] -> points[i] where the budget ends (never in the middle of a hover).
        a, b = taken[-1], points[i]
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = (lo + hi) / 2
            p = (a[0] + (b[0] - a[0]) * mid, a[1] + (b[1] - a[1]) * mid)
            if _fits([*taken, p], hold_total, model, launches, distance):
                lo = mid
            else:
                hi = mid
        cut = (a[0] + (b[0] - a[0]) * lo, a[1] + (b[1] - a[1]) * lo)
        if lo > 1e-6 and math.dist(a, cut) > 0.5:
            taken.append(cut)
            rest = [cut, *points[i:]]
            rest_holds = {k - i + 1: v for k, v in holds.items() if k >= i}
        else:  # no useful cut: the next chunk flies this whole segment (it may be a sweep line)
            rest = [a, *points[i:]]
            rest_holds = {k - i + 1: v for k, v in holds.items() if k >= i}
        if len(taken) == 1 and not taken_holds:
            # Nothing but the start point fits: flying to it is already the whole budget.
            raise InfeasibleError(
                f"grid {route.grid_id} is too far for one battery to do any work there; add a launch site "
                "nearer to it, raise endurance_min or lower reserve_pct"
            )
        return taken, taken_holds, rest, rest_holds
    return taken, taken_holds, [], {}


@dataclass(frozen=True)
class _Node:
    start: XY
    end: XY
    work_s: float
    chunk: int = -1  # -1 for a depot
    reverse: bool = False


SCALE = 10  # the solver works in tenths of a second
SAFETY_LIMIT_S = 60


def assign_chunks(
    chunks: Sequence[PatternRoute],
    drones: Sequence[DroneStart],
    model: FlightModel,
    distance: Distance,
    *,
    max_solutions: int = 1_000_000,
    matrix: DistanceMatrix | None = None,
) -> list[list[list[Leg]]]:
    """Share chunks among drones, each drone flying one or more battery-sized sorties, minimising makespan.

    First OR-Tools routing forms sorties (a vehicle-routing problem whose vehicles are batteries leaving the
    launch sites, each limited to the usable battery time, minimising total flight time); then the sorties are
    scheduled on the drones of their launch site, longest first onto the drone that is free first (LPT), which
    keeps the patrol's makespan within 4/3 of the best for the sorties formed.

    Returns:
        Per drone, its sorties in flying order, each a list of legs (chunk index and direction).

    Raises:
        InfeasibleError: When no assignment fits the batteries (cannot happen for chunks made by
            :func:`split_route` with the same launch sites).
    """
    if not chunks:
        return [[] for _ in drones]
    sites = sorted({d.xy for d in drones})
    # Batteries offered per launch site: what the chunks nearest to it would need flown one per battery
    # (transits included), a fair over-estimate; doubled while the solver still leaves work undone.
    need = [0.0] * len(sites)
    for c in chunks:
        trips = [distance(s, c.start) + distance(c.end, s) for s in sites]
        k = min(range(len(sites)), key=lambda i: (trips[i], i))
        need[k] += model.work_s(c) + model.climb_s + model.descent_s + model.travel_s(trips[k])
    per_site = [min(len(chunks), math.ceil(n / model.usable_s) + 2) for n in need]
    while True:
        sorties = _form_sorties(chunks, sites, model, matrix or _pairwise(distance), max_solutions, per_site)
        if sorties is not None:
            return _schedule(sorties, drones, chunks, model, distance)
        if min(per_site) >= len(chunks):
            raise InfeasibleError(
                "some work does not fit any battery from the launch sites given; add a launch site nearer to it"
            )
        per_site = [min(len(chunks), 2 * n) for n in per_site]


def _form_sorties(
    chunks: Sequence[PatternRoute],
    sites: Sequence[XY],
    model: FlightModel,
    matrix: DistanceMatrix,
    max_solutions: int,
    per_site: Sequence[int],
) -> list[tuple[XY, list[Leg]]] | None:
    nodes = [_Node(xy, xy, 0.0) for xy in sites]
    pairs: list[tuple[int, int]] = []
    for c, chunk in enumerate(chunks):
        chunk_s = model.work_s(chunk)
        pairs.append((len(nodes), len(nodes) + 1))
        nodes.append(_Node(chunk.start, chunk.end, chunk_s, c))
        nodes.append(_Node(chunk.end, chunk.start, chunk_s, c, True))
    travel = _travel_matrix(nodes, model, matrix)
    is_depot = np.array([n.chunk < 0 for n in nodes])
    work = np.array([round(n.work_s * SCALE) for n in nodes], dtype=np.int64)
    climb, descent = round(model.climb_s * SCALE), round(model.descent_s * SCALE)
    capacity = round(model.usable_s * SCALE)
    # A battery's use on i -> j: i's work, the transit, the climb after take-off, the descent before landing.
    battery = travel + work[:, None] + np.where(is_depot, climb, 0)[:, None] + np.where(is_depot, descent, 0)[None, :]

    vehicle_sites = [s for s in range(len(sites)) for _ in range(per_site[s])]
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(vehicle_sites), vehicle_sites, vehicle_sites)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(battery.tolist()))
    routing.AddDimension(routing.RegisterTransitMatrix(battery.tolist()), 0, capacity, True, "battery")
    for fwd, rev in pairs:  # each chunk flown once, in either direction
        routing.AddDisjunction([manager.NodeToIndex(fwd), manager.NodeToIndex(rev)], 10**9, 1)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.solution_limit = max_solutions  # a count, not a clock: the same input gives the same plan
    params.time_limit.FromSeconds(SAFETY_LIMIT_S)  # only a guard against a pathological search
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise InfeasibleError("no way to share the work among batteries was found; add launch sites or drones")

    sorties: list[tuple[XY, list[Leg]]] = []
    for v, site in enumerate(vehicle_sites):
        legs: list[Leg] = []
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(idx):
            node = nodes[manager.IndexToNode(idx)]
            legs.append(Leg(node.chunk, node.reverse))
            idx = solution.Value(routing.NextVar(idx))
        if legs:
            sorties.append((sites[site], legs))
    flown = sorted(leg.chunk for _, legs in sorties for leg in legs)
    return sorties if flown == list(range(len(chunks))) else None


def _schedule(
    sorties: Sequence[tuple[XY, list[Leg]]],
    drones: Sequence[DroneStart],
    chunks: Sequence[PatternRoute],
    model: FlightModel,
    distance: Distance,
) -> list[list[list[Leg]]]:
    """Longest sortie first, onto the drone of its launch site that is free first (ties: lowest index)."""

    def duration(site: XY, legs: list[Leg]) -> float:
        t, here = model.climb_s + model.descent_s, site
        for leg in legs:
            c = chunks[leg.chunk].reversed() if leg.reverse else chunks[leg.chunk]
            t += model.travel_s(distance(here, c.start)) + model.work_s(c)
            here = c.end
        return t + model.travel_s(distance(here, site))

    timed = sorted(((duration(s, legs), i) for i, (s, legs) in enumerate(sorties)), key=lambda x: (-x[0], x[1]))
    free_at = [0.0] * len(drones)
    result: list[list[list[Leg]]] = [[] for _ in drones]
    for dur, i in timed:
        site, legs = sorties[i]
        d = min((k for k in range(len(drones)) if drones[k].xy == site), key=lambda k: (free_at[k], k))
        result[d].append(legs)
        free_at[d] += dur + model.swap_s
    return result


def _pairwise(distance: Distance) -> DistanceMatrix:
    """A distance matrix built one pair at a time (for plain distance functions)."""

    def matrix(points: Sequence[XY]) -> np.ndarray:
        return np.array([[distance(a, b) for b in points] for a in points], dtype=float)

    return matrix


def _travel_matrix(nodes: Sequence[_Node], model: FlightModel, matrix: DistanceMatrix) -> np.ndarray:
    """Transit time (tenths of a second) from the end of each node to the start of every other node."""
    points = sorted({p for node in nodes for p in (node.start, node.end)})
    index = {p: i for i, p in enumerate(points)}
    metres = matrix(points)
    if not np.all(np.isfinite(metres)):
        raise InfeasibleError(
            "some work cannot be reached by a safe path from the launch sites; check the no-fly zones"
        )
    unique = np.round(metres / model.speed_ms * SCALE).astype(np.int64)
    ends = np.array([index[node.end] for node in nodes])
    starts = np.array([index[node.start] for node in nodes])
    return unique[np.ix_(ends, starts)]
