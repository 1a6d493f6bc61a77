"""A real worker process: picklable spec in, poses through shared memory, frames and incidents out."""

from __future__ import annotations

import multiprocessing as mp
import shutil
from pathlib import Path

import pytest

from mission_planner.profiles import CameraProfile
from vision.config import CrowdConfig, MaskStageConfig, VisionConfig
from vision.geolocate import Pose
from vision.synthetic import assets_dir
from vision.worker import PoseBoard, StreamMessage, StreamSpec, run_stream


def test_pose_board_round_trip() -> None:
    board = PoseBoard()
    assert board.get() is None
    board.set(Pose(lat=30.5, lon=114.3, alt_rel=40.0, yaw=12.0, gimbal_pitch=-60.0, time=3.0))
    got = board.get()
    assert got is not None and (got.lat, got.yaw, got.gimbal_pitch, got.time) == (30.5, 12.0, -60.0, 3.0)


def collect(q: mp.Queue, timeout: float = 120.0) -> list[StreamMessage]:  # type: ignore[type-arg]
    out = []
    while True:
        msg = q.get(timeout=timeout)
        out.append(msg)
        if msg.done:
            return out


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_worker_process_on_image_folder(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        shutil.copy(assets_dir() / "bus.jpg", frames / f"{i:02d}.jpg")
    cfg = VisionConfig(
        crowd=CrowdConfig(min_people=3, max_spacing_m=5.0, min_duration_s=1.0),
        masks=MaskStageConfig(enabled=False),
    )
    spec = StreamSpec(str(frames), cfg, CameraProfile(image_width_px=810, image_height_px=1080), drone_id="d-1")
    ctx = mp.get_context("spawn")  # what the station uses: nothing inherited but the arguments
    board, results, stop = PoseBoard(ctx), ctx.Queue(), ctx.Event()
    board.set(Pose(lat=30.544, lon=114.295, alt_rel=6.0, gimbal_pitch=-30.0))
    proc = ctx.Process(target=run_stream, args=(spec, board, results, stop))
    proc.start()
    try:
        messages = collect(results)
    finally:
        proc.join(30)
    assert proc.exitcode == 0
    assert messages[-1].done and messages[-1].error is None
    records = [m.record for m in messages[:-1]]
    assert [r["frame"] for r in records] == [0, 1, 2, 3]
    assert all(len(r["people"]) >= 4 for r in records)
    incidents = [i for m in messages for i in m.incidents]
    assert [i.type for i in incidents] == ["crowd"] and incidents[0].drone_id == "d-1"
    assert incidents[0].snapshot and incidents[0].snapshot[:2] == b"\xff\xd8"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_worker_reports_a_dead_source() -> None:
    ctx = mp.get_context("spawn")
    results, stop = ctx.Queue(), ctx.Event()
    cfg = VisionConfig(open_timeout_s=1.0, masks=MaskStageConfig(enabled=False))
    board = PoseBoard(ctx)  # kept referenced until the child has unpickled it
    proc = ctx.Process(target=run_stream, args=(StreamSpec("rtsp://127.0.0.1:1/x", cfg), board, results, stop))
    proc.start()
    msg = results.get(timeout=90)
    proc.join(30)
    assert msg.done and msg.error is not None and "cannot open video source" in msg.error
