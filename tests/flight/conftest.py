"""Fixtures for the flight tests: a real simulator on free ports and a real MAVLink link to it.

``sim``: one simulated ArduCopter at 25x; ``link``: a :class:`flight.link.MavLink` over TCP to it (1 s link
timeout, low telemetry rates so that two shared cores keep up); ``vehicle``: its :class:`flight.vehicle.Vehicle`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flight.link import MavLink
from flight.vehicle import Vehicle
from sim import Simulator

SPEEDUP = 25.0
#: Simulated Hz; the simulator scales them by the speed-up (capped at 50 Hz wall per message).
TEST_RATES = {
    "GLOBAL_POSITION_INT": 1.0,
    "VFR_HUD": 0.5,
    "SYS_STATUS": 0.5,
    "GPS_RAW_INT": 0.5,
    "MISSION_CURRENT": 0.5,
    "EKF_STATUS_REPORT": 0.5,
    "HOME_POSITION": 0.2,
}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """One vehicle at 25x on a free port."""
    with Simulator(vehicles=1, speedup=SPEEDUP, base_port=0) as simulator:
        yield simulator


@pytest.fixture
def link(sim: Simulator) -> Iterator[MavLink]:
    """A TCP link to vehicle 1 of ``sim``."""
    with MavLink(sim.endpoints[0], heartbeat_timeout_s=1.0, rates=TEST_RATES) as mav_link:
        yield mav_link


@pytest.fixture
def vehicle(link: MavLink) -> Vehicle:
    """Vehicle 1, heard and with telemetry flowing (position and home known)."""
    v = link.wait_vehicle(timeout=10)
    v.wait_state(lambda s: s.lat is not None and s.home is not None, timeout=10)
    return v
