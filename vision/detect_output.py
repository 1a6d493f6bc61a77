"""What ``gridpatrol detect`` writes: per-frame JSON lines, annotated frames, and the closing summary.

Kept apart from the command's option handling (``gridpatrol.cli.vision``) so each stays short; nothing here loads
a model.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import cv2
    import numpy as np


class Writer:
    """Per-frame output: JSON lines and annotated frames (a folder of images, or one video ending in .mp4/.avi).

    Frames from an image folder are saved under their source file's name (``IMG_0042.jpg`` stays
    ``IMG_0042.jpg``), so an annotated photo is found beside its original; video frames are numbered.
    """

    def __init__(self, jsonl: Path | None, save: Path | None, fps: float) -> None:
        self.jsonl = jsonl.open("w", encoding="utf-8") if jsonl else None
        self.save, self.fps = save, fps
        self.video: cv2.VideoWriter | None = None
        if save is not None and save.suffix.lower() not in (".mp4", ".avi"):
            save.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any], annotated: np.ndarray | None) -> None:
        """Write one frame's record (and its annotated image when saving)."""
        import cv2

        if self.jsonl:
            self.jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.jsonl.flush()
        if self.save is None or annotated is None:
            return
        if self.save.suffix.lower() in (".mp4", ".avi"):
            if self.video is None:
                h, w = annotated.shape[:2]
                fourcc = cv2.VideoWriter.fourcc(*("mp4v" if self.save.suffix.lower() == ".mp4" else "MJPG"))
                self.video = cv2.VideoWriter(str(self.save), fourcc, self.fps or 2.0, (w, h))
            self.video.write(annotated)
        else:
            name = Path(record["file"]).name if record.get("file") else f"frame_{record['frame']:06d}.jpg"
            cv2.imwrite(str(self.save / name), annotated)

    def close(self) -> None:
        """Flush and close the outputs."""
        if self.jsonl:
            self.jsonl.close()
        if self.video is not None:
            self.video.release()


@dataclass
class Summary:
    """Running totals of a ``detect`` run, and the closing lines that say what was done and what was skipped."""

    stills: bool
    frames: int = 0
    people: int = 0
    tracks: set[int] = field(default_factory=set)
    labels: Counter[str] = field(default_factory=Counter)
    incidents: int = 0

    def add(self, record: dict[str, Any], n_incidents: int) -> None:
        """Count one frame's JSON record."""
        self.frames += 1
        self.people += len(record["people"])
        self.tracks.update(p["track_id"] for p in record["people"] if p.get("track_id") is not None)
        self.labels.update(f["label"] for f in record["faces"])
        self.incidents += n_incidents

    def lines(self, source: object) -> list[str]:
        """The closing summary: what was analysed, then each kind of skipped or faulty file with a count."""
        faces = ", ".join(f"{n} {label}" for label, n in sorted(self.labels.items())) or "no faces"
        if self.stills:
            head = f"{self.frames} images, {self.people} people, faces: {faces}; {self.incidents} incidents"
        else:
            head = (
                f"{self.frames} frames, {len(self.tracks)} people tracked, faces: {faces}; {self.incidents} incidents"
            )
        out = [head]
        ignored = getattr(source, "ignored", [])
        if ignored:
            kinds = ", ".join(sorted({p.suffix or p.name for p in ignored}))
            out.append(
                f"skipped {len(ignored)} {'file' if len(ignored) == 1 else 'files'} that are not images ({kinds})"
            )
        for what, rows in (("skipped", getattr(source, "skipped", [])), ("warning", getattr(source, "warnings", []))):
            for reason, n in Counter(why for _, why in rows).items():
                names = ", ".join(p.name for p, why in rows if why == reason)
                out.append(f"{what}: {n} {'image' if n == 1 else 'images'} {reason}: {names}")
        return out
