"""A drone's analysis process that dies without a word (killed, crashed) is said at once, and in lockstep its
simulated drone is freed instead of waiting for frames that will never come (the e2e test used to hang to its
time limit when that happened)."""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))

from console_kit import patrol

from gridpatrol.config import default_data_dir
from gridpatrol.station.lockstep import Lockstep
from gridpatrol.station.vision_proc import StreamEvent, StreamProcess, StreamSpec
from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig


class Clock:
    """A simulated clock as lockstep holds it."""

    sim_time = 100.0
    mark: float | None = None

    def hold_at(self, t: float | None) -> None:
        self.mark = t


def test_a_killed_analysis_is_said_and_frees_its_drone(tmp_path: Path) -> None:
    with patrol(tmp_path, fly=False) as (station, _):
        rig = station.rigs["drone-1"]
        clock = Clock()
        station.lockstep = Lockstep({"drone-1": clock}, sim_s_per_frame=2.0)
        station.lockstep.on_event(StreamEvent("ready", "drone-1"))
        station.lockstep.on_pose("drone-1", alt_rel=20.0)
        assert clock.mark == 102.0  # held: waiting for the analysis
        spec = StreamSpec(
            drone_id="drone-1",
            mission_id="m-1",
            source=str(tmp_path),
            camera=CameraProfile(image_width_px=640, image_height_px=480),
            vision=VisionConfig(),
            district_path=None,
            scene_path=None,
            data_dir=default_data_dir(),
            cache_dir=tmp_path / "cache",
        )
        rig.stream = StreamProcess(spec, station.events, mp.get_context("spawn"))
        rig.stream_state = "analysing"
        station.check_analyses()
        assert rig.stream_state == "analysing" and station.events.empty(), "not started: nothing to say"
        rig.stream.start()
        rig.stream.process.kill()
        rig.stream.process.join(30)
        station.check_analyses()
        station.check_analyses()  # said once
        events = [station.events.get(timeout=5)]
        with pytest.raises(queue.Empty):
            station.events.get(timeout=1.0)
        assert events[0].kind == "error" and "exit code -9" in str(events[0].error)
        station._handle(events[0])
        assert rig.stream_state == "error"
        assert any("drone-1: video: the video analysis process ended" in m for m in station.messages)
        assert clock.mark is None, "lockstep must free the drone whose analysis died"
        deadline = time.monotonic() + 5
        while rig.stream.process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
