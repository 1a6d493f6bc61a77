"""The station's small parts: poses from telemetry, the [run] section, operator commands."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gridpatrol.station.config import DroneLink, RunConfig
from gridpatrol.station.console import run_command
from gridpatrol.station.poses import PoseTracker
from gridpatrol.station.vision_proc import put_latest
from vision.camera_model import CameraPose


def sample(t: float, lon: float, yaw: float = 90.0) -> CameraPose:
    return CameraPose(30.0, lon, 20.0, yaw=yaw, gimbal_pitch=-60.0, time=t)


def test_pose_at_a_frame_time_is_interpolated_and_clamped() -> None:
    poses = PoseTracker()
    with pytest.raises(LookupError):
        poses.at(1.0)
    poses.add(sample(10.0, 114.0, yaw=350.0), received=100.0)
    poses.add(sample(12.0, 114.002, yaw=10.0), received=101.0)
    mid = poses.at(11.0)
    assert mid.lon == pytest.approx(114.001)
    assert mid.yaw == pytest.approx(0.0, abs=1e-9) or mid.yaw == pytest.approx(360.0)
    assert poses.at(5.0).lon == 114.0 and poses.at(99.0).lon == pytest.approx(114.002)


def test_vehicle_clock_rate_is_measured_not_assumed() -> None:
    poses = PoseTracker()
    for k in range(5):  # a simulator at 4x: 4 vehicle seconds per station second
        poses.add(sample(4.0 * k, 114.0), received=100.0 + k)
    assert poses.vehicle_time(106.0) == pytest.approx(24.0)


def test_a_rebooted_vehicle_starts_a_fresh_history() -> None:
    poses = PoseTracker()
    poses.add(sample(500.0, 114.0), received=1.0)
    poses.add(sample(1.0, 114.5), received=2.0)
    assert poses.at(500.0).lon == 114.5


def test_telemetry_becomes_the_one_camera_pose() -> None:
    """GLOBAL_POSITION_INT and MOUNT_STATUS make the same CameraPose the simulator reports and vision uses."""
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    from sim.vehicle import CameraPose as SimPose

    poses = PoseTracker(default_gimbal_pitch=-45.0)
    poses.on_message(mavlink.MAVLink_mount_status_message(1, 1, -3000, 0, 1500))
    poses.on_message(mavlink.MAVLink_global_position_int_message(12500, 305440000, 1142950000, 0, 25000, 0, 0, 0, 9000))
    got = poses.at(12.5)
    assert type(got) is CameraPose and SimPose is CameraPose
    assert got == CameraPose(30.544, 114.295, 25.0, yaw=90.0, gimbal_pitch=-30.0, gimbal_yaw=15.0, time=12.5)
    assert poses.latest() is got  # one sample: the pose at its own time is the sample itself


def test_run_section_names_the_bad_field() -> None:
    with pytest.raises(ValidationError, match="not a MAVLink link"):
        DroneLink(id="drone-1", connect="http://127.0.0.1:5760")
    with pytest.raises(ValidationError, match="appears twice"):
        RunConfig(drones=[DroneLink(id="d", connect="tcp:a:1"), DroneLink(id="d", connect="tcp:a:2")])
    with pytest.raises(ValidationError, match="unknown pattern"):
        RunConfig(patterns=["zigzag"])
    with pytest.raises(ValidationError, match="Extra inputs"):
        RunConfig.model_validate({"dornes": []})


def test_newest_pose_replaces_the_one_not_yet_taken() -> None:
    import queue

    q: queue.Queue[int] = queue.Queue(maxsize=1)
    put_latest(q, 1)
    put_latest(q, 2)
    assert q.get_nowait() == 2 and q.empty()


class _NoStation:
    """Only the command parsing is under test here: any call through to a drone is a failure."""

    def __init__(self) -> None:
        self.rigs = {"drone-1": None, "drone-2": None}
        self.incidents: list[object] = []

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"{name} should not have been called")


def test_operator_mistakes_get_an_answer_not_a_crash() -> None:
    station = _NoStation()
    assert "unknown command" in run_command(station, "fly away")  # type: ignore[arg-type]
    assert "which drone" in run_command(station, "pause")  # type: ignore[arg-type]
    assert "give more characters" in run_command(station, "investigate zz")  # type: ignore[arg-type]
    assert run_command(station, "say").startswith("say what")  # type: ignore[arg-type]


def test_station_modules_import_each_other_without_a_cycle() -> None:
    """Every import among gridpatrol.station's modules, TYPE_CHECKING and function-level ones included, is
    acyclic (runtime -> investigate -> rig, never back)."""
    import ast
    from pathlib import Path

    import networkx as nx

    folder = Path(__file__).resolve().parents[2] / "gridpatrol" / "station"
    graph = nx.DiGraph()
    for path in folder.glob("*.py"):
        name = f"gridpatrol.station.{path.stem}"
        graph.add_node(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gridpatrol.station."):
                graph.add_edge(name, node.module)
    assert graph.has_edge("gridpatrol.station.runtime", "gridpatrol.station.investigate")
    assert list(nx.simple_cycles(graph)) == []
