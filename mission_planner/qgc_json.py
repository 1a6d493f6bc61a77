"""QGroundControl ``.plan`` JSON to and from :class:`~mission_planner.plan_doc.PlanDocument`, strictly.

Reads what QGroundControl writes today (``params`` with seven values, ``AltitudeMode`` per item, ``geoFence``
polygons and circles, ``rallyPoints``, survey/corridor/structure ``ComplexItem``) and the older layout
(``params`` with four values and a ``coordinate`` [lat, lon, alt]; a ``geoFence.polygon`` list). Writes the current
layout with ``allow_nan=False``: an unset parameter goes out as ``null``, as QGroundControl writes it, never as the
invalid JSON ``NaN``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mission_planner.plan import GeoFenceZone, LatLon
from mission_planner.plan_doc import (
    MODE_FRAMES,
    AltitudeMode,
    LatLonAlt,
    PlanDocument,
    PlanFileError,
    PlanItem,
    SurveyArea,
    Unreadable,
    checked_item,
    integer,
    is_positional,
    number,
)

COMPLEX_KINDS = ("survey", "CorridorScan", "StructureScan")
ALT_TOL_M = 0.01  # ``Altitude`` and the item's altitude must agree to the centimetre


def load_json(path: Path) -> dict[str, Any]:
    """A ``.plan`` file as a JSON object; ``NaN``/``Infinity`` literals are kept as :class:`Unreadable` markers,
    so the field they sit in can be named when it is checked.

    Raises:
        PlanFileError: not JSON, or not a QGroundControl plan.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=Unreadable)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except UnicodeDecodeError:
        raise PlanFileError(f"{path} is not a text file (a QGroundControl plan is UTF-8 JSON)") from None
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise PlanFileError(f'{path} is not a QGroundControl plan (fileType must be "Plan")')
    return doc


def read_plan_document(path: Path) -> PlanDocument:
    """Read a QGroundControl ``.plan`` (current or older layout), every number checked.

    Raises:
        PlanFileError: naming the key, the item and the field at fault.
    """
    doc = load_json(path)
    where = str(path)
    mission = doc.get("mission")
    if not isinstance(mission, dict):
        raise PlanFileError(f"{where}: no 'mission' object")
    home = _lat_lon_alt(mission.get("plannedHomePosition"), f"{where}: mission.plannedHomePosition")
    raw_items = mission.get("items", [])
    if not isinstance(raw_items, list):
        raise PlanFileError(f"{where}: mission.items must be a list")
    items = [_item(raw, f"{where}: mission item {k + 1}") for k, raw in enumerate(raw_items)]
    ids = [i.do_jump_id for i in items if isinstance(i, PlanItem) and i.do_jump_id is not None]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise PlanFileError(f"{where}: doJumpId {dup[0]} is given to more than one item; DO_JUMP would be ambiguous")
    fence_doc = doc.get("geoFence") or {}
    rally_doc = doc.get("rallyPoints") or {}
    if not isinstance(fence_doc, dict) or not isinstance(rally_doc, dict):
        raise PlanFileError(f"{where}: geoFence and rallyPoints must be objects")
    stamp = doc.get("gridpatrol")
    return PlanDocument(
        home=home,
        items=items,
        fence=_fence(fence_doc, f"{where}: geoFence"),
        rally=[_lat_lon_alt(p, f"{where}: rally point {k}") for k, p in enumerate(_list(rally_doc, "points", where))],
        stamp=stamp if isinstance(stamp, dict) else None,
        cruise_speed_ms=_optional(mission, "cruiseSpeed", where, lo=0.0, hi=200.0),
        hover_speed_ms=_optional(mission, "hoverSpeed", where, lo=0.0, hi=200.0),
        firmware_type=integer(mission.get("firmwareType", 3), f"{where}: mission.firmwareType", hi=255),
        vehicle_type=integer(mission.get("vehicleType", 2), f"{where}: mission.vehicleType", hi=255),
        global_altitude_mode=(
            None
            if mission.get("globalPlanAltitudeMode") is None
            else integer(mission["globalPlanAltitudeMode"], f"{where}: mission.globalPlanAltitudeMode", hi=4)
        ),
    )


