"""Flying: AUTO mission at speed-up, failsafes, fence, gimbal and camera pose, several vehicles, link cuts."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from pymavlink import mavutil
from simgcs import command, connect, item, set_mode, set_param, upload, wait_for

from sim import Simulator

mavlink = mavutil.mavlink
LAT, LON = 30.5440, 114.2950


def _arm_takeoff(master: Any, sim: Simulator, alt: float = 10.0, index: int = 0) -> None:
    assert set_mode(master, "GUIDED").result == mavlink.MAV_RESULT_ACCEPTED
    assert command(master, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == mavlink.MAV_RESULT_ACCEPTED
    assert command(master, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt).result == 0
    wait_for(lambda: sim.vehicle(index).position[2] > alt - 0.6, 15, "takeoff")


def _patrol(master: Any) -> list[Any]:
    """Takeoff, a 4-leg square of ~80 m with a hold, a speed change, a gimbal command, then RTL."""
    d = 0.0004
    return [
        item(master, 0, 16, LAT, LON, 20, frame=0),
        item(master, 1, 22, alt=25),
        item(master, 2, 178, p1=1, p2=12),  # DO_CHANGE_SPEED 12 m/s
        item(master, 3, 205, p1=-45, p3=10),  # DO_MOUNT_CONTROL pitch -45, yaw 10
        item(master, 4, 16, LAT + d, LON, 25, p1=2),  # hold 2 s
        item(master, 5, 16, LAT + d, LON + d, 30),
        item(master, 6, 16, LAT, LON + d, 30, p2=5),  # 5 m acceptance radius
        item(master, 7, 19, LAT, LON, 25, p1=3),  # LOITER_TIME 3 s
        item(master, 8, 20),  # RTL
    ]


def test_auto_mission_visits_all_waypoints_in_order_and_lands_home(sim: Simulator, gcs: Any) -> None:
    set_param(gcs, "RTL_LOIT_TIME", 1000)
    assert upload(gcs, _patrol(gcs)) == mavlink.MAV_MISSION_ACCEPTED
    _arm_takeoff(gcs, sim, alt=5)
    start = time.monotonic()
    assert set_mode(gcs, "AUTO").result == mavlink.MAV_RESULT_ACCEPTED
    reached: list[int] = []
    v = sim.vehicle(0)
    while time.monotonic() - start < 40 and v.armed:
        msg = gcs.recv_match(type="MISSION_ITEM_REACHED", blocking=True, timeout=1)
        if msg is not None:
            reached.append(msg.seq)
    assert not v.armed, "the vehicle should have landed and disarmed"
    assert [seq for seq, _ in v.reached] == [1, 4, 5, 6, 7, 8]  # what was flown
    # What ArduCopter reports: one pending report per channel, so TAKEOFF (1) is replaced by the DO items after it
    # before it goes out; the final RTL is never reported (the vehicle disarms first).
    assert reached == [3, 4, 5, 6, 7]
    times = [t for _, t in v.reached]
    assert times == sorted(times)
    lat, lon, alt, _ = v.position
    assert alt == 0.0
    home = v.home
    assert math.hypot((lat - home[0]) * 111_000, (lon - home[1]) * 96_000) < 1.5
    assert v.gimbal == pytest.approx((-45.0, 10.0))
    wall = time.monotonic() - start
    # Requested 25x; the clock is decoupled from the wall, so even a loaded CI machine stays well above 10x.
    assert v.reached[-1][1] / wall > 12, "simulated time should run at the requested speed-up"
    texts = [t for _, _, t in v.statustext]
    assert "Mission: 4 WP" in texts and "Reached command #4" in texts


def test_rtl_on_low_battery(sim: Simulator, gcs: Any) -> None:
    set_param(gcs, "BATT_FS_LOW_ACT", 2)
    set_param(gcs, "BATT_LOW_TIMER", 2)
    _arm_takeoff(gcs, sim)
    v = sim.vehicle(0)
    v.sag_battery(75)
    wait_for(lambda: v.mode == "RTL", 10, "battery failsafe RTL")
    assert any(t.startswith("Battery 1 is low") for _, _, t in v.statustext)
    wait_for(lambda: not v.armed, 20, "landing after RTL")


def test_gcs_failsafe_when_heartbeats_stop(sim: Simulator, gcs: Any) -> None:
    """The GCS failsafe counts in simulated time, as ArduCopter's does (SITL at speed-up 25 trips the same way)."""
    _arm_takeoff(gcs, sim)
    v = sim.vehicle(0)
    gcs.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
    wait_for(lambda: v.last_gcs_heartbeat is not None, 5, "the heartbeat to arrive")
    last = v.last_gcs_heartbeat
    set_param(gcs, "FS_GCS_TIMEOUT", 2)
    set_param(gcs, "FS_GCS_ENABLE", 1)
    wait_for(lambda: v.mode == "RTL", 10, "GCS failsafe RTL")
    failsafe_at = next(t for t, _, text in v.statustext if text == "GCS Failsafe")
    assert last is not None and failsafe_at - last >= 2.0  # simulated seconds since our last heartbeat


