"""Write a plan for people and other tools: GeoJSON and KML maps, QGroundControl and Mission Planner files.

:func:`write_plan_outputs` writes, into one folder:

- ``plan.json``: the whole plan (``Plan`` model), readable by ``gridpatrol`` again;
- ``plan.geojson`` / ``plan.kml``: grids, fence, no-fly zones, launch sites, and each sortie's route (a line in its
  drone's colour) and waypoints, for QGIS, Google Earth or a web map;
- per sortie ``<drone>-s<k>.plan`` (QGroundControl, with fence and rally points) and ``<drone>-s<k>.waypoints``
  (Mission Planner), the files ``gridpatrol fly`` and ground stations load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, mapping

from mission_planner.district import District
from mission_planner.kml import geojson_to_kml
from mission_planner.mavlink_items import sortie_items
from mission_planner.plan import Plan
from mission_planner.qgc_plan import write_qgc_plan
from mission_planner.waypoints_file import write_waypoints

# Distinct colours (RGB hex) for drones, chosen to read on a light map and for colour-blind viewers.
DRONE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def drone_colour(index: int) -> str:
    """The colour of the drone at this position in the plan."""
    return DRONE_COLOURS[index % len(DRONE_COLOURS)]


def _kml_colour(rgb: str) -> str:
    r, g, b = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"ff{b}{g}{r}".lower()


def plan_to_geojson(plan: Plan, district: District) -> dict[str, Any]:
    """The plan and its district as a GeoJSON FeatureCollection (lon/lat)."""
    feats: list[dict[str, Any]] = []

    def add(geom: Any, **props: Any) -> None:
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(geom)})

    for f in district.fences:
        add(f.geometry, kind="fence", name=f.name, max_alt_m=f.max_alt_m)
    covered = {g.grid_id: g for g in plan.grids}
    for g in district.grids:
        extra = {"coverage_pct": round(covered[g.id].coverage_pct, 2)} if g.id in covered else {}
        add(g.geometry, kind="grid", id=g.id, name=g.name, priority=g.priority, patterns=list(g.patterns), **extra)
    for z in district.nofly:
        add(z.geometry, kind="nofly", id=z.id, name=z.name, margin_m=z.margin_m)
    for s in district.launches:
        add(s.geometry, kind="launch", id=s.id, name=s.name)
    for d, drone in enumerate(plan.drones):
        colour = drone_colour(d)
        for sortie in drone.sorties:
            line = LineString([(w.lon, w.lat) for w in sortie.waypoints])
            add(
                line,
                kind="route",
                style=_kml_colour(colour),
                stroke=colour,
                drone=drone.drone_id,
                sortie=sortie.index + 1,
                grids=sortie.grid_ids,
                length_m=round(sortie.length_m, 1),
                duration_min=round(sortie.duration_s / 60, 2),
                energy_pct=round(sortie.energy_pct, 1),
                start_min=round(sortie.start_s / 60, 2),
            )
            for k, w in enumerate(sortie.waypoints):
                if w.kind in ("takeoff", "land") or w.hold_s > 0:
                    add(
                        Point(w.lon, w.lat),
                        kind="waypoint",
                        drone=drone.drone_id,
                        sortie=sortie.index + 1,
                        seq=k,
                        waypoint=w.kind,
                        alt_m=w.alt_m,
                        hold_s=w.hold_s,
                    )
    return {"type": "FeatureCollection", "name": f"{plan.district} patrol", "features": feats}


def plan_to_kml(plan: Plan, district: District) -> str:
    """The plan as KML, each drone's routes in its own colour."""
    return geojson_to_kml(plan_to_geojson(plan, district))


def sortie_stem(drone_id: str, index: int) -> str:
    """File name stem of one sortie: ``drone-1-s1``."""
    return f"{drone_id}-s{index + 1}"


def write_plan_outputs(plan: Plan, district: District, out_dir: Path) -> list[Path]:
    """Write every output of a plan into ``out_dir`` (created if needed); returns the files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def write(name: str, text: str) -> None:
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        files.append(path)

    write("plan.json", plan.model_dump_json(indent=1) + "\n")
    write("plan.geojson", json.dumps(plan_to_geojson(plan, district), ensure_ascii=False, indent=1) + "\n")
    write("plan.kml", plan_to_kml(plan, district))
    for sortie in plan.sorties:
        stem = sortie_stem(sortie.drone_id, sortie.index)
        write_qgc_plan(plan, sortie, out_dir / f"{stem}.plan")
        write_waypoints(sortie_items(sortie), out_dir / f"{stem}.waypoints")
        files += [out_dir / f"{stem}.plan", out_dir / f"{stem}.waypoints"]
    return files
