"""Incidents: one report per person without a mask or per crowd, with an annotated snapshot, ready for the API.

Example:
    >>> from datetime import datetime, timezone
    >>> inc = Incident(type="crowd", ts=datetime(2026, 1, 1, tzinfo=timezone.utc), confidence=0.8, count=6,
    ...                lat=39.9, lon=116.4, grid_id="G1", track_ids=(1, 2, 3, 4, 5, 6))
    >>> body = inc.to_api()
    >>> body["type"], body["people"], body["grid_id"]
    ('crowd', 6, 'G1')
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import cv2
import numpy as np
import supervision as sv

from vision.detections import track_ids

IncidentType = Literal["no_mask", "crowd"]


@dataclass
class Incident:
    """Something the station reports: a person without a mask (``no_mask``) or a crowd (``crowd``).

    ``id`` is a UUID chosen here, so resending after a network error never makes a duplicate in the API.
    ``snapshot`` is an annotated JPEG (bytes) of the frame that triggered it.
    """

    type: IncidentType
    ts: datetime
    confidence: float
    count: int = 1
    lat: float | None = None
    lon: float | None = None
    grid_id: str | None = None
    track_ids: tuple[int, ...] = ()
    drone_id: str | None = None
    mission_id: str | None = None
    snapshot: bytes | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def snapshot_sha(self) -> str | None:
        """SHA-256 of the snapshot (what the API stores it under)."""
        return hashlib.sha256(self.snapshot).hexdigest() if self.snapshot else None

    def to_api(self) -> dict[str, Any]:
        """The body of ``api.schemas.IncidentCreate`` (send with ``ApiClient.post_incident_batch``).

        Example: ``client.post_incident_batch([(inc.to_api(), inc.snapshot)])`` uploads snapshot and incident
        in one request; ``client.post_incident(inc.to_api())`` after ``client.upload_snapshot(inc.snapshot)``
        does it in two.
        """
        body: dict[str, Any] = {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "type": self.type,
            "people": max(1, int(self.count)),
            "confidence": round(min(1.0, max(0.0, float(self.confidence))), 4),
            "details": {"track_ids": [int(t) for t in self.track_ids], **self.details},
        }
        if self.lat is not None and self.lon is not None and math.isfinite(self.lat) and math.isfinite(self.lon):
            body["lat"], body["lon"] = float(self.lat), float(self.lon)
        for key in ("grid_id", "drone_id", "mission_id"):
            value = getattr(self, key)
            if value:
                body[key] = value
        if self.snapshot:
            body["snapshot_sha"] = self.snapshot_sha
        return body

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly record of the incident without the image (for JSONL output and logs)."""
        out = self.to_api()
        out["snapshot_bytes"] = len(self.snapshot or b"")
        return out


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


def annotate_faces(image: np.ndarray, faces: list[Any]) -> np.ndarray:
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
