"""The Speaker end to end: real worker process, real espeak-ng, file sink."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from speaker.config import SpeakerConfig
from speaker.policy import Policy
from speaker.sinks import FileSink
from speaker.speaker import Speaker


@dataclass
class Incident:
    kind: str
    count: int
    grid: str


class GateSink(FileSink):
    """A file sink whose first play waits for ``gate``, so the test can fill the queue behind it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.gate = threading.Event()

    def play(self, wav: Path) -> None:
        self.gate.wait(30)
        super().play(wav)


def _wait_played(speaker: Speaker, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(speaker.played) < n:
        assert time.monotonic() < deadline, f"only {len(speaker.played)} of {n} played"
        time.sleep(0.02)


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[Speaker]:
    spk = Speaker(SpeakerConfig(), GateSink(tmp_path / "out"), tmp_path / "cache", policy=Policy(cooldown_s=60))
    spk.start()
    yield spk
    spk.stop()


def test_warn_plays_and_cooldown_suppresses(speaker: Speaker, tmp_path: Path) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    first = speaker.warn(Incident("no_mask", 1, "B7"), incident_id="inc-1")
    assert first is not None and first.incident_id == "inc-1" and first.text == "请佩戴口罩"
    assert speaker.warn(Incident("no_mask", 1, "B7")) is None
    _wait_played(speaker, 1)
    assert (tmp_path / "out" / "000001.wav").stat().st_size > 1000


def test_operator_preempts_queued_warnings(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.warn(Incident("no_mask", 1, "A1"))
    time.sleep(0.5)  # the loop takes it and blocks in the sink
    speaker.warn(Incident("no_mask", 1, "A2"))
    speaker.warn(Incident("crowd", 9, "A3"))
    speaker.announce("Drone landing, stand clear.", "en")
    speaker.sink.gate.set()
    _wait_played(speaker, 4)
    assert [b.kind for b in speaker.played] == ["no_mask", "operator", "crowd", "no_mask"]


def test_worker_survives_being_killed(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    speaker.announce("one", "en")
    _wait_played(speaker, 1)
    process = speaker.worker.process
    assert process is not None and process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(5)
    speaker.announce("two", "en")
    _wait_played(speaker, 2)
    assert speaker.worker.restarts == 1
