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
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before benchmarks/, whose api.py would shadow the api package

from gridpatrol.config import Settings  # noqa: E402
from gridpatrol.station import demo  # noqa: E402
from speaker.config import SpeakerConfig  # noqa: E402


def run(drones: int, speedup: float, out: Path) -> dict[str, Any]:
    """One patrol; returns latencies, CPU seconds and peak memory of the station."""
    settings = Settings(speaker=SpeakerConfig(warning_mode="auto"))  # the warning is played, not proposed
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.monotonic()
    stored: dict[str, float] = {}
    with demo.demo_patrol(out, settings, drones=drones, speedup=speedup) as patrol:
        station = patrol.station
        reader = demo.ApiReader(patrol.api.url)  # one login: a login per poll would take CPU from the patrol

        def listed() -> dict[str, float]:  # when each incident was seen readable from the API
            return {i["id"]: time.time() for i in reader.get("/incidents", {"limit": 500})["items"]}

        station.start(grids=demo.DEMO_GRIDS)
        while not station.flights_done():
            for k, t in listed().items():
                stored.setdefault(k, t)
            time.sleep(0.2)
        summary = station.stop()
        for k, t in listed().items():
            stored.setdefault(k, t)
        timed = [(r, station.latencies.get(r.incident.id)) for r in station.incidents]
        timed = [(r, t) for r, t in timed if t is not None]
        to_api = sorted(stored[r.incident.id] - t.frame_wall for r, t in timed if r.incident.id in stored)
        each = [
            {
                "type": r.incident.type,
                "drone": r.drone_id,
                "found_s": round(t.found_wall - t.frame_wall, 3),
                "analysis_s": None if t.analysis_ms is None else round(t.analysis_ms / 1000, 3),
                "queue_s": None if t.sent_wall is None else round(t.found_wall - t.sent_wall, 3),
                "warning_s": None if t.played_wall is None else round(t.played_wall - t.frame_wall, 3),
            }
            for r, t in timed
        ]
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
        "each": each,
        "to_api": to_api,
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
    ap.add_argument("--runs", type=int, default=1, help="patrols per drone count (latencies are pooled)")
    ap.add_argument("--drones", default="1,2", help="drone counts to run, comma-separated (the first is the baseline)")
    args = ap.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    print(f"station benchmark, {datetime.now():%Y-%m-%d %H:%M}, speed-up {args.speedup}, {args.runs} run(s) each")
    p95: dict[int, float | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in args.drones.split(",")):
            rows = [run(n, args.speedup, Path(tmp) / f"d{n}-{k}") for k in range(args.runs)]
            for r in rows:
                print(
                    f"{n} drone(s): incidents {r['incidents']}; station CPU {r['station_cpu_pct']} % of a core, "
                    f"vision+API {r['vision_and_api_cpu_pct']} %; station peak RSS {r['station_rss_mb']} MB; "
                    f"{r['wall_s']} s"
                )
                for e in r["each"]:
                    print(
                        f"  {e['type']} by {e['drone']}: analysis {e['analysis_s']} s, queue {e['queue_s']} s, "
                        f"frame->found {e['found_s']} s,"
                        f" frame->warning {e['warning_s']} s"
                    )
            warn = sorted(e["warning_s"] for r in rows for e in r["each"] if e["warning_s"] is not None)
            api = sorted(v for r in rows for v in r["to_api"])
            p95[n] = _pct(warn, 0.95)
            print(
                f"{n} drone(s), pooled: frame->warning p50 {_pct(warn, 0.5)} s p95 {p95[n]} s (n {len(warn)}); "
                f"frame->API p50 {_pct(api, 0.5)} s p95 {_pct(api, 0.95)} s (n {len(api)})"
            )
    counts = list(p95)
    if len(counts) > 1 and p95[counts[0]] and p95[counts[-1]]:
        print(
            f"ratio {counts[-1]} drones / {counts[0]}, warning p95: {p95[counts[-1]] / p95[counts[0]]:.2f}x"  # type: ignore[operator]
        )
    last = p95[counts[-1]]
    print(f"target: warning p95 < 1 s -> {'met' if last is not None and last < 1.0 else 'NOT met'} with {counts[-1]}")


if __name__ == "__main__":
    main()
