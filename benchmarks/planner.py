"""Planner benchmark: planning time, coverage quality and makespan, against QGroundControl's survey baseline.

For generated districts of 10, 100 and 1000 grids and the bundled example:
- planning time of the whole patrol for 1, 2 and 4 drones, and the makespan (time until the patrol is done);
- coverage path length divided by the lower bound (flyable area / line spacing), and turns;
- in the same run, the baseline QGroundControl's survey flies (sweep the convex hull at a fixed angle): its length,
  turns and the metres it flies outside the grid.

Run: ``.venv/bin/python benchmarks/planner.py [--sizes 10,100,1000] [--markdown]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mission_planner.coverage import baseline_hull_sweep, plan_coverage
from mission_planner.district import District
from mission_planner.district_io import district_from_geojson, load_district
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.profiles import CameraProfile, VehicleProfile
from mission_planner.synthetic import synthetic_district

ALT_M = 40.0
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "district.geojson"


def coverage_quality(district: District, camera: CameraProfile, vehicle: VehicleProfile) -> dict[str, float]:
    """Our coverage routes and the convex-hull baseline over every grid, summed."""
    spacing = camera.line_spacing_m(ALT_M)
    swath, along = camera.footprint_m(ALT_M)
    penalty_m = vehicle.turn_penalty_s * vehicle.cruise_speed_ms
    ours_len = ours_turns = base_len = base_turns = base_out = bound = ours_out = 0.0
    ours_t = base_t = 0.0
    for grid in district.grids:
        flyable = grid.local.intersection(district.allowed)
        parts = [p for p in shapely.get_parts(flyable) if p.geom_type == "Polygon" and p.area >= 1.0]
        if not parts:
            continue
        bound += sum(p.area for p in parts) / spacing
        t0 = time.perf_counter()
        routes = [plan_coverage(grid.id, p, spacing, swath, along, penalty_m) for p in parts]
        t1 = time.perf_counter()
        base = baseline_hull_sweep(grid.id, grid.local, spacing, 0.0)
        t2 = time.perf_counter()
        ours_t += t1 - t0
        base_t += t2 - t1
        for route, part in zip(routes, parts, strict=True):
            ours_len += route.length_m
            ours_turns += route.turns()
            ours_out += route.line().difference(part.buffer(0.01)).length
        base_len += base.length_m
        base_turns += base.turns()
        base_out += base.line().difference(grid.local.buffer(0.01)).length
    return {
        "ours_len_ratio": ours_len / bound,
        "ours_turns": ours_turns,
        "ours_out_m": ours_out,
        "base_len_ratio": base_len / bound,
        "base_turns": base_turns,
        "base_out_m": base_out,
        "ours_s": ours_t,
        "base_s": base_t,
    }


def plan_times(district: District, drones: int, repeats: int) -> tuple[float, float, int]:
    """Median planning time (s), makespan (min) and sortie count for a whole patrol."""
    times = []
    plan = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        plan = plan_patrol(district, PlanRequest(drones=drones, alt_m=ALT_M))
        times.append(time.perf_counter() - t0)
    assert plan is not None
    return statistics.median(times), plan.makespan_s / 60.0, len(plan.sorties)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="generated district sizes (grids)")
    parser.add_argument("--drones", default="1,2,4")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table for docs/benchmarks.md")
    args = parser.parse_args()
    camera, vehicle = CameraProfile(), VehicleProfile()
    cases: list[tuple[str, District]] = [("example", load_district(EXAMPLE))]
    for n in [int(s) for s in args.sizes.split(",") if s]:
        cases.append((f"{n} grids", district_from_geojson(synthetic_district(n, seed=n), f"synthetic-{n}")))
    fleet = [int(d) for d in args.drones.split(",")]

    rows = []
    for name, district in cases:
        q = coverage_quality(district, camera, vehicle)
        row: dict[str, object] = {"district": name, "grids": len(district.grids), **q}
        for d in fleet:
            repeats = 3 if len(district.grids) <= 100 else 1
            seconds, makespan, sorties = plan_times(district, d, repeats)
            row[f"plan_s_{d}"] = seconds
            row[f"makespan_min_{d}"] = makespan
            row[f"sorties_{d}"] = sorties
        rows.append(row)
        print(f"{name}: {row}", flush=True)

    area_km2 = {name: shapely.union_all([g.local for g in d.grids]).area / 1e6 for name, d in cases}
    head = [
        "district",
        "grids",
        "km²",
        *[f"plan s ({d} dr)" for d in fleet],
        *[f"makespan min ({d} dr)" for d in fleet],
        "length / bound",
        "turns",
        "outside m",
        "baseline length / bound",
        "baseline turns",
        "baseline outside m",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["district"]), str(r["grids"]), f"{area_km2[str(r['district'])]:.2f}"]
        cells += [f"{r[f'plan_s_{d}']:.2f}" for d in fleet]
        cells += [f"{r[f'makespan_min_{d}']:.0f}" for d in fleet]
        cells += [
            f"{r['ours_len_ratio']:.3f}",
            f"{r['ours_turns']:.0f}",
            f"{r['ours_out_m']:.1f}",
            f"{r['base_len_ratio']:.3f}",
            f"{r['base_turns']:.0f}",
            f"{r['base_out_m']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
