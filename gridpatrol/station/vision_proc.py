"""One analysis process per video stream, so detection never slows telemetry, speech or the other drones.

The station starts :func:`run_stream` in a process of its own (``spawn``: no forked model or threads) with a
:class:`StreamSpec`, a pose queue and a result queue. The station feeds the drone's camera poses from telemetry
(newest wins: the queue holds one); the process answers with :class:`StreamEvent` records: ``ready`` once the
model is loaded, ``frame`` after each analysed frame (people seen, stage timings), ``incident`` for each new
incident (with its snapshot), ``error`` when the stream cannot be read (the message names the source).

Sources: a video URL, file or folder (:func:`vision.sources.open_source`), each frame geolocated with the pose
nearest its capture time; or ``sim``, the simulated camera (:mod:`sim.camera`), which renders the ground scene
as seen from the pose the drone reports.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import queue
import time
import traceback
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


class _Poses:
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


def _pipeline(spec: StreamSpec) -> Any:
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


def _run_sim(spec: StreamSpec, pipeline: Any, poses: _Poses, out: Any) -> None:
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


def _run_video(spec: StreamSpec, pipeline: Any, poses: _Poses, out: Any) -> None:
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


def run_stream(spec: StreamSpec, poses: Any, out: Any, video: Any = None) -> None:
    """Analyse one drone's video until the station sends ``None`` on ``poses`` (the process's main).

    With ``spec.video_fps``, a camera thread also sends every frame to ``video`` (a one-slot queue) as live video
    (:mod:`gridpatrol.station.live_camera`), and the analysis takes the newest frame at its own rate.
    """
    import os

    os.environ.setdefault("YOLO_OFFLINE", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch comes with ultralytics
        pass
    feed = _Poses(poses)
    try:
        pipeline = _pipeline(spec)
        if spec.video_fps > 0 and video is not None:
            from gridpatrol.station.live_camera import run_live

            run_live(spec, pipeline, feed, out, video)
        elif spec.source == "sim":
            _run_sim(spec, pipeline, feed, out)
        else:
            _run_video(spec, pipeline, feed, out)
    except Exception as exc:  # reported to the station, which shows it to the operator
        log.debug("stream %s failed:\n%s", spec.drone_id, traceback.format_exc())
        out.put(StreamEvent("error", spec.drone_id, error=f"{type(exc).__name__}: {exc}"))
    finally:
        out.put(StreamEvent("stopped", spec.drone_id))


class StreamProcess:
    """The station's handle on one analysis process: start, feed poses, stop."""

    def __init__(self, spec: StreamSpec, out: Any, ctx: Any = None) -> None:
        self.spec = spec
        self.ctx = ctx or mp.get_context("spawn")
        self.poses = self.ctx.Queue(maxsize=1)
        #: The newest live video frame (:class:`~.video_feed.VideoFrame`) when ``spec.video_fps`` asks for it.
        self.video = self.ctx.Queue(maxsize=1)
        self.process = self.ctx.Process(
            target=run_stream, args=(spec, self.poses, out, self.video), name=f"vision-{spec.drone_id}", daemon=True
        )

    def start(self) -> None:
        """Start the process (the model loads in the background; a ``ready`` event follows)."""
        self.process.start()

    def feed(self, pose: Pose) -> None:
        """Hand the newest camera pose to the process (never blocks)."""
        put_latest(self.poses, (time.time(), pose))

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the process to finish its frame and stop; kill it if it does not."""
        put_latest(self.poses, None)
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)
