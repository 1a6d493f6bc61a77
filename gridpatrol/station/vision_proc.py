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

import logging
import multiprocessing as mp
import time
import traceback
from typing import Any

from gridpatrol.station.live_camera import run_live
from gridpatrol.station.stream_analysis import (
    MIN_ANALYSIS_ALT_M,
    PoseFeed,
    StreamEvent,
    StreamSpec,
    build_pipeline,
    put_latest,
    run_sim,
    run_video,
)
from vision.geolocate import Pose

__all__ = ["MIN_ANALYSIS_ALT_M", "StreamEvent", "StreamProcess", "StreamSpec", "put_latest", "run_stream"]

log = logging.getLogger(__name__)


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
    feed = PoseFeed(poses)
    try:
        pipeline = build_pipeline(spec)
        if spec.video_fps > 0 and video is not None:
            run_live(spec, pipeline, feed, out, video)
        elif spec.source == "sim":
            run_sim(spec, pipeline, feed, out)
        else:
            run_video(spec, pipeline, feed, out)
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