def write_plan_document(doc: PlanDocument, path: Path) -> None:
    """Write a document as a QGroundControl ``.plan`` (strict JSON: unset values as ``null``)."""
    mission: dict[str, Any] = {
        "cruiseSpeed": doc.cruise_speed_ms,
        "firmwareType": doc.firmware_type,
        "globalPlanAltitudeMode": doc.global_altitude_mode,
        "hoverSpeed": doc.hover_speed_ms,
        "items": [_item_json(p) for p in doc.simple_items(str(path))],
        "plannedHomePosition": list(doc.home),
        "vehicleType": doc.vehicle_type,
        "version": 2,
    }
    out: dict[str, Any] = {
        "fileType": "Plan",
        "geoFence": _fence_json(doc.fence),
        "groundStation": "QGroundControl",
        "mission": {k: v for k, v in mission.items() if v is not None},
        "rallyPoints": {"points": [list(p) for p in doc.rally], "version": 2},
        "version": 1,
    }
    if doc.stamp is not None:
        out["gridpatrol"] = doc.stamp
    text = json.dumps(out, indent=4, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _json_number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _item_json(p: PlanItem) -> dict[str, Any]:
    it = p.item
    out: dict[str, Any] = {}
    if p.altitude_mode is not None:
        out["AMSLAltAboveTerrain"] = _json_number(p.amsl_alt_above_terrain)
        out["Altitude"] = _json_number(p.altitude)
        out["AltitudeMode"] = p.altitude_mode
    out["autoContinue"] = bool(it.autocontinue)
    out["command"] = int(it.command)
    if p.do_jump_id is not None:
        out["doJumpId"] = p.do_jump_id
    out["frame"] = int(it.frame)
    out["params"] = [_json_number(v) for v in (it.param1, it.param2, it.param3, it.param4, it.x, it.y, it.z)]
    out["type"] = "SimpleItem"
    return out


def _fence_json(zones: list[GeoFenceZone]) -> dict[str, Any]:
    return {
        "circles": [
            {"circle": {"center": list(z.center), "radius": z.radius_m}, "inclusion": z.inclusion, "version": 1}
            for z in zones
            if z.center is not None
        ],
        "polygons": [
            {"inclusion": z.inclusion, "polygon": [list(p) for p in z.polygon], "version": 1}
            for z in zones
            if z.polygon is not None
        ],
        "version": 2,
    }


# -- reading ----------------------------------------------------------------------------------------------------


def _list(doc: dict[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise PlanFileError(f"{where}: '{key}' must be a list")
    return value


def _optional(doc: dict[str, Any], key: str, where: str, *, lo: float, hi: float) -> float | None:
    value = doc.get(key)
    return None if value is None else number(value, f"{where}: mission.{key}", lo=lo, hi=hi)


def _lat_lon(value: object, where: str) -> LatLon:
    if not (isinstance(value, list) and len(value) >= 2):
        raise PlanFileError(f"{where} must be [latitude, longitude], got {value!r}")
    lat = number(value[0], f"{where}, latitude", lo=-90, hi=90)
    return lat, number(value[1], f"{where}, longitude", lo=-180, hi=180)


def _lat_lon_alt(value: object, where: str) -> LatLonAlt:
    if not (isinstance(value, list) and len(value) == 3):
        raise PlanFileError(f"{where} must be [latitude, longitude, altitude], got {value!r}")
    lat, lon = _lat_lon(value, where)
    return lat, lon, number(value[2], f"{where}, altitude", lo=-1e5, hi=1e5)


def _points(value: object, where: str, at_least: int) -> list[LatLon]:
    if not (isinstance(value, list) and len(value) >= at_least):
        raise PlanFileError(f"{where} must list {at_least} or more [latitude, longitude] points")
    return [_lat_lon(p, f"{where} point {k}") for k, p in enumerate(value)]


def _item(raw: object, where: str) -> PlanItem | SurveyArea:
    if not isinstance(raw, dict):
        raise PlanFileError(f"{where} is not an object")
    kind = raw.get("type")
    if kind == "SimpleItem":
        return _simple_item(raw, where)
    if kind == "ComplexItem":
        return _complex_item(raw, where)
    raise PlanFileError(f"{where}: type {kind!r} is neither SimpleItem nor ComplexItem")


def _simple_item(raw: dict[str, Any], where: str) -> PlanItem:
    missing = [k for k in ("command", "frame", "params") if k not in raw]
    if missing:
        raise PlanFileError(f"{where}: no {', '.join(repr(k) for k in missing)} (a SimpleItem needs all three)")
    frame = integer(raw["frame"], f"{where}, frame", hi=255)
    command = integer(raw["command"], f"{where}, command")
    params, coordinate = raw["params"], raw.get("coordinate")
    if isinstance(params, list) and len(params) == 7:
        values = list(params)
    elif isinstance(params, list) and len(params) == 4 and isinstance(coordinate, list) and len(coordinate) == 3:
        values = [*params, *coordinate]  # QGroundControl's older layout
    else:
        count = len(params) if isinstance(params, list) else "no list of"
        raise PlanFileError(
            f"{where}: 'params' has {count} values; expected 7 (param1-4, latitude, longitude, altitude), or 4 with "
            "a 'coordinate' [latitude, longitude, altitude] as older QGroundControl versions write"
            + ("" if "coordinate" in raw else " (no 'coordinate' here)")
        )
    auto = raw.get("autoContinue", True)
    if not isinstance(auto, bool | int):
        raise PlanFileError(f"{where}, autoContinue: {auto!r} is not true or false")
    item = checked_item(0, frame, command, values, int(bool(auto)), where)
    mode = raw.get("AltitudeMode")
    if mode is not None:
        mode = integer(mode, f"{where}, AltitudeMode", lo=1, hi=4)
        if is_positional(frame, command) and frame not in MODE_FRAMES[AltitudeMode(mode)]:
            raise PlanFileError(
                f"{where}: AltitudeMode {mode} ({AltitudeMode(mode).name.lower()}) does not match frame {frame}; "
                "which altitude is meant is unclear, so it is refused (set the altitude mode again in the editor)"
            )
    altitude = number(raw.get("Altitude"), f"{where}, Altitude", unset=True)
    amsl = number(raw.get("AMSLAltAboveTerrain"), f"{where}, AMSLAltAboveTerrain", unset=True)
    if mode is not None and is_positional(frame, command):
        shown = amsl if mode == AltitudeMode.CALC_ABOVE_TERRAIN else altitude
        name = "AMSLAltAboveTerrain" if mode == AltitudeMode.CALC_ABOVE_TERRAIN else "Altitude"
        if not math.isnan(shown) and abs(shown - item.z) > ALT_TOL_M:
            raise PlanFileError(
                f"{where}: {name} is {shown:g} m but the item flies at {item.z:g} m (params[6]); the editor and the "
                "vehicle would disagree, so it is refused"
            )
    jump_id = raw.get("doJumpId")
    return PlanItem(
        item,
        altitude_mode=mode,
        altitude=None if math.isnan(altitude) else altitude,
        amsl_alt_above_terrain=None if math.isnan(amsl) else amsl,
        do_jump_id=None if jump_id is None else integer(jump_id, f"{where}, doJumpId", lo=0),
    )


def _camera_alt(camera: object, where: str) -> tuple[float, bool]:
    """(altitude, relative) of a complex item from its CameraCalc; terrain-following is refused."""
    if not isinstance(camera, dict):
        raise PlanFileError(f"{where}: no CameraCalc (the survey's altitude is in CameraCalc.DistanceToSurface)")
    alt = number(camera.get("DistanceToSurface"), f"{where}, CameraCalc.DistanceToSurface", lo=0.5, hi=1e4)
    mode = camera.get("DistanceMode")
    if mode is None:
        relative = camera.get("DistanceToSurfaceRelative", True)
        return alt, bool(relative) if isinstance(relative, bool) else True
    mode = integer(mode, f"{where}, CameraCalc.DistanceMode", lo=1, hi=4)
    if mode in (AltitudeMode.CALC_ABOVE_TERRAIN, AltitudeMode.TERRAIN_FRAME):
        raise PlanFileError(
            f"{where}: the survey's altitude is above terrain (DistanceMode {mode}); gridpatrol has no terrain data "
            "to check heights against the fence ceiling, so it is refused: set the survey relative to home"
        )
    return alt, mode == AltitudeMode.RELATIVE


def _complex_item(raw: dict[str, Any], where: str) -> SurveyArea:
    kind = raw.get("complexItemType")
    if kind not in COMPLEX_KINDS:
        raise PlanFileError(f"{where}: complexItemType {kind!r} is not one of {', '.join(COMPLEX_KINDS)}")
    where = f"{where} ({kind})"
    if kind == "StructureScan":
        alt, relative = _camera_alt(raw.get("CameraCalc"), where)
        distance = alt  # for a structure, DistanceToSurface is the distance kept from its walls
        bottom = number(raw.get("Altitude"), f"{where}, Altitude", lo=0.5, hi=1e4)
        layers = integer(raw.get("Layers", 1), f"{where}, Layers", lo=1, hi=100)
        height = number(raw.get("StructureHeight", 0.0), f"{where}, StructureHeight", lo=0.0, hi=1e4)
        relative = raw.get("altitudeRelative", relative) is not False
        return SurveyArea(
            kind,
            where,
            _points(raw.get("polygon"), f"{where}, polygon", 3),
            bottom,
            relative,
            width_m=distance,
            layers=layers,
            layer_step_m=height / layers,
        )
    transect = raw.get("TransectStyleComplexItem")
    if not isinstance(transect, dict):
        raise PlanFileError(f"{where}: no TransectStyleComplexItem object")
    if transect.get("FollowTerrain") is True:
        raise PlanFileError(
            f"{where}: the survey follows terrain; gridpatrol has no terrain data to check its heights against the "
            "fence ceiling, so it is refused: turn terrain following off"
        )
    alt, relative = _camera_alt(transect.get("CameraCalc"), where)
    if kind == "CorridorScan":
        width = number(raw.get("CorridorWidth"), f"{where}, CorridorWidth", lo=0.5, hi=1e4)
        line = _points(raw.get("polyline"), f"{where}, polyline", 2)
        return SurveyArea(kind, where, line, alt, relative, width_m=width)
    return SurveyArea(kind, where, _points(raw.get("polygon"), f"{where}, polygon", 3), alt, relative)


def _fence(doc: dict[str, Any], where: str) -> list[GeoFenceZone]:
    zones: list[GeoFenceZone] = []
    for k, poly in enumerate(_list(doc, "polygons", where)):
        spot = f"{where} polygon {k}"
        if not isinstance(poly, dict) or not isinstance(poly.get("inclusion"), bool):
            raise PlanFileError(f"{spot} must be an object with 'inclusion' true or false and a 'polygon'")
        zones.append(GeoFenceZone(inclusion=poly["inclusion"], polygon=_points(poly.get("polygon"), spot, 3)))
    for k, circle in enumerate(_list(doc, "circles", where)):
        spot = f"{where} circle {k}"
        inner = circle.get("circle") if isinstance(circle, dict) else None
        if not isinstance(inner, dict) or not isinstance(circle.get("inclusion"), bool):
            raise PlanFileError(f"{spot} must be an object with 'inclusion' and 'circle': {{center, radius}}")
        center = _lat_lon(inner.get("center"), f"{spot}, center")
        radius = number(inner.get("radius"), f"{spot}, radius", lo=0.1, hi=1e6)
        zones.append(GeoFenceZone(inclusion=circle["inclusion"], center=center, radius_m=radius))
    old = doc.get("polygon")  # QGroundControl's older layout: one inclusion polygon
    if isinstance(old, list) and old:
        zones.append(GeoFenceZone(inclusion=True, polygon=_points(old, f"{where} polygon", 3)))
    return zones
