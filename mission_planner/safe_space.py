"""Shortest paths that stay where a drone may fly (inside the fence, outside no-fly zones and their margins).

A straight leg is used whenever it stays inside; otherwise the path runs over a visibility graph whose
vertices lie ``clearance_m`` inside the boundary of the allowed area; all-pairs shortest paths over it are
computed once (scipy's Dijkstra), so each query is a few vectorised lookups.

Example:
    >>> from shapely.geometry import Point, box
    >>> space = SafeSpace(box(0, 0, 100, 100).difference(Point(50, 50).buffer(20)))
    >>> space.contains_leg((10, 50), (90, 50))
    False
    >>> round(space.distance((10, 50), (90, 50)))
    92
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path
from shapely.geometry import LineString, Point

from mission_planner.district import Area
from mission_planner.errors import InfeasibleError
from mission_planner.route import XY

TOL_M = 0.01  # numerical slack: a point computed on the boundary may land a hair outside


class SafeSpace:
    """The allowed area of a district (metres) and the shortest safe paths across it."""

    def __init__(self, allowed: Area, clearance_m: float = 2.0) -> None:
        if allowed.is_empty:
            raise InfeasibleError("there is nowhere to fly: the fence minus the no-fly zones is empty")
        self.allowed = allowed
        self.clearance_m = clearance_m
        self._inside = allowed.buffer(TOL_M)
        shapely.prepare(self._inside)
        self._reach_cache: dict[XY, np.ndarray] = {}

    def contains_leg(self, a: XY, b: XY) -> bool:
        """Whether the straight leg a -> b stays inside the allowed area."""
        if a == b:
            return bool(self._inside.covers(Point(a)))
        return bool(self._inside.covers(LineString([a, b])))

    def path(self, a: XY, b: XY) -> list[XY]:
        """The shortest polyline from a to b that stays inside (just [a, b] when the straight leg does).

        Raises:
            InfeasibleError: When a point is outside the allowed area or no path joins them.
        """
        if self.contains_leg(a, b):
            return [a, b]
        for p in (a, b):
            if not self._inside.covers(Point(p)):
                raise InfeasibleError(f"point ({p[0]:.1f}, {p[1]:.1f}) m is outside the fence or in a no-fly zone")
        to_a, to_b = self._reach(a), self._reach(b)
        total = to_a[:, None] + self._all_pairs + to_b[None, :]
        u, v = np.unravel_index(int(np.argmin(total)), total.shape)
        if not np.isfinite(total[u, v]):
            raise InfeasibleError(
                f"no safe path joins ({a[0]:.0f}, {a[1]:.0f}) and ({b[0]:.0f}, {b[1]:.0f}) m: they lie in "
                "parts of the fence that no-fly zones cut apart"
            )
        chain = [int(v)]
        while chain[-1] != u:
            chain.append(int(self._predecessors[u, chain[-1]]))
        return [a, *(self._vertices[k] for k in reversed(chain)), b]

    def distance(self, a: XY, b: XY) -> float:
        """Length in metres of :meth:`path`."""
        if self.contains_leg(a, b):
            return math.dist(a, b)
        return float(self.distance_matrix([a, b])[0, 1])

    def distance_matrix(self, points: Sequence[XY]) -> np.ndarray:
        """Safe-path lengths between every pair of points (inf where no path exists), computed in bulk."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        n = len(pts)
        direct = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        i, j = np.triu_indices(n, k=1)
        straight = np.ones((n, n), dtype=bool)
        if len(i):
            ok = shapely.covers(self._inside, shapely.linestrings(np.stack([pts[i], pts[j]], axis=1)))
            straight[i, j] = ok
            straight[j, i] = ok
        if straight.all() or not self._vertices:
            return np.where(straight, direct, np.inf)
        rows = sorted(set(np.flatnonzero(~straight.all(axis=1)).tolist()))
        reach = np.full((n, len(self._vertices)), np.inf)
        for r in rows:
            reach[r] = self._reach((float(pts[r, 0]), float(pts[r, 1])))
        via = np.min(reach[rows][:, :, None] + self._all_pairs[None, :, :], axis=1)  # (rows, V)
        around = np.min(via[:, None, :] + reach[None, :, :], axis=2)  # (rows, n)
        out = direct.copy()
        out[rows] = np.where(straight[rows], direct[rows], around)
        return np.minimum(out, out.T)

    def _reach(self, p: XY) -> np.ndarray:
        """Straight distance from p to each graph vertex it can see (inf where it cannot)."""
        key = (round(p[0], 6), round(p[1], 6))
        if key not in self._reach_cache:
            arr = np.array(self._vertices)
            lines = shapely.linestrings(np.stack([np.broadcast_to(np.array(p), arr.shape), arr], axis=1))
            seen = np.asarray(shapely.covers(self._inside, lines))
            self._reach_cache[key] = np.where(seen, np.hypot(arr[:, 0] - p[0], arr[:, 1] - p[1]), np.inf)
        return self._reach_cache[key]

    @cached_property
    def _vertices(self) -> list[XY]:
        inner = self.allowed.buffer(-self.clearance_m, join_style="mitre").simplify(1.0)
        rings = [r for poly in shapely.get_parts(inner) for r in (poly.exterior, *poly.interiors)]
        return sorted({(float(x), float(y)) for ring in rings for x, y in ring.coords})

    @cached_property
    def _shortest(self) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs shortest paths over the visibility graph of the vertices (scipy, once)."""
        verts = np.array(self._vertices)
        n = len(verts)
        weights = np.zeros((n, n))
        if n >= 2:
            i, j = np.triu_indices(n, k=1)
            ok = shapely.covers(self._inside, shapely.linestrings(np.stack([verts[i], verts[j]], axis=1)))
            lengths = np.hypot(*(verts[i] - verts[j]).T)
            weights[i[ok], j[ok]] = lengths[ok]
            weights[j[ok], i[ok]] = lengths[ok]
        dist, pred = shortest_path(csr_matrix(weights), method="D", directed=False, return_predecessors=True)
        return dist, pred

    @property
    def _all_pairs(self) -> np.ndarray:
        return self._shortest[0]

    @property
    def _predecessors(self) -> np.ndarray:
        return self._shortest[1]
