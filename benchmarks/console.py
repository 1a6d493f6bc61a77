"""Console benchmark (issue 15, first part): a click in the browser to the vehicle's change of mode, against the same
station call made from Python in the same run; a proposed warning's Play click to its audio at the sink, against
``Station.play_proposal`` from Python (:mod:`benchmarks.console_warnings`); and the console's CPU while a page
watches two drones.

A real station flies two drones (no cameras) on the built-in simulator; the console is served beside it and
Debian's Chromium (headless) is logged in as an operator. Each sample pauses a drone (BRAKE), then resumes it
(AUTO). "Click" is Playwright's click on the drone's button; "mode" is the moment the simulated vehicle's mode
changes (polled every millisecond in this process: the simulator runs here); "ACK" is the first COMMAND_ACK the
station's MAVLink link receives from that drone afterwards. The baseline makes the same
``Station.pause`` / ``Station.resume`` call from a Python thread. The ratio says what the browser, HTTP and the
console add; the rest is the MAVLink command and its acknowledgement (``flight.commands``).

CPU: the station process's CPU seconds per wall second over the same window, with the page open and streaming,
and with the console not serving (this process holds the simulators too, so the difference is the console's part).

Live video (camera frame to painted, the console's CPU for two drones' video) needs a station with cameras: it is
:mod:`benchmarks.console_video`.

Usage:
    python benchmarks/console.py [--samples 10] [--speedup 2]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before benchmarks/, whose api.py would shadow the api package

from benchmarks.console_warnings import browser_warning_samples, python_warning_samples  # noqa: E402
from flight.fly_config import FlyConfig, SafetyConfig  # noqa: E402
from flight.safety import check_plan_file  # noqa: E402
from gridpatrol.config import Settings  # noqa: E402
from gridpatrol.console.accounts import Accounts  # noqa: E402
from gridpatrol.console.config import ConsoleConfig  # noqa: E402
from gridpatrol.console.server import ConsoleServer  # noqa: E402
from gridpatrol.station.config import NO_VIDEO, DroneLink, RunConfig  # noqa: E402
from gridpatrol.station.demo import free_port  # noqa: E402
from gridpatrol.station.runtime import Station  # noqa: E402
from mission_planner.district_io import load_district  # noqa: E402
from mission_planner.geo_export import write_plan_outputs  # noqa: E402
from mission_planner.planner import PlanRequest, plan_patrol  # noqa: E402
from mission_planner.qgc_plan import read_qgc_plan  # noqa: E402
from sim import Simulator  # noqa: E402

DISTRICT = ROOT / "examples" / "district.geojson"
PASSWORD = "benchmark pass phrase 73"


@contextlib.contextmanager
def flying(out: Path, speedup: float) -> Iterator[tuple[Station, list[Simulator]]]:
    """Two drones (grids 5 and 8, coverage: long missions) flying on the simulator, without cameras."""
    district = load_district(DISTRICT)
    plan = plan_patrol(district, PlanRequest(grids=["5", "8"], drones=2, alt_m=40, patterns=["coverage"]))
    write_plan_outputs(plan, district, out / "plans")
    plans = sorted((out / "plans").glob("*-s1.plan"))
    fly = FlyConfig(safety=SafetyConfig(gcs_timeout_s=30.0))
    with contextlib.ExitStack() as stack:
        sims = []
        for p in plans:
            lat, lon, _ = read_qgc_plan(p).home
            sims.append(stack.enter_context(Simulator(vehicles=1, speedup=speedup, home=(lat, lon, 20.0), base_port=0)))
        links = [DroneLink(id=f"drone-{i + 1}", connect=s.endpoints[0], video=NO_VIDEO) for i, s in enumerate(sims)]
        run = RunConfig(district=DISTRICT, grids=["5", "8"], drones=links)
        settings = Settings().model_copy(update={"run": run, "fly": fly})
        missions = [(link, check_plan_file(p, fly.safety)) for link, p in zip(links, plans, strict=True)]
        station = Station(settings, missions, api_url="http://127.0.0.1:9", station_key="gps_bench", out_dir=out)
        station.start(grids=["5", "8"])
        try:
            deadline = time.monotonic() + 300
            while not all(r.flight.status.phase == "mission" for r in station.rigs.values()):
                if time.monotonic() > deadline:
                    raise RuntimeError("the drones did not reach their missions in 300 s")
                time.sleep(0.2)
            yield station, sims
        finally:
            station.stop(return_home=False, flush_timeout_s=0.5)


class Acks:
    """When the station received each COMMAND_ACK from a drone (perf_counter), from its own MAVLink link."""

    def __init__(self, station_vehicle: Any) -> None:
        self.times: list[float] = []
        station_vehicle.subscribe(lambda _msg: self.times.append(time.perf_counter()), {"COMMAND_ACK"})

    def first_after(self, t0: float, limit_s: float = 30.0) -> float:
        """The first acknowledgement received after ``t0``."""
        deadline = time.perf_counter() + limit_s
        while True:
            after = [t for t in list(self.times) if t > t0]
            if after:
                return min(after)
            if time.perf_counter() > deadline:
                raise TimeoutError("no COMMAND_ACK")
            time.sleep(0.001)


def until_mode(vehicle: Any, mode: str, limit_s: float = 30.0) -> float:
    """Poll the simulated vehicle's mode every millisecond; the perf_counter time it became ``mode``."""
    deadline = time.perf_counter() + limit_s
    while vehicle.mode != mode:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the vehicle did not enter {mode}")
        time.sleep(0.001)
    return time.perf_counter()


