"""Speaker latency: from an incident reaching ``Speaker.warn`` to the first audio frame reaching the sink.

Compares, in one run, warnings played from the pre-rendered cache (what the station does) with the same
warnings synthesised on demand (the baseline), for the pyttsx3 engine and the espeak-ng binary.

Two phrases are timed:
- ``plain``: the default crowd warning "请勿聚集，保持一米以上距离" (one pre-rendered clip);
- ``template``: "网格{grid}有{count}人聚集，请勿聚集" (joined from pre-rendered fragments at play time).

Each trial's incident has its own grid id and track ids, so no cooldown or repeat limit can hold a trial
(or the warm-up) back; ``warn`` returning ``None`` is an error, and every wait has a timeout, so the
benchmark cannot hang. For the on-demand runs nothing is pre-rendered and the plain phrase's cached clip
is deleted before each trial, so every trial synthesises.

Run: ``.venv/bin/python benchmarks/speaker.py [--trials 50]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this file is named like the package: put the checkout first

from speaker.config import SpeakerConfig  # noqa: E402
from speaker.incident import Incident  # noqa: E402
from speaker.speaker import Speaker  # noqa: E402

TEMPLATE = "网格{grid}有{count}人聚集，请勿聚集"
PLAIN = SpeakerConfig().phrasebook["crowd"]["zh"]
TIMEOUT_S = 30.0


class TimingSink:
    """Records when the first audio frame of each clip reaches it."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0.0

    def play(self, wav: Path) -> None:
        """Read the first frame and stamp the time."""
        with wave.open(str(wav)) as clip:
            if not clip.readframes(1):
                raise RuntimeError(f"{wav} has no audio")
        self.at = time.perf_counter()
        self.arrived.set()

    def stop(self) -> None:
        """Nothing plays for long here."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(
    engine: str, cached: bool, phrase: str, trials: int, warmup: int, root: Path
) -> tuple[list[float], float, float]:
    """Latencies in ms of ``trials`` warnings (after ``warmup``), the first warning's, and start-up seconds."""
    config = SpeakerConfig.model_validate(
        {
            "engine": engine,
            "phrasebook": {"crowd": {"zh": TEMPLATE if phrase == "template" else PLAIN}},
            "announcements": {},
            "prerender_counts": (2, 30),
        }
    )
    sink = TimingSink()
    grids = [f"G{i:03d}" for i in range(warmup + trials)]
    speaker = Speaker(config, sink, root / f"{engine}-{phrase}-{'cached' if cached else 'demand'}")
    t0 = time.perf_counter()
    speaker.start(grids=grids if cached else (), prerender=cached)
    startup = time.perf_counter() - t0
    latencies: list[float] = []
    first = 0.0
    try:
        for i, grid in enumerate(grids):
            incident = Incident(
                type="crowd", ts=datetime.now(UTC), people=2 + i % 29, grid_id=grid, id=f"inc-{i}",
                details={"track_ids": [f"t{i}"]},
            )  # fmt: skip
            if not cached and phrase == "plain":
                speaker.cache.path_for(PLAIN, config.voices["zh"]).unlink(missing_ok=True)
            sink.arrived.clear()
            start = time.perf_counter()
            if speaker.warn(incident) is None:
                raise RuntimeError(f"the policy held back trial {i} (grid {grid}); the benchmark is broken")
            if not sink.arrived.wait(TIMEOUT_S):
                raise RuntimeError(f"trial {i}: no audio reached the sink within {TIMEOUT_S:.0f} s")
            if i == 0:
                first = (sink.at - start) * 1000
            if i >= warmup:
                latencies.append((sink.at - start) * 1000)
        wrong = [b for b in speaker.played if b.outcome != "played" or b.cached is not cached]
        if wrong:
            raise RuntimeError(f"expected every warning played with cached={cached}, got {wrong[0]}")
    finally:
        speaker.stop()
    return latencies, first, startup


def main() -> None:
    """Run every configuration and print a table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    rows = [
        ("pyttsx3", True, "plain"),
        ("pyttsx3", False, "plain"),
        ("espeak-ng", False, "plain"),
        ("pyttsx3", True, "template"),
        ("pyttsx3", False, "template"),
        ("espeak-ng", False, "template"),
    ]
    results: dict[tuple[str, bool, str], tuple[float, float, float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine, cached, phrase in rows:
            latencies, first, startup = run(engine, cached, phrase, args.trials, args.warmup, Path(tmp))
            p50, p95 = statistics.median(latencies), _percentile(latencies, 95)
            results[(engine, cached, phrase)] = (p50, p95, max(latencies), first, startup)
    print(f"{args.trials} trials each after {args.warmup} warm-up; latency = warn() to first frame at the sink\n")
    print("| phrase | audio | engine | p50 ms | p95 ms | max ms | p95 / cached p95 | first warning ms | start-up s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (engine, cached, phrase), (p50, p95, worst, first, startup) in results.items():
        base = results[("pyttsx3", True, phrase)][1]
        source = "pre-rendered" if cached else "on demand"
        figures = f"{p50:.1f} | {p95:.1f} | {worst:.1f} | {p95 / base:.0f} | {first:.0f} | {startup:.1f}"
        print(f"| {phrase} | {source} | {engine} | {figures} |")
    cached_p95 = max(results[("pyttsx3", True, p)][1] for p in ("plain", "template"))
    verdict = "met" if cached_p95 < 100 else "MISSED"
    print(f"\ntarget p95 < 100 ms with the cache: {verdict} ({cached_p95:.1f} ms)")


if __name__ == "__main__":
    main()
