"""Scoring person detections against the simulated camera's ground truth (``CameraRenderer.truth``).

Example:
    >>> iou((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    >>> truth = {"p0": (0, 0, 10, 20), "p1": (50, 50, 60, 70)}
    >>> match(truth, [(1, 1, 10, 20), (100, 100, 110, 120)], min_iou=0.5)
    ({'p0': 0}, [1])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Box = tuple[float, float, float, float]


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(
    truth: Mapping[str, Sequence[float]], detections: Sequence[Sequence[float]], min_iou: float = 0.5
) -> tuple[dict[str, int], list[int]]:
    """Greedy one-to-one matching by IoU, best pairs first.

    Returns:
        (person id -> index of the detection matched to it, indices of detections matched to nobody).
    """
    pairs = sorted(
        ((iou(box, det), pid, j) for pid, box in truth.items() for j, det in enumerate(detections)), reverse=True
    )
    found: dict[str, int] = {}
    used: set[int] = set()
    for score, pid, j in pairs:
        if score < min_iou:
            break
        if pid not in found and j not in used:
            found[pid] = j
            used.add(j)
    return found, [j for j in range(len(detections)) if j not in used]


def yolo_people(
    model: object, image: object, *, tile: int | None = None, conf: float = 0.25
) -> list[tuple[float, float, float, float]]:
    """Person boxes (COCO class 0) from an ultralytics YOLO model, on the whole frame or in ``tile`` px tiles.

    Tiling uses supervision's InferenceSlicer (tiles of ``tile`` px overlapping by 64 px, merged by NMS), which
    keeps small, distant people at the detector's native scale instead of shrinking the frame to 640 px.
    """
    import numpy as np
    import supervision as sv

    def detect(img: np.ndarray) -> sv.Detections:
        result = model.predict(img, classes=[0], conf=conf, verbose=False)[0]  # type: ignore[attr-defined]
        return sv.Detections.from_ultralytics(result)

    if tile is None:
        dets = detect(np.asarray(image))
    else:
        slicer = sv.InferenceSlicer(callback=detect, slice_wh=(tile, tile), overlap_wh=(64, 64))
        dets = slicer(np.asarray(image))
    return [tuple(float(v) for v in box) for box in dets.xyxy]  # type: ignore[misc]
