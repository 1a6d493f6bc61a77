"""Station benchmark: end-to-end latency from a frame showing a crowd to the warning at the speaker sink and to
the incident stored in the API, with 1 and 2 drones; CPU and memory of the station.

Each run is a whole demo patrol (``gridpatrol.station.demo.demo_patrol``): simulated drones at speed-up, the
simulated camera, real YOLO inference, espeak-ng warnings to WAV files, the API on localhost. The 1-drone run is
the baseline the 2-drone run is compared with (ratios). Latencies are wall-clock seconds from the capture of the
frame in which the crowd rule was met (after its ``min_duration_s``) to the warning's first audio frame reaching
the sink, and to the incident being readable from the API.

Usage:
    YOLO_OFFLINE=1 python benchmarks/station.py [--speedup 2.5]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from gridpatrol.config import Settings
from gridpatrol.station import demo


def _api_times(url: str) -> dict[str, float]:
    """When each incident became readable from the API (polled by the caller)."""
    items = demo.fetch_api(url, "/incidents", {"limit": 500})["items"]
    return {i["id"]: time.time() for i in items}


def run(drones: int, speedup: float, out: Path) -> dict[str, Any]:
    """One patrol; returns latencies, CPU seconds and peak memory of the station."""
    settings = Settings()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.monotonic()
    stored: dict[str, float] = {}
    with demo.demo_patrol(out, settings, drones=drones, speedup=speedup) as patrol:
        station = patrol.station
        station.start(grids=demo.DEMO_GRIDS)
        while not station.flights_done():
            for k, t in _api_times(patrol.api.url).items():
                stored.setdefault(k, t)
            time.sleep(0.2)
        summary = station.stop()
        for k, t in _api_times(patrol.api.url).items():
            stored.setdefault(k, t)
        to_api = sorted(stored[r.incident.id] - r.frame_wall for r in station.incidents if r.incident.id in stored)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic() - wall0
    station_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    children_cpu = (child1.ru_utime + child1.ru_stime) - (child0.ru_utime + child0.ru_stime)
    return {
        "drones": drones,
        "incidents": summary["incidents"],
        "warning": summary["latency_warning_s"],
        "found": summary["latency_found_s"],
        "api": {"p50": _pct(to_api, 0.5), "p95": _pct(to_api, 0.95), "n": len(to_api)},
        "station_cpu_pct": round(100 * station_cpu / wall, 1),
        "vision_and_api_cpu_pct": round(100 * children_cpu / wall, 1),
        "station_rss_mb": round(cpu1.ru_maxrss / 1024, 1),
        "wall_s": round(wall, 1),
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))], 3)


def main() -> None:
    """Run the 1- and 2-drone patrols and print the figures and the 2/1 ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speedup", type=float, default=2.5)
    args = ap.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    print(f"station benchmark, {datetime.now():%Y-%m-%d %H:%M}, speed-up {args.speedup}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 2):
            rows.append(run(n, args.speedup, Path(tmp) / f"d{n}"))
            r = rows[-1]
            print(
                f"{n} drone(s): incidents {r['incidents']}; frame->warning p50 {r['warning']['p50']} s "
                f"p95 {r['warning']['p95']} s (n {r['warning']['n']}); frame->API p50 {r['api']['p50']} s "
                f"p95 {r['api']['p95']} s; station CPU {r['station_cpu_pct']} % of a core, vision+API "
                f"{r['vision_and_api_cpu_pct']} %; station peak RSS {r['station_rss_mb']} MB; {r['wall_s']} s"
            )
    one, two = rows
    if one["warning"]["p95"] and two["warning"]["p95"]:
        print(f"ratio 2 drones / 1 drone, warning p95: {two['warning']['p95'] / one['warning']['p95']:.2f}x")
    print(f"target: warning p95 < 1 s -> {'met' if (two['warning']['p95'] or 99) < 1.0 else 'NOT met'} with 2 drones")


if __name__ == "__main__":
    main()
