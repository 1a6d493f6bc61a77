"""Coverage patterns: boustrophedon sweeps over a grid, decomposed into cells, each with its own sweep angle.

A concave grid or one with a courtyard hole is cut into monotone cells (boustrophedon cellular decomposition):
every sweep line crosses a cell in one segment, so the drone never flies over what is not the grid. Each cell then
gets the sweep angle that makes its route shortest (length plus a penalty per turn), the cells are chained in a
short order, and connectors that would cut outside a concave boundary go around inside the grid.

QGroundControl's survey, by contrast, sweeps the convex hull at one angle: :func:`baseline_hull_sweep` does that,
for the benchmark's comparison.

Example:
    >>> from shapely.geometry import box
    >>> route = plan_coverage("1", box(0, 0, 400, 200), spacing_m=40, swath_m=50, along_m=40, turn_penalty_m=24)
    >>> route.turns(), round(route.length_m)
    (8, 1980)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from mission_planner.district import Area
from mission_planner.route import XY, PatternRoute
from mission_planner.safe_space import SafeSpace

EPS = 1e-6
CUT_OFFSET_M = 0.01


def plan_coverage(
    grid_id: str, area: Polygon, spacing_m: float, swath_m: float, along_m: float, turn_penalty_m: float
) -> PatternRoute:
    """Sweep a polygon so the camera sees all of it, staying inside it.

    Args:
        grid_id: The grid, for the route and error messages.
        area: The flyable part of the grid, in metres (one polygon; holes allowed).
        spacing_m: Distance between sweep lines (footprint width x (1 - side overlap)).
        swath_m: Footprint width across the track.
        along_m: Footprint length along the track: line ends stop up to half of it short of the boundary,
            since the camera still sees that far ahead.
        turn_penalty_m: The cost of one turn, in metres of flight (turn penalty seconds x cruise speed).
    """
    if isinstance(area, MultiPolygon) or area.geom_type != "Polygon":
        raise ValueError(f"grid {grid_id}: plan_coverage takes one polygon; split a MultiPolygon into its parts")
    if spacing_m <= 0:
        raise ValueError(f"grid {grid_id}: line spacing must be positive, got {spacing_m}")
    area = area.buffer(0) if not area.is_valid else area
    trim = 0.45 * min(along_m, swath_m)
    cells = decompose(area, _best_angle(area, spacing_m, trim, turn_penalty_m))
    sweeps = [_best_sweep(cell, spacing_m, swath_m, trim, turn_penalty_m) for cell in cells]
    points = _chain(sweeps, area)
    return PatternRoute(grid_id, "coverage", tuple(points), swath_m=swath_m)


def coverage_area(route: PatternRoute, swath_m: float) -> Area:
    """The ground the camera sees along a route: its line grown by half the swath."""
    return route.line().buffer(swath_m / 2.0)


def coverage_pct(area: Area, routes: Sequence[PatternRoute], swath_m: float) -> float:
    """Share (%) of ``area`` within the swath of the routes."""
    if area.area <= 0:
        return 0.0
    seen = shapely.union_all([coverage_area(r, swath_m) for r in routes])
    return 100.0 * area.intersection(seen).area / area.area


def baseline_hull_sweep(grid_id: str, area: Area, spacing_m: float, angle_deg: float = 0.0) -> PatternRoute:
    """QGroundControl's survey: sweep the convex hull at a fixed angle, lines ending on the hull."""
    hull = area.convex_hull
    rotated = affinity.rotate(hull, -angle_deg, origin=(0, 0))
    lines = _sweep_lines(rotated, spacing_m, 0.0) or []  # a convex hull is always monotone
    pts = _serpentine(lines)
    back = [_rotate_xy(p, angle_deg) for p in pts]
    return PatternRoute(grid_id, "coverage", tuple(back))


