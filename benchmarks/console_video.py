"""Console video benchmark (issue 15): camera frame to painted in the browser, against the same stream read by a
Python client in the same run; and the console's added CPU for two drones' live video.

The demo's station flies two drones on the built-in simulator with simulated cameras (1280 x 720, rendered at
``--fps``; analysis at 2 fps); the console serves each drone's MJPEG stream. "Captured" is when the analysis
process has the rendered frame (where a real camera's frame would arrive), stamped in the part's ``X-Captured``.

- Browser: Debian's Chromium (headless) logged in as an observer shows the two-drone mosaic; the page logs, per
  frame, the ``requestAnimationFrame`` after it drew the frame and its overlay into the canvas (``GP.video.paints``).
  Latency = painted - captured; rate = painted frames per second per drone.
- Python: the same two streams read with :mod:`gridpatrol.console.video_client` (no browser); latency = the part
  fully read - captured.
- CPU: this process (the station's threads and the console; the analysis processes and Chromium are apart) in CPU
  seconds per wall second, with nobody watching (the console's video pump stopped), then with the page watching.
  The analysis processes' CPU is shown for each window too (they render, analyse and JPEG-encode either way).

Usage:
    python benchmarks/console_video.py [--window 20] [--fps 10] [--speedup 2]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before benchmarks/, whose api.py would shadow the api package

import psutil  # noqa: E402

from gridpatrol.config import Settings  # noqa: E402
from gridpatrol.console.accounts import Accounts  # noqa: E402
from gridpatrol.console.config import ConsoleConfig  # noqa: E402
from gridpatrol.console.server import ConsoleServer  # noqa: E402
from gridpatrol.console.video_client import login, parts  # noqa: E402
from gridpatrol.station import demo  # noqa: E402
from speaker.config import SpeakerConfig  # noqa: E402

PASSWORD = "benchmark pass phrase 73"
DRONES = ("drone-1", "drone-2")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else float("nan")


class Cpu:
    """CPU seconds per wall second of this process and of its analysis processes over a window."""

    def __init__(self) -> None:
        self.me = psutil.Process()

    def _now(self) -> tuple[float, float, float]:
        own = self.me.cpu_times()
        kids = 0.0
        for child in self.me.children(recursive=True):
            try:
                if "chrom" not in child.name():
                    t = child.cpu_times()
                    kids += t.user + t.system
            except psutil.Error:
                continue
        return time.monotonic(), own.user + own.system, kids

    def window(self, seconds: float) -> tuple[float, float]:
        """(this process, analysis processes) CPU s/s over ``seconds``."""
        t0, own0, kids0 = self._now()
        time.sleep(seconds)
        t1, own1, kids1 = self._now()
        return (own1 - own0) / (t1 - t0), (kids1 - kids0) / (t1 - t0)


def python_window(url: str, seconds: float) -> dict[str, list[float]]:
    """Read both drones' streams from Python for ``seconds``: per drone, received - captured (s) of each frame."""
    latencies: dict[str, list[float]] = {d: [] for d in DRONES}
    stop = time.monotonic() + seconds

    def read(drone: str) -> None:
        client = login(url, "obs", PASSWORD)
        try:
            for p in parts(client, drone):
                latencies[drone].append(p.received - p.captured)
                if time.monotonic() >= stop:
                    return
        finally:
            client.close()

    threads = [threading.Thread(target=read, args=(d,)) for d in DRONES]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return latencies


def browser_window(page: Any, seconds: float) -> dict[str, list[float]]:
    """The page's paints over ``seconds``: per drone, painted - captured (s)."""
    page.evaluate("GP.video.paints.length = 0")
    time.sleep(seconds)
    paints = page.evaluate("GP.video.paints.slice()")
    return {d: [(p["painted"] - p["captured"]) / 1000 for p in paints if p["drone"] == d] for d in DRONES}


def report(name: str, lat: dict[str, list[float]], seconds: float) -> float:
    every = [x for d in DRONES for x in lat[d]]
    rates = ", ".join(f"{d} {len(lat[d]) / seconds:.1f} fps" for d in DRONES)
    p95 = pct(every, 0.95) * 1000
    p50, top = pct(every, 0.5) * 1000, max(every, default=math.nan) * 1000
    print(f"  {name:8s} p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  max {top:6.0f} ms  ({rates})")
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds of each measuring window")
    parser.add_argument("--fps", type=float, default=10.0, help="camera frame rate ([run] video_fps)")
    parser.add_argument("--speedup", type=float, default=2.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("YOLO_OFFLINE", "1")
    out = Path(tempfile.mkdtemp(prefix="bench-console-video-")) / "demo"
    settings = Settings(speaker=SpeakerConfig(warning_mode="auto"))
    cpu = Cpu()
    with demo.demo_patrol(out, settings, drones=2, speedup=args.speedup) as patrol:
        station = patrol.station
        station.run = station.run.model_copy(update={"video_fps": args.fps})
        accounts = Accounts(out.parent / "console.db")
        accounts.add("obs", PASSWORD, "observer", check_policy=False)
        station.start(grids=demo.DEMO_GRIDS)
        server = ConsoleServer(station, ConsoleConfig(port=demo.free_port()), accounts).start()
        hub = server.app.state.video
        try:
            hub.start()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and len(hub.latest) < len(DRONES):
                time.sleep(0.5)  # both drones up past the analysis height, frames coming
            hub.stop()
            idle = cpu.window(args.window)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(server.url)
                page.fill("#login-form [name=username]", "obs")
                page.fill("#login-form [name=password]", PASSWORD)
                page.click("#login-form button[type=submit]")
                for d in DRONES:
                    page.wait_for_selector(f'.video-tile[data-drone="{d}"][data-frame]', timeout=120_000)
                result: dict[str, Any] = {}
                sampler = threading.Thread(target=lambda: result.update(cpu=cpu.window(args.window)))
                sampler.start()
                in_browser = browser_window(page, args.window)
                sampler.join()
                browser.close()
            in_python = python_window(server.url, args.window)
        finally:
            server.stop()
            station.stop(return_home=False, flush_timeout_s=0.5)
            accounts.close()
    rates = f"camera {args.fps:g} fps, analysis {station.run.fps:g} fps, {args.window:g} s each"
    print(f"camera frame -> shown, two drones, {rates}")
    b95 = report("browser", in_browser, args.window)
    p95 = report("Python", in_python, args.window)
    print(f"  ratio p95 browser / Python: {b95 / p95:.2f}")
    watching = result["cpu"]
    print(f"CPU s/s of the station process: {idle[0]:.3f} nobody watching, {watching[0]:.3f} with the page watching")
    print(f"  the console's added part: {(watching[0] - idle[0]) * 100:.1f} % of one core (two drones' video)")
    print(f"  analysis processes (render, analyse, JPEG): {idle[1]:.2f} and {watching[1]:.2f} s/s")


if __name__ == "__main__":
    main()
