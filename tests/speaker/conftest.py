"""Helpers for the speaker tests: reading WAVs as audio, and a player that takes as long as the clip."""

from __future__ import annotations

import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests import speaker_players from here

from speaker_players import PLAYS_UNTIL_CUT, PlayerUntilCut

# Plays a WAV silently in real time: sleeps for the clip's duration, like aplay on a sound card would block.
REALTIME_PLAYER = "import sys, time, wave; w = wave.open(sys.argv[1]); time.sleep(w.getnframes() / w.getframerate())"


def duration_and_rms(path: Path) -> tuple[float, float]:
    """Seconds of audio and RMS level (full scale 1.0) of a 16-bit mono WAV."""
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        frames = wav.readframes(wav.getnframes())
        duration = wav.getnframes() / wav.getframerate()
    samples = np.frombuffer(frames, dtype=np.int16).astype(np.float64) / 32768.0
    return duration, float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


@pytest.fixture
def audio() -> Callable[[Path], tuple[float, float]]:
    """:func:`duration_and_rms`."""
    return duration_and_rms


@pytest.fixture
def realtime_player() -> list[str]:
    """A ``DeviceSink`` command that blocks for the clip's duration (there is no sound card here)."""
    return [sys.executable, "-c", REALTIME_PLAYER]


@pytest.fixture
def player_until_cut(tmp_path: Path) -> PlayerUntilCut:
    """A player whose first clip plays until it is cut off (see ``PLAYS_UNTIL_CUT``)."""
    log = tmp_path / "clips-started.log"
    return PlayerUntilCut([sys.executable, "-c", PLAYS_UNTIL_CUT, str(log)], log)
