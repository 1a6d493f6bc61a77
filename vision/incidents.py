"""Incidents as vision finds them: the shared contract (:class:`incidents.Incident`) with its snapshot, and the
drawing of snapshots.

Example:
    >>> from datetime import datetime, timezone
    >>> inc = Sighting(type="crowd", ts=datetime(2026, 1, 1, tzinfo=timezone.utc), confidence=0.8, people=6,
    ...                lat=39.9, lon=116.4, grid_id="G1", details={"track_ids": [1, 2, 3, 4, 5, 6]},
    ...                snapshot=b"jpeg")
    >>> body = inc.wire()
    >>> body["type"], body["people"], body["grid_id"], "snapshot" in body, body["snapshot_sha"][:8]
    ('crowd', 6, 'G1', False, '41e5787e')
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import supervision as sv
from pydantic import Field, field_validator, model_validator

from incidents import Incident
from vision.detections import track_ids

if TYPE_CHECKING:
    from vision.masks import FaceCheck

__all__ = ["Incident", "Sighting", "annotate", "annotate_faces", "encode_jpeg"]


class Sighting(Incident):
    """An incident as vision built it: the contract, plus the annotated JPEG of the frame that triggered it.

    The snapshot is never part of the incident's JSON (:meth:`wire`): it travels beside it (the outbox keeps it
    as a blob, the API stores it under :attr:`snapshot_sha`, which is filled in from it). Scores are clamped to
    0..1 and rounded, and a ground position that is not finite is left out, so building one never fails on a
    detector's rounding.
    """

    snapshot: bytes | None = Field(None, exclude=True, repr=False)

    @field_validator("confidence", mode="before")
    @classmethod
    def _score(cls, value: Any) -> Any:
        return None if value is None else round(min(1.0, max(0.0, float(value))), 4)

    @field_validator("lat", "lon", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        return None if value is None or not math.isfinite(float(value)) else float(value)

    @model_validator(mode="after")
    def _name_snapshot(self) -> Sighting:
        if self.snapshot and self.snapshot_sha is None:
            self.snapshot_sha = hashlib.sha256(self.snapshot).hexdigest()
        return self

    def incident(self) -> Incident:
        """The incident alone (no image), as the outbox stores it and the API receives it."""
        return Incident.model_validate(self.wire())

    def summary(self) -> dict[str, object]:
        """A JSON-friendly record of the incident without the image (for JSONL output and logs)."""
        return {**self.wire(), "snapshot_bytes": len(self.snapshot or b"")}


_BOX = sv.BoxAnnotator(thickness=2)
_HIGHLIGHT = sv.BoxAnnotator(color=sv.Color.RED, thickness=3)
_LABEL = sv.LabelAnnotator(text_scale=0.5, text_padding=3)


def annotate(frame: np.ndarray, people: sv.Detections, highlight: set[int] | np.ndarray | None = None) -> np.ndarray:
    """A copy of the frame with every person boxed, their track id and confidence, and the highlighted in red.

    ``highlight``: track ids, or a boolean mask over ``people`` (untracked people, as in photos).
    """
    image = frame.copy()
    if len(people) == 0:
        return image
    image = _BOX.annotate(image, people)
    ids = track_ids(people)
    conf = people.confidence if people.confidence is not None else np.zeros(len(people))
    labels = [f"#{int(i)} {c:.2f}" if i >= 0 else f"{c:.2f}" for i, c in zip(ids, conf, strict=True)]
    image = _LABEL.annotate(image, people, labels=labels)
    if highlight is None:
        return image
    sel = highlight if isinstance(highlight, np.ndarray) else np.isin(ids, list(highlight))
    if sel.any():
        chosen = people[sel]
        assert isinstance(chosen, sv.Detections)
        image = _HIGHLIGHT.annotate(image, chosen)
    return image


# Face verdict colours (BGR order is handled by supervision): bare faces red, masks green, worn wrong orange.
FACE_LABELS = ("with_mask", "without_mask", "mask_weared_incorrect", "unverifiable")
_FACE_PALETTE = sv.ColorPalette([sv.Color.GREEN, sv.Color.RED, sv.Color(255, 140, 0), sv.Color(160, 160, 160)])
_FACE_BOX = sv.BoxAnnotator(color=_FACE_PALETTE, thickness=2, color_lookup=sv.ColorLookup.CLASS)
_FACE_LABEL = sv.LabelAnnotator(
    color=_FACE_PALETTE,
    text_scale=0.45,
    text_padding=2,
    color_lookup=sv.ColorLookup.CLASS,
    text_position=sv.Position.BOTTOM_LEFT,
)


def annotate_faces(image: np.ndarray, faces: Sequence[FaceCheck]) -> np.ndarray:
    """``image`` (drawn on in place and returned) with each judged face boxed in its verdict's colour and labelled.

    ``unverifiable`` checks are not drawn: their box is often only an estimated head region, nothing to look at.
    """
    shown = [f for f in faces if f.verifiable]
    if not shown:
        return image
    dets = sv.Detections(
        xyxy=np.array([f.xyxy for f in shown], dtype=np.float32),
        class_id=np.array([FACE_LABELS.index(f.label) for f in shown], dtype=int),
    )
    labels = [f"{f.label} {f.confidence:.2f}" for f in shown]
    image = _FACE_BOX.annotate(image, dets)
    return _FACE_LABEL.annotate(image, dets, labels=labels)


def encode_jpeg(image: np.ndarray, quality: int = 85, max_px: int = 1280) -> bytes:
    """JPEG bytes of a BGR image, shrunk so its longest side is at most ``max_px``."""
    h, w = image.shape[:2]
    scale = max_px / max(h, w)
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the snapshot as JPEG")
    return buf.tobytes()
