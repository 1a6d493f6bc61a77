"""Helpers for the command, safety, watchdog and ``fly`` tests: real plans of the example district, a simulator
standing at their launch site, a real MAVLink link to it, and plan files edited the way a person might.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from flight.fly_config import FlyConfig, SafetyConfig
from flight.link import MavLink
from flight.vehicle import Vehicle
from mission_planner.district_io import load_district
from mission_planner.geo_export import write_plan_outputs
from mission_planner.plan import Plan
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.qgc_plan import digest, read_qgc_plan
from sim import Simulator

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
#: The vehicle's lost-link timeout for flights at high speed-ups (FS_GCS_TIMEOUT, in its time): at speed-up 50 the
#: default 5 s is a tenth of a wall second, which a loaded machine can keep a heartbeat waiting; 30 s is 0.6 s.
SIM_GCS_TIMEOUT_S = 30.0
#: The same for ``gridpatrol`` run as a subprocess (settings from the environment).
SIM_GCS_ENV = {"GRIDPATROL_FLY__SAFETY__GCS_TIMEOUT_S": str(SIM_GCS_TIMEOUT_S)}
DISTRICT = REPO / "examples" / "district.geojson"
SPEEDUP = 50.0
GROUND_AMSL = 20.0
#: Simulated Hz (scaled by the speed-up, capped at 50 Hz wall): enough to follow, light on two shared cores.
RATES = {
    "GLOBAL_POSITION_INT": 1.0,
    "VFR_HUD": 1.0,
    "SYS_STATUS": 0.5,
    "GPS_RAW_INT": 0.5,
    "MISSION_CURRENT": 0.5,
    "EKF_STATUS_REPORT": 0.5,
    "HOME_POSITION": 0.2,
}


@lru_cache(maxsize=4)
def small_plan(grids: tuple[str, ...] = ("1",), drones: int = 1) -> Plan:
    """A real plan of small grids of the example district (perimeter pattern: short sorties, ~2 km each).

    Grids 1 and 4 with two drones: drone-1 flies grid 1 from launch site A, drone-2 grid 4 from B.
    """
    district = load_district(DISTRICT)
    return plan_patrol(district, PlanRequest(grids=list(grids), drones=drones, alt_m=40, patterns=["perimeter"]))


def write_plans(out: Path, grids: tuple[str, ...] = ("1",), drones: int = 1) -> list[Path]:
    """Write the plan's outputs as ``gridpatrol plan`` does; returns each drone's first ``.plan``."""
    write_plan_outputs(small_plan(grids, drones), load_district(DISTRICT), out)
    return sorted(out.glob("*-s1.plan"))


def launch_site(plan_file: Path) -> tuple[float, float]:
    """The planned home (lat, lon) of a ``.plan``."""
    lat, lon, _ = read_qgc_plan(plan_file).home
    return lat, lon


@contextlib.contextmanager
def sim_at(plan_file: Path, vehicles: int = 1, speedup: float = SPEEDUP) -> Iterator[Simulator]:
    """A simulator whose vehicle 1 stands at the plan's launch site (others 5 m apart, east)."""
    lat, lon = launch_site(plan_file)
    with Simulator(vehicles=vehicles, speedup=speedup, home=(lat, lon, GROUND_AMSL), base_port=0) as sim:
        yield sim


@contextlib.contextmanager
def connected(sim: Simulator, index: int = 0) -> Iterator[Vehicle]:
    """A real link to one simulated vehicle, with telemetry flowing (position, home, GPS fix known)."""
    with MavLink(sim.endpoints[index], heartbeat_timeout_s=1.0, rates=RATES) as link:
        v = link.wait_vehicle(timeout=10)
        v.wait_state(lambda s: s.has_position and s.home is not None and s.gps_fix is not None, timeout=10)
        yield v


def edit_plan(src: Path, dst: Path, change: Callable[[dict[str, Any]], None], *, restamp: bool) -> Path:
    """Copy a ``.plan`` with ``change`` applied to its JSON; ``restamp`` recomputes the planner's digests (as a
    buggy or malicious tool could), so only the leg check stands between the file and the vehicle."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    change(doc)
    dst.write_text(json.dumps(doc), encoding="utf-8")
    if restamp:
        plan = read_qgc_plan(dst)
        doc["gridpatrol"]["mission_sha256"] = digest(plan.mission)
        doc["gridpatrol"]["fence_sha256"] = digest(plan.fence)
        dst.write_text(json.dumps(doc), encoding="utf-8")
    return dst


def wait_until(what: str, done: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ground truth until ``done()``; fail the test saying what never happened."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def hold_when(sim: Simulator, what: str, done: Callable[[], bool], timeout: float = 90.0, step_s: float = 1.0) -> None:
    """Let the simulated clock run on in steps of ``step_s`` simulated seconds until ``done()``, then leave it held
    there (at most one step past that moment) until the test calls ``sim.hold_at(None)``.

    For what the ground station must do before the vehicle flies on (answer a Ctrl-C, a battery sag, a skip):
    however slow or loaded the machine, the simulated vehicle cannot finish its mission meanwhile. While held the
    simulator still answers commands (a mode change is seen in its ground truth) but sends no telemetry, so a
    command that waits for the heartbeat to confirm it completes once the clock runs again. ``timeout`` (wall
    seconds) only stops a test that would hang.
    """
    deadline = time.monotonic() + timeout
    mark = sim.sim_time + step_s
    sim.hold_at(mark)
    while not done():
        if time.monotonic() > deadline:
            sim.hold_at(None)
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        if sim.sim_time >= mark - 1e-6:
            mark = sim.sim_time + step_s
            sim.hold_at(mark)
        time.sleep(0.005)


def act_held(sim: Simulator, what: str, action: Callable[[], T], taken: Callable[[], bool], timeout: float = 60.0) -> T:
    """Run ``action`` (a command that waits for telemetry to confirm it) while the clock stands where
    :func:`hold_when` left it, let the clock run once ``taken()`` (the simulator's ground truth shows the command
    arrived) or ``action`` returned, and give back what ``action`` returned (or raise what it raised).

    The vehicle is exactly where the ground station saw it when the command lands, however slow the machine.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = action()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"held: {what}", daemon=True)
    worker.start()
    try:
        wait_until(what, lambda: taken() or not worker.is_alive(), timeout)
    finally:
        sim.hold_at(None)
    worker.join(timeout)
    assert not worker.is_alive(), f"{what}: still waiting after {timeout:g} s"
    if "error" in box:
        raise box["error"]
    return box["result"]


def fly_config(**safety: Any) -> FlyConfig:
    """``[fly]`` settings for flights on the fast simulator: the defaults, with :data:`SIM_GCS_TIMEOUT_S`."""
    return FlyConfig(safety=SafetyConfig(**{"gcs_timeout_s": SIM_GCS_TIMEOUT_S, **safety}))
