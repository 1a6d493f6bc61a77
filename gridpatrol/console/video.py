"""Live video in the console: each drone's newest camera frame with its analysis overlay, as an MJPEG stream.

The analysis process sends every camera frame, JPEG-encoded once, on a one-slot queue
(:mod:`gridpatrol.station.video_feed`). :class:`VideoHub` takes them off with one thread per drone and keeps only
the newest; every viewer's stream sends the newest frame it has not sent yet (a slow viewer skips frames, it never
queues them). The stream is ``multipart/x-mixed-replace`` (any MJPEG viewer shows it); each part carries headers
the page reads: ``X-Frame`` (frame number), ``X-Captured`` (when the frame reached the station, epoch s),
``X-Analysis-Age`` (seconds since the newest overlay was computed) and ``X-Overlay`` (the overlay, JSON: boxes with
track id and verdict, crowd hulls, in image pixels). The page draws the overlay with canvas calls and ``fillText``
only: its strings are data.

Example:
    >>> part(VideoFrame("d1", 3, 10.0, b"JPEG", 4, 2, None), now=10.5).split(b"\\r\\n")[:5]
    [b'--frame', b'Content-Type: image/jpeg', b'Content-Length: 4', b'X-Frame: 3', b'X-Captured: 10.000000']
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from gridpatrol.station.video_feed import VideoFrame

BOUNDARY = "frame"
#: How long the pump waits on a drone's queue before looking at its stop flag again (s).
PUMP_WAIT_S = 0.5


def part(frame: VideoFrame, now: float | None = None) -> bytes:
    """One multipart part: the JPEG with its number, capture time, overlay and the overlay's age."""
    now = time.time() if now is None else now
    overlay = frame.overlay
    age = "" if overlay is None else f"X-Analysis-Age: {max(0.0, now - overlay['analysed_wall']):.3f}\r\n"
    head = (
        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
        f"X-Frame: {frame.number}\r\nX-Captured: {frame.captured:.6f}\r\n{age}"
        f"X-Size: {frame.width}x{frame.height}\r\n"
        f"X-Overlay: {json.dumps(overlay, separators=(',', ':'))}\r\n\r\n"
    )
    return head.encode("ascii") + frame.jpeg + b"\r\n"


class VideoHub:
    """The newest frame of every drone with live video, shared by all viewers.

    Args:
        station: The running station (its rigs' ``stream.video`` queues are read).
        stall_s: Silence after which a drone's video or analysis is called stalled.
    """

    def __init__(self, station: Any, stall_s: float) -> None:
        self.station = station
        self.stall_s = stall_s
        self.latest: dict[str, VideoFrame] = {}
        self.received: dict[str, float] = {}
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def drones(self) -> list[str]:
        """The drones that send live video (a camera and ``[run] video_fps`` above 0)."""
        if getattr(self.station.run, "video_fps", 0.0) <= 0:
            return []
        return [d for d, rig in self.station.rigs.items() if rig.stream is not None]

    def start(self) -> None:
        """Start taking frames (once; later calls do nothing)."""
        with self._lock:
            if self._threads:
                return
            self._stop.clear()
            for drone_id in self.drones():
                t = threading.Thread(target=self._pump, args=(drone_id,), name=f"console-video-{drone_id}", daemon=True)
                self._threads.append(t)
                t.start()

    def stop(self) -> None:
        """Stop taking frames."""
        self._stop.set()
        for t in self._threads:
            t.join(2.0)
        with self._lock:
            self._threads = []

    def _pump(self, drone_id: str) -> None:
        q = self.station.rigs[drone_id].stream.video
        while not self._stop.is_set():
            try:
                frame = q.get(timeout=PUMP_WAIT_S)
            except (queue.Empty, EOFError, OSError):
                continue
            with self._lock:
                self.latest[drone_id] = frame
                self.received[drone_id] = time.time()
                waiting = list(self._subscribers.get(drone_id, ()))
            for loop, event in waiting:
                with contextlib.suppress(RuntimeError):  # the viewer's loop has closed
                    loop.call_soon_threadsafe(event.set)

    def status(self, now: float | None = None) -> list[dict[str, Any]]:
        """Per drone with live video: newest frame number, its age and the overlay's, and what is stalled."""
        now = time.time() if now is None else now
        fps = float(getattr(self.station.run, "fps", 2.0))
        rows = []
        with self._lock:
            for drone_id in self.drones():
                frame = self.latest.get(drone_id)
                video_age = None if frame is None else now - self.received[drone_id]
                overlay = None if frame is None else frame.overlay
                analysis_age = None if overlay is None else now - overlay["analysed_wall"]
                rows.append(
                    {
                        "id": drone_id,
                        "frame": None if frame is None else frame.number,
                        "video_age_s": None if video_age is None else round(video_age, 2),
                        "analysis_age_s": None if analysis_age is None else round(analysis_age, 2),
                        "video_stalled": video_age is not None and video_age > self.stall_s,
                        "analysis_stalled": analysis_age is not None and analysis_age > self.stall_s + 1.0 / fps,
                    }
                )
        return rows

    async def frames(self, drone_id: str, alive: Any) -> AsyncIterator[bytes]:
        """The multipart stream of ``drone_id``'s newest frames until ``alive()`` (awaited) says stop."""
        self.start()
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            self._subscribers.setdefault(drone_id, set()).add(entry)
        sent = -1
        try:
            while await alive():
                event.clear()  # before reading: a frame arriving after the read sets it again
                with self._lock:
                    frame = self.latest.get(drone_id)
                if frame is not None and frame.number != sent:
                    sent = frame.number
                    yield part(frame)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=1.0)
        finally:
            with self._lock:
                self._subscribers[drone_id].discard(entry)
