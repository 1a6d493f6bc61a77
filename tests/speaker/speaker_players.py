"""A loudspeaker player for tests that cut a clip off: the clip cannot end before the cut, however slow the machine."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

# Counts the clips it was given in a log file (its first argument; the WAV comes last). The first clip never ends by
# itself, only a cut (kill) stops it; later ones return at once. A test that cuts the first clip off then cannot lose
# the race against the clip's end, however slow the machine.
PLAYS_UNTIL_CUT = (
    "import pathlib, sys, time; log = pathlib.Path(sys.argv[1]); first = not log.exists()\n"
    "with log.open('a') as f: f.write(sys.argv[-1] + '\\n')\n"
    "if first: time.sleep(600)"
)


@dataclass
class PlayerUntilCut:
    """The ``PLAYS_UNTIL_CUT`` player: ``command`` for a ``DeviceSink``, ``log`` of the clips it started."""

    command: list[str]
    log: Path

    def started(self) -> int:
        """How many clips it has started (a line is written whole as one starts)."""
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def wait_until_playing(self, timeout_s: float = 60.0) -> None:
        """Wait until it plays its first clip; the timeout only stops a test that would hang."""
        deadline = time.monotonic() + timeout_s
        while self.started() == 0:
            assert time.monotonic() < deadline, f"no clip started playing in {timeout_s:g} s"
            time.sleep(0.01)
