"""Ctrl-C and SIGTERM for the long-running commands, noted rather than raised.

Python turns Ctrl-C into a KeyboardInterrupt raised wherever the main thread happens to be, possibly between
taking a lock and the ``try`` that would release it (inside ``subprocess.Popen.poll``, a logging handler, Rich's
live display). A lock left taken hangs the clean-up that follows. That is the likely cause of two rare hangs in the
test suite (not proven: neither printed where it stood): ``gridpatrol sitl`` did not stop its vehicles within 60 s
of a Ctrl-C, and ``gridpatrol fly`` did not turn its vehicle home. The commands that run until interrupted
therefore let a signal only be counted, and their main loops look at the count between steps.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from types import FrameType

#: How often a waiting loop looks at the signal count (s).
POLL_S = 0.05


class Signals:
    """How many of the caught signals have come (:attr:`count`).

    Only a counter: a handler that set a ``threading.Event`` could itself deadlock, run while the main thread held
    that event's lock inside ``Event.wait``.
    """

    def __init__(self) -> None:
        self.count = 0

    def note(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: count the signal and return (nothing is raised in the interrupted code)."""
        self.count += 1

    def wait(self, timeout_s: float | None = None, seen: int = 0) -> bool:
        """Whether more than ``seen`` signals have come, waiting up to ``timeout_s`` (None: until one comes)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self.count <= seen:
            left = POLL_S if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, POLL_S))
        return True


@contextlib.contextmanager
def caught(*signums: signal.Signals) -> Iterator[Signals]:
    """Within the block, the given signals are only counted (:class:`Signals`); the previous handlers come back after.

    Example:
        >>> import os
        >>> with caught(signal.SIGTERM) as stop:
        ...     os.kill(os.getpid(), signal.SIGTERM)
        ...     stop.wait(5), stop.count, stop.wait(0.1, seen=1)
        (True, 1, False)
    """
    noted = Signals()
    previous = {sig: signal.signal(sig, noted.note) for sig in signums}
    try:
        yield noted
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def ctrl_c_raises() -> Iterator[None]:
    """Within the block, Ctrl-C raises KeyboardInterrupt again (for a question the user may want to leave)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
