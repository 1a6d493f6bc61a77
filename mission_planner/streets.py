"""Streets pattern: fly along every street inside a grid once, with as little doubling back as possible.

This is the rural postman problem: the street network inside the grid is noded into a graph (networkx); separate
pieces are joined by safe deadhead legs; odd-degree junctions are paired by a minimum-weight matching on shortest
path lengths and those paths flown twice, leaving the two farthest-apart odd junctions as the open route's ends;
an Eulerian path then flies every street.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import networkx as nx
import shapely
from shapely.geometry import LineString, MultiLineString

from mission_planner.district import Area
from mission_planner.errors import InfeasibleError
from mission_planner.route import XY, PatternRoute
from mission_planner.safe_space import SafeSpace

SNAP_M = 0.01


def plan_streets(
    grid_id: str,
    area: Area,
    streets: Sequence[LineString | MultiLineString],
    safe: SafeSpace,
    swath_m: float,
) -> PatternRoute:
    """An open route covering every street segment inside ``area`` (streets on its edge included).

    Raises:
        InfeasibleError: When no street lies in the grid (add street features or drop the pattern).
    """
    region = area.buffer(0.5).intersection(safe.allowed)
    pieces = [
        p
        for s in streets
        for p in shapely.get_parts(s.intersection(region))
        if p.geom_type == "LineString" and p.length > 1.0
    ]
    if not pieces:
        raise InfeasibleError(
            f"grid {grid_id} has pattern 'streets' but no street feature runs through it; add street features "
            "(kind 'street') or drop the pattern"
        )
    graph = _street_graph(pieces)
    _join_components(graph, safe)
    start = _pair_odd_junctions(graph)
    points: list[XY] = []
    for u, v, key in nx.eulerian_path(graph, source=start, keys=True):
        coords = graph.edges[u, v, key]["coords"]
        seq = coords if _key(coords[0]) == u else coords[::-1]
        points += seq if not points else seq[1:]
    return PatternRoute(grid_id, "streets", tuple(points), swath_m=swath_m)


def _key(p: XY) -> XY:
    return (round(p[0] / SNAP_M) * SNAP_M, round(p[1] / SNAP_M) * SNAP_M)


def _street_graph(pieces: Sequence[LineString]) -> nx.MultiGraph:
    noded = shapely.node(MultiLineString(pieces))
    graph = nx.MultiGraph()
    segments = sorted(tuple((float(x), float(y)) for x, y in seg.coords) for seg in shapely.get_parts(noded))
    for coords in segments:
        length = LineString(coords).length
        if length > 1e-6:
            graph.add_edge(_key(coords[0]), _key(coords[-1]), weight=length, coords=list(coords))
    return graph


def _join_components(graph: nx.MultiGraph, safe: SafeSpace) -> None:
    """Join separate pieces of the network with safe deadhead legs, nearest pieces first."""
    while True:
        comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0])
        if len(comps) <= 1:
            return
        first = comps[0]
        others = [n for c in comps[1:] for n in c]
        a, b = min(((p, q) for p in first for q in others), key=lambda pq: (math.dist(*pq), pq))
        path = safe.path(a, b)
        length = sum(math.dist(p, q) for p, q in itertools.pairwise(path))
        graph.add_edge(a, b, weight=length, coords=list(path), deadhead=True)


def _pair_odd_junctions(graph: nx.MultiGraph) -> XY:
    """Double the shortest paths between paired odd junctions; return where the open route starts."""
    odd = sorted(n for n, d in graph.degree() if d % 2 == 1)
    if not odd:
        return min(graph.nodes)
    lengths = {n: nx.single_source_dijkstra_path_length(graph, n, weight="weight") for n in odd}
    complete = nx.Graph()
    for i, a in enumerate(odd):
        for b in odd[i + 1 :]:
            complete.add_edge(a, b, weight=lengths[a][b])
    pairs = sorted(tuple(sorted(p)) for p in nx.min_weight_matching(complete, weight="weight"))
    # Leave the longest pair unmatched: the open route starts at one end of it and finishes at the other.
    ends = max(pairs, key=lambda p: (lengths[p[0]][p[1]], p))
    for a, b in pairs:
        if (a, b) == ends:
            continue
        path = nx.dijkstra_path(graph, a, b, weight="weight")
        for u, v in itertools.pairwise(path):
            key = min(graph[u][v], key=lambda k: (graph[u][v][k]["weight"], k))
            data = graph[u][v][key]
            graph.add_edge(u, v, weight=data["weight"], coords=data["coords"], deadhead=True)
    return ends[0]
