"""Where rendered audio goes. Every sink has ``play(wav: Path) -> None``."""

from __future__ import annotations

import shutil
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
