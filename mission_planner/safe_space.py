"""Shortest paths that stay where a drone may fly (inside the fence, outside no-fly zones and their margins).

A straight leg is used whenever it stays inside; otherwise the path runs over a visibility graph whose
vertices lie ``clearance_m`` inside the boundary of the allowed area, searched with Dijkstra (networkx). The
graph is built once, on the first query that needs it.

Example:
    >>> from shapely.geometry import Point, box
    >>> space = SafeSpace(box(0, 0, 100, 100).difference(Point(50, 50).buffer(20)))
    >>> space.contains_leg((10, 50), (90, 50))
    False
    >>> round(space.distance((10, 50), (90, 50)))
    92
"""

from __future__ import annotations

import itertools
import math
from functools import cached_property

import networkx as nx
import numpy as np
import shapely
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
        graph = self._graph.copy()
        for p in (a, b):
            graph.add_node(p)
            for v, ok in zip(self._vertices, self._visible_from(p), strict=True):
                if ok:
                    graph.add_edge(p, v, weight=math.dist(p, v))
        try:
            nodes: list[XY] = nx.dijkstra_path(graph, a, b, weight="weight")
        except nx.NetworkXNoPath:
            raise InfeasibleError(
                f"no safe path joins ({a[0]:.0f}, {a[1]:.0f}) and ({b[0]:.0f}, {b[1]:.0f}) m: they lie in "
                "parts of the fence that no-fly zones cut apart"
            ) from None
        return nodes

    def distance(self, a: XY, b: XY) -> float:
        """Length in metres of :meth:`path`."""
        if self.contains_leg(a, b):
            return math.dist(a, b)
        pts = self.path(a, b)
        return sum(math.dist(p, q) for p, q in itertools.pairwise(pts))

    @cached_property
    def _vertices(self) -> list[XY]:
        inner = self.allowed.buffer(-self.clearance_m, join_style="mitre").simplify(0.5)
        rings = [r for poly in shapely.get_parts(inner) for r in (poly.exterior, *poly.interiors)]
        return sorted({(float(x), float(y)) for ring in rings for x, y in ring.coords})

    @cached_property
    def _graph(self) -> nx.Graph:
        verts = self._vertices
        graph = nx.Graph()
        graph.add_nodes_from(verts)
        if len(verts) < 2:
            return graph
        arr = np.array(verts)
        i, j = np.triu_indices(len(verts), k=1)
        lines = shapely.linestrings(np.stack([arr[i], arr[j]], axis=1))
        ok = shapely.covers(self._inside, lines)
        lengths = np.hypot(*(arr[i] - arr[j]).T)
        graph.add_weighted_edges_from(
            (verts[a], verts[b], float(w)) for a, b, w, good in zip(i, j, lengths, ok, strict=True) if good
        )
        return graph

    def _visible_from(self, p: XY) -> np.ndarray:
        arr = np.array(self._vertices)
        starts = np.broadcast_to(np.array(p), arr.shape)
        lines = shapely.linestrings(np.stack([starts, arr], axis=1))
        return np.asarray(shapely.covers(self._inside, lines))
