"""ArduCopter SITL for the flight tests: a real autopilot homed at a plan's launch site, ready to arm.

Skips when ``ARDUPILOT_SITL`` is unset (the Makefile sets it when ``../shared/sitl/arducopter`` exists). The SITL
tests number their instances 0-2 within the block of instances this test process reserved (:mod:`sitl_slots`: a
parallel worker or another test run gets another block); SITL exits with the process that started it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flightkit import REPO, write_plans
from sitl_slots import sitl_instance

from flight.link import MavLink
from mission_planner.qgc_plan import read_qgc_plan
from sim.sitl import ArduPilotSITL

#: The speed-up the issue asks the SITL tests to run at.
SITL_SPEEDUP = 10.0
#: Ground altitude of the SITL home (AMSL m); the plans' home altitude is not used by the vehicle.
GROUND_AMSL = 20.0
#: Bounds only a hang: a flight of the perimeter of grid 1 takes about 30 s of wall time at speed-up 10.
CLI_TIMEOUT_S = 300
#: The vehicles' lost-link failsafe in these tests (FS_GCS_TIMEOUT, simulated seconds): at speed-up 10 the 5 s default
#: is half a second of wall time, which a busy 2-core machine can hold the station's heartbeat thread for; the
#: failsafe itself is the subject of the lost-link test only, which keeps the default.
GCS_TIMEOUT_S = 30.0


def need_sitl() -> str:
    """The SITL binary, or skip the test with the reason."""
    binary = os.environ.get("ARDUPILOT_SITL")
    if not binary:
        pytest.skip("ARDUPILOT_SITL is not set: point it to an ArduCopter SITL binary to run the SITL tests")
    return binary


@contextlib.contextmanager
def sitl_at(
    plan_file: Path, instance: int = 0, *, speedup: float = SITL_SPEEDUP, defaults: dict[str, float] | None = None
) -> Iterator[ArduPilotSITL]:
    """An ArduCopter SITL homed at the plan's launch site, with a 3-D GPS fix and a healthy EKF (``instance``
    counts within this process's block, :func:`sitl_slots.sitl_instance`)."""
    lat, lon, _ = read_qgc_plan(plan_file).home
    binary = need_sitl()
    with ArduPilotSITL(binary, home=(lat, lon, GROUND_AMSL, 0.0), instance=sitl_instance(instance), speedup=speedup,
                       defaults=defaults) as sitl:  # fmt: skip
        wait_ready(sitl.endpoint)
        yield sitl


def wait_ready(endpoint: str, timeout_s: float = 120.0) -> None:
    """Wait until the vehicle has booted, has a 3-D fix and a healthy EKF (it refuses uploads before)."""
    with MavLink(endpoint) as link:
        vehicle = link.wait_vehicle(timeout=30)
        vehicle.wait_state(
            lambda s: s.has_position and (s.gps_fix or 0) >= 3 and bool(s.ekf_ok) and s.home is not None,
            timeout=timeout_s,
        )


def sitl_plans(out: Path) -> list[Path]:
    """drone-1 around grid 1 from launch site A, drone-2 around grid 4 from B (perimeters: short sorties)."""
    need_sitl()
    return write_plans(out, grids=("1", "4"), drones=2)


def gridpatrol_cli(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """``python -m gridpatrol ARGS`` to its end, with the SITL tests' lost-link failsafe (:data:`GCS_TIMEOUT_S`)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200", YOLO_OFFLINE="1")
    env["GRIDPATROL_FLY__SAFETY__GCS_TIMEOUT_S"] = str(GCS_TIMEOUT_S)
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=CLI_TIMEOUT_S, **kw,
    )  # fmt: skip
