"""The same pymavlink checks against a real ArduCopter SITL, when ``ARDUPILOT_SITL`` names one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from pymavlink import mavutil
from simgcs import command, connect, download, item, set_mode, upload, wait_for
from sitl_slots import sitl_instance

from sim.sitl import ArduPilotSITL, SITLError

pytestmark = pytest.mark.sitl
mavlink = mavutil.mavlink


@pytest.fixture
def sitl_gcs() -> Iterator[Any]:
    if not os.environ.get("ARDUPILOT_SITL"):
        pytest.skip("ARDUPILOT_SITL is not set: point it to an ArduCopter SITL binary to run the SITL tests")
    with ArduPilotSITL.from_env(speedup=5, instance=sitl_instance(0)) as sitl:
        master = connect(sitl.endpoint)

        def fixed() -> bool:  # ArduCopter refuses uploads while it boots ("Only 0 items are supported")
            msg = master.recv_match(type="GPS_RAW_INT", blocking=True, timeout=1)
            return msg is not None and msg.fix_type >= 3

        wait_for(fixed, 120, "a 3-D GPS fix", poll=0)
        yield master
        master.close()


def test_sitl_mission_roundtrip_and_takeoff(sitl_gcs: Any) -> None:
    lat, lon = 30.5440, 114.2950
    items = [item(sitl_gcs, 0, 16, lat, lon, 20, frame=0), item(sitl_gcs, 1, 22, alt=10)]
    items += [item(sitl_gcs, i, 16, lat + 0.0002 * i, lon, 10) for i in range(2, 6)]
    assert upload(sitl_gcs, items) == mavlink.MAV_MISSION_ACCEPTED
    assert len(download(sitl_gcs)) == 6
    wait_for(lambda: set_mode(sitl_gcs, "GUIDED").result == 0, 60, "GUIDED accepted (EKF ready)", poll=1)
    wait_for(lambda: command(sitl_gcs, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1).result == 0, 90, "arming", poll=2)
    assert command(sitl_gcs, mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10).result == 0


def test_launcher_rejects_a_missing_binary(tmp_path: Any) -> None:
    with pytest.raises(SITLError, match="not an executable"):
        ArduPilotSITL(tmp_path / "nope")
