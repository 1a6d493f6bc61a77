"""A mission loaded and uploaded with pymavlink's MAVWPLoader (what MAVProxy's ``wp`` module uses), flown."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pymavlink import mavutil, mavwp
from simgcs import command, set_mode, wait_for

from sim import Simulator

mavlink = mavutil.mavlink

WAYPOINTS = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t30.5440000\t114.2950000\t20.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0.0000000\t0.0000000\t15.000000\t1
2\t0\t3\t16\t0\t0\t0\t0\t30.5443000\t114.2950000\t15.000000\t1
3\t0\t3\t16\t0\t0\t0\t0\t30.5443000\t114.2954000\t15.000000\t1
4\t0\t3\t21\t0\t0\t0\t0\t30.5443000\t114.2954000\t0.000000\t1
"""


def test_mavwploader_upload_then_fly(sim: Simulator, gcs: Any, tmp_path: Path) -> None:
    path = tmp_path / "patrol.waypoints"
    path.write_text(WAYPOINTS)
    loader = mavwp.MAVWPLoader(target_system=gcs.target_system, target_component=gcs.target_component)
    assert loader.load(str(path)) == 5
    # The upload loop of ArduPilot's pymavlink examples: count, then answer each request with loader.wp(seq).
    gcs.waypoint_clear_all_send()
    gcs.waypoint_count_send(loader.count())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = gcs.recv_match(type=["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], blocking=True, timeout=1)
        if msg is None:
            continue
        if msg.get_type() == "MISSION_ACK":
            if msg.type == mavlink.MAV_MISSION_ACCEPTED and len(sim.vehicle(0).mission) == 5:
                break
            continue
        gcs.mav.send(loader.wp(msg.seq))
    mission = sim.vehicle(0).mission
    assert [m.command for m in mission] == [16, 22, 16, 16, 21]
    assert abs(mission[3].y - 114.2954) < 1e-5  # float32 MISSION_ITEM: within a metre, not exact
    set_mode(gcs, "GUIDED")
    assert command(gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == mavlink.MAV_RESULT_ACCEPTED
    assert set_mode(gcs, "AUTO").result == mavlink.MAV_RESULT_ACCEPTED
    v = sim.vehicle(0)
    wait_for(lambda: not v.armed, 30, "mission flown and landed")
    assert [seq for seq, _ in v.reached] == [1, 2, 3, 4]
    lat, lon, alt, _ = v.position
    assert alt == 0.0 and abs(lat - 30.5443) < 2e-5 and abs(lon - 114.2954) < 2e-5
