"""Measure what ArduCopter SITL's quad really spends of its battery, to size the planner's ``sitl-quad`` profile.

Plans a patrol of the example district with the given cruise speed and a 25-minute endurance (or a named
profile, ``--profile sitl-quad``), starts one SITL vehicle at the sortie's launch site (``ARDUPILOT_SITL``,
instance 3 by default so that it does not collide with the SITL tests on instances 0-2), flies it with
:class:`flight.fly.MissionFlight` as ``gridpatrol fly`` does, and samples the vehicle's own clock
(``time_boot_ms``), armed state, ground speed and ``battery_remaining`` (SYS_STATUS / BATTERY_STATUS) all along.
Prints the battery used per simulated minute airborne, split into moving (ground speed above 3 m/s) and
hovering/climbing samples, the endurance to 0 % that follows, and what the planner had predicted for the sortie.

Usage: ``ARDUPILOT_SITL=../shared/sitl/arducopter python benchmarks/sitl_battery.py [--profile sitl-quad]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flight.fly import MissionFlight  # noqa: E402
from flight.fly_config import FlyConfig, SafetyConfig  # noqa: E402
from flight.safety import check_plan_file  # noqa: E402
from mission_planner.district_io import load_district  # noqa: E402
from mission_planner.geo_export import write_plan_outputs  # noqa: E402
from mission_planner.planner import PlanRequest, plan_patrol  # noqa: E402
from mission_planner.profiles import VehicleProfile, vehicle_profile  # noqa: E402
from sim.sitl import ArduPilotSITL  # noqa: E402

DISTRICT = ROOT / "examples" / "district.geojson"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cruise", type=float, default=10.0, help="cruise speed of the plan (m/s)")
    parser.add_argument("--speedup", type=float, default=10.0)
    parser.add_argument("--instance", type=int, default=3)
    parser.add_argument("--grids", default="1", help="grids to patrol (comma-separated)")
    parser.add_argument("--pattern", default="perimeter")
    parser.add_argument("--alt", type=float, default=30.0)
    parser.add_argument("--profile", help="plan with this named profile (sitl-quad) instead of a 25-min one")
    parser.add_argument("--json", type=Path, help="also write the samples here")
    args = parser.parse_args()

    out = Path(tempfile.mkdtemp(prefix="sitl-battery-"))
    vehicle = VehicleProfile(name="measure", cruise_speed_ms=args.cruise, endurance_min=25.0)
    if args.profile:
        vehicle = vehicle_profile(args.profile)
    request = PlanRequest(
        grids=args.grids.split(","), drones=1, alt_m=args.alt, vehicle=vehicle, patterns=[args.pattern]
    )
    plan = plan_patrol(load_district(DISTRICT), request)
    write_plan_outputs(plan, load_district(DISTRICT), out)
    sortie = plan.sorties[0]
    checked = check_plan_file(out / "drone-1-s1.plan", SafetyConfig())
    lat, lon, _ = checked.plan.home
    print(
        f"sortie: {sortie.length_m:.0f} m, planned {sortie.duration_s / 60:.2f} min at "
        f"{vehicle.cruise_speed_ms:g} m/s, {sortie.energy_pct:.0f} % ({vehicle.name}, {vehicle.endurance_min:g} min)"
    )

    samples: list[dict[str, Any]] = []
    with ArduPilotSITL.from_env(home=(lat, lon, 20.0, 0.0), instance=args.instance, speedup=args.speedup) as sitl:
        flight = MissionFlight(checked, sitl.endpoint, FlyConfig())
        thread = threading.Thread(target=flight.run, daemon=True)
        thread.start()
        while flight.vehicle is None and thread.is_alive():
            time.sleep(0.1)
        boot: list[float] = [0.0]

        def on_msg(msg: Any) -> None:  # receive thread: note the vehicle's own clock
            boot[0] = msg.time_boot_ms / 1000.0

        if flight.vehicle is not None:
            flight.vehicle.subscribe(on_msg, {"GLOBAL_POSITION_INT"})
        while thread.is_alive():
            v = flight.vehicle
            if v is not None:
                s = v.state
                samples.append(
                    {"t": boot[0], "armed": s.armed, "pct": s.battery_pct, "v": s.voltage_v,
                     "gs": s.groundspeed_ms, "alt": s.alt_rel_m, "mode": s.mode}
                )  # fmt: skip
            time.sleep(0.2)
        thread.join()
    print(f"flight: {flight.status.phase} {flight.status.detail} error={flight.status.error}")
    report(samples, sortie.duration_s, sortie.energy_pct)
    if args.json:
        args.json.write_text(json.dumps(samples))


def report(samples: list[dict[str, Any]], planned_s: float, planned_pct: float) -> None:
    """Battery used per simulated minute airborne (moving and not) and the endurance it implies."""
    air = [s for s in samples if s["armed"] and s["pct"] is not None and s["t"] > 0]
    if len(air) < 2:
        print("too few airborne samples")
        return
    moving = hover = 0.0
    used_moving = used_hover = 0.0
    for a, b in itertools.pairwise(air):
        dt, dp = b["t"] - a["t"], a["pct"] - b["pct"]
        if dt <= 0:
            continue
        if (a["gs"] or 0.0) > 3.0:
            moving, used_moving = moving + dt, used_moving + dp
        else:
            hover, used_hover = hover + dt, used_hover + dp
    total_s = air[-1]["t"] - air[0]["t"]
    used = air[0]["pct"] - air[-1]["pct"]
    rate = used / (total_s / 60.0)
    print(f"airborne {total_s / 60:.2f} sim min, battery {air[0]['pct']:.0f} % -> {air[-1]['pct']:.0f} %: "
          f"{used:.0f} % used, {rate:.1f} %/min, endurance to 0 % {100 / rate:.1f} min")  # fmt: skip
    if moving > 0:
        print(f"  moving: {moving / 60:.2f} min, {used_moving / (moving / 60):.1f} %/min")
    if hover > 0:
        print(f"  hovering/climbing: {hover / 60:.2f} min, {used_hover / (hover / 60):.1f} %/min")
    print(f"planner predicted {planned_s / 60:.2f} min, {planned_pct:.0f} %")
    volts = [s["v"] for s in air if s["v"]]
    if volts:
        print(f"voltage {max(volts):.2f} V -> {min(volts):.2f} V")


if __name__ == "__main__":
    main()
