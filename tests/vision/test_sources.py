"""Video sources: folders, files, a real UDP MPEG-TS stream from ffmpeg, and clear, fast errors."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.sources import FileSource, FolderSource, LiveSource, SourceError, normalise_url, open_source

FFMPEG = shutil.which("ffmpeg")


def write_video(path: Path, n: int = 30, fps: float = 10.0) -> None:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (160, 120))
    for i in range(n):
        out.write(np.full((120, 160, 3), i * 8 % 255, dtype=np.uint8))
    out.release()


def test_folder_in_name_order_skipping_bad_images(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.png"):
        cv2.imwrite(str(tmp_path / name), np.zeros((20, 30, 3), dtype=np.uint8))
    (tmp_path / "c.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "notes.txt").write_text("ignored")
    src = open_source(str(tmp_path), fps=2)
    assert isinstance(src, FolderSource)
    frames = list(src)
    assert [f.index for f in frames] == [0, 1]
    assert [f.t for f in frames] == [0.0, 0.5]
    assert [p.name for p in src.skipped] == ["c.jpg"]


def test_empty_folder_and_missing_path_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))
    with pytest.raises(SourceError, match="does not exist"):
        open_source(str(tmp_path / "nope.mp4"))


def test_corrupt_image_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8garbage")
    with pytest.raises(SourceError, match="corrupt"):
        list(open_source(str(bad)))


@pytest.mark.timeout(30)
def test_corrupt_video_error_is_fast(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(20_000))
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"clip\.mp4.*corrupt"):
        open_source(str(bad), timeout_s=3)
    assert time.monotonic() - start < 10


def test_video_file_sampled_at_fps_with_video_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, n=30, fps=10.0)
    src = open_source(str(path), fps=2.0)
    assert isinstance(src, FileSource)
    with src:
        times = [round(f.t, 2) for f in src]
    assert len(times) == 6
    assert np.allclose(np.diff(times), 0.5, atol=0.11)
    with FileSource(path, fps=0) as every:
        assert len(list(every)) == 30


@pytest.mark.timeout(30)
@pytest.mark.parametrize("url", ["rtsp://127.0.0.1:1/x", "http://127.0.0.1:1/live.ts", "udp://:5617"])
def test_dead_stream_error_is_clear_and_fast(url: str) -> None:
    start = time.monotonic()
    with pytest.raises(SourceError, match="cannot open video source"):
        open_source(url, timeout_s=2)
    assert time.monotonic() - start < 8


def test_udp_url_normalised_for_ffmpeg() -> None:
    assert normalise_url("udp://:5600").startswith("udp://0.0.0.0:5600?")
    assert normalise_url("udp://@:5600").startswith("udp://0.0.0.0:5600?")
    assert normalise_url("udp://10.0.0.2:5600?fifo_size=1") == "udp://10.0.0.2:5600?fifo_size=1"
    assert normalise_url("rtsp://cam/1") == "rtsp://cam/1"


def ffmpeg_udp(port: int, seconds: float) -> subprocess.Popen[bytes]:
    assert FFMPEG
    cmd = [
        FFMPEG,
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25",
        "-t",
        str(seconds),
        "-c:v",
        "mpeg2video",
        "-f",
        "mpegts",
        f"udp://127.0.0.1:{port}?pkt_size=1316",
    ]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)


@pytest.fixture
def sender() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.kill()
        p.wait()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed")
@pytest.mark.timeout(60)
def test_udp_stream_latest_frame_wins_and_reconnects(sender: list[subprocess.Popen[bytes]]) -> None:
    sender.append(ffmpeg_udp(5613, 4.0))
    src = open_source("udp://:5613", fps=4, timeout_s=3, reconnect_s=0.5)
    assert isinstance(src, LiveSource)
    ages, grabbed = [], []
    with src:
        it = iter(src)
        for _ in range(4):
            frame = next(it)
            ages.append(time.time() - frame.t)
            grabbed.append(src.grabbed)
            time.sleep(0.5)  # slower than the stream: frames in between are dropped, not queued
        assert frame.image.shape == (240, 320, 3)
        assert max(ages) < 0.5
        assert grabbed[-1] - grabbed[0] >= 10  # ~25 fps arrived while 4 were analysed
        sender[0].wait(10)  # the sender stops: after the read timeout the stream counts as dropped
        deadline = time.monotonic() + 20
        while src.drops == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert src.drops == 1
        sender.append(ffmpeg_udp(5613, 10.0))  # the drone's stream comes back: the source reopens by itself
        while src.reconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert src.reconnects >= 1
        frame = next(it)
        assert time.time() - frame.t < 1.0
