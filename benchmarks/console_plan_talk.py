"""Console benchmark (issue 15): planning from the page and push-to-talk, each against the same path in Python.

- **Plan preview**: Preview clicked in Debian's Chromium until the routes are drawn on the map, against
  :meth:`gridpatrol.console.launch.Launcher.preview` called from Python (the console's route minus HTTP and page)
  and against the bare planner (:func:`mission_planner.planner.plan_patrol`): what the console adds to planning.
- **Push-to-talk**: the talk button released (after Chromium's fake microphone has given ``--talk-s`` seconds) until
  the clip's WAV is at drone-1's file sink, against :meth:`Station.talk` called from Python with a WAV of the same
  length: what recording in the page, the upload and the checks add. The file sink writes a clip whole, so its
  appearance is the moment a sound card would have been handed the first audio frame.

The station is real (two drones, not flying: neither path needs a flight); drone-1's loudspeaker is started.

Usage:
    python benchmarks/console_plan_talk.py [--samples 10] [--talk-s 1.0]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before benchmarks/, whose api.py would shadow the api package

from benchmarks.console import pct  # noqa: E402
from benchmarks.console_warnings import wav_after  # noqa: E402
from flight.fly_config import FlyConfig  # noqa: E402
from flight.safety import check_plan_file  # noqa: E402
from gridpatrol.config import Settings  # noqa: E402
from gridpatrol.console.accounts import Accounts  # noqa: E402
from gridpatrol.console.config import ConsoleConfig  # noqa: E402
from gridpatrol.console.launch import LaunchBody, Launcher  # noqa: E402
from gridpatrol.console.server import ConsoleServer  # noqa: E402
from gridpatrol.station.config import NO_VIDEO, DroneLink, RunConfig  # noqa: E402
from gridpatrol.station.demo import free_port  # noqa: E402
from gridpatrol.station.runtime import Station  # noqa: E402
from mission_planner.district_io import load_district  # noqa: E402
from mission_planner.geo_export import write_plan_outputs  # noqa: E402
from mission_planner.planner import PlanRequest, plan_patrol  # noqa: E402

DISTRICT = ROOT / "examples" / "district.geojson"
PASSWORD = "benchmark pass phrase 73"
GRIDS = ["1", "4"]
BODY = LaunchBody(grids=GRIDS, drones=["drone-1", "drone-2"], pattern="perimeter", alt_m=40)


def station_on_the_ground(out: Path) -> Station:
    """Two drones (grids 1 and 4, perimeter) that never connect: planning and speech need no flight."""
    district = load_district(DISTRICT)
    plan = plan_patrol(district, PlanRequest(grids=GRIDS, drones=2, alt_m=40, patterns=["perimeter"]))
    write_plan_outputs(plan, district, out / "plans")
    plans = sorted((out / "plans").glob("*-s1.plan"))
    fly = FlyConfig()
    links = [DroneLink(id=f"drone-{i + 1}", connect="tcp:127.0.0.1:9", video=NO_VIDEO) for i in range(len(plans))]
    run = RunConfig(district=DISTRICT, grids=GRIDS, drones=links)
    settings = Settings().model_copy(update={"run": run, "fly": fly})
    missions = [(link, check_plan_file(p, fly.safety)) for link, p in zip(links, plans, strict=True)]
    return Station(settings, missions, api_url="http://127.0.0.1:9", station_key="gps_bench", out_dir=out)


def tone_wav(seconds: float) -> bytes:
    """A 16 kHz mono WAV of a 440 Hz tone, as the page sends."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        frames = (int(8000 * math.sin(2 * math.pi * 440 * i / 16000)) for i in range(int(16000 * seconds)))
        w.writeframes(b"".join(v.to_bytes(2, "little", signed=True) for v in frames))
    return buf.getvalue()


