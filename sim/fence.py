"""Geofence geometry from uploaded fence items, and breach checks with ArduPilot's semantics.

Fence items (MAV_MISSION_TYPE_FENCE) are inclusion/exclusion polygons (``param1`` = vertex count, the vertices
in consecutive items), inclusion/exclusion circles (``param1`` = radius in metres) and a return point. With
``FENCE_ENABLE=1`` the vehicle is in breach when, by ``FENCE_TYPE`` bit: (1) above ``FENCE_ALT_MAX``; (2)
farther than ``FENCE_RADIUS`` from home; (4) outside any inclusion zone or inside any exclusion zone. All
geometry is in metres in the simulator's :class:`mission_planner.geo.LocalFrame`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from mission_planner.geo import LocalFrame
from sim.items import StoredItem

POLY_IN, POLY_OUT, CIRCLE_IN, CIRCLE_OUT, RETURN_POINT = 5001, 5002, 5003, 5004, 5000
TYPE_ALT_MAX, TYPE_CIRCLE, TYPE_POLYGON = 1, 2, 4


@dataclass
class FenceGeometry:
    """The uploaded zones in local metres."""

    inclusions: list[BaseGeometry] = field(default_factory=list)
    exclusions: list[BaseGeometry] = field(default_factory=list)
    return_point: tuple[float, float] | None = None

    @property
    def empty(self) -> bool:
        """No zone uploaded."""
        return not self.inclusions and not self.exclusions


def validate_fence(items: list[StoredItem]) -> str | None:
    """Why this fence list is malformed (for the upload's refusal message), or None when it is valid."""
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in (POLY_IN, POLY_OUT):
            n = int(item.param1)
            if n < 3:
                return f"item {i}: a polygon needs at least 3 vertices (param1={n})"
            group = items[i : i + n]
            if len(group) < n or any(g.command != item.command or int(g.param1) != n for g in group):
                return f"item {i}: polygon of {n} vertices is not followed by {n - 1} more of the same kind"
            i += n
            continue
        if item.command in (CIRCLE_IN, CIRCLE_OUT) and item.param1 <= 0:
            return f"item {i}: circle radius (param1) must be > 0"
        i += 1
    return None


def build_fence(items: list[StoredItem], frame: LocalFrame) -> FenceGeometry:
    """Zones of a validated fence list, projected into ``frame``."""
    geo = FenceGeometry()
    i = 0
    while i < len(items):
        item = items[i]
        x, y = (float(v) for v in frame.to_local(item.lon, item.lat))
        if item.command in (POLY_IN, POLY_OUT):
            n = int(item.param1)
            pts = [tuple(float(v) for v in frame.to_local(g.lon, g.lat)) for g in items[i : i + n]]
            poly = Polygon(pts)
            if not poly.is_valid:
                poly = shapely.make_valid(poly)
            (geo.inclusions if item.command == POLY_IN else geo.exclusions).append(poly)
            i += n
            continue
        if item.command in (CIRCLE_IN, CIRCLE_OUT):
            circle = Point(x, y).buffer(item.param1, quad_segs=32)
            (geo.inclusions if item.command == CIRCLE_IN else geo.exclusions).append(circle)
        elif item.command == RETURN_POINT:
            geo.return_point = (x, y)
        i += 1
    for zone in [*geo.inclusions, *geo.exclusions]:
        shapely.prepare(zone)
    return geo


def breaches(
    geo: FenceGeometry,
    fence_type: int,
    pos: tuple[float, float, float],
    home: tuple[float, float],
    alt_max: float,
    radius: float,
) -> list[str]:
    """Names of the fences breached at ``pos`` (x, y, z above home): "altitude", "circle", "polygon"."""
    x, y, z = pos
    found: list[str] = []
    if fence_type & TYPE_ALT_MAX and z > alt_max:
        found.append("altitude")
    if fence_type & TYPE_CIRCLE and radius > 0 and math.hypot(x - home[0], y - home[1]) > radius:
        found.append("circle")
    if fence_type & TYPE_POLYGON and not geo.empty:
        point = Point(x, y)
        outside = any(not zone.contains(point) for zone in geo.inclusions)
        inside_excl = any(zone.contains(point) for zone in geo.exclusions)
        if outside or inside_excl:
            found.append("polygon")
    return found
