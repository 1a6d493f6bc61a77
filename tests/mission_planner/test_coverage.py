import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from mission_planner.coverage import baseline_hull_sweep, coverage_pct, decompose, plan_coverage

SPACING, SWATH, ALONG, PENALTY = 43.9, 54.8, 40.4, 24.0  # 40 m with the default camera, 8 m/s, 3 s per turn

SHAPES = {
    "rectangle": box(0, 0, 400, 200),
    "L": Polygon([(0, 0), (400, 0), (400, 150), (150, 150), (150, 400), (0, 400)]),
    "U": Polygon([(0, 0), (400, 0), (400, 400), (300, 400), (300, 100), (100, 100), (100, 400), (0, 400)]),
    "courtyard": Polygon([(0, 0), (400, 0), (400, 300), (0, 300)], [[(150, 100), (250, 100), (250, 200), (150, 200)]]),
    "rhombus": Polygon([(0, 0), (300, 170), (130, 400), (-170, 230)]),
    "sliver": box(0, 0, 500, 8),
}


def outside_m(route_line, area) -> float:  # type: ignore[no-untyped-def]
    return route_line.difference(area.buffer(0.01)).length


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_covers_and_stays_inside(name: str) -> None:
    area = SHAPES[name]
    route = plan_coverage(name, area, SPACING, SWATH, ALONG, PENALTY)
    assert coverage_pct(area, [route], SWATH) >= 99.0
    assert outside_m(route.line(), area) == pytest.approx(0.0, abs=1e-6)
    assert route.grid_id == name and route.pattern == "coverage" and route.swath_m == SWATH


def test_rectangle_is_near_the_lower_bound_and_sweeps_the_long_way() -> None:
    area = box(0, 0, 400, 400)
    route = plan_coverage("sq", area, SPACING, SWATH, ALONG, PENALTY)
    assert route.length_m / (area.area / SPACING) < 1.12
    long_way = plan_coverage("r", box(0, 0, 600, 100), SPACING, SWATH, ALONG, PENALTY)
    assert long_way.turns() <= 4  # three lines along the 600 m side, not fourteen across it


def test_concave_grids_beat_the_convex_hull_baseline() -> None:
    for name in ("L", "U", "courtyard"):
        area = SHAPES[name]
        ours = plan_coverage(name, area, SPACING, SWATH, ALONG, PENALTY)
        hull = baseline_hull_sweep(name, area, SPACING)
        assert outside_m(hull.line(), area) > 100  # QGroundControl's survey flies outside the grid
        assert outside_m(ours.line(), area) == pytest.approx(0.0, abs=1e-6)
        if name != "courtyard":
            assert ours.length_m < hull.length_m


def test_decomposition_cuts_around_a_hole_into_monotone_cells() -> None:
    cells = decompose(SHAPES["courtyard"], 0.0)
    assert len(cells) == 4  # left, above, below, right of the courtyard
    assert sum(c.area for c in cells) == pytest.approx(SHAPES["courtyard"].area, rel=1e-6)


def test_multipolygon_is_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="split a MultiPolygon"):
        plan_coverage("7", MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)]), SPACING, SWATH, ALONG, PENALTY)


@st.composite
def grids(draw: st.DrawFn) -> Polygon:
    """Random star-shaped (often concave) grids of 150-600 m, some with a courtyard hole."""
    n = draw(st.integers(4, 10))
    radii = [draw(st.floats(80, 300)) for _ in range(n)]
    phase = draw(st.floats(0, math.pi))
    pts = [
        (r * math.cos(phase + 2 * math.pi * k / n), r * math.sin(phase + 2 * math.pi * k / n))
        for k, r in enumerate(radii)
    ]
    poly = Polygon(pts)
    if draw(st.booleans()):
        hole = box(-30, -25, 30, 25)
        if poly.buffer(-10).contains(hole):
            poly = Polygon(poly.exterior.coords, [hole.exterior.coords])
    return poly


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(area=grids())
def test_random_grids_covered_inside_and_deterministic(area: Polygon) -> None:
    route = plan_coverage("g", area, SPACING, SWATH, ALONG, PENALTY)
    assert coverage_pct(area, [route], SWATH) >= 99.0
    assert outside_m(route.line(), area) < 0.01
    assert plan_coverage("g", area, SPACING, SWATH, ALONG, PENALTY) == route
