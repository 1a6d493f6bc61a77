"""Benchmark of ``gridpatrol fly``'s engine: pre-flight (checks, fence, rally, failsafe parameters, mission, each
verified by read-back) and whole planned patrols, flown against the simulator on loopback TCP.

1. Pre-flight of the example district's grid-1 sortie at 0 % (baseline) and 5 % packet loss: wall seconds from
   connecting to "everything verified", and whether the vehicle then holds exactly the planned mission.
2. The whole patrol (take-off, AUTO, landing at home) for one drone (baseline) and for two drones at once (grid 1
   from launch site A, grid 4 from B, one simulator each): wall seconds, simulated seconds flown, the achieved
   speed-up, items reached in order, landing distance from home, and the ground station's CPU seconds
   (``time.process_time`` of this process, which also runs the simulators: an upper bound).

Usage: ``python benchmarks/fly.py [--speedup 50] [--loss 5]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flight.commands import distance_m  # noqa: E402
from flight.fly import MissionFlight  # noqa: E402
from flight.fly_config import FlyConfig, SafetyConfig  # noqa: E402
from flight.safety import CheckedMission, check_plan_file  # noqa: E402
from flight.watchdog import Watchdog  # noqa: E402
from mission_planner.district_io import load_district  # noqa: E402
from mission_planner.geo_export import write_plan_outputs  # noqa: E402
from mission_planner.planner import PlanRequest, plan_patrol  # noqa: E402
from sim import Simulator  # noqa: E402

DISTRICT = ROOT / "examples" / "district.geojson"


def plans(out: Path) -> list[CheckedMission]:
    """Grid 1 from launch site A and grid 4 from B (perimeter), checked as ``gridpatrol fly`` checks them."""
    district = load_district(DISTRICT)
    plan = plan_patrol(district, PlanRequest(grids=["1", "4"], drones=2, alt_m=40, patterns=["perimeter"]))
    write_plan_outputs(plan, district, out)
    return [check_plan_file(p, SafetyConfig()) for p in sorted(out.glob("*-s1.plan"))]


def simulator(checked: CheckedMission, speedup: float) -> Simulator:
    lat, lon, _ = checked.plan.home
    return Simulator(vehicles=1, speedup=speedup, home=(lat, lon, 20.0), base_port=0, seed=3)


def preflight(checked: CheckedMission, speedup: float, loss: float) -> tuple[float, bool]:
    """(seconds, the vehicle holds the planned mission) of connect + prepare."""
    with simulator(checked, speedup) as sim:
        sim.vehicle(0).set_packet_loss(loss)
        flight = MissionFlight(checked, sim.endpoints[0], FlyConfig())
        start = time.perf_counter()
        flight.connect()
        flight.prepare()
        elapsed = time.perf_counter() - start
        assert flight.link is not None
        flight.link.close()
        stored = sim.vehicle(0).mission
        ok = len(stored) == len(checked.plan.mission) and all(
            a.command == b.command and abs(a.x - b.x) < 2e-7 and abs(a.y - b.y) < 2e-7 and abs(a.z - b.z) < 0.01
            for a, b in zip(stored[1:], checked.plan.mission[1:], strict=True)
        )
        return elapsed, ok


def patrol(missions: list[CheckedMission], speedup: float) -> list[dict[str, float]]:
    """Fly every mission at once (one simulator each); per drone: wall s, sim s, reached ok, landing offset."""
    sims = [simulator(m, speedup).start() for m in missions]
    try:
        flights = [MissionFlight(m, s.endpoints[0], FlyConfig()) for m, s in zip(missions, sims, strict=True)]
        rows: list[dict[str, float]] = [{} for _ in flights]

        def fly(k: int) -> None:
            f, sim = flights[k], sims[k]
            start, sim_start = time.perf_counter(), sim.sim_time
            f.connect()
            f.prepare()
            assert f.vehicle is not None and f.commander is not None
            with Watchdog(f.vehicle, f.commander, reserve_pct=20):
                f.launch()
                f.follow()
            assert f.link is not None
            f.link.close()
            v = sim.vehicle(0)
            lat, lon, _, _ = v.position
            rows[k] = {
                "wall_s": time.perf_counter() - start,
                "sim_s": sim.sim_time - sim_start,
                "in_order": float([s for s, _ in v.reached] == f.checked.nav_seqs),
                "items": float(len(v.reached)),
                "from_home_m": distance_m(lat, lon, v.home[0], v.home[1]),
            }

        threads = [threading.Thread(target=fly, args=(k,)) for k in range(len(flights))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return rows
    finally:
        for s in sims:
            s.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speedup", type=float, default=50.0)
    parser.add_argument("--loss", type=float, default=5.0, help="packet loss %% for the pre-flight case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        missions = plans(Path(tmp))
    first = missions[0].plan
    print(f"pre-flight of {missions[0].path.name} ({len(first.mission)} mission items, {len(first.fence)} fence "
          f"items, {len(first.rally)} rally points, 13 parameters)")  # fmt: skip
    base, base_ok = preflight(missions[0], args.speedup, 0.0)
    lossy, lossy_ok = preflight(missions[0], args.speedup, args.loss)
    print(f"  0 % loss (baseline): {base:.2f} s, vehicle holds the plan: {base_ok}")
    print(f"  {args.loss:g} % loss: {lossy:.2f} s ({lossy / base:.1f}x the baseline), vehicle holds the plan: "
          f"{lossy_ok}")  # fmt: skip

    for label, chosen in (("1 drone (baseline)", missions[:1]), ("2 drones at once", missions)):
        cpu0 = time.process_time()
        rows = patrol(chosen, args.speedup)
        cpu = time.process_time() - cpu0
        print(f"patrol, {label}, {args.speedup:g}x: CPU {cpu:.1f} s for this process (simulators included)")
        for m, r in zip(chosen, rows, strict=True):
            print(f"  {m.path.stem}: {r['wall_s']:.1f} s wall, {r['sim_s']:.0f} s simulated "
                  f"({r['sim_s'] / r['wall_s']:.1f}x achieved), {int(r['items'])}/{m.waypoints} items, in order: "
                  f"{bool(r['in_order'])}, landed {r['from_home_m']:.1f} m from home")  # fmt: skip
        if label.startswith("1"):
            base_wall = rows[0]["wall_s"]
        else:
            print(f"  drone-1 wall time with a second drone flying: {rows[0]['wall_s'] / base_wall:.2f}x the baseline")


if __name__ == "__main__":
    main()
