"""Hotspot pattern: visit each place where people gather and hover there for its dwell time."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from mission_planner.route import XY, PatternRoute
from mission_planner.safe_space import SafeSpace

EXACT_UP_TO = 7  # try every order up to this many hotspots; beyond, nearest neighbour then 2-opt


def plan_hotspots(grid_id: str, hotspots: Sequence[tuple[XY, float]], safe: SafeSpace) -> PatternRoute:
    """Visit every hotspot once in the shortest open order, hovering ``dwell_s`` at each, along safe paths.

    Example:
        >>> from shapely.geometry import box
        >>> route = plan_hotspots("5", [((10, 10), 60), ((90, 10), 30), ((50, 12), 45)], SafeSpace(box(0, 0, 100, 50)))
        >>> [p for p in route.points], route.hold_s
        ([(10, 10), (50, 12), (90, 10)], 135.0)
    """
    if not hotspots:
        raise ValueError(f"grid {grid_id}: no hotspot to visit")
    pts = [p for p, _ in hotspots]
    n = len(pts)
    dist = [[safe.distance(a, b) for b in pts] for a in pts]

    def length(order: Sequence[int]) -> float:
        return sum(dist[a][b] for a, b in itertools.pairwise(order))

    if n <= EXACT_UP_TO:
        order = list(min(itertools.permutations(range(n)), key=lambda o: (length(list(o)), o)))
    else:
        order = [0]
        while len(order) < n:
            order.append(min((j for j in range(n) if j not in order), key=lambda j: (dist[order[-1]][j], j)))
        improved = True
        while improved:
            improved = False
            for i, j in itertools.combinations(range(1, n), 2):
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                if length(candidate) < length(order) - 1e-9:
                    order, improved = candidate, True
    points: list[XY] = []
    holds: dict[int, float] = {}
    for k, idx in enumerate(order):
        if k:
            points += safe.path(points[-1], pts[idx])[1:-1]
        points.append(pts[idx])
        holds[len(points) - 1] = float(hotspots[idx][1])
    return PatternRoute(grid_id, "hotspots", tuple(points), holds)
