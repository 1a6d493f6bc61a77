"""Where rendered audio goes. Every sink has ``play(wav)`` and ``stop()`` (cut off what is playing)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol


class Sink(Protocol):
    """Something that plays or stores a WAV file."""

    def play(self, wav: Path) -> None:
        """Play or store ``wav``; blocks until the sink has taken it (or :meth:`stop` cut it off)."""

    def stop(self) -> None:
        """Cut off the clip now playing, from any thread; nothing happens when none is."""


class FileSink:
    """Copies each WAV into ``directory`` as ``000001.wav``, ``000002.wav``, ... (for logs and tests)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._n = 0
        self._lock = threading.Lock()

    def play(self, wav: Path) -> None:
        """Copy ``wav`` to the next numbered file; it appears whole (written aside, then renamed), so whoever
        watches the folder never reads half a clip."""
        with self._lock:
            self._n += 1
            target = self.directory / f"{self._n:06d}.wav"
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(wav, partial)
        partial.replace(target)

    def stop(self) -> None:
        """Nothing to cut off: a copy is instant."""


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
    """Plays on the local sound card with ``paplay``/``aplay``; :meth:`stop` kills the player to cut a clip off.

    Args:
        command: The player command (default: :func:`find_player`); the WAV path is appended.
    """

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or find_player()
        self.cut = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def play(self, wav: Path) -> None:
        """Play ``wav`` and wait until it has finished or was cut off.

        Raises:
            RuntimeError: The player failed (not when it was stopped).
        """
        with self._lock:
            self._proc = proc = subprocess.Popen([*self.command, str(wav)], stderr=subprocess.PIPE)
            self._stopped = False
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"{self.command[0]} took over 120 s on {wav}") from None
        finally:
            with self._lock:
                self._proc = None
        if proc.returncode != 0 and not self._stopped:
            raise RuntimeError(f"{self.command[0]} failed ({proc.returncode}): {err.decode(errors='replace').strip()}")

    def stop(self) -> None:
        """Kill the player if a clip is playing."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._stopped = True
                self._proc.kill()
                self.cut += 1