def test_fence_breach_triggers_rtl(sim: Simulator, gcs: Any) -> None:
    d = 0.0005  # ~50 m
    corners = [(LAT - d, LON - d), (LAT - d, LON + d), (LAT + d, LON + d), (LAT + d, LON - d)]
    fence = [item(gcs, i, 5001, la, lo, p1=4, frame=5, mission_type=1) for i, (la, lo) in enumerate(corners)]
    assert upload(gcs, fence, mission_type=1) == mavlink.MAV_MISSION_ACCEPTED
    set_param(gcs, "FENCE_ENABLE", 1)
    set_param(gcs, "FENCE_ALT_MAX", 40)
    _arm_takeoff(gcs, sim)
    v = sim.vehicle(0)
    target = (LAT + 3 * d, LON)
    ack = command(gcs, mavlink.MAV_CMD_DO_REPOSITION, -1, 0, 0, math.nan, *target, 10)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    wait_for(lambda: v.mode == "RTL", 15, "fence breach RTL")
    assert "Fence Breached" in [t for _, _, t in v.statustext]
    assert v.position[0] < LAT + 1.3 * d


def test_altitude_fence(sim: Simulator, gcs: Any) -> None:
    set_param(gcs, "FENCE_ENABLE", 1)
    set_param(gcs, "FENCE_TYPE", 1)  # altitude only
    set_param(gcs, "FENCE_ALT_MAX", 15)
    set_mode(gcs, "GUIDED")
    assert command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == mavlink.MAV_RESULT_ACCEPTED
    assert command(gcs, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20).result == 0  # through 15 m
    wait_for(lambda: sim.vehicle(0).mode == "RTL", 10, "altitude fence RTL")
    assert sim.vehicle(0).position[2] < 17


def test_gimbal_commands_and_camera_pose(sim: Simulator, gcs: Any) -> None:
    _arm_takeoff(gcs, sim, alt=20)
    v = sim.vehicle(0)
    assert command(gcs, mavlink.MAV_CMD_DO_MOUNT_CONTROL, -30, 0, 15, 0, 0, 0, 2).result == 0
    assert v.gimbal == (-30.0, 15.0)
    assert command(gcs, mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -60, -20, math.nan, math.nan, 0).result == 0
    assert v.gimbal == (-60.0, -20.0)
    # Look at a ground point 20 m east: pitch -45 degrees, yaw east relative to the heading.
    lat, lon, alt, _ = v.position
    east = (lat, lon + 20 / 96_000)
    assert command(gcs, mavlink.MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, *east, 0).result == 0
    pose = v.camera_pose()
    assert pose.gimbal_pitch == pytest.approx(-math.degrees(math.atan2(alt, 20)), abs=1.5)
    assert (pose.yaw + pose.gimbal_yaw) % 360 == pytest.approx(90, abs=2)
    assert pose.alt_rel == pytest.approx(20, abs=0.6)
    assert pose.time > 0


def test_multiple_vehicles_have_own_ids_and_ports() -> None:
    with Simulator(vehicles=3, speedup=25, base_port=0) as sim:
        masters = [connect(e) for e in sim.endpoints]
        try:
            assert [m.target_system for m in masters] == [1, 2, 3]
            assert len(set(sim.endpoints)) == 3
            _arm_takeoff(masters[1], sim, alt=8, index=1)
            assert sim.vehicle(1).armed and not sim.vehicle(0).armed and not sim.vehicle(2).armed
            assert sim.vehicle(2).position[1] > sim.vehicle(0).position[1]  # spawned apart
        finally:
            for m in masters:
                m.close()


def test_link_cut_then_recovers(sim: Simulator, gcs: Any) -> None:
    v = sim.vehicle(0)
    gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=5)
    v.cut_link(2.0 * 25)  # simulated seconds (speed-up 25): about 2 s of wall time
    time.sleep(0.1)
    while gcs.recv_match(blocking=False) is not None:  # drain what was in flight
        pass
    assert gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=1.0) is None
    assert gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=5) is not None


def test_gps_loss_lands(sim: Simulator, gcs: Any) -> None:
    _arm_takeoff(gcs, sim)
    v = sim.vehicle(0)
    v.lose_gps(120)
    wait_for(lambda: v.mode == "LAND", 5, "EKF failsafe LAND")
    for _ in range(300):  # skip the reports queued before the loss
        gps = gcs.recv_match(type="GPS_RAW_INT", blocking=True, timeout=5)
        if gps.fix_type < 3:
            break
    assert gps.fix_type < 3 and gps.satellites_visible == 0


