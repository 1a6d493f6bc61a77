"""Live video in the console, against a real station flying two simulated drones with simulated cameras.

The demo's patrol (its scene has crowds on the drones' routes) flies in lockstep, so a slow machine sees the same
frames, later; ``[run] video_fps`` sends every rendered frame to the console. A Python client reads the MJPEG
stream (JPEG frames, numbers rising, the overlay's boxes with track ids, a crowd's outline), the stream refuses
without a login, and in Debian's Chromium the mosaic's canvases update with boxes drawn and a stalled video shows
its banner per drone until frames come again.

Each drone is paused (hovering, camera on) over its group (drone-1 once it has reported its crowd): the tests that
follow need frames to keep coming, and a patrol that ended first (a loaded machine, where two camera patrols ran side
by side) left the browser waiting on a video that had stopped. Waits are on conditions; their limits only stop a
hang. No frame rate is asserted (benchmarks/console.py measures it).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_kit import PASSWORDS, accounts_with_users

from gridpatrol.config import Settings, StationConfig
from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.server import ConsoleServer
from gridpatrol.console.video_client import VideoPart, login, parts
from gridpatrol.station import demo
from gridpatrol.station.video_feed import VideoFrame
from speaker.config import SpeakerConfig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
HANG_S = 600.0  # only stops a hang
CHROMIUM = "/usr/bin/chromium"
DRONES = ("drone-1", "drone-2")


@dataclass
class Watching:
    """The flying patrol with cameras and its console."""

    station: Any
    server: ConsoleServer
    accounts: Accounts
    out: Path


@pytest.fixture(scope="module")
def watching(tmp_path_factory: pytest.TempPathFactory, station_sprites: Path) -> Iterator[Watching]:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    out = tmp_path_factory.mktemp("console-video") / "demo"
    settings = Settings(station=StationConfig(sprite_dir=station_sprites), speaker=SpeakerConfig(warning_mode="auto"))
    # the demo camera's centre: people as many pixels tall, a fifth of the pixels to render, detect and send
    camera = demo.CENTRE_CAMERA
    with demo.demo_patrol(out, settings, drones=2, speedup=4.0, lockstep=True, camera=camera) as patrol:
        station = patrol.station
        station.run = station.run.model_copy(update={"video_fps": 5.0})
        accounts = accounts_with_users(out.parent / "console.db")
        # every frame of the flight is wanted (lockstep): wait for the analyses however long a loaded machine takes
        station.start(grids=demo.DEMO_GRIDS, ready_timeout_s=HANG_S)
        server = ConsoleServer(station, ConsoleConfig(port=demo.free_port()), accounts).start()
        try:
            hover_over_their_groups(station, server)
            yield Watching(station, server, accounts, out)
        finally:
            server.stop()
            station.stop(return_home=False, flush_timeout_s=0.5)
            accounts.close()


def hover_over_their_groups(station: Any, server: ConsoleServer) -> None:
    """Pause each drone (BRAKE: it hovers, its camera on) over the first group it sees: drone-1 once it has reported
    a crowd (the stream test reads its outline), the others once their video shows a tracked person.

    Only drone-1's crowd is asked for: whether a nano detector finds five of a group of twelve in the cropped test
    camera's frames depends on where the group falls among the detector's tiles (drone-2's group gave 4-8 people a
    frame in one run, so no crowd, and 12-13 in the full 720p frame); a tracked box is what the tests need of it.
    """
    hub = server.app.state.video
    hub.start()  # the hub takes frames once a viewer asks; here before any does
    paused: set[str] = set()
    deadline = time.monotonic() + HANG_S

    def over_its_group(drone: str) -> bool:
        if drone == DRONES[0]:
            return any(r.drone_id == drone and r.incident.type == "crowd" for r in list(station.incidents))
        frame = hub.latest.get(drone)
        return (
            frame is not None
            and frame.overlay is not None
            and any(b["track_id"] is not None for b in frame.overlay["boxes"])
        )

    while paused != set(DRONES):
        for drone in set(DRONES) - paused:
            if over_its_group(drone):
                station.pause(drone)
                paused.add(drone)
            else:
                assert not station.rigs[drone].flight.status.done, f"{drone} ended its patrol before its group"
        assert time.monotonic() < deadline, f"hung waiting for the groups; paused: {sorted(paused)}"
        time.sleep(0.2)


def read_until(client: httpx.Client, drone: str, done: Any) -> list[VideoPart]:
    """The drone's frames from now until ``done(frames)`` holds."""
    seen: list[VideoPart] = []
    deadline = time.monotonic() + HANG_S
    for p in parts(client, drone):
        seen.append(p)
        if done(seen):
            return seen
        assert time.monotonic() < deadline, f"hung waiting on {drone}'s video; last overlay {seen[-1].overlay}"
    raise AssertionError(f"{drone}'s video stream ended")


def tracked(seen: list[VideoPart]) -> bool:
    """The newest frame's overlay has a person with a track id (the tracker confirms a track after a few frames)."""
    overlay = seen[-1].overlay
    return overlay is not None and any(b["track_id"] is not None for b in overlay["boxes"])


