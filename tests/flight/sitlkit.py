"""ArduCopter SITL for the flight tests: a real autopilot homed at a plan's launch site, ready to arm.

Skips when ``ARDUPILOT_SITL`` is unset (the Makefile sets it when ``../shared/sitl/arducopter`` exists). The SITL
tests number their instances 0-2 within the block of instances this test process reserved (:mod:`sitl_slots`: a
parallel worker or another test run gets another block); SITL exits with the process that started it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitl_slots import sitl_instance

from flight.link import MavLink
from mission_planner.qgc_plan import read_qgc_plan
from sim.sitl import ArduPilotSITL

#: The speed-up the issue asks the SITL tests to run at.
SITL_SPEEDUP = 10.0
#: Ground altitude of the SITL home (AMSL m); the plans' home altitude is not used by the vehicle.
GROUND_AMSL = 20.0


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
