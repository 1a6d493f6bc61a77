"""The synthesis worker process on real pyttsx3/espeak-ng: it survives a crash, a hang and an engine error."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from speaker.config import VoiceConfig
from speaker.synth import SynthesisError
from speaker.worker import SynthesisWorker

Audio = Callable[[Path], tuple[float, float]]
EN = VoiceConfig(voice="en")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[SynthesisWorker]:
    w = SynthesisWorker(tmp_path / "cache", "pyttsx3", timeout_s=3)
    w.start()
    yield w
    w.stop()


def _pid(worker: SynthesisWorker) -> int:
    assert worker.process is not None and worker.process.pid is not None
    return worker.process.pid


def test_renders_with_pyttsx3_and_caches(worker: SynthesisWorker, audio: Audio) -> None:
    path, hit = worker.render("Please wear a mask.", EN)
    assert not hit and audio(path)[1] > 0.02
    assert worker.render("Please wear a mask.", EN) == (path, True)


def test_engine_error_is_reported_and_worker_lives_on(worker: SynthesisWorker) -> None:
    worker.render("one", EN)
    pid = _pid(worker)
    with pytest.raises(SynthesisError, match="no voice 'nosuchvoice'"):
        worker.render("hello", VoiceConfig(voice="nosuchvoice"))
    worker.render("two", EN)
    assert _pid(worker) == pid and worker.restarts == 0


def test_hung_worker_is_killed_restarted_and_the_request_retried(worker: SynthesisWorker, audio: Audio) -> None:
    worker.render("warm up", EN)
    hung = _pid(worker)
    os.kill(hung, signal.SIGSTOP)  # frozen like a runAndWait that never returns
    start = time.monotonic()
    path, _ = worker.render("Please keep your distance.", EN)
    assert time.monotonic() - start >= 3  # it waited the whole timeout_s before calling the worker hung
    # One hang, one restart: the retried request was answered by the new worker at its first try.
    assert worker.hangs == 1 and worker.restarts == 1 and _pid(worker) != hung
    assert audio(path)[1] > 0.02
    with pytest.raises(ProcessLookupError):
        os.kill(hung, 0)  # the hung one is gone, not left behind


def test_worker_killed_mid_rendering_is_replaced(tmp_path: Path, audio: Audio) -> None:
    worker = SynthesisWorker(tmp_path / "cache", "pyttsx3", timeout_s=60)
    worker.start()
    try:
        worker.render("warm up", EN)
        pid = _pid(worker)
        long_text = " ".join(f"Sentence number {i} of a long announcement." for i in range(60))
        threading.Timer(0.2, os.kill, (pid, signal.SIGKILL)).start()
        path, hit = worker.render(long_text, EN)
        assert not hit and worker.restarts == 1 and _pid(worker) != pid
        assert audio(path)[0] > 30
    finally:
        worker.stop()


def test_two_failures_in_a_row_give_a_clear_error(tmp_path: Path) -> None:
    w = SynthesisWorker(tmp_path / "cache", "pyttsx3", timeout_s=1)
    w.start()
    try:
        long_text = " ".join(f"Sentence number {i} of a long announcement." for i in range(400))
        with pytest.raises(SynthesisError, match="hung for over 1 s twice"):
            w.render(long_text, EN)
        assert w.hangs == 2
        w.render("still works", EN)
    finally:
        w.stop()
