"""Plain pymavlink ground-station helpers for the simulator tests, written the way ArduPilot's docs show.

``mavutil.mavlink_connection``, ``wait_heartbeat``, ``command_long_send``, ``recv_match``: passing tests mean
the simulator speaks the MAVLink a real ground station speaks.
"""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("MAVLINK20", "1")  # ask pymavlink for MAVLink 2, as ArduPilot's docs do

from pymavlink import mavutil


def connect(endpoint: str, rate_hz: int = 4) -> Any:
    """Connect like a ground station: heartbeat, then ask for all streams."""
    master = mavutil.mavlink_connection(endpoint, source_system=255, source_component=190, dialect="ardupilotmega")
    if endpoint.startswith("udpout"):
        master.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
    hb = master.wait_heartbeat(timeout=10)
    assert hb is not None, f"no heartbeat from {endpoint}"
    master.mav.request_data_stream_send(
        master.target_system, master.target_component, mavutil.mavlink.MAV_DATA_STREAM_ALL, rate_hz, 1
    )
    return master


def command(master: Any, cmd: int, *params: float, timeout: float = 5.0) -> Any:
    """COMMAND_LONG and wait for its COMMAND_ACK."""
    p = list(params) + [0.0] * (7 - len(params))
    master.mav.command_long_send(master.target_system, master.target_component, cmd, 0, *p)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ack = master.recv_match(type="COMMAND_ACK", blocking=True, timeout=0.5)
        if ack is not None and ack.command == cmd:
            return ack
    raise AssertionError(f"no COMMAND_ACK for command {cmd}")


def set_mode(master: Any, name: str) -> Any:
    """DO_SET_MODE by ArduCopter mode name."""
    number = master.mode_mapping()[name]
    return command(
        master, mavutil.mavlink.MAV_CMD_DO_SET_MODE, mavutil.mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, number
    )


def set_param(master: Any, name: str, value: float, timeout: float = 5.0) -> float:
    """PARAM_SET and wait for the PARAM_VALUE echo (resending on silence)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        master.mav.param_set_send(
            master.target_system, master.target_component, name.encode(), value,
            mavutil.mavlink.MAV_PARAM_TYPE_REAL32,
        )  # fmt: skip
        msg = master.recv_match(type="PARAM_VALUE", blocking=True, timeout=0.5)
        while msg is not None and msg.param_id != name:
            msg = master.recv_match(type="PARAM_VALUE", blocking=True, timeout=0.5)
        if msg is not None:
            return float(msg.param_value)
    raise AssertionError(f"no PARAM_VALUE for {name}")


def wait_for(predicate: Any, timeout: float, what: str, poll: float = 0.02) -> None:
    """Poll ``predicate`` until it is true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def upload(master: Any, items: list[Any], mission_type: int = 0, timeout: float = 20.0) -> int:
    """Upload MISSION_ITEM_INT messages with the mission protocol; returns the MISSION_ACK result.

    Retries as a ground station on a lossy link must: resend MISSION_COUNT until the first request, resend
    the last item when nothing comes back, and answer every (re-)request.
    """
    ts, tc = master.target_system, master.target_component
    master.mav.mission_count_send(ts, tc, len(items), mission_type)
    last_sent: int | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = master.recv_match(
            type=["MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"], timeout=0.3, blocking=True
        )
        if msg is None:  # lost request, item or ACK: say the last thing again
            if last_sent is None:
                master.mav.mission_count_send(ts, tc, len(items), mission_type)
            else:
                master.mav.send(items[last_sent])
            continue
        if getattr(msg, "mission_type", 0) != mission_type:
            continue
        if msg.get_type() == "MISSION_ACK":
            if msg.type == mavutil.mavlink.MAV_MISSION_INVALID_SEQUENCE:
                continue
            return int(msg.type)
        last_sent = msg.seq
        master.mav.send(items[msg.seq])
    raise AssertionError("mission upload timed out")


def download(master: Any, mission_type: int = 0, timeout: float = 20.0) -> list[Any]:
    """Download a list with MISSION_REQUEST_LIST / MISSION_REQUEST_INT, re-requesting what is lost."""
    ts, tc = master.target_system, master.target_component
    deadline = time.monotonic() + timeout
    count = None
    while count is None and time.monotonic() < deadline:
        master.mav.mission_request_list_send(ts, tc, mission_type)
        msg = master.recv_match(type="MISSION_COUNT", blocking=True, timeout=0.5)
        if msg is not None and msg.mission_type == mission_type:
            count = msg.count
    assert count is not None, "no MISSION_COUNT"
    items: list[Any] = []
    while len(items) < count and time.monotonic() < deadline:
        master.mav.mission_request_int_send(ts, tc, len(items), mission_type)
        msg = master.recv_match(type="MISSION_ITEM_INT", blocking=True, timeout=0.5)
        if msg is not None and msg.seq == len(items) and msg.mission_type == mission_type:
            items.append(msg)
    assert len(items) == count, "mission download timed out"
    master.mav.mission_ack_send(ts, tc, mavutil.mavlink.MAV_MISSION_ACCEPTED, mission_type)
    return items


def item(master: Any, seq: int, command: int, lat: float = 0.0, lon: float = 0.0, alt: float = 0.0,
         p1: float = 0.0, p2: float = 0.0, p3: float = 0.0, p4: float = 0.0, frame: int = 6,
         mission_type: int = 0) -> Any:  # fmt: skip
    """A MISSION_ITEM_INT message (frame 6 = GLOBAL_RELATIVE_ALT_INT)."""
    return master.mav.mission_item_int_encode(
        master.target_system, master.target_component, seq, frame, command, 0, 1, p1, p2, p3, p4,
        int(lat * 1e7), int(lon * 1e7), alt, mission_type,
    )  # fmt: skip
