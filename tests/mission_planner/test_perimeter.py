"""Perimeter pattern: closed loop inset by swath/4, boundary fallback on thin grids, stays inside the grid."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from mission_planner.perimeter import plan_perimeter

L_SHAPE = Polygon([(0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300)])


@pytest.mark.parametrize("area", [box(0, 0, 400, 400), L_SHAPE], ids=["square", "L"])
def test_loop_is_closed_inset_and_inside(area: Polygon) -> None:
    route = plan_perimeter("g", area, 40.0)
    assert route.start == route.end
    assert route.pattern == "perimeter"
    line = LineString(route.points)
    assert line.difference(area.buffer(0.01)).length == 0.0
    # the loop keeps swath/4 = 10 m from the boundary (mitred reflex corners sit 10 * sqrt(2) m away)
    assert line.distance(area.exterior) == pytest.approx(10.0)
    assert all(Point(p).distance(area.exterior) <= 10.0 * 2**0.5 + 1e-6 for p in route.points)


def test_square_length_matches_inset_ring() -> None:
    route = plan_perimeter("g", box(0, 0, 200, 100), 40.0)
    assert route.length_m == pytest.approx(2 * (180 + 80))


def test_thin_grid_falls_back_to_boundary() -> None:
    sliver = box(0, 0, 300, 8)
    route = plan_perimeter("thin", sliver, 40.0)
    assert route.length_m == pytest.approx(sliver.exterior.length)
    assert LineString(route.points).difference(sliver.buffer(0.01)).length == 0.0


def test_deterministic() -> None:
    assert plan_perimeter("g", L_SHAPE, 54.8) == plan_perimeter("g", L_SHAPE, 54.8)


def test_multipolygon_is_refused_with_fix() -> None:
    with pytest.raises(ValueError, match=r"grid g.*split a MultiPolygon"):
        plan_perimeter("g", MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)]), 4.0)  # type: ignore[arg-type]
