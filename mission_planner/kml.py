"""KML in and out, through GeoJSON: Placemarks carry the GeoJSON properties in ``ExtendedData``.

:func:`geojson_to_kml` writes a FeatureCollection as KML 2.2 (Google Earth, QGIS, DJI Pilot read it) with one
style per ``kind`` (or per ``style`` property); :func:`kml_to_geojson` reads such a file back, or any KML whose
Placemarks carry a ``kind`` in ``ExtendedData``, so a district drawn in Google Earth can be planned.

Example:
    >>> point = {"type": "Point", "coordinates": [114.3, 30.5]}
    >>> fc = {"type": "FeatureCollection",
    ...       "features": [{"type": "Feature", "properties": {"kind": "launch", "id": "A"}, "geometry": point}]}
    >>> kml_to_geojson(geojson_to_kml(fc)) == fc
    True
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from mission_planner.errors import DistrictError

NS = "http://www.opengis.net/kml/2.2"
K = f"{{{NS}}}"
STYLES = {  # kind -> (line colour aabbggrr, fill colour aabbggrr)
    "grid": ("ff2f7f2f", "332f7f2f"),
    "fence": ("ff0000ff", "00000000"),
    "nofly": ("ff0000cc", "660000cc"),
    "street": ("ff7f7f7f", "00000000"),
    "hotspot": ("ff00a5ff", "ff00a5ff"),
    "launch": ("ffff0000", "ffff0000"),
}


def geojson_to_kml(fc: dict[str, Any], name: str | None = None) -> str:
    """A GeoJSON FeatureCollection as a KML document (properties kept exactly in ExtendedData)."""
    root = etree.Element(K + "kml", nsmap={None: NS})
    doc = etree.SubElement(root, K + "Document")
    if name or fc.get("name"):
        etree.SubElement(doc, K + "name").text = name or str(fc.get("name"))
    styles = {
        str(f.get("properties", {}).get("style") or f.get("properties", {}).get("kind") or "default")
        for f in fc["features"]
    }
    for style in sorted(styles):
        line, fill = STYLES.get(style, (style if len(style) == 8 else "ff888888", "33888888"))
        st = etree.SubElement(doc, K + "Style", id=_style_id(style))
        ls = etree.SubElement(st, K + "LineStyle")
        etree.SubElement(ls, K + "color").text = line
        etree.SubElement(ls, K + "width").text = "2"
        ps = etree.SubElement(st, K + "PolyStyle")
        etree.SubElement(ps, K + "color").text = fill
    for feature in fc["features"]:
        props = feature.get("properties") or {}
        pm = etree.SubElement(doc, K + "Placemark")
        etree.SubElement(pm, K + "name").text = str(props.get("name") or props.get("id") or props.get("kind") or "")
        style = str(props.get("style") or props.get("kind") or "default")
        etree.SubElement(pm, K + "styleUrl").text = "#" + _style_id(style)
        ext = etree.SubElement(pm, K + "ExtendedData")
        for key, value in props.items():
            data = etree.SubElement(ext, K + "Data", name=str(key))
            etree.SubElement(data, K + "value").text = json.dumps(value, ensure_ascii=False)
        pm.append(_geometry(feature["geometry"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")


def kml_to_geojson(text: str, source: str = "KML") -> dict[str, Any]:
    """Placemarks of a KML document as a GeoJSON FeatureCollection.

    Raises:
        DistrictError: When the text is not KML, or a Placemark has a geometry that cannot be read.
    """
    try:
        root = etree.fromstring(text.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DistrictError(f"{source} is not valid XML: {exc}") from None
    ns = root.nsmap.get(None) or NS
    k = f"{{{ns}}}"
    doc_name = root.findtext(f"{k}Document/{k}name")
    features = []
    for index, pm in enumerate(root.iter(k + "Placemark")):
        props: dict[str, Any] = {}
        for data in pm.iter(k + "Data"):
            raw = data.findtext(k + "value") or ""
            try:
                props[data.get("name", "")] = json.loads(raw)
            except json.JSONDecodeError:
                props[data.get("name", "")] = raw  # plain text values written by other tools
        if not props and pm.findtext(k + "name"):  # a Placemark from another tool: keep its label
            props["name"] = pm.findtext(k + "name")
        geoms = [g for g in pm if etree.QName(g).localname in ("Point", "LineString", "Polygon", "MultiGeometry")]
        if not geoms:
            raise DistrictError(f"{source}: Placemark {index} ({props.get('name', '?')}) has no geometry")
        features.append({"type": "Feature", "properties": props, "geometry": _read_geometry(geoms[0], k, source)})
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if doc_name:
        fc["name"] = doc_name
    return fc


def _style_id(style: str) -> str:
    return "style-" + "".join(c if c.isalnum() else "-" for c in style)


def _coords_text(coords: list[Any]) -> str:
    return " ".join(",".join(repr(float(v)) for v in c) for c in coords)


def _geometry(geom: dict[str, Any]) -> Any:
    kind, coords = geom["type"], geom["coordinates"]
    if kind == "Point":
        el = etree.Element(K + "Point")
        etree.SubElement(el, K + "coordinates").text = _coords_text([coords])
    elif kind == "LineString":
        el = etree.Element(K + "LineString")
        etree.SubElement(el, K + "coordinates").text = _coords_text(coords)
    elif kind == "Polygon":
        el = etree.Element(K + "Polygon")
        for i, ring in enumerate(coords):
            b = etree.SubElement(el, K + ("outerBoundaryIs" if i == 0 else "innerBoundaryIs"))
            lr = etree.SubElement(b, K + "LinearRing")
            etree.SubElement(lr, K + "coordinates").text = _coords_text(ring)
    elif kind in ("MultiPolygon", "MultiLineString", "MultiPoint"):
        el = etree.Element(K + "MultiGeometry")
        part = kind.removeprefix("Multi")
        for c in coords:
            el.append(_geometry({"type": part, "coordinates": c}))
        el.set("kind", kind)  # so the reader gives back the same GeoJSON type
    else:
        raise ValueError(f"cannot write a {kind} to KML")
    return el


def _parse_coords(text: str | None) -> list[list[float]]:
    return [[float(v) for v in tup.split(",")] for tup in (text or "").split()]


def _read_geometry(el: Any, k: str, source: str) -> dict[str, Any]:
    tag = etree.QName(el).localname
    try:
        if tag == "Point":
            return {"type": "Point", "coordinates": _parse_coords(el.findtext(k + "coordinates"))[0]}
        if tag == "LineString":
            return {"type": "LineString", "coordinates": _parse_coords(el.findtext(k + "coordinates"))}
        if tag == "Polygon":
            outer = el.find(f"{k}outerBoundaryIs/{k}LinearRing")
            inner = el.findall(f"{k}innerBoundaryIs/{k}LinearRing")
            rings = [_parse_coords(r.findtext(k + "coordinates")) for r in [outer, *inner] if r is not None]
            return {"type": "Polygon", "coordinates": rings}
        if tag == "MultiGeometry":
            parts = [_read_geometry(g, k, source) for g in el if isinstance(g.tag, str)]
            kind = el.get("kind") or "Multi" + (parts[0]["type"] if parts else "Polygon")
            return {"type": kind, "coordinates": [p["coordinates"] for p in parts]}
    except (ValueError, IndexError) as exc:
        raise DistrictError(f"{source}: unreadable {tag} coordinates ({exc}); write them as lon,lat[,alt]") from None
    raise DistrictError(f"{source}: unsupported KML geometry {tag}")
