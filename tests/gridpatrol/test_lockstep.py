"""Lockstep: a simulator's clock waits at the mark it is given, and the station's lockstep moves the mark on as
frames are analysed. Real simulators; no assertion on how long anything takes, only on where the clock stops."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gridpatrol.station.lockstep import Lockstep
from gridpatrol.station.vision_proc import MIN_ANALYSIS_ALT_M, StreamEvent
from sim import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(vehicles=1, speedup=20, base_port=0) as s:
        yield s


def wait_until_held(sim: Simulator, mark: float, timeout_s: float = 60.0) -> None:
    """Wait until the clock reached ``mark``; the timeout only stops a test that would hang."""
    deadline = time.monotonic() + timeout_s
    while sim.sim_time < mark - 1e-6:
        assert time.monotonic() < deadline, f"clock at {sim.sim_time:.2f} s, not at the mark {mark} s"
        time.sleep(0.01)


def stays_at(sim: Simulator, mark: float) -> bool:
    """After a moment for the clock to run on if it were free, whether it still stands at ``mark``."""
    time.sleep(0.3)  # 6 simulated seconds at speed-up 20 if it were running
    return abs(sim.sim_time - mark) < 1e-6


def test_the_clock_waits_at_the_mark_and_runs_on_when_freed(sim: Simulator) -> None:
    mark = sim.sim_time + 3.0
    sim.hold_at(mark)
    wait_until_held(sim, mark)
    assert stays_at(sim, mark)
    sim.hold_at(mark + 2.0)  # moved on: it runs to the new mark and waits again
    wait_until_held(sim, mark + 2.0)
    assert stays_at(sim, mark + 2.0)
    sim.hold_at(None)
    sim.wait_sim_time(5.0, timeout=60)
    assert sim.sim_time > mark + 2.0 + 5.0 - 1e-6


def test_lockstep_holds_only_while_frames_are_analysed(sim: Simulator) -> None:
    step = Lockstep({"d1": sim}, sim_s_per_frame=2.0)
    step.on_pose("d1", alt_rel=MIN_ANALYSIS_ALT_M - 1)  # on the ground: nothing to analyse, the clock runs
    assert step.mark("d1") is None
    sim.wait_sim_time(2.0, timeout=60)
    step.on_pose("d1", alt_rel=15.0)  # airborne, but its analysis is still loading: nothing to wait for yet
    assert step.mark("d1") is None
    step.on_event(StreamEvent("ready", "d1"))
    step.on_pose("d1", alt_rel=15.0)  # airborne and analysed: it may run one frame's worth
    mark = step.mark("d1")
    assert mark is not None and mark >= sim.sim_time - 1e-6
    wait_until_held(sim, mark)
    assert stays_at(sim, mark)
    step.on_pose("d1", alt_rel=15.0)  # more poses do not move the mark: only analysed frames do
    assert stays_at(sim, mark)
    step.on_event(StreamEvent("frame", "d1"))
    wait_until_held(sim, mark + 2.0)
    assert stays_at(sim, mark + 2.0) and step.waits["d1"] == 1
    step.on_event(StreamEvent("incident", "d1"))  # not a frame: no move
    assert stays_at(sim, mark + 2.0)
    step.on_event(StreamEvent("stopped", "d1"))  # its analysis ended: free for good, whatever the poses
    step.on_pose("d1", alt_rel=15.0)
    assert step.mark("d1") is None
    sim.wait_sim_time(5.0, timeout=60)


def test_lockstep_frees_every_clock_when_the_station_stops(sim: Simulator) -> None:
    step = Lockstep({"d1": sim}, sim_s_per_frame=1.0)
    step.on_event(StreamEvent("ready", "d1"))
    step.on_pose("d1", alt_rel=15.0)
    mark = step.mark("d1")
    assert mark is not None
    wait_until_held(sim, mark)
    step.release_all()
    assert step.mark("d1") is None
    step.on_event(StreamEvent("frame", "d1"))  # late frames do not hold it again
    sim.wait_sim_time(5.0, timeout=60)
    step.on_pose("unknown", alt_rel=15.0)  # drones without a simulator are never held
    step.on_event(StreamEvent("frame", "unknown"))


def test_lockstep_needs_a_positive_step() -> None:
    with pytest.raises(ValueError, match="sim_s_per_frame"):
        Lockstep({}, sim_s_per_frame=0.0)


def test_a_held_vehicle_still_sends_its_heartbeat_with_its_present_mode(sim: Simulator) -> None:
    """A ground station times heartbeats in wall-clock time (link lost, mode changes confirmed): a clock held for a
    slow analysis must not look like a dead vehicle, nor leave a mode change unconfirmed."""
    from pymavlink import mavutil

    mark = sim.sim_time + 1.0
    sim.hold_at(mark)
    wait_until_held(sim, mark)
    gcs = mavutil.mavlink_connection(sim.endpoints[0], source_system=255, source_component=190)
    try:
        beats = []
        deadline = time.monotonic() + 60  # only stops a hang
        while len(beats) < 2:
            assert time.monotonic() < deadline, "no heartbeat from the held vehicle"
            msg = gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=1.0)
            if msg is not None and msg.get_srcSystem() == 1:
                beats.append(msg)
        assert abs(sim.sim_time - mark) < 1e-6, "the clock stayed held"
        gcs.mav.set_mode_send(1, mavutil.mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 5)  # LOITER
        while True:
            assert time.monotonic() < deadline, "the mode change never showed in a heartbeat"
            msg = gcs.recv_match(type="HEARTBEAT", blocking=True, timeout=1.0)
            if msg is not None and msg.get_srcSystem() == 1 and msg.custom_mode == 5:
                break
        assert abs(sim.sim_time - mark) < 1e-6
    finally:
        gcs.close()
        sim.hold_at(None)
