"""Faces in a still photo: every face in every person's crop, one verdict per face.

A photo is judged on its own: no tracker, no votes across frames, no pose needed. The video path keeps one face
per person (the one nearest the top of the box), which in a crowded close-up picks a neighbour's face, or the same
face for two overlapping person boxes, and leaves the person's own face unjudged. Here every face the mask model
finds in a head crop and whose centre lies in a person box is kept (it may be a neighbour's face that the
neighbour's own crop missed) and given to the person whose box top is nearest; the same face found in several
crops (at different scales, so the boxes differ a little) is merged by the overlap of the smaller box, keeping the
most confident detection. Measured on the face-mask validation split through ``gridpatrol detect --stills`` (see
docs/benchmarks.md): without_mask recall 0.69 with one face per person, 0.82 with this.

Example:
    >>> faces = search_faces(checker, frame, people)  # doctest: +SKIP
    >>> [(f.person_index, f.label) for f in faces if f.verifiable]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vision.masks import ESTIMATE_MARGIN, WARM_BATCHES, FaceCheck, estimated_face_px, head_crop

if TYPE_CHECKING:
    import supervision as sv

    from vision.masks import MaskChecker

# Two detections are the same face when the intersection covers more than this share of the smaller box: a face
# found in a tight crop and in a wide one gives boxes of different sizes, nested rather than equal (IoU misses it).
SAME_FACE_OVERLAP = 0.5


def overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection of two ``xyxy`` boxes over the area of the smaller one (1.0 when one holds the other).

    Example:
        >>> overlap_of_smaller(np.array([0, 0, 10, 10]), np.array([2, 2, 6, 6]))
        1.0
    """
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(iw * ih / smaller) if smaller > 0 else 0.0


def dedupe_faces(rows: np.ndarray, overlap: float = SAME_FACE_OVERLAP) -> np.ndarray:
    """Face rows (``x1, y1, x2, y2, confidence, class, ...``) with repeats of one face dropped, most confident kept.

    Example:
        >>> rows = np.array([[0, 0, 40, 40, 0.9, 1], [2, 2, 36, 38, 0.6, 0], [100, 0, 140, 40, 0.8, 0]])
        >>> dedupe_faces(rows)[:, 4].tolist()
        [0.9, 0.8]
    """
    kept: list[int] = []
    for i in np.argsort(-rows[:, 4], kind="stable"):
        if all(overlap_of_smaller(rows[i], rows[j]) <= overlap for j in kept):
            kept.append(int(i))
    return rows[kept]


def _owner(face: np.ndarray, boxes: np.ndarray) -> int:
    """The person whose box holds the face's centre and whose top centre is nearest the face's (-1: none)."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    best, best_d = -1, np.inf
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        h = max(y2 - y1, 1.0)
        if not (x1 <= cx <= x2 and y1 - 0.05 * h <= cy <= y2):
            continue
        d = (abs(cx - (x1 + x2) / 2) + abs(face[1] - y1)) / max(x2 - x1, 1.0)
        if d < best_d:
            best, best_d = i, d
    return best


def search_faces(checker: MaskChecker, frame: np.ndarray, people: sv.Detections) -> list[FaceCheck]:
    """Every face in ``people``'s head crops of one photo, each judged once (see the module doc).

    Returns one ``FaceCheck`` per distinct face (``person_index``: the person it belongs to, ``tracker_id``
    None), then one ``unverifiable`` check for each person in whom no face was found or whose face is estimated too
    small to judge. Crops go to the model in batches of at most ``WARM_BATCHES`` (the sizes compiled at load).
    """
    height, width = frame.shape[:2]
    boxes = np.asarray(people.xyxy, dtype=np.float64).reshape(-1, 4)
    todo = [i for i, b in enumerate(boxes) if estimated_face_px(b) >= checker.min_face_px * ESTIMATE_MARGIN]
    crops = {i: head_crop(boxes[i], width, height, face_context=checker.imgsz / checker.model_face_px) for i in todo}
    found: list[np.ndarray] = []
    for start in range(0, len(todo), WARM_BATCHES):
        batch = todo[start : start + WARM_BATCHES]
        images = [frame[y1:y2, x1:x2] for x1, y1, x2, y2 in (crops[i] for i in batch)]
        for i, rows in zip(batch, checker.detect_faces(images), strict=True):
            x1, y1, _, _ = crops[i]
            for row in rows:
                face = row.copy()
                face[[0, 2]] += x1
                face[[1, 3]] += y1
                found.append(face)
    faces: list[FaceCheck] = []
    judged: set[int] = set()
    for row in dedupe_faces(np.array(found)) if found else []:
        owner = _owner(row, boxes)
        if owner < 0:  # a face in the crop's margin outside every person box: not a person the detector saw
            continue
        faces.append(checker.face_check(owner, None, row))
        judged.add(owner)
    for i, box in enumerate(boxes):
        if i not in judged:
            faces.append(checker.unverifiable(i, None, box, estimated_face_px(box)))
    return faces
