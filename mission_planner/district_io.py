"""Read a district from GeoJSON or KML, with errors that name the feature, the field and the fix.

Each feature carries a ``kind`` property: ``grid``, ``fence``, ``nofly``, ``street``, ``hotspot`` or ``launch``
(see docs/planner.md for the properties of each). KML files carry the same properties in each Placemark's
``ExtendedData``; :mod:`mission_planner.kml` converts them to GeoJSON features first, so both go through one
validator.

Example:
    >>> district = load_district("examples/district.geojson")
    >>> [g.id for g in district.grids][:3]
    ['1', '2', '3']
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from mission_planner.district import (
    PATTERNS,
    District,
    Fence,
    Grid,
    Hotspot,
    LaunchSite,
    NoFlyZone,
    Pattern,
    Street,
)
from mission_planner.errors import DistrictError
from mission_planner.geo import LocalFrame

KINDS = ("grid", "fence", "nofly", "street", "hotspot", "launch")
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "grid": ("Polygon", "MultiPolygon"),
    "fence": ("Polygon", "MultiPolygon"),
    "nofly": ("Polygon", "MultiPolygon", "Point"),
    "street": ("LineString", "MultiLineString"),
    "hotspot": ("Point",),
    "launch": ("Point",),
}


def load_district(path: str | Path) -> District:
    """Read a district file (``.geojson``/``.json`` or ``.kml``), validated.

    Raises:
        FileNotFoundError: When the file does not exist.
        DistrictError: When it is not a valid district; the message names the feature and the fix.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".kml":
        from mission_planner.kml import kml_to_geojson

        fc = kml_to_geojson(text, source=str(path))
        return district_from_geojson(fc, str(fc.get("name") or path.stem))
    if path.suffix.lower() not in (".geojson", ".json"):
        raise DistrictError(f"{path}: unknown file type {path.suffix!r}; give a .geojson, .json or .kml file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DistrictError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; fix the file there "
            "(a GeoJSON validator such as geojson.io shows the spot)"
        ) from None
    return district_from_geojson(data, str(data.get("name") or path.stem) if isinstance(data, dict) else path.stem)


