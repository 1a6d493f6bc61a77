"""Video sources: folders, files, a real UDP MPEG-TS stream from ffmpeg, and clear, fast errors."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
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
    assert [(p.name, why) for p, why in src.skipped] == [("c.jpg", "not an image or corrupt")]


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
    # Fast: it raises instead of waiting on the file; the test's timeout stops it if it ever hangs (no stopwatch
    # here, so a loaded machine cannot fail it).
    with pytest.raises(SourceError, match=r"clip\.mp4.*corrupt"):
        open_source(str(bad), timeout_s=3)


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
    # Clear: the error names the source and the bound it gave up after. Fast: open_capture stops waiting after
    # timeout_s (+2 s for the thread); the test's timeout catches a hang without timing a loaded machine.
    with pytest.raises(SourceError, match=r"cannot open video source '.*' within 2 s: check the address"):
        open_source(url, timeout_s=2)


def test_udp_url_normalised_for_ffmpeg() -> None:
    assert normalise_url("udp://:5600").startswith("udp://0.0.0.0:5600?")
    assert normalise_url("udp://@:5600").startswith("udp://0.0.0.0:5600?")
    assert normalise_url("udp://10.0.0.2:5600?fifo_size=1") == "udp://10.0.0.2:5600?fifo_size=1"
    assert normalise_url("rtsp://cam/1") == "rtsp://cam/1"


def ffmpeg_udp(port: int, seconds: float, tint: bool = False) -> subprocess.Popen[bytes]:
    """Stream flat frames whose brightness is their frame number (see :func:`sent_number`); ``tint``: reddish."""
    assert FFMPEG
    pattern = f"nullsrc=size=320x240:rate=25,geq=lum='16+mod(N,200)':cb=128:cr={200 if tint else 128}"
    cmd = [FFMPEG, "-loglevel", "error", "-re", "-f", "lavfi", "-i", pattern, "-t", str(seconds)]
    cmd += ["-c:v", "mpeg2video", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)


def sent_number(image: np.ndarray) -> int:
    """The sender's frame number of a grey frame from :func:`ffmpeg_udp` (video luma 16 + N, decoded to 0-255)."""
    return round(float(image[..., 1].mean()) * 219 / 255)


def is_tinted(image: np.ndarray) -> bool:
    """Whether a frame comes from the reddish stream."""
    return float(image[..., 2].mean()) - float(image[..., 1].mean()) > 50


def wait_for(done: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Wait until ``done()``; the timeout only stops a test that would otherwise hang."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"no {what} in {timeout_s:g} s"
        time.sleep(0.05)


@pytest.fixture
def sender() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.kill()
        p.wait()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed")
@pytest.mark.timeout(120)
def test_udp_stream_latest_frame_wins_and_reconnects(sender: list[subprocess.Popen[bytes]]) -> None:
    """Frames that arrive while one is analysed are dropped, never queued; after a drop the new stream's frames come.

    Asserted by frame numbers, not by the age of a frame, so that a loaded machine changes nothing.
    """
    sender.append(ffmpeg_udp(5613, 4.0))
    src = open_source("udp://:5613", fps=4, timeout_s=3, reconnect_s=0.5)
    assert isinstance(src, LiveSource)
    with src:
        it = iter(src)
        frame = next(it)
        assert frame.image.shape == (240, 320, 3) and not is_tinted(frame.image)
        numbers, indexes = [sent_number(frame.image)], [frame.index]
        for _ in range(3):  # analysis slower than the stream: 10 frames arrive before the next one is taken
            grabbed = src.grabbed
            wait_for(lambda: src.grabbed >= grabbed + 10, "10 new frames")  # noqa: B023 (called at once)
            frame = next(it)
            numbers.append(sent_number(frame.image))
            indexes.append(frame.index)
        assert indexes == [0, 1, 2, 3]  # delivered frames count on, one by one
        # The newest frame won: each one delivered is at least 10 sent frames (less 1 for decoding) after the last.
        assert all(b - a >= 9 for a, b in itertools.pairwise(numbers)), numbers
        sender[0].wait(20)  # the sender stops: after the read timeout the stream counts as dropped
        wait_for(lambda: src.drops > 0, "drop", 30)
        assert src.drops == 1
        before = src.grabbed  # every frame of the first stream
        sender.append(ffmpeg_udp(5613, 30.0, tint=True))  # the drone's stream comes back: the source reopens
        wait_for(lambda: src.reconnects > 0, "reconnect", 30)
        assert src.reconnects >= 1
        wait_for(lambda: src.grabbed > before, "frame after the reconnect")
        frame = next(it)
        assert is_tinted(frame.image)  # a frame of the new stream, not one left over from before the drop
        assert frame.index == 4
