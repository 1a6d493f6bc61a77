"""Stable ids for people across frames: ultralytics' ByteTrack on ``supervision.Detections``.

supervision 0.31 no longer ships ``sv.ByteTrack``, so the ultralytics implementation is used through a small
adapter (it needs the ``lap`` package, a dependency of the ``vision`` extra). Every detection is returned (with its
``data``) and a ``tracker_id``: the track's id, or -1 for a detection no confirmed track holds yet (a brand-new
person gets an id from their second frame on, or at once in the tracker's first frame).

Example:
    >>> import numpy as np, supervision as sv
    >>> from vision.config import TrackerConfig
    >>> tracker = PersonTracker(TrackerConfig())
    >>> box = sv.Detections(xyxy=np.array([[10.0, 10, 30, 60]]), confidence=np.array([0.9]), class_id=np.array([0]))
    >>> [int(t) for t in tracker.update(box).tracker_id]
    [1]
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import supervision as sv

from vision.config import TrackerConfig
from vision.detections import empty


class _Boxes:
    """What ultralytics' BYTETracker reads from a ``Boxes``: conf, cls, xywh and boolean indexing."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xyxy, self.conf, self.cls = xyxy, conf, cls

    @property
    def xywh(self) -> np.ndarray:
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return np.concatenate([self.xyxy[:, :2] + wh / 2.0, wh], axis=1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: np.ndarray) -> _Boxes:
        return _Boxes(self.xyxy[index], self.conf[index], self.cls[index])


class PersonTracker:
    """ByteTrack over successive frames of one stream; ``update`` once per analysed frame."""

    def __init__(self, cfg: TrackerConfig, frame_rate: float = 30.0) -> None:
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = SimpleNamespace(
            track_high_thresh=cfg.high_thresh,
            track_low_thresh=cfg.low_thresh,
            new_track_thresh=cfg.new_track_thresh,
            track_buffer=cfg.buffer_frames,
            match_thresh=cfg.match_thresh,
            fuse_score=True,
        )
        self._tracker = BYTETracker(args)

    def update(self, dets: sv.Detections) -> sv.Detections:
        """All detections, each with its ``tracker_id`` (-1 where no confirmed track holds it)."""
        n = len(dets)
        conf = dets.confidence if dets.confidence is not None else np.ones(n, dtype=np.float32)
        cls = dets.class_id if dets.class_id is not None else np.zeros(n, dtype=int)
        out = self._tracker.update(_Boxes(dets.xyxy.astype(np.float32), conf.astype(np.float32), cls.astype(float)))
        if n == 0:
            return empty()
        ids = np.full(n, -1, dtype=int)
        if len(out):
            ids[out[:, 7].astype(int)] = out[:, 4].astype(int)
        dets.tracker_id = ids
        return dets
