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

from gridpatrol.station.video_feed import Overlay, VideoFrame, overlay_record
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
        video_fps: Camera frames per second sent to the station as live video (:mod:`.video_feed`); 0: none.
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


class _Video:
    """Numbers the camera's frames, keeps the newest overlay, and sends each frame JPEG-encoded (newest wins)."""

    def __init__(self, spec: StreamSpec, queue_: Any) -> None:
        self.spec = spec
        self.queue = queue_ if spec.video_fps > 0 else None
        self.number = 0
        self.overlay: Overlay | None = None
        self.next_due = 0.0

    def due(self, now: float) -> bool:
        """Whether the frame taken at ``now`` (monotonic) is analysed: all without live video, else at ``fps``."""
        if self.queue is None or now >= self.next_due:
            self.next_due = max(self.next_due + 1.0 / self.spec.fps, now + 0.5 / self.spec.fps)
            return True
        return False

    def analysed(self, result: Any) -> None:
        """The frame just sent was analysed: its overlay goes with the frames from now on."""
        if self.queue is not None:
            self.overlay = overlay_record(result, self.number)

    def send(self, image: Any, captured: float) -> None:
        """Count the frame and hand it to the station as live video."""
        self.number += 1
        if self.queue is not None:
            frame = VideoFrame.encode(
                self.spec.drone_id, self.number, captured, image, self.overlay, self.spec.video_quality
            )
            put_latest(self.queue, frame)


def _emit_result(out: Any, spec: StreamSpec, result: Any, captured: float, pose: Pose) -> None:
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


def _run_sim(spec: StreamSpec, pipeline: Any, poses: _Poses, out: Any, video: _Video) -> None:
    from sim.camera import CameraRenderer
    from sim.scene import GroundScene
    from sim.sprites import SpriteBank

    if spec.scene_path is None:
        raise ValueError("the sim camera needs a ground scene (scene_path)")
    scene = GroundScene.load(spec.scene_path)
    renderer = CameraRenderer(spec.camera, scene, sprites=SpriteBank.load(spec.data_dir, cache_dir=spec.cache_dir))
    out.put(StreamEvent("ready", spec.drone_id))
    period = 1.0 / max(spec.fps, spec.video_fps)
    pose: Pose | None = None
    fresh = False
    while not poses.stopped:
        started = time.monotonic()
        # without live video every frame waits for a new pose; with it, frames between poses reuse the last one
        newest = poses.drain(wait_s=1.0 if video.queue is None or pose is None else 0.0)
        fresh = fresh or newest is not None
        pose = newest or pose
        if video.queue is None and newest is None:
            continue
        if pose is None or pose.alt_rel < MIN_ANALYSIS_ALT_M:
            pose, fresh = None, False
            continue
        frame = renderer.render(pose)  # the simulator renders with the same CameraPose and camera model
        # the frame reaches the station now: the render stands for the camera and its video link (a real link adds
        # its own 0.1-0.3 s), so latencies count from here, as they would from a frame's arrival
        captured = time.time()
        video.send(frame, captured)
        if fresh and video.due(started):
            fresh = False
            result = pipeline.process(frame, pose.time, pose)
            video.analysed(result)
            _emit_result(out, spec, result, captured, pose)
        time.sleep(max(0.0, period - (time.monotonic() - started)))


def _run_video(spec: StreamSpec, pipeline: Any, poses: _Poses, out: Any, video: _Video) -> None:
    from vision.sources import open_source

    v = spec.vision
    fps = max(spec.fps, spec.video_fps)
    with open_source(spec.source, fps=fps, timeout_s=v.open_timeout_s, reconnect_s=v.reconnect_s) as frames:
        out.put(StreamEvent("ready", spec.drone_id))
        for frame in frames:
            if poses.stopped:
                break
            captured = frame.t if frame.t > 1e9 else time.time()
            pose = poses.near(captured)
            video.send(frame.image, captured)
            if pose is None or pose.alt_rel < MIN_ANALYSIS_ALT_M or not video.due(time.monotonic()):
                continue
            result = pipeline.process(frame.image, frame.t, pose)
            video.analysed(result)
            _emit_result(out, spec, result, captured, pose)


def run_stream(spec: StreamSpec, poses: Any, out: Any, video: Any = None) -> None:
    """Analyse one drone's video until the station sends ``None`` on ``poses`` (the process's main).

    With ``spec.video_fps``, every camera frame also goes to ``video`` (a one-slot queue) as a :class:`VideoFrame`.
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
        live = _Video(spec, video)
        if spec.source == "sim":
            _run_sim(spec, pipeline, feed, out, live)
        else:
            _run_video(spec, pipeline, feed, out, live)
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
        #: The newest live video frame (:class:`VideoFrame`), when ``spec.video_fps`` asks for live video.
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
