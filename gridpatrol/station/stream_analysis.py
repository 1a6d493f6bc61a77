"""What runs inside a drone's analysis process: its settings, the records it sends back, and the loops that
analyse a simulated camera or a video source (:mod:`.vision_proc` starts the process; :mod:`.live_camera` adds the
live video thread). Kept apart from the process handle so that the live camera and the process handle both build
on it without importing each other.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig
from vision.geolocate import Pose

log = logging.getLogger(__name__)

#: Below this height (m) the drone is on the ground or taking off: nothing to analyse.
MIN_ANALYSIS_ALT_M = 3.0


@dataclass(frozen=True)
class StreamSpec:
    """What one analysis process needs (plain, picklable settings).

    Attributes:
        drone_id: The drone whose camera this is.
        mission_id: The mission flown, copied into incidents.
        source: ``sim`` for the simulated camera, else a video URL, file or image folder.
        camera: The camera profile (intrinsics, image size).
        vision: The ``[vision]`` settings.
        district_path: District file, so positions are mapped to grids.
        scene_path: Ground scene (JSON of :class:`sim.scene.GroundScene`) for the ``sim`` source.
        data_dir: Models and sample data.
        cache_dir: Where the simulated camera keeps its person sprites.
        fps: Frames analysed per second of wall time at most.
        video_fps: Camera frames per second sent to the station as live video (:mod:`.live_camera`); 0: none.
        video_quality: JPEG quality of the live video.
    """

    drone_id: str
    mission_id: str | None
    source: str
    camera: CameraProfile
    vision: VisionConfig
    district_path: Path | None
    scene_path: Path | None
    data_dir: Path
    cache_dir: Path
    fps: float = 2.0
    video_fps: float = 0.0
    video_quality: int = 75


@dataclass
class StreamEvent:
    """A message from an analysis process to the station."""

    kind: Literal["ready", "frame", "incident", "error", "stopped"]
    drone_id: str
    t: float = 0.0
    people: int = 0
    incident: Any = None
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    frame_wall: float = 0.0
    pose: Pose | None = None
    crowds: int = 0
    wall: float = field(default_factory=time.time)


def put_latest(q: Any, item: Any) -> None:
    """Put ``item`` on a one-slot queue, replacing what the consumer has not taken yet (newest wins)."""
    with contextlib.suppress(queue.Empty):
        q.get_nowait()
    with contextlib.suppress(queue.Full):
        q.put_nowait(item)


class PoseFeed:
    """The poses received in the process, to pick the one nearest a frame's capture time (wall clock)."""

    def __init__(self, poses: Any) -> None:
        self.queue = poses
        self.recent: deque[tuple[float, Pose]] = deque(maxlen=64)
        self.stopped = False

    def drain(self, wait_s: float = 0.0) -> Pose | None:
        """Take every pose waiting (the newest is returned); ``None`` from the station means stop."""
        newest: Pose | None = None
        try:
            item = self.queue.get(timeout=wait_s) if wait_s > 0 else self.queue.get_nowait()
            while True:
                if item is None:
                    self.stopped = True
                    return newest
                wall, pose = item
                self.recent.append((wall, pose))
                newest = pose
                item = self.queue.get_nowait()
        except queue.Empty:
            return newest

    def near(self, wall: float) -> Pose | None:
        self.drain()
        if not self.recent:
            return None
        return min(self.recent, key=lambda wp: abs(wp[0] - wall))[1]


def build_pipeline(spec: StreamSpec) -> Any:
    """The vision pipeline for this stream (models loaded here, in the analysis process, never in the station)."""
    from mission_planner.district_io import load_district
    from vision.pipeline import Pipeline

    district = load_district(spec.district_path) if spec.district_path else None
    pipeline = Pipeline(
        spec.vision, spec.camera, district, drone_id=spec.drone_id, mission_id=spec.mission_id, data_dir=spec.data_dir
    )
    pipeline.warmup()  # before "ready": the drones take off only then
    return pipeline


def emit_result(out: Any, spec: StreamSpec, result: Any, captured: float, pose: Pose) -> None:
    """Send the frame's figures and its new incidents; ``captured`` is the frame's wall-clock capture time."""
    out.put(
        StreamEvent(
            "frame",
            spec.drone_id,
            result.t,
            len(result.people),
            timings_ms=result.timings_ms,
            frame_wall=captured,
            pose=pose,
            crowds=len(result.crowds),
        )
    )
    for incident in result.incidents:
        out.put(
            StreamEvent(
                "incident",
                spec.drone_id,
                result.t,
                incident.people,
                incident=incident,
                frame_wall=captured,
                timings_ms=result.timings_ms,
            )
        )


def sim_renderer(spec: StreamSpec) -> Any:
    """The simulated camera (:class:`sim.camera.CameraRenderer`) over the spec's ground scene."""
    from sim.camera import CameraRenderer
    from sim.scene import GroundScene
    from sim.sprites import SpriteBank

    if spec.scene_path is None:
        raise ValueError("the sim camera needs a ground scene (scene_path)")
    scene = GroundScene.load(spec.scene_path)
    return CameraRenderer(spec.camera, scene, sprites=SpriteBank.load(spec.data_dir, cache_dir=spec.cache_dir))


def run_sim(spec: StreamSpec, pipeline: Any, poses: PoseFeed, out: Any) -> None:
    """Analyse the simulated camera: render the scene from each newest pose above the analysis height."""
    renderer = sim_renderer(spec)
    out.put(StreamEvent("ready", spec.drone_id))
    period = 1.0 / spec.fps
    while not poses.stopped:
        started = time.monotonic()
        pose = poses.drain(wait_s=1.0)
        if pose is None or pose.alt_rel < MIN_ANALYSIS_ALT_M:
            continue
        frame = renderer.render(pose)  # the simulator renders with the same CameraPose and camera model
        # the frame reaches the station now: the render stands for the camera and its video link (a real link adds
        # its own 0.1-0.3 s), so latencies count from here, as they would from a frame's arrival
        captured = time.time()
        emit_result(out, spec, pipeline.process(frame, pose.time, pose), captured, pose)
        time.sleep(max(0.0, period - (time.monotonic() - started)))


def run_video(spec: StreamSpec, pipeline: Any, poses: PoseFeed, out: Any) -> None:
    """Analyse a video source, each frame with the pose nearest its capture time."""
    from vision.sources import open_source

    v = spec.vision
    with open_source(spec.source, fps=spec.fps, timeout_s=v.open_timeout_s, reconnect_s=v.reconnect_s) as frames:
        out.put(StreamEvent("ready", spec.drone_id))
        for frame in frames:
            if poses.stopped:
                break
            captured = frame.t if frame.t > 1e9 else time.time()
            pose = poses.near(captured)
            if pose is None or pose.alt_rel < MIN_ANALYSIS_ALT_M:
                continue
            emit_result(out, spec, pipeline.process(frame.image, frame.t, pose), captured, pose)