def decompose(poly: Polygon, angle_deg: float) -> list[Polygon]:
    """Boustrophedon cells of a polygon for sweep lines at ``angle_deg``: each cell is crossed once per line.

    The polygon is cut into slabs at every vertex where the sweep's connectivity can change (an x-extremum in the
    rotated frame); slab pieces are merged left to right while the neighbours are one-to-one.
    """
    rot = affinity.rotate(poly, -angle_deg, origin=(0, 0))
    xs = sorted({round(x, 6) for x in _critical_xs(rot)})
    minx, miny, maxx, maxy = rot.bounds
    cuts = [minx] + [x for x in xs if minx + EPS < x < maxx - EPS] + [maxx]
    slabs: list[list[Polygon]] = []
    for x0, x1 in itertools.pairwise(cuts):
        clip = rot.intersection(box(x0, miny - 1, x1, maxy + 1))
        slabs.append(
            sorted(
                (p for p in shapely.get_parts(clip) if p.geom_type == "Polygon" and p.area > EPS),
                key=lambda p: (p.bounds[1], p.bounds[3]),
            )
        )
    ids = [(s, i) for s, pieces in enumerate(slabs) for i in range(len(pieces))]
    parent = {k: k for k in ids}

    def find(k: tuple[int, int]) -> tuple[int, int]:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for s in range(len(slabs) - 1):
        right: dict[int, list[int]] = {i: [] for i in range(len(slabs[s]))}
        left: dict[int, list[int]] = {j: [] for j in range(len(slabs[s + 1]))}
        for i, a in enumerate(slabs[s]):
            for j, b in enumerate(slabs[s + 1]):
                if a.intersection(b).length > 1e-3:
                    right[i].append(j)
                    left[j].append(i)
        for i, js in right.items():
            if len(js) == 1 and len(left[js[0]]) == 1:
                parent[find((s + 1, js[0]))] = find((s, i))
    groups: dict[tuple[int, int], list[Polygon]] = {}
    for s, i in ids:
        groups.setdefault(find((s, i)), []).append(slabs[s][i])
    cells = []
    for key in sorted(groups):
        merged = shapely.union_all(groups[key]).buffer(0)
        for part in shapely.get_parts(merged):
            if part.geom_type == "Polygon" and part.area > EPS:
                cells.append(affinity.rotate(part, angle_deg, origin=(0, 0)))
    return cells


def _critical_xs(poly: Polygon) -> list[float]:
    """Where the sweep's connectivity may change: x of each vertex that is an x-extremum of its ring.

    The cut is placed a hair past the vertex, on the side where its neighbours lie, so that the slab beyond
    really is split in two (a cut exactly through a hole's tip would leave the hole touching both slab sides).
    """
    out = []
    for ring in (poly.exterior, *poly.interiors):
        pts = np.asarray(ring.coords)[:-1]
        n = len(pts)
        for k in range(n):
            x = pts[k, 0]
            dp, dn = pts[k - 1, 0] - x, pts[(k + 1) % n, 0] - x
            if abs(dp) < EPS:  # a vertical edge: look one vertex further back
                dp = pts[k - 2, 0] - x
            if abs(dn) < EPS:
                dn = pts[(k + 2) % n, 0] - x
            if dp * dn > 0:
                out.append(float(x + math.copysign(CUT_OFFSET_M, dp)))
    return out


def _candidate_angles(poly: Polygon) -> list[float]:
    """Edge directions of the polygon (longest first) and every 15 degrees, in [0, 180)."""
    pts = np.asarray(poly.exterior.coords)
    d = np.diff(pts, axis=0)
    lengths = np.hypot(d[:, 0], d[:, 1])
    order = np.argsort(-lengths, kind="stable")[:6]
    edge = [round(math.degrees(math.atan2(d[k, 1], d[k, 0])) % 180.0, 3) for k in order]
    return list(dict.fromkeys([*edge, *[float(a) for a in range(0, 180, 15)]]))


def _sweep_lines(rot: Polygon, spacing: float, trim: float) -> list[tuple[float, float, float]] | None:
    """Vertical sweep lines (x, y0, y1) across a rotated polygon, centred; None if a line meets it twice."""
    minx, miny, maxx, maxy = rot.bounds
    width = maxx - minx
    n = max(1, math.ceil(width / spacing - 1e-9))
    xs = minx + (width - (n - 1) * spacing) / 2.0 + spacing * np.arange(n)
    probes = shapely.linestrings(
        np.stack([np.column_stack([xs, np.full(n, miny - 1)]), np.column_stack([xs, np.full(n, maxy + 1)])], axis=1)
    )
    cuts = shapely.intersection(probes, rot)
    parts = shapely.get_num_geometries(cuts)
    lengths = shapely.length(cuts)
    if np.any((parts > 1) & (lengths > EPS)):
        return None
    ys = shapely.bounds(cuts)[:, [1, 3]]
    lines = []
    for x, (y0, y1), length in zip(xs, ys, lengths, strict=True):
        if length <= EPS:
            continue
        t = min(trim, (y1 - y0) / 2.0)
        lines.append((float(x), float(y0 + t), float(y1 - t)))
    return lines


def _serpentine(lines: Sequence[tuple[float, float, float]]) -> list[XY]:
    pts: list[XY] = []
    for k, (x, y0, y1) in enumerate(lines):
        ends = [(x, y0), (x, y1)] if k % 2 == 0 else [(x, y1), (x, y0)]
        pts += [ends[0]] if abs(y1 - y0) < EPS else ends
    return pts


