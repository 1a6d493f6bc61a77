"""``gridpatrol fly`` on the real autopilot: ArduCopter SITL at speed-up 10, homed at the plan's launch site
(``gridpatrol run`` on two of them: test_sitl_run.py, a module of its own so that a second test worker takes it).

Skipped without ``ARDUPILOT_SITL``. What these flights found (issue 12) is what the simulator and the flight code
now do as ArduCopter does: read-backs compared with what the vehicle keeps, MISSION_ITEM_INT always, MISSION_START
with zero parameters, heartbeats in the vehicle's time, battery thresholds from the pack, success judged from
MISSION_CURRENT and the landed state.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import edit_plan, wait_until
from relay import Relay
from sitlkit import CLI_TIMEOUT_S, GCS_TIMEOUT_S, gridpatrol_cli, sitl_at, sitl_plans

from flight.fly import MissionFlight
from flight.fly_config import FlyConfig, SafetyConfig
from flight.items import load_plan
from flight.link import MavLink
from flight.mission_protocol import MISSION, upload_verified
from flight.safety import check_plan_file

pytestmark = pytest.mark.sitl


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return sitl_plans(tmp_path_factory.mktemp("sitl-patrol"))


def test_fly_cli_flies_a_patrol_on_arducopter_and_lands_home(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sitl_at(plans[0], instance=0) as sitl:
        done = gridpatrol_cli(["fly", str(plans[0]), "--connect", sitl.endpoint, "--yes"])
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert f"all {len(checked.nav_seqs)} items reached" in " ".join(out.split()), out


def test_holds_and_acceptance_radii_verify_on_arducopter(plans: list[Path], tmp_path: Path) -> None:
    """A plan with fractional holds and acceptance radii uploads and verifies: ArduCopter keeps whole seconds and
    no radius, and the verification knows it (it still catches any real difference: test_mission_protocol)."""

    def holds(doc: dict[str, Any]) -> None:
        for n, item in enumerate(i for i in doc["mission"]["items"] if i["command"] == 16):
            item["params"][0], item["params"][1] = 2.5 + n % 3, 3.0  # hold 2.5-4.5 s, accept within 3 m

    plan = load_plan(edit_plan(plans[0], tmp_path / "holds.plan", holds, restamp=True))
    with sitl_at(plans[0], instance=1) as sitl, MavLink(sitl.endpoint) as link:
        vehicle = link.wait_vehicle(timeout=30)
        back = upload_verified(vehicle, plan.mission, MISSION)
    waypoints = [(sent, got) for sent, got in zip(plan.mission, back, strict=True) if sent.command == 16]
    assert waypoints and all(got.param1 == int(sent.param1) and got.param2 == 0 for sent, got in waypoints[1:])
    assert all((got.x, got.y) == (sent.x, sent.y) for sent, got in waypoints[1:])  # to the 1e-7 degree


def _fly_with_fault(plan: Path, instance: int, fault: dict[str, float], after_items: int = 2) -> Any:
    """Fly ``plan`` on a fresh SITL and set SITL's own simulation parameters ``fault`` once ``after_items``
    navigation items are behind it; returns the flight's status (the flight must end by itself)."""
    checked = check_plan_file(plan, SafetyConfig())
    with sitl_at(plan, instance=instance) as sitl:
        safety = SafetyConfig(reserve_pct=0, gcs_timeout_s=GCS_TIMEOUT_S)
        flight = MissionFlight(checked, sitl.endpoint, FlyConfig(safety=safety))
        runner = threading.Thread(target=flight.run)
        runner.start()
        try:
            wait_until("the patrol under way", lambda: len(flight.status.reached) >= after_items or
                       flight.status.done, timeout=CLI_TIMEOUT_S)  # fmt: skip
            assert flight.vehicle is not None and not flight.status.done, flight.status.detail
            for name, value in fault.items():
                flight.vehicle.set_param(name, value)
        finally:
            runner.join(timeout=CLI_TIMEOUT_S)
        assert not runner.is_alive(), "the flight hung"
    return flight.status


def test_low_battery_failsafe_brings_it_home_and_the_station_says_so(plans: list[Path]) -> None:
    """SITL's pack sags below the low-voltage threshold mid-patrol (SIM_BATT_VOLTAGE): the vehicle's own failsafe
    (BATT_LOW_VOLT, set for its 3 cells) returns it home, and the station says so in words without hanging."""
    status = _fly_with_fault(plans[0], 2, {"SIM_BATT_VOLTAGE": 10.2})  # 3.4 V per cell, below 3.5
    texts = " | ".join(e.text for e in status.events)
    assert any(e.kind == "failsafe" and "battery" in e.text.lower() for e in status.events), texts
    assert status.phase == "landed" and status.missing, (status.phase, status.detail)
    assert status.landed_from_home_m is not None and status.landed_from_home_m < 10.0


def test_gps_loss_makes_the_vehicle_land_and_the_station_says_so(plans: list[Path]) -> None:
    """GPS lost mid-patrol (SIM_GPS1_ENABLE 0): ArduCopter's EKF failsafe lands where it is; the station reports
    the failsafe and the flight ends landed, short of its items, without hanging."""
    status = _fly_with_fault(plans[0], 2, {"SIM_GPS1_ENABLE": 0})
    texts = " | ".join(e.text for e in status.events)
    assert any(e.kind == "failsafe" for e in status.events), texts
    assert status.done and status.missing, (status.phase, status.detail)


def test_lost_link_mid_patrol_the_vehicle_returns_and_the_station_says_so(plans: list[Path]) -> None:
    """The radio goes out of range mid-patrol (a relay drops every byte both ways for 10 simulated seconds and
    more): ArduCopter's GCS failsafe (FS_GCS_ENABLE, set by the station) brings it home; the station raises the
    lost-link alarm, sees the link come back, and follows the landing without hanging."""
    checked = check_plan_file(plans[0], SafetyConfig())
    port = _free_udp_port()
    with sitl_at(plans[0], instance=2) as sitl, Relay(sitl.endpoint, "udp").to_udp(port) as relay:
        flight = MissionFlight(checked, f"udpin:127.0.0.1:{port}", FlyConfig(safety=SafetyConfig(reserve_pct=0)))
        runner = threading.Thread(target=flight.run)
        runner.start()
        try:
            wait_until("the patrol under way", lambda: len(flight.status.reached) >= 2 or flight.status.done,
                       timeout=CLI_TIMEOUT_S)  # fmt: skip
            relay.blocked.set()  # the vehicle's 5 s GCS failsafe acts long before our 3 s (wall) link timeout
            wait_until("the lost-link alarm", lambda: any(e.kind == "link_lost" for e in flight.status.events),
                       timeout=CLI_TIMEOUT_S)  # fmt: skip
        finally:
            relay.blocked.clear()
            runner.join(timeout=CLI_TIMEOUT_S)
        assert not runner.is_alive(), "the flight hung"
    status = flight.status
    kinds = [e.kind for e in status.events]
    assert kinds[0] == "link_lost" and "link_back" in kinds, kinds
    assert status.phase == "landed" and status.missing, (status.phase, status.detail)
    assert status.landed_from_home_m is not None and status.landed_from_home_m < 10.0


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
