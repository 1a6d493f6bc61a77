"""Frames in: a video file, an image folder or image, a network stream (RTSP/RTMP/HTTP/UDP MPEG-TS) or a webcam.

Files are read in order and sampled at the analysis rate (every frame with ``fps=0``); their timestamps are the
video's own. Live sources have a reader thread that keeps only the newest frame (latest frame wins), so however
slow the analysis, a frame is never older than one analysis period; their timestamps are wall-clock epoch
seconds at capture. A dropped stream is reopened after ``reconnect_s``. A dead URL or an unreadable file raises
:class:`SourceError` within ``open_timeout_s`` with a message that names the source.

Example:
    >>> import tempfile, cv2, numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> cv2.imwrite(f"{folder}/IMG_0001.jpg", np.zeros((48, 64, 3), np.uint8))
    True
    >>> with open_source(folder, fps=2) as frames:
    ...     for frame in frames:
    ...         print(frame.index, frame.t, frame.image.shape)
    0 0.0 (48, 64, 3)
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")


class SourceError(RuntimeError):
    """A video source cannot be opened or read; the message names it and says what to check."""


@dataclass(frozen=True)
class Frame:
    """One frame: BGR pixels, timestamp (seconds), index among the frames delivered, source file (folders)."""

    image: np.ndarray
    t: float
    index: int
    name: str = ""


def normalise_url(spec: str) -> str:
    """FFmpeg's spelling of a stream URL: ``udp://:5600`` listens on every interface, with a large FIFO."""
    m = re.fullmatch(r"udp://(@?)([^:/?]*):(\d+)(\?.*)?", spec)
    if m:
        host = m.group(2) or "0.0.0.0"
        query = m.group(4) or "?overrun_nonfatal=1&fifo_size=50000000"
        return f"udp://{host}:{m.group(3)}{query}"
    return spec


def _capture(target: str | int, timeout_s: float) -> cv2.VideoCapture:
    ms = int(timeout_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    if isinstance(target, int):
        return cv2.VideoCapture(target)
    return cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)


def open_capture(target: str | int, timeout_s: float) -> cv2.VideoCapture:
    """A VideoCapture that is open, or SourceError after at most about ``timeout_s`` seconds."""
    box: dict[str, cv2.VideoCapture] = {}

    def work() -> None:
        box["cap"] = _capture(target, timeout_s)

    thread = threading.Thread(target=work, daemon=True, name="vision-open")
    thread.start()
    thread.join(timeout_s + 2.0)
    cap = box.get("cap")
    if cap is None or not cap.isOpened():
        if cap is not None:
            cap.release()
        raise SourceError(
            f"cannot open video source {target!r} within {timeout_s:g} s: check the address, that the drone's "
            f"stream is running and reachable (for UDP: that something sends to this port), and the file's format"
        )
    return cap


class FrameSource:
    """Base of all sources: an iterator of :class:`Frame` and a context manager that closes the source."""

    live = False
    period = 0.0

    @property
    def rate(self) -> float:
        """Frames per second delivered (for an output video): the analysis rate, else the source's own."""
        return 1.0 / self.period if self.period > 0 else 10.0

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device, stream or file."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def jpeg_truncated(path: Path) -> bool:
    """Whether a JPEG file ends before its end-of-image marker (a cut-off download or copy).

    OpenCV decodes such a file without an error, the missing rows grey: the picture is judged on what is there,
    but the user is told. Only JPEGs are checked (by their start-of-image bytes); the end marker must come after
    the last start-of-scan marker (an embedded thumbnail's end marker does not count).
    """
    data = path.read_bytes()
    if not data.startswith(b"\xff\xd8"):
        return False
    return data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")


