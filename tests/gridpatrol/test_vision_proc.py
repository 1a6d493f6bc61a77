"""The station's analysis process on a real source (an image folder) and on a dead one (real YOLO, spawn)."""

from __future__ import annotations

import multiprocessing as mp
import shutil
from pathlib import Path

import pytest

from gridpatrol.config import default_data_dir
from gridpatrol.station.vision_proc import StreamEvent, StreamProcess, StreamSpec
from mission_planner.profiles import CameraProfile
from vision.config import CrowdConfig, MaskStageConfig, VisionConfig
from vision.geolocate import Pose
from vision.synthetic import assets_dir

POSE = Pose(lat=30.544, lon=114.295, alt_rel=6.0, gimbal_pitch=-30.0)


def spec_for(source: str, vision: VisionConfig, tmp_path: Path) -> StreamSpec:
    return StreamSpec(
        drone_id="d-1",
        mission_id="m-1",
        source=source,
        camera=CameraProfile(image_width_px=810, image_height_px=1080),
        vision=vision,
        district_path=None,
        scene_path=None,
        data_dir=default_data_dir(),
        cache_dir=tmp_path / "cache",
    )


def events_until_stopped(out: object, timeout_s: float = 180.0) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    while True:
        ev = out.get(timeout=timeout_s)  # type: ignore[attr-defined]
        events.append(ev)
        if ev.kind == "stopped":
            return events


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_stream_process_on_an_image_folder_reports_frames_and_one_crowd(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        shutil.copy(assets_dir() / "bus.jpg", frames / f"{i:02d}.jpg")
    vision = VisionConfig(
        crowd=CrowdConfig(min_people=3, max_spacing_m=5.0, min_duration_s=1.0), masks=MaskStageConfig(enabled=False)
    )
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = StreamProcess(spec_for(str(frames), vision, tmp_path), out, ctx)
    proc.feed(POSE)  # before start: frames before the first pose would be skipped
    proc.start()
    try:
        events = events_until_stopped(out)
    finally:
        proc.stop()
    kinds = [e.kind for e in events]
    assert kinds[0] == "ready" and kinds[-1] == "stopped" and "error" not in kinds, kinds
    seen = [e for e in events if e.kind == "frame"]
    assert len(seen) == 4 and all(e.people >= 4 for e in seen)
    assert all(e.pose is not None and e.pose.alt_rel == 6.0 for e in seen)
    incidents = [e.incident for e in events if e.kind == "incident"]
    assert [i.type for i in incidents] == ["crowd"]
    assert incidents[0].drone_id == "d-1" and incidents[0].mission_id == "m-1"
    assert incidents[0].snapshot[:2] == b"\xff\xd8"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_stream_process_names_a_dead_source(tmp_path: Path) -> None:
    vision = VisionConfig(open_timeout_s=1.0, masks=MaskStageConfig(enabled=False))
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = StreamProcess(spec_for("rtsp://127.0.0.1:1/x", vision, tmp_path), out, ctx)
    proc.start()
    try:
        events = events_until_stopped(out, 90.0)
    finally:
        proc.stop()
    errors = [e.error for e in events if e.kind == "error"]
    assert (
        len(errors) == 1 and "cannot open video source" in str(errors[0]) and "rtsp://127.0.0.1:1/x" in str(errors[0])
    )