def district_from_geojson(data: object, name: str) -> District:
    """Build a validated district from a parsed GeoJSON FeatureCollection."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise DistrictError(
            f"a district must be a GeoJSON FeatureCollection, got {got!r}; wrap the features in "
            '{"type": "FeatureCollection", "features": [...]}'
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise DistrictError("the FeatureCollection has no 'features' list")
    parsed = [_parse_feature(i, f) for i, f in enumerate(features)]
    if not any(kind == "fence" for kind, *_ in parsed):
        raise DistrictError("the district has no fence: add a Polygon feature with kind 'fence' and max_alt_m")
    if not any(kind == "grid" for kind, *_ in parsed):
        raise DistrictError("the district has no grid: add Polygon features with kind 'grid', id and name")
    if not any(kind == "launch" for kind, *_ in parsed):
        raise DistrictError("the district has no launch site: add a Point feature with kind 'launch'")

    frame = LocalFrame.around([geom for _, geom, _, _ in parsed])
    builders: dict[str, Callable[..., object]] = {
        "grid": _grid,
        "fence": _fence,
        "nofly": _nofly,
        "street": _street,
        "hotspot": _hotspot,
        "launch": _launch,
    }
    built: dict[str, list[Any]] = {k: [] for k in KINDS}
    for kind, geom, props, where in parsed:
        built[kind].append(builders[kind](geom, props, where, frame))

    ids = [g.id for g in built["grid"]]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DistrictError(f"grid id(s) {', '.join(dupes)} are used by more than one grid; give each grid its own id")
    fence_area = shapely.union_all([f.local for f in built["fence"]])
    for grid in built["grid"]:
        if not grid.local.intersects(fence_area):
            raise DistrictError(
                f"grid {grid.id} ({grid.name}) does not overlap any fence; move the fence to include it or remove it"
            )
    grid_ids = set(ids)
    for spot in built["hotspot"]:
        if spot.grid_id is not None and spot.grid_id not in grid_ids:
            raise DistrictError(
                f"hotspot {spot.id} ({spot.name}) names grid_id {spot.grid_id!r}, which is not a grid of this "
                f"district; use one of {', '.join(ids)} or leave grid_id out"
            )
    return District(
        name=name,
        frame=frame,
        grids=tuple(built["grid"]),
        fences=tuple(built["fence"]),
        nofly=tuple(built["nofly"]),
        streets=tuple(built["street"]),
        hotspots=tuple(built["hotspot"]),
        launches=tuple(built["launch"]),
    )


def _parse_feature(index: int, feature: object) -> tuple[str, BaseGeometry, Mapping[str, Any], str]:
    where = f"feature {index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise DistrictError(f'{where} is not a GeoJSON Feature (it needs "type": "Feature")')
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise DistrictError(f"{where}: 'properties' must be an object")
    label = props.get("id", props.get("name"))
    if label is not None:
        where = f"feature {index} ({label})"
    kind = props.get("kind")
    if kind is None:
        raise DistrictError(f"{where} has no 'kind' property; set it to one of {', '.join(KINDS)}")
    if kind not in KINDS:
        raise DistrictError(f"{where} has unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    raw = feature.get("geometry")
    if not isinstance(raw, dict) or "type" not in raw:
        raise DistrictError(f"{where} ({kind}) has no geometry")
    if raw["type"] not in GEOMETRY_TYPES[kind]:
        raise DistrictError(f"{where}: a {kind} must be a {' or '.join(GEOMETRY_TYPES[kind])}, got a {raw['type']}")
    _check_coordinates(raw.get("coordinates"), where)
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise DistrictError(
            f"{where}: malformed {raw['type']} coordinates ({exc}); each ring needs 4+ points, "
            "closed (first point = last point)"
        ) from None
    if geom.is_empty:
        raise DistrictError(f"{where}: the {kind}'s geometry is empty")
    if isinstance(geom, Polygon | MultiPolygon) and not geom.is_valid:
        reason = explain_validity(geom)
        raise DistrictError(
            f"{where}: the {kind} polygon is invalid: {reason} (lon lat); redraw that ring so its edges do not "
            "cross or touch (a self-intersecting 'bow tie' must be split into two polygons)"
        )
    return str(kind), geom, props, where


def _check_coordinates(coords: object, where: str) -> None:
    """Every position is [lon, lat] with lon in -180..180 and lat in -90..90."""

    def walk(c: object) -> None:
        if isinstance(c, list | tuple) and c and all(isinstance(v, int | float) for v in c):
            if len(c) < 2:
                raise DistrictError(f"{where}: a position needs [longitude, latitude], got {list(c)}")
            lon, lat = float(c[0]), float(c[1])
            if not (math.isfinite(lon) and math.isfinite(lat)):
                raise DistrictError(f"{where}: position {list(c)} is not finite")
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                hint = " (latitude and longitude look swapped: GeoJSON is [lon, lat])" if abs(lat) > 90 else ""
                raise DistrictError(f"{where}: position {list(c)} is outside longitude/latitude range{hint}")
            return
        if not isinstance(c, list | tuple):
            raise DistrictError(f"{where}: coordinates must be nested lists of numbers, got {c!r}")
        for item in c:
            walk(item)

    walk(coords)


def _str(props: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = props.get(key, default)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DistrictError(f"{where}: property {key!r} is required")
    return str(value)


def _num(
    props: Mapping[str, Any], key: str, where: str, default: float | None = None, *, minimum: float = 0.0
) -> float:
    value = props.get(key, default)
    if value is None:
        raise DistrictError(f"{where}: property {key!r} is required (a number)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DistrictError(f"{where}: property {key!r} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < minimum:
        raise DistrictError(f"{where}: property {key!r} must be a number >= {minimum:g}, got {value!r}")
    return number


def _patterns(props: Mapping[str, Any], where: str) -> tuple[Pattern, ...]:
    raw = props.get("patterns", ["coverage"])
    names = [p.strip() for p in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not names:
        raise DistrictError(f'{where}: \'patterns\' must be a list such as ["coverage", "hotspots"]')
    bad = [n for n in names if n not in PATTERNS]
    if bad:
        raise DistrictError(f"{where}: unknown pattern(s) {bad}; use {', '.join(PATTERNS)}")
    return tuple(dict.fromkeys(names))


def _grid(geom: Polygon | MultiPolygon, props: Mapping[str, Any], where: str, frame: LocalFrame) -> Grid:
    grid_id = _str(props, "id", where)
    priority = props.get("priority", 1)
    if isinstance(priority, bool) or not isinstance(priority, int | float) or priority != int(priority):
        raise DistrictError(f"{where}: property 'priority' must be a whole number, got {priority!r}")
    return Grid(
        grid_id,
        str(props.get("name") or f"grid {grid_id}"),
        int(priority),
        geom,
        frame.geom_to_local(geom),
        _patterns(props, where),
    )


def _fence(geom: Polygon | MultiPolygon, props: Mapping[str, Any], where: str, frame: LocalFrame) -> Fence:
    max_alt = _num(props, "max_alt_m", where, minimum=1.0)
    min_alt = _num(props, "min_alt_m", where, 0.0)
    if min_alt >= max_alt:
        raise DistrictError(f"{where}: min_alt_m ({min_alt:g}) must be below max_alt_m ({max_alt:g})")
    return Fence(geom, frame.geom_to_local(geom), max_alt, min_alt, str(props.get("name") or "fence"))


def _nofly(geom: BaseGeometry, props: Mapping[str, Any], where: str, frame: LocalFrame) -> NoFlyZone:
    margin = _num(props, "margin_m", where, 0.0)
    zone_id = str(props.get("id") or props.get("name") or where)
    name = str(props.get("name") or zone_id)
    if isinstance(geom, Point):
        radius = _num(props, "radius_m", where, minimum=0.5)
        local = frame.geom_to_local(geom).buffer(radius, quad_segs=16)
        return NoFlyZone(zone_id, name, frame.geom_to_lonlat(local), local, margin, radius)
    return NoFlyZone(zone_id, name, geom, frame.geom_to_local(geom), margin)


def _street(geom: LineString | MultiLineString, props: Mapping[str, Any], where: str, frame: LocalFrame) -> Street:
    line = geom if isinstance(geom, LineString) else shapely.line_merge(geom)
    if not isinstance(line, LineString):  # a MultiLineString that does not join up: keep its parts as one line set
        line = geom
    sid = str(props.get("id") or props.get("name") or where)
    return Street(sid, str(props.get("name") or sid), line, frame.geom_to_local(line))


def _hotspot(geom: Point, props: Mapping[str, Any], where: str, frame: LocalFrame) -> Hotspot:
    hid = str(props.get("id") or props.get("name") or where)
    grid_id = props.get("grid_id")
    return Hotspot(
        hid,
        str(props.get("name") or hid),
        geom,
        frame.geom_to_local(geom),
        _num(props, "dwell_s", where, 30.0),
        None if grid_id is None else str(grid_id),
    )


def _launch(geom: Point, props: Mapping[str, Any], where: str, frame: LocalFrame) -> LaunchSite:
    lid = str(props.get("id") or props.get("name") or where)
    return LaunchSite(lid, str(props.get("name") or lid), geom, frame.geom_to_local(geom))
