"""The JSON record of one analysed frame (:meth:`vision.pipeline.FrameResult.to_json`), as typed dictionaries.

``gridpatrol detect`` writes one such record per line (with the frame's number and file name added). Keys that a
person may lack (no ground position, outside every grid) are left out rather than set to null.

Example:
    >>> face: FaceRecord = {
    ...     "person_index": 0, "track_id": 3, "box": [10.0, 5.0, 30.0, 28.0],
    ...     "label": "without_mask", "confidence": 0.91, "face_px": 23.0,
    ... }
    >>> sorted(FaceRecord.__required_keys__) == sorted(face)
    True
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class PersonRecord(TypedDict):
    """One person: box (x1, y1, x2, y2 px), confidence, track id (None untracked), where the feet are if known."""

    box: list[float]
    confidence: float | None
    track_id: int | None
    lat: NotRequired[float]
    lon: NotRequired[float]
    error_m: NotRequired[float]
    grid_id: NotRequired[str]


class FaceRecord(TypedDict):
    """One face check: whose (person index, track id), where (None for an estimated head region), the verdict."""

    person_index: int | None
    track_id: int | None
    box: list[float] | None
    label: str
    confidence: float
    face_px: float


class CrowdEventRecord(TypedDict):
    """A crowd opened or closed in this frame, and how many people it holds."""

    kind: Literal["opened", "closed"]
    crowd_id: int
    count: int


class FrameRecord(TypedDict):
    """Everything one frame gave; ``incidents`` are the incidents' own JSON (``Sighting.summary``)."""

    t: float
    tile: int | None
    people: list[PersonRecord]
    faces: list[FaceRecord]
    incidents: list[dict[str, object]]
    crowd_events: list[CrowdEventRecord]
    timings_ms: dict[str, float]
