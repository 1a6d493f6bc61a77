import itertools
import math

import pytest

from mission_planner.errors import InfeasibleError
from mission_planner.profiles import VehicleProfile
from mission_planner.route import PatternRoute
from mission_planner.sorties import DroneStart, FlightModel, assign_chunks, split_route

MODEL = FlightModel.of(VehicleProfile(endurance_min=10, reserve_pct=20), 40.0)  # 480 s usable


def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.dist(a, b)


def serpentine(grid: str, ox: float, oy: float, lines: int = 6, length: float = 300.0) -> PatternRoute:
    pts: list[tuple[float, float]] = []
    for k in range(lines):
        x = ox + 20 + 40 * k
        ends = [(x, oy), (x, oy + length)]
        pts += ends if k % 2 == 0 else ends[::-1]
    return PatternRoute(grid, "coverage", tuple(pts))


def sortie_battery_s(model: FlightModel, home: tuple[float, float], legs: list[PatternRoute]) -> float:
    t, here = model.climb_s, home
    for c in legs:
        t += model.travel_s(dist(here, c.start)) + model.work_s(c)
        here = c.end
    return t + model.travel_s(dist(here, home)) + model.descent_s


def test_route_that_fits_is_not_split() -> None:
    route = serpentine("1", 100, 100, lines=2, length=100)
    assert split_route(route, MODEL, [(0.0, 0.0)], dist) == [route]


def test_long_route_is_cut_into_battery_sized_chunks_that_keep_the_path() -> None:
    route = serpentine("7", 500, 0, lines=12, length=600)
    home = (0.0, 0.0)
    chunks = split_route(route, MODEL, [home], dist)
    assert len(chunks) > 1
    for c in chunks:
        assert sortie_battery_s(MODEL, home, [c]) <= MODEL.usable_s + 1e-6
        assert c.grid_id == "7"
    # consecutive chunks meet, and together they fly the whole route
    for a, b in itertools.pairwise(chunks):
        assert math.dist(a.end, b.start) < 1e-9
    assert sum(c.length_m for c in chunks) == pytest.approx(route.length_m, rel=1e-9)


def test_hover_is_never_split_and_is_kept() -> None:
    pts = tuple((1000.0 + 10 * i, 0.0) for i in range(10))
    route = PatternRoute("3", "hotspots", pts, holds={2: 150.0, 6: 150.0})
    chunks = split_route(route, MODEL, [(0.0, 0.0)], dist)
    assert sum(c.hold_s for c in chunks) == 300.0
    assert all(sortie_battery_s(MODEL, (0.0, 0.0), [c]) <= MODEL.usable_s for c in chunks)


def test_grid_too_far_for_one_battery_names_the_grid() -> None:
    far = serpentine("9", 5000, 0)
    with pytest.raises(InfeasibleError, match=r"grid 9 is too far for one battery.*launch site"):
        split_route(far, MODEL, [(0.0, 0.0)], dist)


def test_every_chunk_once_every_sortie_fits_and_deterministic() -> None:
    routes = [serpentine(str(i), 400 * (i % 3), 400 * (i // 3), lines=5) for i in range(9)]
    homes = [(0.0, 0.0), (800.0, 800.0)]
    chunks = [c for r in routes for c in split_route(r, MODEL, homes, dist)]
    drones = [DroneStart("d1", "A", homes[0]), DroneStart("d2", "B", homes[1])]
    schedule = assign_chunks(chunks, drones, MODEL, dist)
    flown = sorted(leg.chunk for sorties in schedule for s in sorties for leg in s)
    assert flown == list(range(len(chunks)))
    for drone, sorties in zip(drones, schedule, strict=True):
        for s in sorties:
            legs = [chunks[leg.chunk].reversed() if leg.reverse else chunks[leg.chunk] for leg in s]
            assert sortie_battery_s(MODEL, drone.xy, legs) <= MODEL.usable_s + 0.2  # solver rounds to 0.1 s
    assert assign_chunks(chunks, drones, MODEL, dist) == schedule


def test_more_drones_finish_sooner() -> None:
    routes = [serpentine(str(i), 300 * i, 0, lines=3, length=200) for i in range(6)]
    home = (750.0, -100.0)
    chunks = [c for r in routes for c in split_route(r, MODEL, [home], dist)]

    def makespan(n: int) -> float:
        drones = [DroneStart(f"d{i}", "A", home) for i in range(n)]
        schedule = assign_chunks(chunks, drones, MODEL, dist)
        ends = []
        for sorties in schedule:
            t = 0.0
            for s in sorties:
                legs = [chunks[leg.chunk].reversed() if leg.reverse else chunks[leg.chunk] for leg in s]
                t += sortie_battery_s(MODEL, home, legs) + MODEL.swap_s
            ends.append(t - MODEL.swap_s if sorties else 0.0)
        return max(ends)

    one, two, four = makespan(1), makespan(2), makespan(4)
    assert two < one and four <= two
    assert two <= 0.75 * one  # the work is shared, not all given to one drone
