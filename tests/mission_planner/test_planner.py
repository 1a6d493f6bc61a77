"""The whole planner on the example district and on random synthetic districts."""

import dataclasses
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from shapely.geometry import LineString

from mission_planner.district import District
from mission_planner.district_io import district_from_geojson, load_district
from mission_planner.errors import InfeasibleError, PlanningError
from mission_planner.plan import Plan
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.profiles import VehicleProfile
from mission_planner.synthetic import synthetic_district

EXAMPLE = Path(__file__).parents[2] / "examples" / "district.geojson"
TOL_M = 0.05


@pytest.fixture(scope="module")
def example() -> District:
    return load_district(EXAMPLE)


def route_lines(plan: Plan, district: District) -> list[LineString]:
    lines = []
    for sortie in plan.sorties:
        xs, ys = district.frame.to_local([w.lon for w in sortie.waypoints], [w.lat for w in sortie.waypoints])
        lines.append(LineString(list(zip(xs, ys, strict=True))))
    return lines


def assert_safe(plan: Plan, district: District) -> None:
    allowed = district.allowed.buffer(TOL_M)
    for line, sortie in zip(route_lines(plan, district), plan.sorties, strict=True):
        outside = line.difference(allowed).length
        assert outside == pytest.approx(0.0, abs=1e-6), f"{sortie.drone_id} sortie {sortie.index} leaves by {outside} m"
        if district.keep_out is not None:
            inside = line.intersection(district.keep_out.buffer(-TOL_M)).length
            assert inside == pytest.approx(0.0, abs=1e-6)
        assert all(0 <= w.alt_m <= district.max_alt_m for w in sortie.waypoints)
        assert sortie.duration_s <= plan.vehicle.usable_s + 1.0  # every sortie fits its battery


def assert_covered(plan: Plan, district: District, min_pct: float = 99.0) -> None:
    swath = plan.camera.footprint_m(plan.alt_m)[0]
    lines = route_lines(plan, district)
    seen = shapely.union_all([ln.buffer(swath / 2) for ln in lines])
    for g in plan.grids:
        if "coverage" not in g.patterns:
            continue
        work = district.grid(g.grid_id).local.intersection(district.allowed)
        pct = 100 * work.intersection(seen).area / work.area
        assert pct >= min_pct, f"grid {g.grid_id}: {pct:.2f} % of its flyable area seen"


def test_example_district_two_drones(example: District) -> None:
    plan = plan_patrol(example, PlanRequest(drones=2, alt_m=40))
    assert {g.grid_id for g in plan.grids} == {g.id for g in example.grids}
    assert len(plan.drones) == 2 and all(d.sorties for d in plan.drones)
    assert_safe(plan, example)
    assert_covered(plan, example)
    worked = {w.grid_id for s in plan.sorties for w in s.waypoints if w.grid_id}
    assert worked == {g.id for g in example.grids}
    for s in plan.sorties:  # take off at home, come back, land
        assert s.waypoints[0].kind == "takeoff" and s.waypoints[-1].kind == "land"
        assert s.waypoints[-1].alt_m == 0


def test_two_drones_finish_sooner_than_one(example: District) -> None:
    one = plan_patrol(example, PlanRequest(drones=1, alt_m=40))
    two = plan_patrol(example, PlanRequest(drones=2, alt_m=40))
    assert two.makespan_s < one.makespan_s


def test_same_input_same_plan(example: District) -> None:
    request = PlanRequest(grids=[example.grids[0].id, example.grids[-1].id], drones=2, alt_m=45)
    assert plan_patrol(example, request).model_dump() == plan_patrol(example, request).model_dump()


def test_unknown_grid_lists_the_known_ones(example: District) -> None:
    with pytest.raises(PlanningError, match=r"unknown grid id\(s\) 999; the district has grids 1"):
        plan_patrol(example, PlanRequest(grids=["999"]))


def test_altitude_above_fence_is_refused(example: District) -> None:
    low = dataclasses.replace(example, fences=tuple(dataclasses.replace(f, max_alt_m=60.0) for f in example.fences))
    with pytest.raises(InfeasibleError, match=r"above the fence's max_alt_m of 60 m"):
        plan_patrol(low, PlanRequest(alt_m=80, vehicle=VehicleProfile(max_alt_m=300)))


def test_altitude_above_the_legal_ceiling_is_refused_before_planning() -> None:
    with pytest.raises(ValidationError, match=r"alt_m\n  Input should be less than or equal to 120"):
        PlanRequest(alt_m=150, vehicle=VehicleProfile(max_alt_m=300))


def test_grid_too_far_for_one_battery(example: District) -> None:
    tiny = VehicleProfile(endurance_min=1.5, reserve_pct=50)
    with pytest.raises(InfeasibleError, match=r"grid \S+ is too far for one battery"):
        plan_patrol(example, PlanRequest(vehicle=tiny))


def _with_zone_over_grid(data: dict, grid_id: str) -> dict:
    grid = next(f for f in data["features"] if f["properties"].get("id") == grid_id)
    c = shapely.geometry.shape(grid["geometry"]).centroid
    zone = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [c.x, c.y]},
        "properties": {"kind": "nofly", "id": "hq", "name": "hospital", "radius_m": 900, "margin_m": 10},
    }
    return {**data, "features": [*data["features"], zone]}


def test_grid_inside_a_nofly_zone_is_named() -> None:
    data = synthetic_district(4, seed=3, nofly_zones=0)
    data = _with_zone_over_grid(data, "4")
    # the zone swallows the launch sites too, so plan from a district whose launch is outside it
    district = district_from_geojson(data, "t")
    with pytest.raises(InfeasibleError, match=r"(grid 4 .*no-fly zone hospital)|(launch site)"):
        plan_patrol(district, PlanRequest(grids=["4"]))


def test_grid_outside_the_fence_is_named() -> None:
    data = synthetic_district(4, seed=5, nofly_zones=0)
    for f in data["features"]:
        if f["properties"].get("id") == "2":
            f["geometry"]["coordinates"] = [[[x + 0.2, y] for x, y in ring] for ring in f["geometry"]["coordinates"]]
    with pytest.raises(PlanningError, match=r"grid 2 .*(fence)"):
        plan_patrol(district_from_geojson(data, "t"), PlanRequest(grids=["2"]))


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 7), seed=st.integers(0, 10_000), drones=st.integers(1, 3))
def test_random_districts_are_safe_covered_and_deterministic(n: int, seed: int, drones: int) -> None:
    district = district_from_geojson(synthetic_district(n, seed=seed), f"random-{seed}")
    request = PlanRequest(drones=drones, alt_m=40)
    plan = plan_patrol(district, request)
    assert_safe(plan, district)
    assert_covered(plan, district)
    assert plan_patrol(district, request).model_dump() == plan.model_dump()
