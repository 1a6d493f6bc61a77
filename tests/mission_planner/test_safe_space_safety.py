import itertools
import math

import pytest
from shapely.geometry import Point, box

from mission_planner.errors import InfeasibleError, UnsafeLegError
from mission_planner.safe_space import SafeSpace
from mission_planner.safety import leg_outside_m, validate_legs

SCHOOL = Point(50, 50).buffer(20)
AREA = box(0, 0, 100, 100).difference(SCHOOL)


def test_straight_when_clear_and_detour_around_a_zone() -> None:
    space = SafeSpace(AREA)
    assert space.path((10, 10), (90, 10)) == [(10, 10), (90, 10)]
    path = space.path((10, 50), (90, 50))
    assert path[0] == (10, 50) and path[-1] == (90, 50) and len(path) > 2
    for a, b in itertools.pairwise(path):
        assert space.contains_leg(a, b)
        assert leg_outside_m(a, b, AREA.buffer(0.01)) == 0.0
    # the detour is longer than the straight line but not absurdly so (tangent + arc is about 88 m)
    assert 80 < space.distance((10, 50), (90, 50)) < 100
    assert space.distance((10, 10), (90, 10)) == pytest.approx(80.0)


def test_unreachable_and_outside_points_are_errors() -> None:
    split = box(0, 0, 100, 100).difference(box(45, -1, 55, 101))  # a wall of no-fly cuts the fence in two
    space = SafeSpace(split)
    with pytest.raises(InfeasibleError, match="no safe path"):
        space.path((10, 50), (90, 50))
    with pytest.raises(InfeasibleError, match="outside the fence"):
        SafeSpace(AREA).path((50, 50), (90, 90))


def test_validate_names_the_zone_the_leg_and_the_fence() -> None:
    ok = [(10, 10, 0), (10, 10, 40), (90, 10, 40), (90, 10, 0)]
    validate_legs(ok, AREA, max_alt_m=120, label="d1 s1")
    with pytest.raises(UnsafeLegError, match=r"d1 s1: leg 1 -> 2 .* enters no-fly zone school"):
        validate_legs(
            [(10, 50, 0), (10, 50, 40), (90, 50, 40)],
            AREA,
            max_alt_m=120,
            label="d1 s1",
            zone_names={"school": SCHOOL},
        )
    with pytest.raises(UnsafeLegError, match=r"leg 1 -> 2 .* leaves the fence by 20.0 m"):
        validate_legs([(10, 10, 0), (10, 10, 40), (120, 10, 40)], AREA, max_alt_m=120, label="x")
    with pytest.raises(UnsafeLegError, match=r"point 1 is at 130.0 m"):
        validate_legs([(10, 10, 0), (10, 10, 130)], AREA, max_alt_m=120, label="x")


def test_corner_cut_between_safe_points_is_caught() -> None:
    # both ends are outside the zone, the segment clips it: checking points alone would miss this
    a, b = (30, 30 + 0.0), (70, 40.0)
    assert not SCHOOL.contains(Point(a)) and not SCHOOL.contains(Point(b))
    with pytest.raises(UnsafeLegError):
        validate_legs([(*a, 40.0), (*b, 40.0)], AREA, max_alt_m=120, label="x")
    assert math.isfinite(leg_outside_m(a, b, AREA))
