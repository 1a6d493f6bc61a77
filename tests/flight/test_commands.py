"""Vehicle commands against the real simulator over TCP, each checked with the simulator's ground truth."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import SPEEDUP, act_held, connected, hold_when, sim_at, wait_until, write_plans

from flight.commands import ArmRefused, Commander, distance_m
from flight.errors import CommandRejected
from flight.vehicle import Vehicle
from mission_planner.geo import LocalFrame
from sim import Simulator

HOME = (30.5440, 114.2950, 20.0)
FRAME = LocalFrame(HOME[1], HOME[0])


def _latlon(east: float, north: float) -> tuple[float, float]:
    lon, lat = FRAME.to_lonlat(east, north)
    return float(lat), float(lon)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(vehicles=1, speedup=SPEEDUP, home=HOME, base_port=0) as simulator:
        yield simulator


@pytest.fixture
def vehicle(sim: Simulator) -> Iterator[Vehicle]:
    with connected(sim) as v:
        yield v


def _airborne(cmd: Commander, alt: float = 20.0) -> None:
    cmd.set_mode("GUIDED")
    cmd.arm()
    cmd.takeoff(alt)


def test_set_mode_by_name_confirmed_by_heartbeat(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = Commander(vehicle)
    cmd.set_mode("loiter")
    assert sim.vehicle(0).mode == "LOITER" and vehicle.state.mode == "LOITER"
    with pytest.raises(ValueError, match="'HOVER' is not a ardupilot mode"):
        cmd.set_mode("HOVER")


def test_refused_mode_says_why(sim: Simulator, vehicle: Vehicle) -> None:
    with pytest.raises(CommandRejected, match=r"mode AUTO on vehicle 1.*AUTO needs a mission"):
        Commander(vehicle).set_mode("AUTO")
    assert sim.vehicle(0).mode == "STABILIZE"


def test_arm_refused_shows_the_prearm_reason(sim: Simulator, vehicle: Vehicle) -> None:
    sim.vehicle(0).lose_gps(600)  # simulated seconds
    cmd = Commander(vehicle)
    with pytest.raises(ArmRefused) as caught:
        cmd.arm()
    assert "Arm: GPS 1: Bad fix" in caught.value.reasons
    assert "Arm: GPS 1: Bad fix" in str(caught.value) and "fix these" in str(caught.value)
    assert not sim.vehicle(0).armed


def test_arm_refused_on_low_battery(sim: Simulator, vehicle: Vehicle) -> None:
    sim.vehicle(0).sag_battery(85)
    with pytest.raises(ArmRefused, match="Arm: Battery 1 low voltage failsafe"):
        Commander(vehicle).arm()


def test_takeoff_goto_speed_and_return(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = Commander(vehicle)
    _airborne(cmd, 15.0)
    truth = sim.vehicle(0)
    assert truth.armed and truth.position[2] == pytest.approx(15.0, abs=1.0)

    cmd.change_speed(4.0)
    target = _latlon(120.0, 40.0)
    cmd.goto(*target, 25.0, wait=False)
    wait_until("cruising", lambda: math.hypot(*truth.velocity[:2]) > 3.0)
    wait_until("steady speed", lambda: abs(math.hypot(*truth.velocity[:2]) - 4.0) < 0.3, timeout=10)
    cmd.goto(*target, 25.0, speed_ms=6.0, timeout_s=60)
    lat, lon, alt, _ = truth.position
    assert distance_m(lat, lon, *target) <= 2.0 and alt == pytest.approx(25.0, abs=1.0)
    assert truth.mode == "GUIDED"

    cmd.return_home()
    assert truth.mode == "RTL"
    cmd.wait_landed(timeout_s=60)
    lat, lon, alt, _ = truth.position
    home = truth.home
    assert not truth.armed and alt < 0.5 and distance_m(lat, lon, home[0], home[1]) < 1.5


def test_land_here(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = Commander(vehicle)
    _airborne(cmd, 10.0)
    cmd.land()
    assert sim.vehicle(0).mode == "LAND"
    cmd.wait_landed(timeout_s=60)
    assert not sim.vehicle(0).armed


def test_gimbal_and_camera_on_a_ground_point(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = Commander(vehicle)
    _airborne(cmd, 30.0)
    truth = sim.vehicle(0)
    cmd.point_gimbal(-45.0, 20.0)
    assert truth.gimbal == pytest.approx((-45.0, 20.0), abs=0.5)

    spot = _latlon(30.0, 0.0)  # 30 m east, on the ground, seen from 30 m up: 45 deg down
    cmd.point_camera_at(*spot, 0.0)
    pitch, yaw = truth.gimbal
    lat, lon, alt, _ = truth.position
    assert pitch == pytest.approx(-math.degrees(math.atan2(alt, distance_m(lat, lon, *spot))), abs=1.0)
    heading = truth.attitude[2]
    assert (heading + yaw) % 360 == pytest.approx(90.0, abs=2.0)  # east, whatever the vehicle faces
    cmd.clear_camera_target()


def test_disarm_refused_in_flight_is_explained(sim: Simulator, vehicle: Vehicle) -> None:
    cmd = Commander(vehicle)
    _airborne(cmd, 10.0)
    with pytest.raises(CommandRejected, match=r"disarm on vehicle 1.*Disarm refused: vehicle is flying"):
        cmd.disarm()
    assert sim.vehicle(0).armed


def test_pause_and_resume_at_the_current_item(tmp_path: Path) -> None:
    from flight.mission_protocol import MISSION, upload_verified
    from mission_planner.qgc_plan import read_qgc_plan

    plan_file = write_plans(tmp_path)[0]
    with sim_at(plan_file) as sim, connected(sim) as vehicle:
        upload_verified(vehicle, read_qgc_plan(plan_file).mission, MISSION)
        cmd = Commander(vehicle)
        _airborne(cmd, 40.0)
        cmd.start_mission()
        truth = sim.vehicle(0)
        # held from cruising past the first waypoint until the pause has landed: the next waypoint cannot come
        # first, however slow the machine
        hold_when(sim, "cruising", lambda: len(truth.reached) >= 2 and math.hypot(*truth.velocity[:2]) > 4.0, 40)
        act_held(sim, "the pause", cmd.pause, lambda: truth.mode == "BRAKE")
        assert truth.mode == "BRAKE" and math.hypot(*truth.velocity[:2]) < 0.5
        item = truth.runner.current
        where = truth.position
        sim.wait_sim_time(5.0)
        assert distance_m(*truth.position[:2], *where[:2]) < 1.0 and len(truth.reached) == 2  # it stays put
        assert cmd.resume() == item
        assert truth.mode == "AUTO" and truth.runner.current == item  # the same item, not a restart
        wait_until("the next waypoint", lambda: len(truth.reached) >= 3, timeout=30)
        assert truth.reached[2][0] == item
        cmd.return_home()
        cmd.wait_landed(timeout_s=60)


@pytest.mark.parametrize("pitch,yaw", [(-90.0, 0.0), (-45.0, 30.0), (10.0, -120.0), (-30.0, 179.0)])
def test_gimbal_quaternion_decodes_like_pymavlink(pitch: float, yaw: float) -> None:
    from pymavlink.quaternion import QuaternionBase

    from flight.commands import quaternion_pitch_yaw

    q = QuaternionBase([0.0, math.radians(pitch), math.radians(yaw)]).q
    assert quaternion_pitch_yaw(list(q)) == pytest.approx((pitch, yaw), abs=1e-6)
