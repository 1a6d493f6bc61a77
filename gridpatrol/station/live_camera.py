"""Live video in the analysis process: a camera thread at the camera's rate, the analysis at its own.

Without live video the analysis process reads (or renders) a frame, analyses it, and reads the next
(:mod:`gridpatrol.station.vision_proc`). With ``StreamSpec.video_fps`` the two are apart, so a slow analysis never
slows the operator's video: a camera thread reads or renders every frame at ``video_fps``, sends it JPEG-encoded
to the station's one-slot video queue (newest wins) with the newest overlay, and leaves the newest frame with a
fresh pose in a one-slot hand-over; the process's main thread analyses what it finds there at ``fps`` and makes the
next overlay from it. Only the camera thread touches the pose feed and the renderer or source; only the main thread
runs the pipeline.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from gridpatrol.station.stream_analysis import MIN_ANALYSIS_ALT_M, StreamEvent, StreamSpec, emit_result, put_latest
from gridpatrol.station.video_feed import Overlay, VideoFrame, overlay_record
from vision.geolocate import Pose


@dataclass(frozen=True)
class Shot:
    """A frame handed to the analysis: the image, its time (as the pipeline takes it), when it arrived (epoch s),
    its pose and its frame number."""

    image: Any
    t: float
    captured: float
    pose: Pose
    number: int


class LiveCamera:
    """The hand-over between the camera thread and the analysis, and the live video sent to the station."""

    def __init__(self, spec: StreamSpec, video: Any) -> None:
        self.spec = spec
        self.video = video
        self.number = 0
        self.overlay: Overlay | None = None
        self.error: BaseException | None = None
        self.done = False
        self._shot: Shot | None = None
        self._cond = threading.Condition()

    def offer(self, image: Any, t: float, captured: float, pose: Pose | None) -> None:
        """A new camera frame: sent as live video; kept for the analysis when ``pose`` is fresh and high enough."""
        self.number += 1
        frame = VideoFrame.encode(
            self.spec.drone_id, self.number, captured, image, self.overlay, self.spec.video_quality
        )
        put_latest(self.video, frame)
        if pose is not None and pose.alt_rel >= MIN_ANALYSIS_ALT_M:
            with self._cond:
                self._shot = Shot(image, t, captured, pose, self.number)
                self._cond.notify()

    def take(self, timeout_s: float) -> Shot | None:
        """The newest frame to analyse (each once), or None after ``timeout_s`` or when the camera has stopped."""
        with self._cond:
            self._cond.wait_for(lambda: self._shot is not None or self.done, timeout_s)
            shot, self._shot = self._shot, None
            return shot

    def analysed(self, result: Any, number: int) -> None:
        """Frame ``number``'s analysis: its overlay goes with the frames from now on."""
        self.overlay = overlay_record(result, number)

    def finish(self, error: BaseException | None = None) -> None:
        """The camera stopped (the station said stop, the source ended, or ``error``)."""
        with self._cond:
            self.error = self.error or error
            self.done = True
            self._cond.notify_all()


def _sim_camera(spec: StreamSpec, poses: Any, live: LiveCamera, out: Any) -> None:
    from gridpatrol.station.stream_analysis import sim_renderer

    renderer = sim_renderer(spec)
    out.put(StreamEvent("ready", spec.drone_id))
    period = 1.0 / spec.video_fps
    pose: Pose | None = None
    image: Any = None
    while not poses.stopped:
        started = time.monotonic()
        newest = poses.drain(wait_s=1.0 if pose is None else 0.0)
        if newest is not None:
            pose, image = newest, None
        if pose is None or pose.alt_rel < MIN_ANALYSIS_ALT_M:
            pose = None  # on the ground: nothing to see; wait for the next pose
            continue
        if image is None:  # the scene stands still: the same pose (a held simulated clock) shows the same image
            image = renderer.render(pose)
        live.offer(image, pose.time, time.time(), newest)  # as in vision_proc: the frame "arrives" when rendered
        time.sleep(max(0.0, period - (time.monotonic() - started)))


def _source_camera(spec: StreamSpec, poses: Any, live: LiveCamera, out: Any) -> None:
    from vision.sources import open_source

    v = spec.vision
    with open_source(spec.source, fps=spec.video_fps, timeout_s=v.open_timeout_s, reconnect_s=v.reconnect_s) as frames:
        out.put(StreamEvent("ready", spec.drone_id))
        for frame in frames:
            if poses.stopped:
                break
            captured = frame.t if frame.t > 1e9 else time.time()
            live.offer(frame.image, frame.t, captured, poses.near(captured))


def run_live(spec: StreamSpec, pipeline: Any, poses: Any, out: Any, video: Any) -> None:
    """Analyse at ``spec.fps`` while a camera thread sends every frame at ``spec.video_fps`` (the process's work).

    Raises:
        Exception: What stopped the camera thread (the source cannot be read, the scene is missing ...).
    """
    live = LiveCamera(spec, video)

    def camera() -> None:
        try:
            (_sim_camera if spec.source == "sim" else _source_camera)(spec, poses, live, out)
            live.finish()
        except BaseException as exc:  # reported by the main thread, as the analysis' own errors are
            live.finish(exc)

    thread = threading.Thread(target=camera, name=f"camera-{spec.drone_id}", daemon=True)
    thread.start()  # it says "ready" once the renderer is loaded or the source open, as the plain loops do
    period = 1.0 / spec.fps
    while not live.done:
        started = time.monotonic()
        shot = live.take(timeout_s=1.0)
        if shot is None:
            continue
        result = pipeline.process(shot.image, shot.t, shot.pose)
        live.analysed(result, shot.number)
        emit_result(out, spec, result, shot.captured, shot.pose)
        time.sleep(max(0.0, period - (time.monotonic() - started)))
    thread.join(5.0)
    if live.error is not None:
        raise live.error
