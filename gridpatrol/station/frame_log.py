"""``frames.jsonl``: one line per analysed frame, the flight record of what the cameras saw (drone, vehicle time,
people, crowds, analysis time, camera pose)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any


class FrameLog:
    """Appends frame rows to ``path`` (opened on the first row, so a station that analyses nothing writes no file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def write(self, ev: Any) -> None:
        """One row for an analysed frame (a :class:`~gridpatrol.station.vision_proc.StreamEvent` of kind frame)."""
        p = ev.pose
        row = {
            "drone": ev.drone_id,
            "t": round(ev.t, 2),
            "people": ev.people,
            "crowds": ev.crowds,
            "ms": round(ev.timings_ms.get("total", 0.0), 1),
            "pose": None if p is None else [round(p.lat, 7), round(p.lon, 7), round(p.alt_rel, 1), round(p.yaw)],
        }
        with self._lock:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(json.dumps(row) + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file (a later row opens it again)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
