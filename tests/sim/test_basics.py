"""Heartbeat, modes, parameters, arming and GUIDED takeoff, driven with plain pymavlink."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pymavlink import mavutil
from simgcs import command, connect, set_mode, set_param, wait_for

from sim import Simulator

mavlink = mavutil.mavlink


def test_heartbeat_says_arducopter_quad(gcs: Any) -> None:
    hb = gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=5)
    assert hb.type == mavlink.MAV_TYPE_QUADROTOR
    assert hb.autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert hb.custom_mode == 0  # STABILIZE
    assert gcs.flightmode == "STABILIZE"  # pymavlink decodes ArduCopter's mode table
    assert gcs.WIRE_PROTOCOL_VERSION == "2.0"


def test_requested_streams_arrive(gcs: Any) -> None:
    seen = set()
    for _ in range(300):
        msg = gcs.recv_match(blocking=True, timeout=2)
        if msg is not None:
            seen.add(msg.get_type())
    for kind in ("SYS_STATUS", "GLOBAL_POSITION_INT", "ATTITUDE", "VFR_HUD", "GPS_RAW_INT", "BATTERY_STATUS",
                 "MISSION_CURRENT", "EKF_STATUS_REPORT"):  # fmt: skip
        assert kind in seen, f"{kind} not streamed (saw {sorted(seen)})"


def test_set_message_interval(gcs: Any) -> None:
    gcs.mav.request_data_stream_send(1, 1, mavlink.MAV_DATA_STREAM_ALL, 0, 0)  # stop the streams
    ack = command(gcs, mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, mavlink.MAVLINK_MSG_ID_HOME_POSITION, 200_000)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    home = gcs.recv_match(type="HOME_POSITION", blocking=True, timeout=5)
    assert home is not None and abs(home.latitude / 1e7 - 30.544) < 1e-4
    ack = command(gcs, mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, 99999, 100_000)
    assert ack.result == mavlink.MAV_RESULT_FAILED


def test_modes_by_set_mode_and_command(sim: Simulator, gcs: Any) -> None:
    gcs.mav.set_mode_send(1, mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 5)  # the SET_MODE message, LOITER
    ack = gcs.recv_match(type="COMMAND_ACK", blocking=True, timeout=5)
    assert (ack.command, ack.result) == (mavlink.MAVLINK_MSG_ID_SET_MODE, mavlink.MAV_RESULT_ACCEPTED)
    wait_for(lambda: sim.vehicle(0).mode == "LOITER", 5, "LOITER")
    assert set_mode(gcs, "GUIDED").result == mavlink.MAV_RESULT_ACCEPTED
    hb = gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=5)
    hb = gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=5)
    assert hb.custom_mode == 4
    assert set_mode(gcs, "AUTO").result == mavlink.MAV_RESULT_FAILED  # no mission
    assert command(gcs, mavlink.MAV_CMD_DO_SET_MODE, 1, 12).result == mavlink.MAV_RESULT_FAILED  # DRIFT


def test_params_list_read_set(sim: Simulator, gcs: Any) -> None:
    gcs.mav.param_request_list_send(1, 1)
    names: dict[str, float] = {}
    count = None
    while count is None or len(names) < count:
        msg = gcs.recv_match(type="PARAM_VALUE", blocking=True, timeout=5)
        assert msg is not None
        count = msg.param_count
        names[msg.param_id] = msg.param_value
    assert names["SYSID_THISMAV"] == 1
    assert names["WPNAV_SPEED"] == 1000
    assert {"FENCE_ENABLE", "FENCE_ACTION", "FENCE_ALT_MAX", "BATT_LOW_VOLT", "BATT_FS_LOW_ACT",
            "FS_GCS_ENABLE", "RTL_ALT"} <= set(names)  # fmt: skip
    assert set_param(gcs, "WPNAV_SPEED", 750.3) == pytest.approx(750.3, rel=1e-6)
    assert sim.vehicle(0).params["WPNAV_SPEED"] == pytest.approx(750.3, rel=1e-6)
    assert set_param(gcs, "FENCE_ENABLE", 1.0) == 1
    gcs.mav.param_request_read_send(1, 1, b"RTL_ALT", -1)
    msg = gcs.recv_match(type="PARAM_VALUE", blocking=True, timeout=5)
    assert msg.param_id == "RTL_ALT" and msg.param_value == 1500
    assert msg.param_type == mavlink.MAV_PARAM_TYPE_INT32


def test_arm_refused_with_prearm_text(sim: Simulator, gcs: Any) -> None:
    set_param(gcs, "FENCE_ENABLE", 1)
    set_mode(gcs, "GUIDED")
    ack = command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert ack.result == mavlink.MAV_RESULT_FAILED
    text = gcs.messages["STATUSTEXT"]  # sent just before the ACK; pymavlink keeps the latest of each type
    assert text.text.startswith("Arm: Fence"), text.text
    assert not sim.vehicle(0).armed
    set_param(gcs, "FENCE_ENABLE", 0)
    sim.vehicle(0).lose_gps(60)
    ack = command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert ack.result == mavlink.MAV_RESULT_FAILED
    assert any(t == "Arm: GPS 1: Bad fix" for _, _, t in sim.vehicle(0).statustext)


def test_arm_refused_on_low_battery(sim: Simulator, gcs: Any) -> None:
    sim.vehicle(0).sag_battery(85)
    set_mode(gcs, "GUIDED")
    assert command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == mavlink.MAV_RESULT_FAILED
    assert any("Arm: Battery 1" in t for _, _, t in sim.vehicle(0).statustext)


def _takeoff(master: Any, sim: Simulator, index: int = 0, alt: float = 10.0) -> None:
    assert set_mode(master, "GUIDED").result == mavlink.MAV_RESULT_ACCEPTED
    assert command(master, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == mavlink.MAV_RESULT_ACCEPTED
    assert command(master, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt).result == 0
    wait_for(lambda: sim.vehicle(index).position[2] > alt - 0.6, 10, "takeoff altitude")


def test_guided_takeoff_and_goto_over_tcp(sim: Simulator, gcs: Any) -> None:
    _takeoff(gcs, sim)
    for _ in range(500):  # skip what was queued during the climb
        msg = gcs.recv_match(type="GLOBAL_POSITION_INT", blocking=True, timeout=5)
        if msg.relative_alt > 9_400:
            break
    assert msg.relative_alt == pytest.approx(10_000, abs=600)
    v = sim.vehicle(0)
    lat, lon = v.position[0] + 0.0005, v.position[1]  # ~55 m north
    position_only = 0b110111111000
    gcs.mav.set_position_target_global_int_send(
        0, 1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, position_only, int(lat * 1e7), int(lon * 1e7), 15,
        0, 0, 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    wait_for(lambda: abs(v.position[0] - lat) < 2e-6 and abs(v.position[2] - 15) < 0.5, 15, "GUIDED go-to")
    assert v.attitude[2] == pytest.approx(0.0, abs=5) or v.attitude[2] == pytest.approx(360.0, abs=5)


def test_takeoff_refused_when_disarmed(gcs: Any) -> None:
    set_mode(gcs, "GUIDED")
    ack = command(gcs, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10)
    assert ack.result == mavlink.MAV_RESULT_FAILED


def test_guided_takeoff_over_udp() -> None:
    with Simulator(vehicles=1, speedup=25, base_port=0, udp=True) as sim:
        master = connect(sim.udp_endpoints[0])
        try:
            _takeoff(master, sim)
        finally:
            master.close()


def test_disarm_in_flight_needs_force(sim: Simulator, gcs: Any) -> None:
    _takeoff(gcs, sim, alt=5)
    assert command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0).result == mavlink.MAV_RESULT_FAILED
    assert command(gcs, mavlink.MAV_CMD_NAV_LAND).result == mavlink.MAV_RESULT_ACCEPTED
    wait_for(lambda: not sim.vehicle(0).armed, 15, "landing and disarm")
    assert sim.vehicle(0).position[2] == 0.0


def test_bad_constructor_arguments_name_the_field() -> None:
    with pytest.raises(ValueError, match="speedup"):
        Simulator(speedup=0)
    with pytest.raises(ValueError, match="home"):
        Simulator(home=(200.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="vehicles"):
        Simulator(vehicles=0)


def test_message_rates_scale_with_speedup(sim: Simulator, gcs: Any) -> None:
    deadline, beats = time.monotonic() + 1.0, 0
    while time.monotonic() < deadline:
        if gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=0.2) is not None:
            beats += 1
    assert beats >= 12, f"1 Hz simulated at 25x should give ~25 heartbeats per wall second, got {beats}"
