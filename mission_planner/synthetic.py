"""Synthetic districts for tests, benchmarks and demos: a city quarter cut into grids, drawn from a seed.

The grids tile a block like real street-office grids do (neighbours share edges), with jittered corners, some
concave (L-shaped) grids, some with a courtyard hole, circular no-fly zones with margins that bite into grids,
launch sites spread over the quarter, a few streets and hotspots. Output is a GeoJSON FeatureCollection
(a dict), so everything downstream goes through the same loader as a user's file.

Example:
    >>> data = synthetic_district(12, seed=1)
    >>> sum(f["properties"]["kind"] == "grid" for f in data["features"])
    12
"""

from __future__ import annotations

import math
import random
from typing import Any

from shapely.geometry import LineString, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from mission_planner.geo import LocalFrame

ORIGIN = (114.2950, 30.5440)  # lon, lat: an old quarter of Wuhan


def synthetic_district(
    n_grids: int,
    *,
    seed: int = 0,
    cell_m: float = 320.0,
    nofly_zones: int | None = None,
    launch_every: int = 25,
    origin: tuple[float, float] = ORIGIN,
) -> dict[str, Any]:
    """A GeoJSON district of ``n_grids`` grids on a jittered lattice of ``cell_m`` metre cells."""
    if n_grids < 1:
        raise ValueError("a district needs at least one grid")
    rng = random.Random(seed)
    frame = LocalFrame(*origin)
    cols = math.ceil(math.sqrt(n_grids))
    rows = math.ceil(n_grids / cols)
    jitter = cell_m * 0.12

    # Shared jittered lattice corners, so neighbouring grids meet edge to edge.
    corners = {
        (i, j): (
            i * cell_m + (rng.uniform(-jitter, jitter) if 0 < i < cols else 0.0),
            j * cell_m + (rng.uniform(-jitter, jitter) if 0 < j < rows else 0.0),
        )
        for i in range(cols + 1)
        for j in range(rows + 1)
    }
    features: list[dict[str, Any]] = []

    def add(kind: str, geom: BaseGeometry, **props: Any) -> None:
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": kind, **props},
                "geometry": mapping(frame.geom_to_lonlat(geom)),
            }
        )

    for k in range(n_grids):
        i, j = k % cols, k // cols
        quad = [corners[(i, j)], corners[(i + 1, j)], corners[(i + 1, j + 1)], corners[(i, j + 1)]]
        poly = Polygon(quad)
        if k % 7 == 3:  # an L-shaped (concave) grid: a corner block belongs to no grid (a park, a lake)
            cx, cy = poly.centroid.x, poly.centroid.y
            notch = Polygon([(cx, cy), (cx + cell_m, cy), (cx + cell_m, cy + cell_m), (cx, cy + cell_m)])
            poly = poly.difference(notch)
        elif k % 11 == 5:  # a courtyard hole
            c = poly.centroid
            hole = Polygon([(c.x - 50, c.y - 40), (c.x + 50, c.y - 40), (c.x + 50, c.y + 40), (c.x - 50, c.y + 40)])
            poly = Polygon(poly.exterior.coords, [hole.exterior.coords])
        patterns = ["coverage", "hotspots"] if k % 9 == 4 else ["coverage"]
        add(
            "grid",
            poly,
            id=str(k + 1),
            name=f"网格 {k + 1} / Grid {k + 1}",
            priority=1 + k % 3,
            patterns=patterns,
        )
        if "hotspots" in patterns:
            c = poly.representative_point()
            add("hotspot", c, id=f"h{k + 1}", name=f"market {k + 1}", dwell_s=30, grid_id=str(k + 1))

    width, height = cols * cell_m, rows * cell_m
    margin = 150.0
    fence = Polygon(
        [
            (-margin, -margin),
            (width + margin, -margin),
            (width + margin, height + margin),
            (-margin, height + margin),
        ]
    )
    add("fence", fence, name="district fence", max_alt_m=120)

    n_launch = max(1, round(n_grids / launch_every))
    launch_points: list[tuple[float, float]] = []
    for m in range(n_launch):
        k = round((m + 0.5) * n_grids / n_launch - 0.5)
        i, j = k % cols, k // cols
        x, y = corners[(i, j)]
        launch_points.append((x + 1.0, y + 1.0))
        add(
            "launch",
            Point(x + 1.0, y + 1.0),
            id=chr(ord("A") + m % 26) + (str(m // 26) if m >= 26 else ""),
            name=f"launch {m + 1}",
        )

    zones = nofly_zones if nofly_zones is not None else max(1, n_grids // 12)
    placed = 0
    attempts = 0
    while placed < zones and attempts < 50 * zones:
        attempts += 1
        x, y = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
        radius = rng.uniform(40.0, 80.0)
        if any(math.dist((x, y), p) < radius + 150.0 for p in launch_points):
            continue
        add(
            "nofly",
            Point(x, y),
            id=f"z{placed + 1}",
            name=f"school {placed + 1}",
            radius_m=radius,
            margin_m=20,
        )
        placed += 1

    for j in range(1, rows, 2):  # streets along some lattice rows
        line = LineString([corners[(i, j)] for i in range(cols + 1)])
        add("street", line, id=f"s{j}", name=f"street {j}")
    return {"type": "FeatureCollection", "name": f"synthetic-{n_grids}-{seed}", "features": features}
