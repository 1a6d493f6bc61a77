"""Street pattern: every street inside the grid is flown, deadheads stay safe, no street raises a named error."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, box

from mission_planner.errors import InfeasibleError
from mission_planner.safe_space import SafeSpace
from mission_planner.streets import plan_streets

GRID = box(0, 0, 200, 200)
CROSS = [LineString([(0, 100), (200, 100)]), LineString([(100, 0), (100, 200)])]


def test_cross_covers_every_street_once_plus_one_deadhead_pair() -> None:
    route = plan_streets("g", GRID, CROSS, SafeSpace(box(-10, -10, 210, 210)), 40.0)
    flown = LineString(route.points)
    for street in CROSS:
        assert street.difference(flown.buffer(0.01)).length == pytest.approx(0.0, abs=1e-6)
    # 4 odd ends: one matched pair repeated (100 m + 100 m), the other pair is the open path's ends
    assert route.length_m == pytest.approx(400.0 + 200.0)


def test_disconnected_streets_are_joined_inside_safe_space() -> None:
    allowed = box(-10, -10, 210, 210).difference(box(60, 40, 140, 160))
    streets = [LineString([(20, 20), (20, 180)]), LineString([(180, 20), (180, 180)])]
    route = plan_streets("g", GRID, streets, SafeSpace(allowed), 40.0)
    flown = LineString(route.points)
    for street in streets:
        assert street.difference(flown.buffer(0.01)).length == pytest.approx(0.0, abs=1e-6)
    assert flown.difference(allowed.buffer(0.01)).length == 0.0


def test_streets_are_clipped_to_the_grid_and_deterministic() -> None:
    long_street = [LineString([(-500, 50), (500, 50)])]
    safe = SafeSpace(box(-600, -10, 600, 210))
    route = plan_streets("g", GRID, long_street, safe, 40.0)
    assert route.length_m == pytest.approx(201.0, abs=1.5)  # grid buffered by 0.5 m each side
    assert route == plan_streets("g", GRID, long_street, safe, 40.0)


def test_no_street_names_grid_and_fix() -> None:
    with pytest.raises(InfeasibleError, match=r"grid 7 .*add street features.*drop the pattern"):
        plan_streets("7", GRID, [LineString([(300, 0), (400, 0)])], SafeSpace(box(-10, -10, 500, 210)), 40.0)
