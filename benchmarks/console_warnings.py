"""A proposed warning's click to the first audio at the loudspeaker sink (issue 15), for ``benchmarks/console.py``.

The station flies in ``confirm`` mode (the default). For each sample a crowd incident from drone-1 goes onto the
station's events queue, as an analysis process puts one; the station proposes its warning; the page shows it and
Playwright clicks its Play button (or, for the baseline, Python calls ``Station.play_proposal``, the same path
from the console's route on). The time is from the click (or call) to the clip's WAV appearing at drone-1's file
sink (polled every millisecond; the file sink writes a clip whole, so its appearance is the first audio frame a
sound card would have been handed). The phrase has no placeholders and is pre-rendered, as in a patrol.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gridpatrol.station.vision_proc import StreamEvent
from vision.incidents import Sighting, encode_jpeg

DRONE = "drone-1"


def crowd_proposal(station: Any, n: int, limit_s: float = 30.0) -> str:
    """Put a crowd incident for drone-1 on the station's events queue; the id of the warning it proposes."""
    rig = station.rigs[DRONE]
    rig.speaker.policy.cooldown_s, rig.speaker.policy.max_repeats = 0.0, 1_000_000  # every sample is proposed
    known = {p.id for p in station.proposals.all()}
    sighting = Sighting(
        type="crowd",
        ts=datetime.now(UTC),
        confidence=0.9,
        people=6,
        grid_id=station.run.grids[0],
        snapshot=encode_jpeg(np.full((240, 320, 3), 90, dtype=np.uint8)),
        details={"track_ids": [10_000 + 3 * n, 10_001 + 3 * n, 10_002 + 3 * n]},
    )
    station.events.put(StreamEvent("incident", DRONE, incident=sighting))
    deadline = time.monotonic() + limit_s
    while True:
        fresh = [p.id for p in station.proposals.open() if p.id not in known]
        if fresh:
            return fresh[0]
        if time.monotonic() > deadline:
            raise TimeoutError("the station proposed no warning")
        time.sleep(0.01)


def sink_dir(station: Any) -> Path:
    """drone-1's file sink folder (the station's default sink)."""
    return Path(station.rigs[DRONE].speaker.sink.directory)


def wav_after(sink: Path, count: int, limit_s: float = 30.0) -> float:
    """Poll every millisecond until ``sink`` holds ``count`` WAVs; the perf_counter time it did."""
    deadline = time.perf_counter() + limit_s
    while len(list(sink.glob("*.wav"))) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError("no WAV at the sink")
        time.sleep(0.001)
    return time.perf_counter()


def _samples(
    station: Any, samples: int, play: Callable[[str], None], first: int, ready: Callable[[str], None] | None = None
) -> list[float]:
    sink, out = sink_dir(station), []
    for n in range(first, first + samples):
        pid = crowd_proposal(station, n)
        if ready is not None:
            ready(pid)  # the proposal is on the page with its Play button: the clock starts at the click
        before = len(list(sink.glob("*.wav")))
        t0 = time.perf_counter()
        play(pid)
        out.append(wav_after(sink, before + 1) - t0)
        while station.rigs[DRONE].speaker.pending():  # the next sample starts on an idle loudspeaker
            time.sleep(0.01)
    return out


def browser_warning_samples(page: Any, station: Any, samples: int) -> list[float]:
    """Click each proposal's Play in the page; seconds from the click to its WAV at the sink."""

    def button(pid: str) -> str:
        return f"#proposals li[data-proposal='{pid}'] button[data-action=play]"

    def shown(pid: str) -> None:
        page.wait_for_selector(f"{button(pid)}:not([disabled])")

    def click(pid: str) -> None:
        page.click(button(pid), no_wait_after=True)

    return _samples(station, samples, click, 0, shown)


def python_warning_samples(station: Any, samples: int) -> list[float]:
    """The same with ``Station.play_proposal`` called from Python."""
    return _samples(station, samples, lambda pid: station.play_proposal(pid, "benchmark"), 10_000)