class FolderSource(FrameSource):
    """Images of a folder in name order (or a single image); timestamps ``index / fps`` (1 s apart at fps=0).

    Attributes:
        files: the images to read.
        ignored: other files of the folder (not an image suffix), never read.
        skipped: ``(file, why)`` for images that could not be decoded, not analysed.
        warnings: ``(file, what)`` for images analysed despite a fault (a truncated JPEG).
    """

    def __init__(self, path: Path, fps: float = 0.0) -> None:
        self.ignored: list[Path] = []
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.is_file())
            self.files = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES]
            self.ignored = [p for p in entries if p.suffix.lower() not in IMAGE_SUFFIXES]
            if not self.files:
                raise SourceError(f"folder {path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        else:
            self.files = [path]
        self.period = 1.0 / fps if fps > 0 else 1.0
        self.skipped: list[tuple[Path, str]] = []
        self.warnings: list[tuple[Path, str]] = []

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for i, file in enumerate(self.files):
            image = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if image is None:
                if len(self.files) == 1:
                    raise SourceError(f"cannot read image {file}: not an image or corrupt")
                log.warning("skipping %s: not an image or corrupt", file)
                self.skipped.append((file, "not an image or corrupt"))
                continue
            if jpeg_truncated(file):
                log.warning("%s is a truncated JPEG: analysed as decoded, its missing part grey", file)
                self.warnings.append((file, "truncated JPEG, analysed as decoded"))
            yield Frame(image, i * self.period, index, str(file))
            index += 1


class FileSource(FrameSource):
    """A video file read in order, keeping one frame per ``1/fps`` seconds of video (all with fps=0)."""

    def __init__(self, path: Path, fps: float = 0.0, timeout_s: float = 8.0) -> None:
        self.path = path
        try:
            self.cap = open_capture(str(path), timeout_s)
        except SourceError:
            raise SourceError(f"cannot decode video file {path}: corrupt or not a video format FFmpeg reads") from None
        self.period = 1.0 / fps if fps > 0 else 0.0
        native = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.native_fps = native if 0 < native < 1000 else 25.0

    @property
    def rate(self) -> float:
        """Frames per second delivered: the analysis rate, or the video's own when every frame is kept."""
        return 1.0 / self.period if self.period > 0 else self.native_fps

    def __iter__(self) -> Iterator[Frame]:
        next_t, index, read = 0.0, 0, 0
        while True:
            ok, image = self.cap.read()
            if not ok:
                if read == 0:
                    raise SourceError(f"video file {self.path} opened but no frame could be decoded: corrupt file")
                return
            read += 1
            t = self.cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if self.period and t + 1e-6 < next_t:
                continue
            next_t = t + self.period
            yield Frame(image, t, index)
            index += 1

    def close(self) -> None:
        self.cap.release()


class LiveSource(FrameSource):
    """A stream or webcam read by a thread that keeps only the newest frame; reopened when it drops."""

    live = True

    def __init__(self, target: str | int, fps: float = 2.0, timeout_s: float = 8.0, reconnect_s: float = 2.0) -> None:
        self.target, self.timeout_s, self.reconnect_s = target, timeout_s, reconnect_s
        self.period = 1.0 / fps if fps > 0 else 0.0
        self.cap = open_capture(target, timeout_s)
        self._cond = threading.Condition()
        self._latest: tuple[np.ndarray, float, int] | None = None
        self._stop = threading.Event()
        self.grabbed = 0
        self.drops = 0
        self.reconnects = 0
        self._thread = threading.Thread(target=self._read, daemon=True, name="vision-reader")
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ok, image = self.cap.read()
            if not ok:
                self.cap.release()
                self.drops += 1
                log.warning("video source %r dropped; reopening in %.1f s", self.target, self.reconnect_s)
                while not self._stop.wait(self.reconnect_s):
                    try:
                        self.cap = open_capture(self.target, self.timeout_s)
                        self.reconnects += 1
                        break
                    except SourceError as exc:
                        log.warning("%s", exc)
                continue
            with self._cond:
                self.grabbed += 1
                self._latest = (image, time.time(), self.grabbed)
                self._cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        seen, index, next_due = 0, 0, time.monotonic()
        while not self._stop.is_set():
            wait = next_due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            with self._cond:
                self._cond.wait_for(functools.partial(self._ready, seen), 1.0)
                latest = self._latest
                if latest is None or latest[2] <= seen:
                    continue
                image, t, seen = latest
            next_due = max(next_due + self.period, time.monotonic()) if self.period else 0.0
            yield Frame(image, t, index)
            index += 1

    def _ready(self, seen: int) -> bool:
        return self._stop.is_set() or (self._latest is not None and self._latest[2] > seen)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(self.timeout_s + 3.0)
        self.cap.release()


def open_source(spec: str, *, fps: float = 2.0, timeout_s: float = 8.0, reconnect_s: float = 2.0) -> FrameSource:
    """The right source for ``spec``: a folder, an image, a video file, a URL, or a webcam index (``0``)."""
    if spec.isdigit():
        return LiveSource(int(spec), fps, timeout_s, reconnect_s)
    if spec.lower().startswith(STREAM_SCHEMES) or spec.startswith("/dev/video"):
        return LiveSource(normalise_url(spec), fps, timeout_s, reconnect_s)
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"video source {spec} does not exist: give a file, an image folder, a URL or a webcam index")
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return FolderSource(path, fps)
    return FileSource(path, fps, timeout_s)
