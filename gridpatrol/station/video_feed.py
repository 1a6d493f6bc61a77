"""Live video for the operator console: each camera frame JPEG-encoded once, with the latest analysis overlay.

The analysis process (:mod:`gridpatrol.station.vision_proc`) renders or reads frames at the camera's rate
(``StreamSpec.video_fps``) and analyses only some of them (``StreamSpec.fps``). Every frame goes to the station as
a :class:`VideoFrame` on a one-slot queue (newest wins: a slow station drops old frames, it never queues them),
carrying the newest overlay so far: people's boxes in image pixels with their track id and mask verdict, and the
outline of each reported crowd, stamped with the number of the frame it was computed on.

Example:
    >>> import numpy as np
    >>> frame = VideoFrame.encode("d1", 7, 1.0e9, np.zeros((8, 8, 3), np.uint8), None, quality=70)
    >>> frame.jpeg[:2] == b"\\xff\\xd8", frame.width, frame.overlay is None
    (True, 8, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np


class BoxRecord(TypedDict):
    """One person on a frame: box (x1, y1, x2, y2 px), track id (None untracked), mask verdict (None unjudged)."""

    box: list[float]
    track_id: int | None
    verdict: str | None


class CrowdOutline(TypedDict):
    """A reported crowd: its id, how many people, the convex hull of its members' boxes (px, closed ring)."""

    crowd_id: int
    count: int
    hull: list[list[float]]


class Overlay(TypedDict):
    """What the analysis drew on frame ``frame``, analysed at wall time ``analysed_wall``."""

    frame: int
    analysed_wall: float
    boxes: list[BoxRecord]
    crowds: list[CrowdOutline]


@dataclass(frozen=True)
class VideoFrame:
    """One camera frame as the console serves it (picklable; sent from the analysis process).

    Attributes:
        drone_id: Whose camera.
        number: Frame number from the stream's start (every frame the camera gave, analysed or not).
        captured: Wall-clock time the frame reached the station (s since the epoch).
        jpeg: The frame, JPEG-encoded once for every viewer.
        width: Image width (px).
        height: Image height (px).
        overlay: The newest analysis overlay (of this frame or an earlier one), or None before the first.
    """

    drone_id: str
    number: int
    captured: float
    jpeg: bytes
    width: int
    height: int
    overlay: Overlay | None

    @classmethod
    def encode(
        cls, drone_id: str, number: int, captured: float, image: np.ndarray, overlay: Overlay | None, quality: int
    ) -> VideoFrame:
        """JPEG-encode a BGR ``image`` (OpenCV) into a frame for the console."""
        import cv2

        ok, buf = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
        if not ok:
            raise ValueError("JPEG encoding failed")
        h, w = image.shape[:2]
        return cls(drone_id, number, captured, buf.tobytes(), int(w), int(h), overlay)


def _hull(points: np.ndarray) -> list[list[float]]:
    import cv2

    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in hull]


def overlay_record(result: Any, frame_no: int, analysed_wall: float | None = None) -> Overlay:
    """The overlay of one analysed frame (a :class:`vision.pipeline.FrameResult`).

    Mask verdicts are joined to people by track id (or by person index for an untracked person); a crowd's
    outline is the convex hull of the corners of the boxes of its members that this frame shows.
    """
    people = result.people
    n = len(people)
    xyxy = np.asarray(people.xyxy, dtype=float).reshape(-1, 4) if n else np.empty((0, 4))
    ids = people.tracker_id if people.tracker_id is not None else np.full(n, -1)
    by_track: dict[int, str] = {}
    by_index: dict[int, str] = {}
    for face in result.faces:
        if face.tracker_id is not None and face.tracker_id >= 0:
            by_track[int(face.tracker_id)] = str(face.label)
        elif face.person_index is not None:
            by_index[int(face.person_index)] = str(face.label)
    boxes: list[BoxRecord] = []
    for i in range(n):
        tid = int(ids[i]) if ids[i] >= 0 else None
        verdict = by_track.get(tid) if tid is not None else by_index.get(i)
        boxes.append({"box": [round(float(v), 1) for v in xyxy[i]], "track_id": tid, "verdict": verdict})
    crowds: list[CrowdOutline] = []
    for crowd in result.crowds:
        sel = [i for i in range(n) if ids[i] >= 0 and int(ids[i]) in crowd.members]
        if not sel:
            continue
        b = xyxy[sel]
        corners = np.concatenate([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]])
        crowds.append({"crowd_id": int(crowd.id), "count": int(crowd.count), "hull": _hull(corners)})
    wall = time.time() if analysed_wall is None else analysed_wall
    return {"frame": frame_no, "analysed_wall": wall, "boxes": boxes, "crowds": crowds}
