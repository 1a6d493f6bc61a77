"""Hotspot pattern: shortest visiting order, dwell holds, safe connectors around no-fly zones."""

from __future__ import annotations

import itertools
import math

import pytest
from shapely.geometry import LineString, box

from mission_planner.hotspots import plan_hotspots
from mission_planner.safe_space import SafeSpace


def test_exact_order_and_holds() -> None:
    spots = [((10.0, 10.0), 60.0), ((90.0, 10.0), 30.0), ((50.0, 12.0), 45.0)]
    route = plan_hotspots("5", spots, SafeSpace(box(0, 0, 100, 50)))
    assert route.points == ((10.0, 10.0), (50.0, 12.0), (90.0, 10.0))
    assert route.holds == {0: 60.0, 1: 45.0, 2: 30.0}
    assert route.hold_s == 135.0


def test_small_order_is_optimal_by_brute_force() -> None:
    pts = [(5.0, 5.0), (95.0, 45.0), (40.0, 30.0), (70.0, 5.0), (20.0, 40.0), (60.0, 25.0)]
    route = plan_hotspots("g", [(p, 10.0) for p in pts], SafeSpace(box(0, 0, 100, 50)))
    best = min(sum(math.dist(a, b) for a, b in itertools.pairwise(o)) for o in itertools.permutations(pts))
    assert route.length_m == pytest.approx(best)


def test_connectors_go_around_a_no_fly_zone() -> None:
    allowed = box(0, 0, 200, 100).difference(box(90, 0, 110, 80))
    safe = SafeSpace(allowed)
    route = plan_hotspots("g", [((20.0, 20.0), 5.0), ((180.0, 20.0), 5.0)], safe)
    assert len(route.points) > 2  # detour vertices were inserted
    assert LineString(route.points).difference(allowed.buffer(0.01)).length == 0.0
    assert set(route.holds) == {0, len(route.points) - 1}


def test_many_hotspots_two_opt_is_deterministic_and_visits_all() -> None:
    pts = [(float(7 * i % 97), float(13 * i % 53)) for i in range(15)]
    spots = [(p, float(i)) for i, p in enumerate(pts)]
    safe = SafeSpace(box(-5, -5, 105, 60))
    a = plan_hotspots("g", spots, safe)
    assert a == plan_hotspots("g", spots, safe)
    assert sorted(a.points[i] for i in a.holds) == sorted(pts)
    nearest_neighbour_bound = sum(math.dist(p, q) for p, q in itertools.pairwise(pts))
    assert a.length_m < nearest_neighbour_bound


def test_empty_is_refused() -> None:
    with pytest.raises(ValueError, match="grid g: no hotspot"):
        plan_hotspots("g", [], SafeSpace(box(0, 0, 10, 10)))