def test_shared_link_carries_every_vehicle() -> None:
    with Simulator(vehicles=2, speedup=25, base_port=0, shared_port=0) as sim:
        assert sim.shared_endpoint is not None
        master = mavutil.mavlink_connection(sim.shared_endpoint, source_system=255, dialect="ardupilotmega")
        try:
            ids: set[int] = set()
            deadline = time.monotonic() + 5
            while ids != {1, 2} and time.monotonic() < deadline:
                hb = master.recv_match(type="HEARTBEAT", blocking=True, timeout=1)
                if hb is not None:
                    ids.add(hb.get_srcSystem())
            assert ids == {1, 2}
            master.target_system = 2
            assert set_mode(master, "LOITER").result == mavlink.MAV_RESULT_ACCEPTED
            wait_for(lambda: sim.vehicle(1).mode == "LOITER", 5, "vehicle 2 in LOITER")
            assert sim.vehicle(0).mode == "STABILIZE"
        finally:
            master.close()


def test_wind_drift_without_gps(gcs: Any, sim: Simulator) -> None:
    v = sim.vehicle(0)
    set_param(gcs, "SIM_WIND_SPD", 6)
    set_param(gcs, "SIM_WIND_DIR", 0)  # from the north: blows south
    _arm_takeoff(gcs, sim, alt=30)
    lat0 = v.position[0]
    v.lose_gps(600)
    wait_for(lambda: v.mode == "LAND", 5, "EKF failsafe LAND")
    wait_for(lambda: (lat0 - v.position[0]) * 111_000 > 20, 10, "drift south with the wind")


def test_battery_failsafe_report_only_keeps_flying(sim: Simulator, gcs: Any) -> None:
    set_param(gcs, "BATT_LOW_TIMER", 1)
    assert set_param(gcs, "BATT_FS_LOW_ACT", 0) == 0
    _arm_takeoff(gcs, sim)
    v = sim.vehicle(0)
    v.sag_battery(75)
    wait_for(lambda: any(t.startswith("Battery 1 is low") for _, _, t in v.statustext), 5, "low battery text")
    sim.wait_sim_time(5)
    assert v.mode == "GUIDED" and v.armed


def test_rtl_goes_to_the_nearest_rally_point(sim: Simulator, gcs: Any) -> None:
    rally = (LAT + 0.0009, LON)  # ~100 m north of home
    assert upload(gcs, [item(gcs, 0, 5100, *rally, 12, mission_type=2)], mission_type=2) == 0
    set_param(gcs, "RTL_LOIT_TIME", 0)
    _arm_takeoff(gcs, sim)
    ack = command(gcs, mavlink.MAV_CMD_DO_REPOSITION, -1, 0, 0, math.nan, LAT + 0.0012, LON, 10)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    v = sim.vehicle(0)
    wait_for(lambda: v.position[0] > LAT + 0.0011, 15, "fly north past the rally point")
    assert command(gcs, mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH).result == mavlink.MAV_RESULT_ACCEPTED
    wait_for(lambda: not v.armed, 30, "RTL landing")
    lat, lon, _, _ = v.position
    assert abs(lat - rally[0]) * 111_000 < 1.5 and abs(lon - rally[1]) * 96_000 < 1.5


def test_mission_start_command_and_do_jump(sim: Simulator, gcs: Any) -> None:
    mission = [
        item(gcs, 0, 16, LAT, LON, 20, frame=0),
        item(gcs, 1, 22, alt=10),
        item(gcs, 2, 16, LAT + 0.0002, LON, 10),
        item(gcs, 3, 16, LAT, LON, 10),
        item(gcs, 4, 177, p1=2, p2=1),  # DO_JUMP to 2, once more
        item(gcs, 5, 21),  # LAND here
    ]
    assert upload(gcs, mission) == mavlink.MAV_MISSION_ACCEPTED
    set_mode(gcs, "GUIDED")
    assert command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == 0
    assert command(gcs, mavlink.MAV_CMD_MISSION_START, 0, 0).result == mavlink.MAV_RESULT_ACCEPTED
    v = sim.vehicle(0)
    wait_for(lambda: not v.armed, 30, "mission with a jump flown")
    assert [seq for seq, _ in v.reached] == [1, 2, 3, 2, 3, 5]


def test_reconnect_mid_mission_and_mission_goes_on(sim: Simulator, gcs: Any) -> None:
    assert upload(gcs, _patrol(gcs)) == mavlink.MAV_MISSION_ACCEPTED
    _arm_takeoff(gcs, sim, alt=5)
    assert set_mode(gcs, "AUTO").result == mavlink.MAV_RESULT_ACCEPTED
    v = sim.vehicle(0)
    wait_for(lambda: len(v.reached) >= 2, 20, "first waypoints")
    gcs.close()  # the ground station drops the TCP connection ...
    time.sleep(0.3)
    again = connect(sim.endpoints[0])  # ... and comes back
    try:
        current = again.recv_match(type="MISSION_CURRENT", blocking=True, timeout=5)
        assert current is not None and current.seq >= 4
        assert v.mode == "AUTO" and v.armed
        wait_for(lambda: not v.armed, 40, "mission finished after the reconnect")
        assert [seq for seq, _ in v.reached] == [1, 4, 5, 6, 7, 8]
    finally:
        again.close()
