"""Vehicle API against the simulator over real sockets: commands, acks, params, waits, subscriptions, state."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import CommandRejected, FlightError, FlightTimeout
from flight.link import MavLink
from flight.messages import same_param_value
from flight.state import VehicleState
from flight.vehicle import Vehicle
from sim import Simulator


def test_state_follows_the_simulator(sim: Simulator, vehicle: Vehicle) -> None:
    s = vehicle.state
    lat, lon, _rel, amsl = sim.vehicle(0).position
    assert s.sysid == 1 and vehicle.autopilot == "ardupilot" and vehicle.vehicle_type == mavlink.MAV_TYPE_QUADROTOR
    assert abs(s.lat - lat) < 1e-6 and abs(s.lon - lon) < 1e-6 and abs(s.alt_amsl_m - amsl) < 0.01
    assert s.mode == "STABILIZE" and not s.armed
    st = vehicle.wait_state(lambda st: st.gps_fix is not None and st.battery_pct is not None, timeout=5)
    assert st.gps_fix == 3 and st.satellites == 14 and 90 <= st.battery_pct <= 100 and st.voltage_v > 12  # 3S, as SITL
    assert st.home is not None and abs(st.home[2] - 20.0) < 0.01
    assert vehicle.link_ok
    # Heartbeats keep coming (a fresh one is seen), whatever the machine's speed: no wall-clock bound.
    assert vehicle.wait_state(lambda s: s.last_heartbeat > st.last_heartbeat, timeout=30).last_heartbeat


def test_command_long_accepted_and_state_changes(vehicle: Vehicle) -> None:
    mode = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    assert vehicle.command_long(mavlink.MAV_CMD_DO_SET_MODE, mode, 4) == mavlink.MAV_RESULT_ACCEPTED
    assert vehicle.wait_state(lambda s: s.mode == "GUIDED", timeout=3).mode == "GUIDED"
    assert vehicle.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert vehicle.wait_state(lambda s: s.armed, timeout=3).armed


def test_command_rejected_carries_result_and_vehicle_text(vehicle: Vehicle) -> None:
    mode = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    with pytest.raises(CommandRejected) as info:
        vehicle.command_long(mavlink.MAV_CMD_DO_SET_MODE, mode, 3)  # AUTO without a mission
    assert info.value.result == mavlink.MAV_RESULT_FAILED
    assert "MAV_RESULT_FAILED" in str(info.value) and "AUTO needs a mission" in str(info.value)
    with pytest.raises(CommandRejected) as unsupported:
        vehicle.command_long(mavlink.MAV_CMD_DO_FLIGHTTERMINATION, 1)
    assert unsupported.value.result == mavlink.MAV_RESULT_UNSUPPORTED


def test_command_int_reposition(sim: Simulator, vehicle: Vehicle) -> None:
    with pytest.raises(CommandRejected) as info:  # on the ground: temporarily rejected
        vehicle.command_int(
            mavlink.MAV_CMD_DO_REPOSITION, frame=6, x=305441000, y=1142951000, z=10.0, params=(-1, 1, 0, 0)
        )
    assert info.value.result == mavlink.MAV_RESULT_TEMPORARILY_REJECTED


def test_command_retries_through_loss_and_confirmation_counts(sim: Simulator, vehicle: Vehicle) -> None:
    sent: list[int] = []
    original = vehicle.mav.command_long_send

    def spy(*args: Any) -> None:
        sent.append(args[3])  # confirmation
        original(*args)

    vehicle.mav.command_long_send = spy  # type: ignore[method-assign]
    sim.vehicle(0).set_packet_loss(100)
    with pytest.raises(FlightTimeout) as info:
        vehicle.command_long(mavlink.MAV_CMD_REQUEST_MESSAGE, 148, timeout=0.2, retries=2)
    assert sent == [0, 1, 2]  # one send per try, the confirmation counting up
    text = str(info.value)
    assert "REQUEST_MESSAGE (512)" in text and "3 tries" in text and "0.6 s" in text


def test_in_progress_waits_for_the_final_ack(sim: Simulator, vehicle: Vehicle) -> None:
    # The simulator never sends IN_PROGRESS: cut it off and hand the vehicle object the ACKs a slow command
    # (a compass calibration) gets from ArduPilot, IN_PROGRESS then ACCEPTED, as the receive thread would.
    # IN_PROGRESS is handed over as the command is sent (no race with the timeout); ACCEPTED comes later than the
    # command's own timeout, so the call only succeeds if IN_PROGRESS made it wait for the final result.
    sim.vehicle(0).set_packet_loss(100)
    timeout = 0.5
    final_given = threading.Event()

    def ack(result: int) -> Any:
        msg = mavlink.MAVLink_command_ack_message(42006, result, 50, 0, 255, 190)
        msg._header = mavlink.MAVLink_header(msg.id, srcSystem=1, srcComponent=1)
        return msg

    def later() -> None:
        time.sleep(3 * timeout)
        final_given.set()
        vehicle._handle(ack(mavlink.MAV_RESULT_ACCEPTED))

    original = vehicle.mav.command_long_send

    def send_and_answer(*args: Any) -> None:
        original(*args)
        vehicle._handle(ack(mavlink.MAV_RESULT_IN_PROGRESS))
        threading.Thread(target=later, daemon=True).start()

    vehicle.mav.command_long_send = send_and_answer  # type: ignore[method-assign]
    assert vehicle.command_long(42006, timeout=timeout, retries=0) == mavlink.MAV_RESULT_ACCEPTED
    assert final_given.is_set()  # it returned with the final ACK, not before


def test_params_get_set_read_back(sim: Simulator, vehicle: Vehicle) -> None:
    assert vehicle.get_param("RTL_ALT") == 1500.0
    assert vehicle.set_param("RTL_ALT", 3000) == 3000.0
    assert sim.vehicle(0).params["RTL_ALT"] == 3000.0
    assert vehicle.get_param("RTL_ALT") == 3000.0
    with pytest.raises(FlightError, match=r"kept MIS_TOTAL = 0 when asked for 7.*write denied"):
        vehicle.set_param("MIS_TOTAL", 7)
    with pytest.raises(FlightTimeout, match=r"reading parameter NO_SUCH_PARAM"):
        vehicle.get_param("NO_SUCH_PARAM", timeout=0.2, retries=1)
    with pytest.raises(ValueError, match=r"1..16 characters"):
        vehicle.get_param("X" * 17)


def test_params_survive_packet_loss(sim: Simulator, vehicle: Vehicle) -> None:
    """30 % loss each way: a try gets through about half the time, so the retries are what is tested. Each try
    waits 1.5 s (a loaded machine answered later than 0.3 s eleven times in a row); 16 tries all lost: 2e-5."""
    sim.vehicle(0).set_packet_loss(30)
    for value in (600.0, 700.0, 800.0):
        assert vehicle.set_param("WPNAV_SPEED", value, timeout=1.5, retries=15) == value
    sim.vehicle(0).set_packet_loss(0)
    assert sim.vehicle(0).params["WPNAV_SPEED"] == 800.0


def test_same_param_value_rules() -> None:
    assert same_param_value(0.1 + 1e-9, 0.1, mavlink.MAV_PARAM_TYPE_REAL32)
    assert not same_param_value(0.2, 0.1, mavlink.MAV_PARAM_TYPE_REAL32)
    assert same_param_value(3.0, 3.2, mavlink.MAV_PARAM_TYPE_INT8)


def test_wait_message_subscribe_and_unsubscribe(vehicle: Vehicle) -> None:
    msg = vehicle.wait_message("GLOBAL_POSITION_INT", timeout=3)
    assert msg.get_srcSystem() == 1
    hb = vehicle.wait_message({"HEARTBEAT"}, predicate=lambda m: m.type == mavlink.MAV_TYPE_QUADROTOR, timeout=3)
    assert hb.autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA
    with pytest.raises(FlightTimeout, match=r"waiting for LOG_DATA from vehicle 1.*link is up"):
        vehicle.wait_message("LOG_DATA", timeout=0.2)
    seen: list[str] = []
    states: list[VehicleState] = []
    unsubscribe = vehicle.subscribe(lambda m: seen.append(m.get_type()), types={"HEARTBEAT"})
    unstate = vehicle.on_state(states.append)
    vehicle.wait_message("HEARTBEAT", timeout=3)
    vehicle.wait_message("HEARTBEAT", timeout=3)
    unsubscribe()
    unstate()
    n, m = len(seen), len(states)
    assert n >= 1 and set(seen) == {"HEARTBEAT"} and m >= 1
    vehicle.wait_message("HEARTBEAT", timeout=3)
    assert len(seen) == n and len(states) == m


def test_callbacks_cannot_block_the_receive_thread(vehicle: Vehicle) -> None:
    errors: list[BaseException] = []

    def bad(_msg: Any) -> None:
        try:
            vehicle.get_param("RTL_ALT")
        except RuntimeError as exc:
            errors.append(exc)

    unsubscribe = vehicle.subscribe(bad, {"HEARTBEAT"})
    vehicle.wait_message("HEARTBEAT", timeout=3)
    unsubscribe()
    assert errors and "callback" in str(errors[0])


def test_statustext_lands_in_state(vehicle: Vehicle) -> None:
    with pytest.raises(CommandRejected):
        vehicle.command_long(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10)  # not armed: refused
    texts = [t for _when, _sev, t in vehicle.state.statustext]
    assert any("Takeoff refused" in t for t in texts)


def test_rates_requested_by_interval_with_stream_fallback(sim: Simulator, link: MavLink, vehicle: Vehicle) -> None:
    vehicle.wait_state(lambda s: s.ekf_ok is not None, timeout=5)
    assert vehicle.rate_methods.get("GLOBAL_POSITION_INT") == "interval"
    # RAW_IMU is not produced by the simulator: SET_MESSAGE_INTERVAL fails; SYSTEM_TIME falls back to its stream.
    original = vehicle.command_long

    def refuse_intervals(command: int, *params: float, **kw: Any) -> int:
        if command == mavlink.MAV_CMD_SET_MESSAGE_INTERVAL:
            raise CommandRejected(mavlink.MAV_RESULT_UNSUPPORTED, "SET_MESSAGE_INTERVAL")
        return original(command, *params, **kw)

    vehicle.command_long = refuse_intervals  # type: ignore[method-assign]
    vehicle.request_rates({"SYSTEM_TIME": 2.0})
    assert vehicle.rate_methods["SYSTEM_TIME"] == "stream"
    assert vehicle.wait_message("SYSTEM_TIME", timeout=3) is not None
    assert sim.vehicle(0).params["SR0_RAW_SENS"] == 2.0
    with pytest.raises(ValueError, match=r"NOT_A_MESSAGE"):
        vehicle.request_rates({"NOT_A_MESSAGE": 1.0})
