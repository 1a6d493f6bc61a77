"""District grids: GeoJSON validation, which grid a point lies in, grid areas in metres, and the five colours.

Areas are computed in the district's :class:`mission_planner.geo.LocalFrame` (metres), never in degrees.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from mission_planner.geo import LocalFrame

COLOURS = ("white", "green", "yellow", "orange", "red")


class GridGeoJSONError(ValueError):
    """The grids GeoJSON is not usable; the message names the feature and what to fix."""


@dataclass(frozen=True)
class GridFeature:
    """One validated grid."""

    id: str
    name: str
    geometry: dict[str, Any]
    shape: BaseGeometry


def parse_grids(collection: dict[str, Any]) -> list[GridFeature]:
    """Validate a FeatureCollection of Polygon/MultiPolygon grids with ``properties.id`` (and ``name``).

    Example:
        >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "g1"},
        ...   "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0]]]}}]}
        >>> [g.id for g in parse_grids(fc)]
        ['g1']
    """
    if collection.get("type") != "FeatureCollection" or not isinstance(collection.get("features"), list):
        raise GridGeoJSONError('grids must be a GeoJSON FeatureCollection: {"type": "FeatureCollection", ...}')
    grids: list[GridFeature] = []
    seen: set[str] = set()
    for i, feat in enumerate(collection["features"]):
        where = f"features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise GridGeoJSONError(f"{where} is not a GeoJSON Feature")
        props = feat.get("properties") or {}
        gid = props.get("id") if isinstance(props, dict) else None
        if not isinstance(gid, str) or not 0 < len(gid) <= 64:
            raise GridGeoJSONError(f"{where}.properties.id must be a string of 1-64 characters")
        if gid in seen:
            raise GridGeoJSONError(f"{where}: grid id {gid!r} appears twice")
        seen.add(gid)
        geom = feat.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise GridGeoJSONError(f"{where} (grid {gid!r}) needs a Polygon or MultiPolygon geometry")
        _check_rings(geom, f"{where} (grid {gid!r})")
        try:
            shp = shape(geom)
        except Exception as exc:
            raise GridGeoJSONError(f"{where} (grid {gid!r}) has malformed coordinates: {exc}") from None
        if shp.is_empty or not shp.is_valid:
            reason = shapely.is_valid_reason(shp)
            raise GridGeoJSONError(f"{where} (grid {gid!r}) is not a valid polygon: {reason}")
        minx, miny, maxx, maxy = shp.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise GridGeoJSONError(f"{where} (grid {gid!r}) coordinates are not longitude/latitude degrees")
        name = props.get("name", gid)
        grids.append(GridFeature(gid, str(name)[:128], geom, shp))
    if not grids:
        raise GridGeoJSONError("the FeatureCollection has no grids")
    return grids


def _check_rings(geom: dict[str, Any], where: str) -> None:
    """Every ring must be closed (first position equal to the last) with at least 4 positions, as GeoJSON
    requires; shapely would close an open ring silently, so a truncated file would pass unnoticed."""
    coords = geom.get("coordinates")
    polygons = [coords] if geom.get("type") == "Polygon" else coords
    if not isinstance(polygons, list):
        return  # shape() reports the malformed coordinates
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list):
            continue
        for r, ring in enumerate(rings):
            if not isinstance(ring, list) or len(ring) < 1:
                continue
            name = f"ring {r}" + (f" of polygon {p}" if geom.get("type") == "MultiPolygon" else "")
            if ring[0] != ring[-1]:
                raise GridGeoJSONError(f"{where} {name} is not closed: its last position must equal its first")
            if len(ring) < 4:
                raise GridGeoJSONError(f"{where} {name} has {len(ring)} positions; a closed ring needs 4 or more")


def district_grids(collection: dict[str, Any]) -> dict[str, Any]:
    """The ``kind: grid`` features of a district FeatureCollection (fence, no-fly zones, streets ... dropped).

    Example:
        >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "fence"}},
        ...   {"type": "Feature", "properties": {"kind": "grid", "id": "1"}}]}
        >>> [f["properties"]["id"] for f in district_grids(fc)["features"]]
        ['1']
    """
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise GridGeoJSONError('a district must be a GeoJSON FeatureCollection: {"type": "FeatureCollection", ...}')
    grids = [
        f
        for f in features
        if isinstance(f, dict) and isinstance(f.get("properties"), dict) and f["properties"].get("kind") == "grid"
    ]
    return {"type": "FeatureCollection", "features": grids}


def areas_m2(shapes: list[BaseGeometry]) -> list[float]:
    """Areas in square metres, in a local frame centred on all the shapes."""
    if not shapes:
        return []
    frame = LocalFrame.around(shapes)
    return [float(frame.geom_to_local(s).area) for s in shapes]


def colour(open_incidents: int, thresholds: list[int]) -> str:
    """The household-map colour for a number of open incidents.

    Example:
        >>> [colour(n, [1, 3, 6, 10]) for n in (0, 1, 3, 6, 10)]
        ['white', 'green', 'yellow', 'orange', 'red']
    """
    level = sum(open_incidents >= t for t in thresholds)
    return COLOURS[level]


class GridIndex:
    """Finds the grid a point lies in (an STRtree, rebuilt when the grids change); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._tree: shapely.STRtree | None = None
        self.loaded = False

    def load(self, grids: list[tuple[str, BaseGeometry]]) -> None:
        """Replace the indexed grids."""
        with self._lock:
            self._ids = [g[0] for g in grids]
            self._tree = shapely.STRtree([g[1] for g in grids]) if grids else None
            self.loaded = True

    def locate(self, lon: float, lat: float) -> str | None:
        """The id of the grid covering the point, or None."""
        with self._lock:
            if self._tree is None:
                return None
            hits = self._tree.query(Point(lon, lat), predicate="covered_by")
            return self._ids[int(min(hits))] if len(hits) else None
