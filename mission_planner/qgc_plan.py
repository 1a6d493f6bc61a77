"""QGroundControl ``.plan`` files: write one per sortie, read any (ours or QGroundControl's).

The layout follows what QGroundControl writes (fileType "Plan", mission items as SimpleItem with seven params,
home as ``plannedHomePosition``, ``geoFence`` polygons and circles, ``rallyPoints``). We add a ``gridpatrol`` object
holding SHA-256 digests of the mission and fence: ``flight/`` treats a file as planner-validated only when the
digests still match, so a hand-edited route is checked again before it can fly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from mission_planner.mavlink_items import (
    fence_items,
    items_to_zones,
    rally_items,
    sortie_grid_runs,
    sortie_items,
    zone_items,
)
from mission_planner.mission_items import Cmd, Frame, MissionItem
from mission_planner.plan import GeoFenceZone, Plan, Sortie

# Commands whose lat/lon/alt params are not positions: QGroundControl writes them as 0 or null.
POSITIONLESS = {Cmd.DO_CHANGE_SPEED, Cmd.DO_MOUNT_CONTROL, Cmd.NAV_RETURN_TO_LAUNCH, Cmd.DO_GIMBAL_MANAGER_PITCHYAW}


class PlanFileError(ValueError):
    """A ``.plan`` file that cannot be read; the message names the item or key."""


@dataclass(frozen=True)
class QgcPlanFile:
    """What a ``.plan`` file holds, as MAVLink items (mission item 0 is home)."""

    mission: list[MissionItem]
    fence: list[MissionItem]
    rally: list[MissionItem]
    home: tuple[float, float, float]
    validated: bool
    #: Per grid, the runs of mission items (first, last seq) working on it (``gridpatrol.grid_items``).
    grid_items: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def digest(items: list[MissionItem]) -> str:
    """SHA-256 of a list of items (what the planner validated)."""
    canonical = [[*map(int, astuple(i)[:5]), *map(float, astuple(i)[5:12]), i.mission_type] for i in items]
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()


def write_qgc_plan(plan: Plan, sortie: Sortie, path: Path) -> None:
    """Write one sortie, with the plan's fence and rally points, as a QGroundControl ``.plan``."""
    mission = sortie_items(sortie)
    fence = fence_items(plan)
    home = mission[0]
    doc = {
        "fileType": "Plan",
        "geoFence": _fence_json(plan.fence),
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": plan.vehicle.cruise_speed_ms,
            "firmwareType": 3,  # MAV_AUTOPILOT_ARDUPILOTMEGA
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": plan.vehicle.cruise_speed_ms,
            "items": [_item_json(i) for i in mission[1:]],
            "plannedHomePosition": [home.x, home.y, home.z],
            "vehicleType": 2,  # MAV_TYPE_QUADROTOR
            "version": 2,
        },
        "rallyPoints": {"points": [[r.x, r.y, r.z] for r in rally_items(plan)], "version": 2},
        "version": 1,
        "gridpatrol": {
            "validated": True,
            "district": plan.district,
            "drone": sortie.drone_id,
            "sortie": sortie.index + 1,
            "mission_sha256": digest(mission),
            "fence_sha256": digest(fence),
            "grid_items": {g: [list(r) for r in runs] for g, runs in sortie_grid_runs(sortie).items()},
        },
    }
    path.write_text(json.dumps(doc, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")


def read_qgc_plan(path: Path) -> QgcPlanFile:
    """Read a ``.plan`` file into MAVLink items.

    Raises:
        PlanFileError: With the key or item at fault when the file is not a readable plan.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise PlanFileError(f'{path} is not a QGroundControl plan (fileType must be "Plan")')
    mission_doc = doc.get("mission")
    if not isinstance(mission_doc, dict):
        raise PlanFileError(f"{path}: no 'mission' object")
    home_pos = mission_doc.get("plannedHomePosition")
    if not (isinstance(home_pos, list) and len(home_pos) == 3):
        raise PlanFileError(f"{path}: mission.plannedHomePosition must be [lat, lon, alt]")
    home = (float(home_pos[0]), float(home_pos[1]), float(home_pos[2]))
    mission = [MissionItem(0, Frame.GLOBAL, Cmd.NAV_WAYPOINT, current=1, x=home[0], y=home[1], z=home[2])]
    for k, raw in enumerate(mission_doc.get("items", [])):
        mission.append(_item_from_json(raw, len(mission), f"{path}: mission item {k + 1}"))
    fence = zone_items(_fence_zones(doc.get("geoFence") or {}, str(path)))
    rally = [
        MissionItem(i, Frame.GLOBAL_RELATIVE_ALT, 5100, x=float(p[0]), y=float(p[1]), z=float(p[2]), mission_type=2)
        for i, p in enumerate((doc.get("rallyPoints") or {}).get("points", []))
    ]
    stamp = doc.get("gridpatrol") or {}
    validated = (
        stamp.get("validated") is True
        and stamp.get("mission_sha256") == digest(mission)
        and stamp.get("fence_sha256") == digest(fence)
    )
    grid_items = _grid_items(stamp.get("grid_items") or {}, len(mission), str(path))
    return QgcPlanFile(mission, fence, rally, home, validated, grid_items)


def _grid_items(raw: object, count: int, where: str) -> dict[str, list[tuple[int, int]]]:
    """The stamp's ``grid_items`` ({grid: [[first, last], ...]}), each run inside the mission's items."""
    if not isinstance(raw, dict):
        raise PlanFileError(f"{where}: gridpatrol.grid_items must be an object {{grid: [[first, last], ...]}}")
    out: dict[str, list[tuple[int, int]]] = {}
    for grid, runs in raw.items():
        ok = isinstance(runs, list) and all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(v, int) for v in r) and 0 < r[0] <= r[1] < count
            for r in runs
        )
        if not ok:
            raise PlanFileError(
                f"{where}: gridpatrol.grid_items[{grid!r}] must list [first, last] item numbers between 1 and "
                f"{count - 1}; plan it again with `gridpatrol plan`"
            )
        out[str(grid)] = [(int(r[0]), int(r[1])) for r in runs]
    return out


def _item_json(item: MissionItem) -> dict[str, Any]:
    positionless = item.command in POSITIONLESS
    return {
        "AMSLAltAboveTerrain": None,
        "Altitude": item.z,
        "AltitudeMode": 1,
        "autoContinue": bool(item.autocontinue),
        "command": int(item.command),
        "doJumpId": item.seq,
        "frame": int(item.frame),
        "params": [
            item.param1,
            item.param2,
            item.param3,
            item.param4,
            0 if positionless else item.x,
            0 if positionless else item.y,
            item.z,
        ],
        "type": "SimpleItem",
    }


def _item_from_json(raw: object, seq: int, where: str) -> MissionItem:
    if not isinstance(raw, dict):
        raise PlanFileError(f"{where} is not an object")
    if raw.get("type") != "SimpleItem":
        raise PlanFileError(
            f"{where}: only SimpleItem is supported, got {raw.get('type')!r} (flatten surveys in QGroundControl first)"
        )
    params = raw.get("params")
    if not (isinstance(params, list) and len(params) == 7):
        raise PlanFileError(f"{where}: 'params' must be a list of 7 numbers")
    try:
        p = [float("nan") if v is None else float(v) for v in params]
        return MissionItem(
            seq,
            int(raw["frame"]),
            int(raw["command"]),
            0,
            int(bool(raw.get("autoContinue", True))),
            p[0],
            p[1],
            p[2],
            p[3],
            p[4],
            p[5],
            p[6],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{where}: bad value ({exc})") from None


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


def _fence_zones(fence: dict[str, Any], where: str) -> list[GeoFenceZone]:
    try:
        zones = [
            GeoFenceZone(inclusion=bool(p["inclusion"]), polygon=[(float(a), float(b)) for a, b in p["polygon"]])
            for p in fence.get("polygons", [])
        ]
        zones += [
            GeoFenceZone(
                inclusion=bool(c["inclusion"]),
                center=tuple(c["circle"]["center"]),
                radius_m=float(c["circle"]["radius"]),
            )
            for c in fence.get("circles", [])
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{where}: unreadable geoFence ({exc})") from None
    return zones


__all__ = ["PlanFileError", "QgcPlanFile", "digest", "items_to_zones", "read_qgc_plan", "write_qgc_plan"]
