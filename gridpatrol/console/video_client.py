"""A Python reader of the console's live video stream (the path outside the browser, for tests and benchmarks).

:func:`parts` splits the ``multipart/x-mixed-replace`` body of ``/api/video/DRONE.mjpg`` into
:class:`VideoPart` records exactly as the page does (headers up to a blank line, then ``Content-Length`` bytes).

Example:
    >>> from gridpatrol.console.video import part
    >>> from gridpatrol.station.video_feed import VideoFrame
    >>> body = part(VideoFrame("d1", 4, 2.0, b"JPEG", 4, 2, None), now=2.0)
    >>> [(p.frame, p.jpeg, p.overlay) for p in split_parts(iter([body[:20], body[20:]]))]
    [(4, b'JPEG', None)]
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class VideoPart:
    """One frame of the stream: its number, capture time (epoch s), overlay, JPEG, and when it was read here."""

    frame: int
    captured: float
    overlay: dict[str, Any] | None
    jpeg: bytes
    analysis_age_s: float | None = None
    received: float = field(default_factory=time.time)


def split_parts(chunks: Iterable[bytes]) -> Iterator[VideoPart]:
    """The parts in a stream of byte chunks (as they come off the socket)."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            headers: dict[str, str] = {}
            for line in buf[:end].decode("ascii").split("\r\n"):
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            start = end + 4
            length = int(headers["content-length"])
            if len(buf) < start + length:
                break
            age = headers.get("x-analysis-age")
            yield VideoPart(
                int(headers["x-frame"]),
                float(headers["x-captured"]),
                json.loads(headers.get("x-overlay", "null")),
                buf[start : start + length],
                None if age is None else float(age),
            )
            buf = buf[start + length :]


def login(base_url: str, username: str, password: str) -> httpx.Client:
    """An HTTP client logged in to the console at ``base_url`` (its cookie kept)."""
    client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0, read=30.0))
    answer = client.post("/api/login", json={"username": username, "password": password})
    answer.raise_for_status()
    return client


def parts(client: httpx.Client, drone_id: str) -> Iterator[VideoPart]:
    """The drone's live frames as they arrive, until the caller stops iterating.

    Raises:
        httpx.HTTPStatusError: The console refused (401 without a login, 404 for a drone without video).
    """
    with client.stream("GET", f"/api/video/{drone_id}.mjpg") as answer:
        answer.raise_for_status()
        yield from split_parts(answer.iter_raw())
