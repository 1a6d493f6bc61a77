"""Telemetry state from the simulator's streams: a short mission flown in AUTO shows in mission_seq /
mission_reached / mode / armed / altitude; GPS loss shows in gps_fix and ekf_ok; statustext is kept."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight import mission_protocol as mp
from flight.state import STATUSTEXT_KEEP, VehicleState
from flight.telemetry import apply, message_id
from flight.vehicle import Vehicle
from mission_planner.mission_items import MissionItem
from sim import Simulator

CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED


def test_flown_mission_shows_in_state(sim: Simulator, vehicle: Vehicle) -> None:
    home = vehicle.state.home
    assert home is not None
    lat, lon = round(home[0] * 1e7), round(home[1] * 1e7)
    north = (lat + 1500) / 1e7  # ~17 m north
    mission = [
        MissionItem(0, 0, 16, current=1, x=lat / 1e7, y=lon / 1e7),
        MissionItem(1, 3, 22, x=lat / 1e7, y=lon / 1e7, z=8.0),
        MissionItem(2, 3, 16, x=north, y=lon / 1e7, z=8.0),
        MissionItem(3, 3, 21, x=north, y=lon / 1e7),
    ]
    mp.upload_verified(vehicle, mission)
    vehicle.command_long(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 4)  # GUIDED
    vehicle.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    vehicle.command_long(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 3)  # AUTO
    high = vehicle.wait_state(lambda s: s.alt_rel_m is not None and s.alt_rel_m > 6, timeout=10)
    assert high.mode == "AUTO" and high.armed
    # As on ArduCopter, the final LAND is never reported reached (it disarms first, then rewinds to item 1).
    landed = vehicle.wait_state(lambda s: not s.armed and s.mission_seq == 1, timeout=20)
    assert landed.alt_rel_m is not None and landed.alt_rel_m < 0.5 and landed.mission_reached == 2
    assert landed.lat is not None and abs(landed.lat - (lat + 1500) / 1e7) < 2e-5
    texts = [t for _when, _sev, t in landed.statustext]
    assert any("Reached command #2" in t for t in texts)
    assert [seq for seq, _ in sim.vehicle(0).reached] == [1, 2, 3]


def test_gps_loss_shows_in_state(sim: Simulator, vehicle: Vehicle) -> None:
    vehicle.wait_state(lambda s: s.ekf_ok is True and s.gps_fix == 3, timeout=5)
    sim.vehicle(0).lose_gps(60.0)
    lost = vehicle.wait_state(lambda s: s.ekf_ok is False and s.gps_fix == 1, timeout=5)
    assert lost.satellites == 0


def test_apply_is_pure_and_keeps_recent_texts() -> None:
    state = VehicleState(sysid=3)
    for k in range(STATUSTEXT_KEEP + 5):
        nxt = apply(state, mavlink.MAVLink_statustext_message(6, f"text {k}".encode(), 0, 0), "ardupilot", now=k)
        assert nxt is not None and nxt is not state
        state = nxt
    assert len(state.statustext) == STATUSTEXT_KEEP and state.statustext[-1] == (STATUSTEXT_KEEP + 4, 6, "text 24")
    hb = mavlink.MAVLink_heartbeat_message(2, 12, mavlink.MAV_MODE_FLAG_SAFETY_ARMED, 4 << 16 | 4 << 24, 4, 3)
    px4 = apply(state, hb, "px4", now=1.0)
    assert px4 is not None and px4.mode == "AUTO.MISSION" and px4.armed and px4.last_heartbeat == 1.0
    assert apply(state, mavlink.MAVLink_system_time_message(0, 0), "ardupilot") is None
    assert message_id("attitude") == 30
