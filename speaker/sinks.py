"""Where rendered audio goes. Every sink has ``play(wav: Path) -> None``."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol


class Sink(Protocol):
    """Something that plays or stores a WAV file."""

    def play(self, wav: Path) -> None:
        """Play or store ``wav``; blocks until the sink has taken it."""


class FileSink:
    """Copies each WAV into ``directory`` as ``000001.wav``, ``000002.wav``, ... (for logs and tests)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._n = 0
        self._lock = threading.Lock()

    def play(self, wav: Path) -> None:
        """Copy ``wav`` to the next numbered file."""
        with self._lock:
            self._n += 1
            target = self.directory / f"{self._n:06d}.wav"
        shutil.copyfile(wav, target)


class NoSoundCardError(RuntimeError):
    """No local audio device; the message says what was checked and how to fall back."""


def find_player() -> list[str]:
    """The command that plays a WAV on the local sound card (``paplay`` with a PulseAudio server, else ``aplay``).

    Raises:
        NoSoundCardError: No player installed or no playback device (``/proc/asound/cards`` empty).
    """
    cards = Path("/proc/asound/cards")
    has_card = cards.exists() and "no soundcards" not in cards.read_text() and cards.read_text().strip() != ""
    if shutil.which("paplay") and has_card:
        return ["paplay"]
    if shutil.which("aplay") and has_card:
        return ["aplay", "-q"]
    raise NoSoundCardError(
        "no sound card on this machine (checked /proc/asound/cards, paplay, aplay); "
        'use `--sink file` / `--out`, or stream to a speaker-agent with [speaker.sink] kind = "network"'
    )


class DeviceSink:
    """Plays on the local sound card with ``paplay``/``aplay``."""

    def __init__(self) -> None:
        self.command = find_player()

    def play(self, wav: Path) -> None:
        """Play ``wav`` and wait until it has finished."""
        subprocess.run([*self.command, str(wav)], check=True, timeout=60)
