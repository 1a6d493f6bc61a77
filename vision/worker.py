"""One process per video stream: the station starts :func:`run_stream` with picklable settings.

The pipeline's models live in the worker process; what crosses the process boundary is plain data:

* a :class:`StreamSpec` (source, :class:`VisionConfig`, camera profile, district file, ids),
* a :class:`PoseBoard`: shared memory holding the latest camera pose (the flight link writes it, the worker reads
  it for every frame; latest wins, like the frames),
* a results queue receiving one :class:`StreamMessage` per analysed frame (the JSON record and the new incidents
  with their snapshots), and a final one with ``done=True`` (and ``error`` if the stream could not be read).

Example:
    >>> import multiprocessing as mp  # doctest: +SKIP
    >>> ctx = mp.get_context("spawn")  # doctest: +SKIP
    >>> board, results, stop = PoseBoard(ctx), ctx.Queue(), ctx.Event()  # doctest: +SKIP
    >>> board.set(Pose(lat=30.544, lon=114.295, alt_rel=40))  # doctest: +SKIP
    >>> ctx.Process(target=run_stream, args=(StreamSpec("udp://:5600"), board, results, stop)).start()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig
from vision.geolocate import Pose, PoseLike
from vision.incidents import Incident

log = logging.getLogger(__name__)

_FIELDS = ("lat", "lon", "alt_rel", "yaw", "gimbal_pitch", "gimbal_yaw", "roll", "pitch", "time")


@dataclass(frozen=True)
class StreamSpec:
    """Everything a worker needs to build its pipeline (all picklable)."""

    source: str
    config: VisionConfig = field(default_factory=VisionConfig)
    camera: CameraProfile = field(default_factory=CameraProfile)
    district: Path | None = None
    drone_id: str | None = None
    mission_id: str | None = None
    data_dir: Path | None = None
    max_frames: int = 0


@dataclass
class StreamMessage:
    """What a worker sends per frame: the frame's JSON record and new incidents; ``done`` after the last."""

    record: dict[str, Any] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    done: bool = False
    error: str | None = None


class PoseBoard:
    """The latest camera pose in shared memory (one writer, many readers; a lock keeps a pose whole).

    Create it from the same multiprocessing context as the worker process (``ctx``; default: the default one).
    """

    def __init__(self, ctx: Any = None) -> None:
        self._values = (ctx or mp).Array("d", len(_FIELDS) + 1)  # last slot: 1.0 once a pose was set

    def set(self, pose: PoseLike) -> None:
        """Publish a pose (a ``sim.vehicle.CameraPose`` or anything shaped like it)."""
        p = Pose.of(pose)
        with self._values.get_lock():
            for i, name in enumerate(_FIELDS):
                self._values[i] = float(getattr(p, name))
            self._values[len(_FIELDS)] = 1.0

    def get(self) -> Pose | None:
        """The latest pose, or None before the first."""
        with self._values.get_lock():
            if self._values[len(_FIELDS)] == 0.0:
                return None
            return Pose(**{name: self._values[i] for i, name in enumerate(_FIELDS)})


def run_stream(spec: StreamSpec, poses: PoseBoard, results: Any, stop: Any) -> None:
    """Analyse ``spec.source`` until it ends, ``stop`` is set or ``max_frames`` frames; post to ``results``.

    Frames that arrive before the first pose are skipped (no position can be given). Errors opening the
    source or the models end the worker with a final message naming them.
    """
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from vision.pipeline import Pipeline
    from vision.sources import SourceError, open_source

    try:
        district = None
        if spec.district is not None:
            from mission_planner.district_io import load_district

            district = load_district(spec.district)
        pipe = Pipeline(
            spec.config, spec.camera, district, drone_id=spec.drone_id, mission_id=spec.mission_id,
            data_dir=spec.data_dir,
        )  # fmt: skip
        cfg = spec.config
        source = open_source(
            spec.source, fps=cfg.analyse_fps, timeout_s=cfg.open_timeout_s, reconnect_s=cfg.reconnect_s
        )
    except Exception as exc:  # the station shows this to the operator; the worker must not die silently
        results.put(StreamMessage(done=True, error=f"{type(exc).__name__}: {exc}"))
        return
    done = 0
    error = None
    try:
        with source:
            for frame in source:
                if stop.is_set():
                    break
                pose = poses.get()
                if pose is None:
                    continue
                result = pipe.process(frame.image, frame.t, pose)
                record = {"frame": frame.index, **result.to_json()}
                if frame.name:
                    record["file"] = frame.name
                results.put(StreamMessage(record, result.incidents))
                done += 1
                if spec.max_frames and done >= spec.max_frames:
                    break
    except SourceError as exc:
        error = str(exc)
    results.put(StreamMessage(done=True, error=error))
