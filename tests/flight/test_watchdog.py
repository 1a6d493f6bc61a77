"""Ground-side watchdogs against the real simulator: battery reserve -> one RTL, lost link -> alarm, fence breach
-> report."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import SPEEDUP, connected, wait_until

from flight.commands import Commander
from flight.vehicle import Vehicle
from flight.watchdog import Watchdog, WatchEvent
from mission_planner.geo import LocalFrame
from sim import Simulator

HOME = (30.5440, 114.2950, 20.0)
FRAME = LocalFrame(HOME[1], HOME[0])


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(vehicles=1, speedup=SPEEDUP, home=HOME, base_port=0) as simulator:
        yield simulator


@pytest.fixture
def vehicle(sim: Simulator) -> Iterator[Vehicle]:
    with connected(sim) as v:
        yield v


def _hover(vehicle: Vehicle, alt: float = 15.0) -> Commander:
    cmd = Commander(vehicle)
    cmd.set_mode("GUIDED")
    cmd.arm()
    cmd.takeoff(alt)
    return cmd


def _kinds(events: list[WatchEvent]) -> list[str]:
    return [e.kind for e in events]


def test_battery_below_reserve_returns_home_once(sim: Simulator, vehicle: Vehicle) -> None:
    vehicle.set_param("BATT_LOW_VOLT", 0)  # the vehicle's own failsafe off: only the watchdog can act
    cmd = _hover(vehicle)
    seen: list[WatchEvent] = []
    with Watchdog(vehicle, cmd, reserve_pct=30, on_event=seen.append) as dog:
        dog.check()
        assert dog.events == []  # a full battery is no event
        sim.vehicle(0).sag_battery(75)
        wait_until("the watchdog's RTL", lambda: bool(seen))
        assert sim.vehicle(0).mode == "RTL"
        assert _kinds(seen) == ["battery_rtl"] and "below the 30 % reserve" in seen[0].text
        cmd.set_mode("GUIDED")  # the operator takes over: the watchdog must not fight them
        vehicle.wait_state(lambda s: s.mode == "GUIDED", timeout=5)
        for _ in range(5):
            dog.check()
        assert sim.vehicle(0).mode == "GUIDED" and _kinds(dog.events) == ["battery_rtl"]
    assert not any("Battery 1 is low" in text for _, _, text in sim.vehicle(0).statustext)


def test_no_rtl_on_the_ground(sim: Simulator, vehicle: Vehicle) -> None:
    sim.vehicle(0).sag_battery(90)
    dog = Watchdog(vehicle, Commander(vehicle), reserve_pct=30)
    vehicle.wait_state(lambda s: s.battery_pct is not None and s.battery_pct < 30, timeout=5)
    assert dog.check() == [] and not dog.rtl_sent


def test_lost_link_raises_an_alarm_and_leaves_the_vehicle_to_its_failsafe(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = _hover(vehicle)
    alarms: list[WatchEvent] = []
    with Watchdog(vehicle, cmd, reserve_pct=20, on_event=alarms.append):
        # simulated seconds: about 2.5 s of wall time; the link times out after 1 s. The clock stands still
        # until the alarm (the cut cannot end first, however slow the machine); the vehicle's own lost-link
        # failsafe counts its time, so it waits too
        sim.vehicle(0).cut_link(2.5 * SPEEDUP)
        sim.hold_at(sim.sim_time)
        try:
            wait_until("the lost-link alarm", lambda: "link_lost" in _kinds(alarms), timeout=30)
        finally:
            sim.hold_at(None)
        assert "lost-link failsafe takes over" in alarms[0].text
        assert sim.vehicle(0).mode == "GUIDED"  # the watchdog sent nothing: no commands into a dead link
        wait_until("the link coming back", lambda: "link_back" in _kinds(alarms), timeout=10)
    assert _kinds(alarms) == ["link_lost", "link_back"]


def test_fence_breach_is_reported(sim: Simulator, vehicle: Vehicle) -> None:
    from flight.mission_protocol import FENCE, upload_verified
    from mission_planner.mavlink_items import zone_items
    from mission_planner.plan import GeoFenceZone

    square = [FRAME.to_lonlat(x, y) for x, y in ((-40, -40), (40, -40), (40, 40), (-40, 40))]
    zone = GeoFenceZone(inclusion=True, polygon=[(float(lat), float(lon)) for lon, lat in square])
    upload_verified(vehicle, zone_items([zone]), FENCE)
    for name, value in (("FENCE_TYPE", 4), ("FENCE_ACTION", 0), ("FENCE_ENABLE", 1)):  # report only
        vehicle.set_param(name, value)
    vehicle.request_rates({"FENCE_STATUS": 2.0})
    cmd = _hover(vehicle, 10.0)
    seen: list[WatchEvent] = []
    with Watchdog(vehicle, cmd, reserve_pct=20, on_event=seen.append):
        lon, lat = FRAME.to_lonlat(80.0, 0.0)
        cmd.goto(float(lat), float(lon), 10.0, timeout_s=30)
        wait_until("the breach report", lambda: "fence_breach" in _kinds(seen), timeout=5)
    assert sim.vehicle(0).fence_breach_count >= 1
    assert any("FENCE BREACH" in e.text for e in seen)
