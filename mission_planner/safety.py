"""Leg-by-leg safety validation: every segment inside the fence, outside no-fly zones, within altitude limits.

Points alone are not enough: a leg between two safe points can cut a corner of a no-fly zone. Every segment is
checked, vertical take-off and landing legs included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from mission_planner.district import Area
from mission_planner.errors import UnsafeLegError

XYZ = tuple[float, float, float]


def leg_outside_m(a: tuple[float, float], b: tuple[float, float], area: BaseGeometry) -> float:
    """Metres of the straight leg a -> b that lie outside ``area`` (0 for a point leg inside it)."""
    if a == b:
        return 0.0 if area.covers(Point(a)) else float("inf")
    return float(LineString([a, b]).difference(area).length)


def validate_legs(
    points: Sequence[XYZ],
    allowed: Area,
    *,
    max_alt_m: float,
    min_alt_m: float = 0.0,
    label: str,
    zone_names: Mapping[str, BaseGeometry] | None = None,
    tol_m: float = 0.05,
) -> None:
    """Raise :class:`UnsafeLegError` for the first leg that leaves ``allowed`` or breaks an altitude limit.

    Args:
        points: The route in metres (east, north, altitude above launch), in flying order.
        allowed: Where the drone may fly (fence minus no-fly zones grown by their margins).
        max_alt_m: The ceiling (the fence's and the vehicle's, whichever is lower).
        min_alt_m: The floor for every point but the first and last (take-off and landing).
        label: What the route is, for the message (``"drone-1 sortie 2"``).
        zone_names: No-fly zones (with margins) by name, to say which one a leg enters.
        tol_m: Numerical tolerance in metres.
    """
    for k, (_, _, z) in enumerate(points):
        last = len(points) - 1
        if z > max_alt_m + 1e-6 or (0 < k < last and z < min_alt_m - 1e-6):
            raise UnsafeLegError(
                f"{label}: point {k} is at {z:.1f} m, outside the altitude limits "
                f"{min_alt_m:g}-{max_alt_m:g} m; change --alt or the fence's limits"
            )
    if len(points) < 2:
        return
    xy = np.array([(p[0], p[1]) for p in points], dtype=float)
    inside = allowed.buffer(tol_m)
    shapely.prepare(inside)
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    still = np.all(xy[:-1] == xy[1:], axis=1)
    ok = np.where(still, shapely.covers(inside, shapely.points(xy[:-1])), shapely.covers(inside, segs))
    for leg in np.flatnonzero(~ok).tolist():
        a, b = tuple(xy[leg]), tuple(xy[leg + 1])
        where = f"{label}: leg {leg} -> {leg + 1} from ({a[0]:.1f}, {a[1]:.1f}) to ({b[0]:.1f}, {b[1]:.1f}) m"
        geom = Point(a) if a == b else LineString([a, b])
        for name, zone in (zone_names or {}).items():
            if geom.intersects(zone.buffer(-tol_m)):
                raise UnsafeLegError(f"{where} enters no-fly zone {name} (or its margin); the route must go around it")
        out = leg_outside_m(a, b, inside)
        raise UnsafeLegError(f"{where} leaves the fence by {out:.1f} m; the route must stay inside the fence")