def test_the_stream_serves_jpeg_frames_with_boxes_track_ids_and_a_crowd_outline(watching: Watching) -> None:
    client = login(watching.server.url, "obs", PASSWORDS["obs"])  # observers may watch
    try:
        for drone in DRONES:
            frames = read_until(client, drone, tracked)
            assert all(p.jpeg[:2] == b"\xff\xd8" and p.jpeg[-2:] == b"\xff\xd9" for p in frames)
            numbers = [p.frame for p in frames]
            assert numbers == sorted(set(numbers)), numbers  # newest only: rising, never repeated
            overlay = frames[-1].overlay
            assert overlay is not None and overlay["frame"] <= frames[-1].frame
            assert all(len(b["box"]) == 4 and b["box"][0] < b["box"][2] for b in overlay["boxes"])
        crowd = read_until(client, DRONES[0], lambda s: s[-1].overlay is not None and s[-1].overlay["crowds"])
        outline = crowd[-1].overlay["crowds"][0]  # type: ignore[index]
        assert outline["count"] >= 2 and len(outline["hull"]) >= 3, outline
        status = client.get("/api/video").json()
        assert [d["id"] for d in status["drones"]] == list(DRONES) and status["video_fps"] == 5.0
    finally:
        client.close()


def test_video_needs_a_login_and_names_the_drones_with_video(watching: Watching) -> None:
    with httpx.Client(base_url=watching.server.url, timeout=30.0) as anonymous:
        assert anonymous.get("/api/video").status_code == 401
        assert anonymous.get("/api/video/drone-1.mjpg").status_code == 401
    client = login(watching.server.url, "op", PASSWORDS["op"])
    try:
        missing = client.get("/api/video/drone-9.mjpg")
        assert missing.status_code == 404 and "drone-1" in missing.json()["detail"]
    finally:
        client.close()


def test_an_old_overlay_or_frame_is_called_stalled_per_drone(watching: Watching) -> None:
    """The hub's status, with frames as the analysis process sends them: an overlay older than stall_s plus one
    analysis period is an analysis stall; a frame older than stall_s a video stall."""
    hub = watching.server.app.state.video
    now = time.time()
    old = {"frame": 1, "analysed_wall": now - 10.0, "boxes": [], "crowds": []}
    fresh = VideoFrame("x", 5, now, b"\xff\xd8\xff\xd9", 1, 1, old)  # type: ignore[arg-type]
    with hub._lock:
        kept = dict(hub.latest), dict(hub.received)
        hub.latest["drone-1"], hub.received["drone-1"] = fresh, now
        hub.latest["drone-2"], hub.received["drone-2"] = fresh, now - 10.0
    try:
        rows = {r["id"]: r for r in hub.status(now=now)}
    finally:
        with hub._lock:
            hub.latest.update(kept[0])
            hub.received.update(kept[1])
    assert rows["drone-1"]["analysis_stalled"] and not rows["drone-1"]["video_stalled"]
    assert rows["drone-2"]["video_stalled"]


@pytest.fixture(scope="module")
def page(watching: Watching) -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.set_default_timeout(HANG_S * 1000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(watching.server.url)
        page.fill("#login-form [name=username]", "obs")
        page.fill("#login-form [name=password]", PASSWORDS["obs"])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#video-panel:not([hidden])")
        yield page
        assert not errors, errors
        browser.close()


def frame_of(page: Any, drone: str) -> int:
    return int(page.get_attribute(f'.video-tile[data-drone="{drone}"]', "data-frame") or 0)


@pytest.mark.browser
def test_the_mosaic_canvases_update_with_boxes_drawn(page: Any) -> None:
    assert page.locator(".video-tile").count() == len(DRONES)
    for drone in DRONES:
        tile = f'.video-tile[data-drone="{drone}"]'
        page.wait_for_selector(f"{tile}[data-frame]")
        first = frame_of(page, drone)
        page.wait_for_function("([sel, n]) => Number(document.querySelector(sel).dataset.frame) > n", arg=[tile, first])
        page.wait_for_function("(sel) => Number(document.querySelector(sel).dataset.boxes) > 0", arg=tile)
        lit = page.evaluate(
            """(sel) => { const c = document.querySelector(sel + ' canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n++;
                return n; }""",
            tile,
        )
        assert lit > 0  # the frame itself was drawn, not only the overlay
    assert page.evaluate("GP.video.paints.length") > 0


VIDEO_STALLED = """(d) => (document.querySelector(`.video-tile[data-drone="${d}"] .video-stalled`)
    .textContent || '').startsWith('Video stalled')"""


@pytest.mark.browser
def test_a_stalled_video_shows_its_banner_until_frames_come_again(page: Any, watching: Watching) -> None:
    """Frames stop reaching the page: each drone's tile says "Video stalled" (not an analysis stall, which a slow
    analysis may show on its own), and stops saying it when frames come again."""
    hub = watching.server.app.state.video
    for drone in DRONES:
        page.wait_for_selector(f'.video-tile[data-drone="{drone}"][data-frame]')
    hub.stop()  # no frame reaches any viewer any more
    try:
        for drone in DRONES:
            page.wait_for_function(VIDEO_STALLED, arg=drone)
            assert page.is_visible(f'.video-tile[data-drone="{drone}"] .video-stalled')
    finally:
        hub.start()
    for drone in DRONES:
        page.wait_for_function(f"(d) => !({VIDEO_STALLED})(d)", arg=drone)