def measure(act: Callable[[str], None], vehicle: Any, acks: Acks, samples: int) -> tuple[list[float], list[float]]:
    """Latencies (s) from ``act(action)`` starting to the vehicle's mode and to the station's first COMMAND_ACK,
    for pause and resume in turn."""
    modes, acked = [], []
    for _ in range(samples):
        for action, mode in (("pause", "BRAKE"), ("resume", "AUTO")):
            t0 = time.perf_counter()
            worker = threading.Thread(target=act, args=(action,), daemon=True)
            worker.start()
            modes.append(until_mode(vehicle, mode) - t0)
            acked.append(acks.first_after(t0) - t0)
            worker.join(60)
    return modes, acked


def browser_samples(page: Any, vehicle: Any, acks: Acks, samples: int) -> tuple[list[float], list[float]]:
    """Click Pause then Resume on drone-1's card ``samples`` times; latencies (s) from each click to the mode and
    to the station's first COMMAND_ACK.

    Playwright's page is not thread-safe, so the clicks run here and the vehicle is watched in a worker thread.
    """
    from concurrent.futures import ThreadPoolExecutor

    card = "section.drone[data-drone='drone-1']"
    modes, acked = [], []
    with ThreadPoolExecutor(1) as pool:
        for _ in range(samples):
            for action, mode, said in (("pause", "BRAKE", "paused"), ("resume", "AUTO", "resumed")):
                t0 = time.perf_counter()
                changed = pool.submit(until_mode, vehicle, mode)
                page.click(f"{card} button[data-action={action}]")
                modes.append(changed.result(60) - t0)
                acked.append(acks.first_after(t0) - t0)
                page.wait_for_selector(f"#status:has-text('drone-1 {said}')")  # the command has finished
    return modes, acked


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def cpu_per_s(window_s: float) -> float:
    """This process's CPU seconds per wall second over ``window_s``."""
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    time.sleep(window_s)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10, help="pause+resume pairs per path")
    parser.add_argument("--speedup", type=float, default=2.0)
    parser.add_argument("--cpu-window", type=float, default=15.0, help="seconds of each CPU window")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(tempfile.mkdtemp(prefix="bench-console-"))
    with flying(out, args.speedup) as (station, sims):
        idle = cpu_per_s(args.cpu_window)
        accounts = Accounts(out / "console.db")
        accounts.add("op", PASSWORD, "operator", check_policy=False)
        server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.goto(server.url)
            page.fill("#login-form [name=username]", "op")
            page.fill("#login-form [name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("section.drone[data-drone='drone-1'] button[data-action=pause]")
            watching = cpu_per_s(args.cpu_window)
            vehicle = sims[0].vehicle(0)
            acks = Acks(station.rigs["drone-1"].flight.vehicle)
            browser_s, browser_ack = browser_samples(page, vehicle, acks, args.samples)
            warn_browser = browser_warning_samples(page, station, 2 * args.samples)
            browser.close()
        server.stop()
        accounts.close()

        def direct(action: str) -> None:
            getattr(station, action)("drone-1")

        python_s, python_ack = measure(direct, vehicle, acks, args.samples)
        warn_python = python_warning_samples(station, 2 * args.samples)
    rows = [
        ("browser click -> mode", browser_s),
        ("browser click -> ACK", browser_ack),
        ("Python call -> mode", python_s),
        ("Python call -> ACK", python_ack),
    ]
    n = 2 * args.samples
    print(f"click -> vehicle mode (pause BRAKE / resume AUTO), {n} samples each, speed-up {args.speedup}")
    for name, values in rows:
        print(f"  {name:24s} p50 {pct(values, 0.5) * 1000:6.0f} ms  p95 {pct(values, 0.95) * 1000:6.0f} ms")
    print(f"  ratio p95 browser / Python (ACK): {pct(browser_ack, 0.95) / pct(python_ack, 0.95):.2f}")
    print(f"proposed warning: Play -> its WAV at drone-1's sink, {n} samples each")
    for name, values in (("browser click", warn_browser), ("Python play_proposal", warn_python)):
        print(f"  {name:24s} p50 {pct(values, 0.5) * 1000:6.0f} ms  p95 {pct(values, 0.95) * 1000:6.0f} ms")
    print(f"  ratio p95 browser / Python: {pct(warn_browser, 0.95) / pct(warn_python, 0.95):.2f}")
    print(f"CPU of the station process: {idle:.3f} s/s without the console, {watching:.3f} s/s with a page streaming")
    print(f"  the console's part: {(watching - idle) * 100:.1f} % of one core (two drones, telemetry only, no video)")


if __name__ == "__main__":
    main()