def timed(fn: Any, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def browser_previews(page: Any, samples: int) -> list[float]:
    """Click Preview; seconds until the routes of this preview are on the map (the status says Planned)."""
    out = []
    for _ in range(samples):
        page.evaluate("() => { document.querySelector('#status').textContent = ''; }")
        t0 = time.perf_counter()
        page.click("#plan-form button[type=submit]")
        page.wait_for_selector("#status:has-text('Planned')")
        page.wait_for_function("() => document.querySelectorAll('path.plan-route').length === 2")
        out.append(time.perf_counter() - t0)
    return out


def browser_talks(page: Any, station: Station, sink: Path, samples: int, talk_s: float) -> list[float]:
    """Hold the talk button until the page has ``talk_s`` of microphone, release; seconds to the WAV at the sink."""
    captured = (
        "() => GP.talk.chunks && GP.talk.context ? "
        "GP.talk.chunks.reduce((n, c) => n + c.length, 0) / GP.talk.context.sampleRate : 0"
    )
    out = []
    page.hover("#talk")
    for _ in range(samples):
        before = len(list(sink.glob("*.wav")))
        page.mouse.down()
        page.wait_for_function(f"() => ({captured})() >= {talk_s}", polling=10)
        t0 = time.perf_counter()
        page.mouse.up()
        out.append(wav_after(sink, before + 1) - t0)
        while station.rigs["drone-1"].speaker.pending():
            time.sleep(0.01)
    return out


def python_talks(station: Station, sink: Path, samples: int, talk_s: float) -> list[float]:
    """``Station.talk`` with a WAV of the same length; seconds to the WAV at the sink."""
    data = tone_wav(talk_s)
    out = []
    for _ in range(samples):
        before = len(list(sink.glob("*.wav")))
        t0 = time.perf_counter()
        station.talk("drone-1", data)
        out.append(wav_after(sink, before + 1) - t0)
        while station.rigs["drone-1"].speaker.pending():
            time.sleep(0.01)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--talk-s", type=float, default=1.0, help="seconds of voice per push-to-talk sample")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(tempfile.mkdtemp(prefix="bench-console-plan-"))
    station = station_on_the_ground(out)
    station.rigs["drone-1"].speaker.start(prerender=False)
    sink = Path(station.rigs["drone-1"].speaker.sink.directory)  # type: ignore[attr-defined]
    accounts = Accounts(out / "console.db")
    accounts.add("op", PASSWORD, "operator", check_policy=False)
    server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
    try:
        district = load_district(DISTRICT)
        request = PlanRequest(grids=GRIDS, drones=2, alt_m=40, patterns=["perimeter"])
        bare = timed(lambda: plan_patrol(district, request), args.samples)
        launcher = Launcher(station, district)
        python_plan = timed(lambda: launcher.preview(BODY), args.samples)
        python_talk = python_talks(station, sink, args.samples, args.talk_s)
        with sync_playwright() as pw:
            flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            flags += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=flags)
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.grant_permissions(["microphone"], origin=server.url.rstrip("/"))
            page = context.new_page()
            page.goto(server.url)
            page.fill("#login-form [name=username]", "op")
            page.fill("#login-form [name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#plan-panel input[name=grid][value='1']")
            page.select_option("#plan-form [name=pattern]", "perimeter")
            page.fill("#plan-form [name=alt_m]", "40")
            page.select_option("#drone-select", "drone-1")
            browser_plan = browser_previews(page, args.samples)
            browser_talk = browser_talks(page, station, sink, args.samples, args.talk_s)
            browser.close()
    finally:
        server.stop()
        station.rigs["drone-1"].speaker.stop()
        station.outbox.close()
        accounts.close()
    n = args.samples

    def row(name: str, values: list[float]) -> None:
        print(f"  {name:28s} p50 {pct(values, 0.5) * 1000:6.0f} ms  p95 {pct(values, 0.95) * 1000:6.0f} ms")

    print(f"plan preview (grids {', '.join(GRIDS)}, two drones, perimeter, 40 m), {n} samples each")
    row("browser Preview -> drawn", browser_plan)
    row("Python Launcher.preview", python_plan)
    row("bare plan_patrol", bare)
    print(f"  ratio p50 browser / bare planner: {pct(browser_plan, 0.5) / pct(bare, 0.5):.2f}")
    print(f"  ratio p50 Launcher.preview / bare planner: {pct(python_plan, 0.5) / pct(bare, 0.5):.2f}")
    print(f"push-to-talk ({args.talk_s:.1f} s of voice): release -> WAV at drone-1's sink, {n} samples each")
    row("browser release", browser_talk)
    row("Python Station.talk", python_talk)
    print(f"  ratio p95 browser / Python: {pct(browser_talk, 0.95) / pct(python_talk, 0.95):.2f}")


if __name__ == "__main__":
    main()
