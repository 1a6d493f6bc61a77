"""The missions a patrol flies: planned at start from the district, or read from the planner's `.plan` files.

Either way every mission goes through :func:`flight.safety.check_plan_file` (the planner's stamp, every leg
inside the fence and outside the no-fly zones) before any drone is connected.
"""

from __future__ import annotations

from pathlib import Path

from flight.fly_config import FlyConfig
from flight.safety import CheckedMission, check_plan_file
from gridpatrol.config import Settings
from gridpatrol.station.config import DroneLink, RunConfig
from mission_planner.district import District
from mission_planner.district_io import load_district
from mission_planner.plan import Plan
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.profiles import CameraProfile
from mission_planner.qgc_plan import write_qgc_plan


def plan_for_run(run: RunConfig, settings: Settings, camera: CameraProfile) -> tuple[District, Plan]:
    """Plan the ``[run]`` grids for its drones (one planner drone per ``[[run.drones]]`` entry, in order)."""
    district = load_district(run.district)
    request = PlanRequest(
        grids=run.grids or None,
        drones=len(run.drones),
        alt_m=run.alt_m if run.alt_m is not None else settings.planner.alt_m,
        vehicle=settings.planner.vehicle,
        camera=camera,
        patterns=run.patterns or None,
    )
    return district, plan_patrol(district, request)


def write_missions(plan: Plan, run: RunConfig, out_dir: Path) -> dict[str, Path]:
    """Write each drone's sortie ``run.sortie`` to ``out_dir/<drone>-s<N>.plan``; keys are ``[run.drones]`` ids.

    Raises:
        ValueError: A drone has no such sortie (the plan needs fewer batteries than asked).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for link, drone in zip(run.drones, plan.drones, strict=False):
        if len(drone.sorties) < run.sortie:
            raise ValueError(
                f"{link.id} ({drone.drone_id} in the plan) has {len(drone.sorties)} sortie(s), not {run.sortie}; "
                "set [run] sortie to one it has"
            )
        path = out_dir / f"{link.id}-s{run.sortie}.plan"
        write_qgc_plan(plan, drone.sorties[run.sortie - 1], path)
        paths[link.id] = path
    return paths


def checked_missions(
    run: RunConfig, paths: dict[str, Path] | None, fly: FlyConfig
) -> list[tuple[DroneLink, CheckedMission]]:
    """Check every drone's ``.plan`` (from ``paths`` or ``[run] plan_dir``); refuses before anything connects."""
    missions = []
    for link in run.drones:
        if paths is not None and link.id in paths:
            path = paths[link.id]
        elif run.plan_dir is not None:
            path = run.plan_dir / f"{link.id}-s{run.sortie}.plan"
        else:
            raise ValueError(f"no mission for {link.id}: the plan has fewer drones than [[run.drones]]")
        if not path.is_file():
            raise ValueError(f"no mission file {path} for {link.id}; run `gridpatrol plan ... --out {path.parent}`")
        missions.append((link, check_plan_file(path, fly.safety)))
    return missions
