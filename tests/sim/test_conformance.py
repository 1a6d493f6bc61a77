"""The simulator against the real autopilot: the same scenarios, seen by the same plain pymavlink ground station,
on ``sim/`` and on ArduCopter SITL, must look the same.

Each scenario returns what a ground station observes (read-backs, acknowledgements, reports, parameters). Where
``sim/`` and SITL differ, the SITL is the truth: fix the simulator (and, for stored items, :mod:`flight.kept`,
whose table both the simulator and the ground station's verification use). Skipped without ``ARDUPILOT_SITL``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymavlink import mavutil
from simgcs import command, connect, download, item, set_mode, upload, wait_for
from sitl_slots import sitl_instance

from sim import Simulator
from sim.sitl import ArduPilotSITL

pytestmark = pytest.mark.sitl
mavlink = mavutil.mavlink

LAT, LON, GROUND = 30.5877, 114.2899, 20.0
SPEEDUP = 10.0
#: Parameters as the probe sends them: a fraction, a half, a quarter and a negative, so every storage rule shows.
PROBE = (1.7, 2.5, 3.25, -4.5)
#: Commands and frames probed: navigation items with a location (frame 3) and DO/CONDITION items (frame 2).
PROBED = [(16, 3), (17, 3), (18, 3), (19, 3), (21, 3), (22, 3), (20, 2), (82, 3), (93, 2), (112, 2), (115, 2),
          (177, 2), (178, 2), (179, 0), (183, 2), (189, 2), (201, 2), (203, 2), (205, 2), (206, 2),
          (1000, 2), (16, 6), (16, 10), (178, 3)]  # fmt: skip


@contextlib.contextmanager
def vehicle(kind: str) -> Iterator[Any]:
    """A pymavlink ground station connected to a ready vehicle: ``sim`` or ``sitl``, homed at the same place."""
    if kind == "sim":
        with Simulator(vehicles=1, speedup=SPEEDUP, home=(LAT, LON, GROUND), base_port=0) as sim:
            master = connect(sim.endpoints[0])
            yield _ready(master)
            master.close()
        return
    binary = os.environ.get("ARDUPILOT_SITL")
    if not binary:
        pytest.skip("ARDUPILOT_SITL is not set: the conformance test needs the real autopilot")
    with ArduPilotSITL(binary, home=(LAT, LON, GROUND, 0.0), instance=sitl_instance(2), speedup=SPEEDUP) as sitl:
        master = connect(sitl.endpoint)
        yield _ready(master)
        master.close()


def _ready(master: Any) -> Any:
    """Wait for a 3-D fix (ArduCopter refuses uploads while it boots)."""

    def fixed() -> bool:
        msg = master.recv_match(type="GPS_RAW_INT", blocking=True, timeout=1)
        return msg is not None and msg.fix_type >= 3

    wait_for(fixed, 120, "a 3-D GPS fix", poll=0)
    return master


def _fields(msg: Any) -> tuple[Any, ...]:
    params = tuple(round(float(getattr(msg, f"param{i}")), 4) for i in range(1, 5))
    return (msg.command, msg.frame, msg.autocontinue, *params, msg.x, msg.y, round(float(msg.z), 3))


def storage(master: Any) -> dict[str, Any]:
    """Every probed command, the fence and the rally points uploaded with MISSION_ITEM_INT, read back."""
    lat7, lon7 = round(LAT * 1e7), round(LON * 1e7)
    mission = [item(master, 0, 16, LAT, LON, 0, frame=0)]
    for seq, (cmd, frame) in enumerate(PROBED, start=1):
        located = frame != 2
        msg = item(master, seq, cmd, p1=PROBE[0], p2=PROBE[1], p3=PROBE[2], p4=PROBE[3], frame=frame,
                   alt=40.567 if located else 6.5)  # fmt: skip
        if located:
            msg.x, msg.y = lat7 + 13 * seq, lon7 + 7 * seq
        mission.append(msg)
    requests = _requests_during(master, lambda: upload(master, mission))
    corners = [(LAT - 0.001, LON - 0.001), (LAT - 0.001, LON + 0.001), (LAT + 0.001, LON + 0.001)]
    fence = [item(master, i, 5001, la, lo, p1=3, frame=5, mission_type=1) for i, (la, lo) in enumerate(corners)]
    fence.append(item(master, 3, 5004, LAT, LON, p1=25, frame=5, mission_type=1))
    rally = [item(master, 0, 5100, LAT + 0.0005, LON, 30.6, frame=6, mission_type=2),
             item(master, 1, 5100, LAT, LON + 0.0005, -2.7, frame=3, mission_type=2)]  # fmt: skip
    acks = [upload(master, fence, mission_type=1), upload(master, rally, mission_type=2)]
    return {
        "upload requests": requests,
        "acks": acks,
        "mission": [_fields(m) for m in download(master)[1:]],  # item 0 is home: each vehicle's own
        "fence": [_fields(m) for m in download(master, 1)],
        "rally": [_fields(m) for m in download(master, 2)],
    }


def _requests_during(master: Any, run: Callable[[], int]) -> list[Any]:
    seen: list[str] = []

    def watch(msg: Any) -> None:
        if msg.get_type() in ("MISSION_REQUEST", "MISSION_REQUEST_INT"):
            seen.append(msg.get_type())

    master.message_hooks.append(lambda _m, msg: watch(msg))
    result = run()
    master.message_hooks.pop()
    return [result, sorted(set(seen))]


def commands_and_reports(master: Any) -> dict[str, Any]:
    """MISSION_START's parameters, then a short mission flown: which items are reported reached, where the
    mission stands after the landing, the battery the vehicle starts with."""
    d = 0.0003
    mission = [item(master, 0, 16, LAT, LON, 0, frame=0), item(master, 1, 22, alt=10),
               item(master, 2, 178, p1=1, p2=5), item(master, 3, 16, LAT + d, LON, 10),
               item(master, 4, 16, LAT + d, LON + d, 10), item(master, 5, 21, LAT + d, LON + d, 0)]  # fmt: skip
    assert upload(master, mission) == mavlink.MAV_MISSION_ACCEPTED
    start_refused = command(master, mavlink.MAV_CMD_MISSION_START, 1, 0).result
    status = master.recv_match(type="SYS_STATUS", blocking=True, timeout=5)
    battery = {
        "cells": math.ceil(status.voltage_battery / 1000 / 4.25),
        "BATT_LOW_VOLT": _param(master, "BATT_LOW_VOLT"),
        "SIM_SPEEDUP": _param(master, "SIM_SPEEDUP"),
    }
    wait_for(lambda: set_mode(master, "GUIDED").result == 0, 60, "GUIDED")
    wait_for(lambda: command(master, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == 0, 60, "arming", poll=1)
    assert command(master, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10).result == 0
    wait_for(lambda: _alt(master) > 9.0, 60, "the take-off")
    start = command(master, mavlink.MAV_CMD_MISSION_START, 0, 0).result
    reached, current, armed = [], [], True
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (armed or len(current) < 2 or current[-1] != 1):
        msg = master.recv_match(type=["MISSION_ITEM_REACHED", "MISSION_CURRENT", "HEARTBEAT"], blocking=True,
                                timeout=1)  # fmt: skip
        if msg is None:
            continue
        if msg.get_type() == "HEARTBEAT" and msg.get_srcComponent() == 1:
            armed = bool(msg.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
        elif msg.get_type() == "MISSION_ITEM_REACHED" and (not reached or reached[-1] != msg.seq):
            reached.append(int(msg.seq))
        elif msg.get_type() == "MISSION_CURRENT" and (not current or current[-1] != msg.seq):
            current.append(int(msg.seq))
    return {
        "MISSION_START 1,0": start_refused,
        "MISSION_START 0,0": start,
        "battery": battery,
        "takeoff reported": 1 in reached,
        "waypoints reported": [q for q in reached if q in (3, 4)],
        "land reported": 5 in reached,
        "landed and disarmed": not armed,
        "current after landing": current[-1:],
    }


def _param(master: Any, name: str) -> float:
    for _ in range(10):
        master.mav.param_request_read_send(master.target_system, master.target_component, name.encode(), -1)
        msg = master.recv_match(type="PARAM_VALUE", blocking=True, timeout=1)
        while msg is not None and msg.param_id != name:
            msg = master.recv_match(type="PARAM_VALUE", blocking=True, timeout=1)
        if msg is not None:
            return round(float(msg.param_value), 3)
    raise AssertionError(f"no PARAM_VALUE for {name}")


def _alt(master: Any) -> float:
    msg = master.recv_match(type="GLOBAL_POSITION_INT", blocking=True, timeout=1)
    return -1.0 if msg is None else msg.relative_alt / 1000.0


def gcs_failsafe_clock(master: Any) -> dict[str, Any]:
    """A ground station that sends its heartbeat once a wall-clock second to a vehicle at speed-up 10 is heard once
    every ten of the vehicle's seconds, past FS_GCS_TIMEOUT (5 s): the failsafe comes on, also on the ground; a burst
    of heartbeats clears it."""
    master.mav.param_set_send(master.target_system, master.target_component, b"FS_GCS_ENABLE", 1,
                              mavlink.MAV_PARAM_TYPE_INT8)  # fmt: skip
    texts: list[str] = []

    def listen(seconds: float, heartbeat_every_s: float) -> None:
        until = time.monotonic() + seconds
        next_hb = 0.0
        while time.monotonic() < until:
            if time.monotonic() >= next_hb:
                master.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
                next_hb = time.monotonic() + heartbeat_every_s
            msg = master.recv_match(type="STATUSTEXT", blocking=True, timeout=0.02)
            if msg is not None:
                texts.append(msg.text)

    listen(3.0, heartbeat_every_s=1.0)
    on = any(t == "GCS Failsafe" for t in texts)
    listen(1.0, heartbeat_every_s=0.02)
    return {"failsafe with 1 Hz heartbeats": on, "cleared by a burst": "GCS Failsafe Cleared" in texts}


@pytest.mark.parametrize("scenario", [storage, commands_and_reports, gcs_failsafe_clock], ids=lambda f: f.__name__)
def test_the_simulator_looks_like_arducopter(scenario: Callable[[Any], dict[str, Any]]) -> None:
    with vehicle("sitl") as sitl:
        truth = scenario(sitl)
    with vehicle("sim") as sim:
        ours = scenario(sim)
    for key in truth:
        assert ours[key] == truth[key], f"{scenario.__name__}: {key}: sim/ has {ours[key]!r}, SITL {truth[key]!r}"
    if scenario is gcs_failsafe_clock:
        assert all(truth.values()), truth  # the scenario shows something on the real autopilot
