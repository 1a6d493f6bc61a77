"""Mission, fence and rally protocol with ArduPilot's semantics, over clean and lossy links."""

from __future__ import annotations

from typing import Any

import pytest
from pymavlink import mavutil
from simgcs import download, item, upload, wait_for

from mission_planner.mission_items import MissionItem
from sim import Simulator

mavlink = mavutil.mavlink
LAT, LON = 30.5440, 114.2950


def _mission(master: Any, n: int = 5) -> list[Any]:
    items = [item(master, 0, 16, 0, 0, 0, frame=0)]  # item 0: home, replaced by the vehicle
    items.append(item(master, 1, 22, alt=20))
    for i in range(2, n):
        items.append(item(master, i, 16, LAT + 0.0003 * i, LON + 0.0002 * i, 20 + i, p1=2))  # hold 2 s
    return items


def test_upload_download_roundtrip(sim: Simulator, gcs: Any) -> None:
    items = _mission(gcs, 8)
    assert upload(gcs, items) == mavlink.MAV_MISSION_ACCEPTED
    back = download(gcs)
    assert len(back) == 8
    home = sim.vehicle(0).home
    assert back[0].x == round(home[0] * 1e7) and back[0].frame == mavlink.MAV_FRAME_GLOBAL  # item 0 is home
    for sent, got in zip(items[1:], back[1:], strict=True):
        assert got.command == sent.command
        assert got.frame == mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT  # 6 (..._INT) comes back as 3
        assert (got.x, got.y) == (sent.x, sent.y)
        assert got.z == pytest.approx(sent.z, abs=0.01)
        assert got.param1 == pytest.approx(sent.param1, rel=1e-6)
    mission = sim.vehicle(0).mission
    assert all(isinstance(m, MissionItem) for m in mission)
    assert mission[3].x == pytest.approx(LAT + 0.0009, abs=1e-7)
    assert sim.vehicle(0).params["MIS_TOTAL"] == 8


def test_upload_with_five_percent_loss_still_verifies(sim: Simulator, gcs: Any) -> None:
    sim.vehicle(0).set_packet_loss(5)
    items = _mission(gcs, 40)
    assert upload(gcs, items, timeout=60) == mavlink.MAV_MISSION_ACCEPTED
    back = download(gcs, timeout=60)
    assert [(b.x, b.y, b.command) for b in back[1:]] == [(i.x, i.y, i.command) for i in items[1:]]


def test_unsupported_command_is_refused_with_its_code(gcs: Any) -> None:
    items = _mission(gcs, 4)
    items[2] = item(gcs, 2, 31337)
    assert upload(gcs, items) == mavlink.MAV_MISSION_UNSUPPORTED


def test_clear_all_leaves_only_home(sim: Simulator, gcs: Any) -> None:
    assert upload(gcs, _mission(gcs, 5)) == mavlink.MAV_MISSION_ACCEPTED
    gcs.mav.mission_clear_all_send(1, 1, 0)
    ack = gcs.recv_match(type="MISSION_ACK", blocking=True, timeout=5)
    assert ack.type == mavlink.MAV_MISSION_ACCEPTED
    assert len(download(gcs)) == 1


def _fence(master: Any) -> list[Any]:
    d = 0.002  # ~200 m
    corners = [(LAT - d, LON - d), (LAT - d, LON + d), (LAT + d, LON + d), (LAT + d, LON - d)]
    items = [item(master, i, 5001, la, lo, p1=4, frame=5, mission_type=1) for i, (la, lo) in enumerate(corners)]
    items.append(item(master, 4, 5004, LAT + 0.001, LON, p1=30, frame=5, mission_type=1))
    return items


def test_fence_and_rally_upload_download(sim: Simulator, gcs: Any) -> None:
    assert upload(gcs, _fence(gcs), mission_type=1) == mavlink.MAV_MISSION_ACCEPTED
    back = download(gcs, mission_type=1)
    assert [b.command for b in back] == [5001] * 4 + [5004]
    assert sim.vehicle(0).params["FENCE_TOTAL"] == 5
    rally = [item(gcs, 0, 5100, LAT + 0.0005, LON, 17.4, mission_type=2)]
    assert upload(gcs, rally, mission_type=2) == mavlink.MAV_MISSION_ACCEPTED
    got = download(gcs, mission_type=2)
    assert got[0].z == 17.0  # ArduPilot keeps rally altitudes in whole metres
    assert len(sim.vehicle(0).rally) == 1


def test_fence_and_rally_with_loss(sim: Simulator, gcs: Any) -> None:
    sim.vehicle(0).set_packet_loss(5)
    assert upload(gcs, _fence(gcs), mission_type=1, timeout=60) == mavlink.MAV_MISSION_ACCEPTED
    rally = [item(gcs, i, 5100, LAT + 0.0005 * i, LON, 20, mission_type=2) for i in range(5)]
    assert upload(gcs, rally, mission_type=2, timeout=60) == mavlink.MAV_MISSION_ACCEPTED
    assert len(download(gcs, mission_type=1, timeout=60)) == 5
    assert len(download(gcs, mission_type=2, timeout=60)) == 5


def test_bad_fence_polygon_refused(sim: Simulator, gcs: Any) -> None:
    bad = [*_fence(gcs)[:3], _fence(gcs)[4]]
    bad[3] = item(gcs, 3, 5004, LAT, LON, p1=30, frame=5, mission_type=1)
    assert upload(gcs, bad, mission_type=1) == mavlink.MAV_MISSION_INVALID
    assert sim.vehicle(0).fence == []
    assert any("Fence upload refused" in t for _, _, t in sim.vehicle(0).statustext)


def test_interrupted_upload_is_not_atomic(sim: Simulator, gcs: Any) -> None:
    assert upload(gcs, _mission(gcs, 6)) == mavlink.MAV_MISSION_ACCEPTED
    new = _mission(gcs, 6)
    new[2] = item(gcs, 2, 16, LAT + 0.01, LON, 33)
    gcs.mav.mission_count_send(1, 1, 6, 0)
    sent = 0
    while sent < 3:
        req = gcs.recv_match(type="MISSION_REQUEST", blocking=True, timeout=5)  # ArduPilot asks the legacy way
        gcs.mav.send(new[req.seq])
        sent = max(sent, req.seq + 1)
    # The ground station gives up here; ArduPilot keeps the items it already stored.
    wait_for(lambda: sim.vehicle(0).mission[2].x == pytest.approx(LAT + 0.01, abs=1e-7), 5, "item 2 stored")
    mission = sim.vehicle(0).mission
    assert len(mission) == 6  # old items 3..5 are still there: a mix of old and new
    assert mission[3].x == pytest.approx(LAT + 0.0009, abs=1e-7)
