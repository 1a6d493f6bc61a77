"""The nearest named street or place of the district to a point on the ground, for addressed warnings.

A warning that says where ("民生路广场附近，穿红色上衣的行人，请佩戴口罩") tells the person it is for; the place is the
district file's nearest hotspot (market, square, gate) or street within ``max_m`` of the person, in the district's
local metric frame. Hotspots win over streets at the same distance: "at the market" says more than "on the road".

Example:
    >>> from pathlib import Path
    >>> from mission_planner.district_io import load_district
    >>> district = load_district(Path(__file__).resolve().parents[1] / "examples" / "district.geojson")
    >>> places = NamedPlaces(district)
    >>> hotspot = next(h for h in district.hotspots if h.id == "square")
    >>> places.nearest(hotspot.local.x + 3.0, hotspot.local.y)
    '民生路广场 Minsheng square'
    >>> places.nearest(1e6, 1e6) is None
    True
"""

from __future__ import annotations

import math

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from mission_planner.district import District

#: How far from a person a place may be and still be said (m): about a street's width either side.
MAX_PLACE_M = 30.0
#: A hotspot is preferred over a street unless the street is this much closer (m).
HOTSPOT_BONUS_M = 10.0


class NamedPlaces:
    """The district's named hotspots and streets, looked up by local (x, y) metres.

    Args:
        district: The district (its hotspots and streets, with their local geometries).
        max_m: Farther than this from every place: no place is said.
    """

    def __init__(self, district: District, max_m: float = MAX_PLACE_M) -> None:
        self.max_m = max_m
        named: list[tuple[str, BaseGeometry, float]] = []
        named += [(h.name, h.local, HOTSPOT_BONUS_M) for h in district.hotspots if h.name.strip()]
        named += [(s.name, s.local, 0.0) for s in district.streets if s.name.strip()]
        self.places = named

    def nearest(self, x: float, y: float) -> str | None:
        """The name of the nearest place within ``max_m`` of (x, y), or ``None``."""
        if not (math.isfinite(x) and math.isfinite(y)) or not self.places:
            return None
        here = Point(x, y)
        best: tuple[float, str] | None = None
        for name, geometry, bonus in self.places:
            distance = float(geometry.distance(here))
            if distance > self.max_m:
                continue
            score = distance - bonus
            if best is None or score < best[0]:
                best = (score, name)
        return None if best is None else best[1]
