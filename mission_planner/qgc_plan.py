"""QGroundControl ``.plan`` files: write one per sortie, read any (ours or another ground station's).

The layout follows what QGroundControl writes (fileType "Plan", mission items as SimpleItem with seven params,
home as ``plannedHomePosition``, ``geoFence`` polygons and circles, ``rallyPoints``); the JSON itself is read and
written by :mod:`mission_planner.qgc_json`, strictly (no NaN in or out). We add a ``gridpatrol`` object holding
SHA-256 digests of the mission and fence: ``flight/`` treats a file as planner-validated only when the digests
still match. A file without them (another ground station's, or edited) is checked again against a fence before it
can fly (see :func:`flight.safety.check_plan_file`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path

from mission_planner.mavlink_items import (
    RALLY_POINT,
    fence_items,
    items_to_zones,
    rally_items,
    sortie_grid_runs,
    sortie_items,
    zone_items,
)
from mission_planner.mission_items import Frame, MissionItem
from mission_planner.plan import GeoFenceZone, Plan, Sortie
from mission_planner.plan_doc import PlanDocument, PlanFileError, from_mission, is_positional
from mission_planner.qgc_json import read_plan_document, write_plan_document


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
    #: Whether the file carries a planner stamp at all (``validated`` says whether it still matches).
    stamped: bool = False


def digest(items: list[MissionItem]) -> str:
    """SHA-256 of a list of items (what the planner validated)."""
    canonical = [[*map(int, astuple(i)[:5]), *map(float, astuple(i)[5:12]), i.mission_type] for i in items]
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()


def write_qgc_plan(plan: Plan, sortie: Sortie, path: Path) -> None:
    """Write one sortie, with the plan's fence and rally points, as a QGroundControl ``.plan``, stamped."""
    mission = sortie_items(sortie)
    rally = [(r.x, r.y, r.z) for r in rally_items(plan)]
    doc = from_mission(mission, fence=_polygons_first(plan), rally=rally)
    stamp = {
        "validated": True,
        "district": plan.district,
        "drone": sortie.drone_id,
        "sortie": sortie.index + 1,
        "mission_sha256": digest(mission),
        "fence_sha256": digest(fence_items(plan)),
        "grid_items": {g: [list(r) for r in runs] for g, runs in sortie_grid_runs(sortie).items()},
    }
    speed = plan.vehicle.cruise_speed_ms
    write_plan_document(
        replace(doc, stamp=stamp, cruise_speed_ms=speed, hover_speed_ms=speed, global_altitude_mode=1), path
    )


def _polygons_first(plan: Plan) -> list[GeoFenceZone]:
    """The plan's fence zones in the order a ``.plan`` keeps them (polygons, then circles), so digests agree."""
    return [z for z in plan.fence if z.polygon is not None] + [z for z in plan.fence if z.polygon is None]


def read_qgc_plan(path: Path) -> QgcPlanFile:
    """Read a ``.plan`` file into MAVLink items, every number checked (see :mod:`mission_planner.plan_doc`).

    Raises:
        PlanFileError: With the key or item at fault when the file is not a readable plan, a number is NaN,
            infinite or out of range, or it holds a survey to re-plan first (``gridpatrol plan import``).
    """
    return plan_file_of(read_plan_document(path), str(path))


def plan_file_of(doc: PlanDocument, where: str) -> QgcPlanFile:
    """The flyable items of a document: DO_JUMP targets as seq numbers, unset x/y of positionless items as 0
    (MISSION_ITEM_INT carries integers there), fence zones as fence items, rally points relative to home."""
    mission = [item if is_positional(item.frame, item.command) else _zero_unset_xy(item) for item in doc.mission(where)]
    fence = zone_items(doc.fence)
    rally = [
        MissionItem(i, Frame.GLOBAL_RELATIVE_ALT, RALLY_POINT, x=lat, y=lon, z=alt, mission_type=2)
        for i, (lat, lon, alt) in enumerate(doc.rally)
    ]
    stamp = doc.stamp or {}
    validated = (
        stamp.get("validated") is True
        and stamp.get("mission_sha256") == digest(mission)
        and stamp.get("fence_sha256") == digest(fence)
    )
    grid_items = _grid_items(stamp.get("grid_items") or {}, len(mission), where)
    return QgcPlanFile(mission, fence, rally, doc.home, validated, grid_items, stamped=doc.stamp is not None)


def _zero_unset_xy(item: MissionItem) -> MissionItem:
    x = 0.0 if math.isnan(item.x) else item.x
    y = 0.0 if math.isnan(item.y) else item.y
    return replace(item, x=x, y=y) if (x, y) != (item.x, item.y) else item


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


__all__ = [
    "PlanFileError",
    "QgcPlanFile",
    "digest",
    "items_to_zones",
    "plan_file_of",
    "read_qgc_plan",
    "write_qgc_plan",
]
