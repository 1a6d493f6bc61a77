"""A plan as MAVLink mission, fence and rally items: what ``flight/`` uploads and the exporters write.

ArduPilot conventions: mission item 0 is home (the launch site); altitudes are relative to home (frame 3); fence
polygons are vertex items that carry the vertex count in param1; circles carry the radius.
"""

from __future__ import annotations

from mission_planner.mission_items import Cmd, Frame, MissionItem
from mission_planner.plan import GeoFenceZone, Plan, Sortie

FENCE_POLYGON_INCLUSION = 5001
FENCE_POLYGON_EXCLUSION = 5002
FENCE_CIRCLE_INCLUSION = 5003
FENCE_CIRCLE_EXCLUSION = 5004
RALLY_POINT = 5100
MOUNT_MODE_MAVLINK_TARGETING = 2.0
SPEED_TYPE_GROUND = 1.0


def sortie_items(sortie: Sortie) -> list[MissionItem]:
    """The mission of one sortie: home, take-off, speed and gimbal set-up, waypoints with hovers, landing."""
    return [item for item, _ in _sortie_items_with_grids(sortie)]


def sortie_grid_runs(sortie: Sortie) -> dict[str, list[tuple[int, int]]]:
    """Per grid, the runs of consecutive mission items (first seq, last seq) that work on it.

    An item belongs to the grid of the waypoint it comes from (speed and gimbal set-up items included), so
    jumping to ``last + 1`` leaves out the whole run: what the station's "skip a grid" does.
    """
    runs: dict[str, list[tuple[int, int]]] = {}
    for item, grid in _sortie_items_with_grids(sortie):
        if grid is None:
            continue
        spans = runs.setdefault(grid, [])
        if spans and spans[-1][1] == item.seq - 1:
            spans[-1] = (spans[-1][0], item.seq)
        else:
            spans.append((item.seq, item.seq))
    return runs


def _sortie_items_with_grids(sortie: Sortie) -> list[tuple[MissionItem, str | None]]:
    wps = sortie.waypoints
    home = wps[0]
    items: list[tuple[MissionItem, str | None]] = [
        (MissionItem(0, Frame.GLOBAL, Cmd.NAV_WAYPOINT, current=1, x=home.lat, y=home.lon, z=0.0), None)
    ]

    def add(grid: str | None, frame: int, command: int, **fields: float) -> None:
        items.append((MissionItem(len(items), frame, command, **fields), grid))  # type: ignore[arg-type]

    add(None, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_TAKEOFF, x=home.lat, y=home.lon, z=home.alt_m)
    for wp in wps:
        g = wp.grid_id
        if wp.speed_ms is not None:
            add(g, Frame.MISSION, Cmd.DO_CHANGE_SPEED, param1=SPEED_TYPE_GROUND, param2=wp.speed_ms, param3=-1.0)
        if wp.gimbal_pitch_deg is not None:
            add(g, Frame.MISSION, Cmd.DO_MOUNT_CONTROL, param1=wp.gimbal_pitch_deg, z=MOUNT_MODE_MAVLINK_TARGETING)
        if wp.kind == "takeoff":
            continue
        if wp.kind == "land":
            add(g, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_LAND, x=wp.lat, y=wp.lon, z=0.0)
        else:
            add(g, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_WAYPOINT, param1=wp.hold_s, x=wp.lat, y=wp.lon, z=wp.alt_m)
    return items


def zone_items(zones: list[GeoFenceZone]) -> list[MissionItem]:
    """Fence zones as MAVLink fence items (mission_type 1)."""
    items: list[MissionItem] = []
    for zone in zones:
        if zone.polygon is not None:
            cmd = FENCE_POLYGON_INCLUSION if zone.inclusion else FENCE_POLYGON_EXCLUSION
            for lat, lon in zone.polygon:
                items.append(
                    MissionItem(len(items), Frame.GLOBAL, cmd, param1=len(zone.polygon), x=lat, y=lon, mission_type=1)
                )
        elif zone.center is not None and zone.radius_m is not None:
            cmd = FENCE_CIRCLE_INCLUSION if zone.inclusion else FENCE_CIRCLE_EXCLUSION
            items.append(
                MissionItem(
                    len(items),
                    Frame.GLOBAL,
                    cmd,
                    param1=zone.radius_m,
                    x=zone.center[0],
                    y=zone.center[1],
                    mission_type=1,
                )
            )
    return items


def items_to_zones(items: list[MissionItem]) -> list[GeoFenceZone]:
    """Fence items back to zones (the inverse of :func:`zone_items`)."""
    zones: list[GeoFenceZone] = []
    k = 0
    while k < len(items):
        item = items[k]
        if item.command in (FENCE_CIRCLE_INCLUSION, FENCE_CIRCLE_EXCLUSION):
            zones.append(
                GeoFenceZone(
                    inclusion=item.command == FENCE_CIRCLE_INCLUSION, center=(item.x, item.y), radius_m=item.param1
                )
            )
            k += 1
        elif item.command in (FENCE_POLYGON_INCLUSION, FENCE_POLYGON_EXCLUSION):
            n = int(item.param1)
            if n < 3 or k + n > len(items):
                raise ValueError(f"fence item {k}: a polygon needs 3 or more vertices, param1 says {n}")
            zones.append(
                GeoFenceZone(
                    inclusion=item.command == FENCE_POLYGON_INCLUSION, polygon=[(v.x, v.y) for v in items[k : k + n]]
                )
            )
            k += n
        else:
            raise ValueError(f"fence item {k}: command {item.command} is not a fence command")
    return zones


def fence_items(plan: Plan) -> list[MissionItem]:
    """The plan's geofence (inclusion fence, no-fly exclusions) as MAVLink fence items.

    Polygons come first, then circles: the order a ``.plan`` file keeps them in, so digests agree.
    """
    return zone_items([z for z in plan.fence if z.polygon is not None] + [z for z in plan.fence if z.polygon is None])


def rally_items(plan: Plan) -> list[MissionItem]:
    """The launch sites as rally points (mission_type 2), at the patrol altitude."""
    return [
        MissionItem(i, Frame.GLOBAL_RELATIVE_ALT, RALLY_POINT, x=lat, y=lon, z=plan.alt_m, mission_type=2)
        for i, (lat, lon) in enumerate(plan.rally)
    ]