def _rotate_xy(p: XY, angle_deg: float) -> XY:
    a = math.radians(angle_deg)
    return (p[0] * math.cos(a) - p[1] * math.sin(a), p[0] * math.sin(a) + p[1] * math.cos(a))


def _sweep_cost(lines: Sequence[tuple[float, float, float]], turn_penalty: float) -> float:
    pts = _serpentine(lines)
    length = sum(math.dist(a, b) for a, b in itertools.pairwise(pts))
    return length + turn_penalty * max(0, len(pts) - 2)


def _best_sweep(cell: Polygon, spacing: float, swath: float, trim: float, turn_penalty: float) -> list[XY]:
    """The cell's cheapest serpentine (length plus turns) among the angles that keep 99.5 % of it in view.

    Line ends are trimmed by ``trim`` where coverage allows; on oblique edges the trim is reduced. The cell's
    own decomposition angle always gives single-segment lines, so some candidate always exists.
    """
    fallback: tuple[float, list[XY]] | None = None
    for t in (trim, trim / 2.0, 0.0):
        options = []
        for angle in _candidate_angles(cell):
            lines = _sweep_lines(affinity.rotate(cell, -angle, origin=(0, 0)), spacing, t)
            if lines:
                options.append((_sweep_cost(lines, turn_penalty), angle, lines))
        for _, angle, lines in sorted(options, key=lambda o: (o[0], o[1])):
            pts = [_rotate_xy(p, angle) for p in _serpentine(lines)]
            line = LineString(pts) if len(pts) > 1 else LineString([pts[0], pts[0]])
            seen = cell.intersection(line.buffer(swath / 2.0)).area / cell.area
            if seen >= 0.995:
                return pts
            if fallback is None or seen > fallback[0]:
                fallback = (seen, pts)
    if fallback is None:  # a sliver too thin for any line: fly over its middle
        c = cell.representative_point()
        return [(c.x, c.y)]
    return fallback[1]


def _best_angle(poly: Polygon, spacing: float, trim: float, turn_penalty: float) -> float:
    """The decomposition angle: the candidate whose sweep of the whole polygon costs least (holes count)."""
    best: tuple[float, float] | None = None
    for angle in _candidate_angles(poly):
        rot = affinity.rotate(poly, -angle, origin=(0, 0))
        lines = _sweep_lines(rot.envelope if rot.area <= 0 else Polygon(rot.exterior), spacing, trim)
        width = rot.bounds[2] - rot.bounds[0]
        inner = [x for x in _critical_xs(rot) if rot.bounds[0] + 1.0 < x < rot.bounds[2] - 1.0]
        cost = (width / spacing) * (turn_penalty + spacing) + len(inner) * turn_penalty * 4
        if lines is None:
            cost += turn_penalty * 10
        if best is None or cost < best[0] - 1e-6:
            best = (cost, angle)
    return best[1] if best else 0.0


def _chain(sweeps: Sequence[list[XY]], area: Polygon) -> list[XY]:
    """Chain cell sweeps nearest-first (each may be flown backwards), joining them inside the area."""
    remaining = list(range(len(sweeps)))
    start = min(remaining, key=lambda i: (sweeps[i][0][1], sweeps[i][0][0]))
    order = [sweeps[start]]
    remaining.remove(start)
    while remaining:
        here = order[-1][-1]
        options = [(math.dist(here, s[0]), i, False) for i in remaining for s in (sweeps[i],)]
        options += [(math.dist(here, sweeps[i][-1]), i, True) for i in remaining]
        _, i, flip = min(options)
        order.append(list(reversed(sweeps[i])) if flip else sweeps[i])
        remaining.remove(i)
    inside = area.buffer(0.01)
    space: list[SafeSpace] = []  # built on first need: most grids never need it

    def inside_path(a: XY, b: XY) -> list[XY]:
        if a == b or inside.covers(LineString([a, b])):
            return [a, b]
        if not space:
            space.append(SafeSpace(area, clearance_m=trim_clearance(area)))
        return space[0].path(a, b)

    points: list[XY] = list(order[0])
    for sweep in order[1:]:
        points += inside_path(points[-1], sweep[0])[1:-1]
        points += sweep
    # within a sweep, a turn between line ends can cut a concave corner: route those inside too
    out: list[XY] = [points[0]]
    for p in points[1:]:
        out += inside_path(out[-1], p)[1:-1]
        out.append(p)
    return out


def trim_clearance(area: Polygon) -> float:
    """How far inside a grid its own connectors keep: 1 m, less for very thin grids."""
    minx, miny, maxx, maxy = area.bounds
    return max(0.05, min(1.0, 0.1 * min(maxx - minx, maxy - miny)))
