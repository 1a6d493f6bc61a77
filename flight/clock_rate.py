"""How fast a vehicle's clock runs against ours: 1 for a real vehicle, the speed-up for a simulation.

ArduPilot's failsafes count in the vehicle's own time. A simulator (SITL or ``sim/``) at speed-up 10 lives ten
seconds for each of ours, so a ground station that sends its heartbeat once a wall-clock second is heard once
every ten vehicle seconds, and the vehicle's GCS failsafe (``FS_GCS_TIMEOUT``, 5 s by default) trips before it
even arms ("Arm: GCS failsafe on"). The link measures the rate from the ``time_boot_ms`` stamps the vehicle sends
anyway and paces its heartbeat in the vehicle's time (:meth:`flight.link.MavLink._heartbeat_loop`).

Example:
    >>> rate = ClockRate()
    >>> for wall in range(6):
    ...     rate.sample(vehicle_s=10.0 * wall, wall_s=float(wall))
    >>> rate.rate
    10.0
"""

from __future__ import annotations

import math
import threading
from collections import deque

#: Wall-clock seconds of samples the estimate looks back over, and the least it needs.
WINDOW_S = 5.0
MIN_SPAN_S = 0.2
#: The estimate never goes outside these bounds (a paused simulation, or a corrupt stamp).
MIN_RATE, MAX_RATE = 1.0, 100.0


class ClockRate:
    """Vehicle seconds per wall-clock second, from (vehicle time, wall time) samples; thread-safe."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()
        self._rate = MIN_RATE
        self._known = False

    def sample(self, vehicle_s: float, wall_s: float) -> None:
        """Record one vehicle timestamp (``time_boot_ms / 1000``) seen at ``wall_s`` (monotonic)."""
        if not (math.isfinite(vehicle_s) and math.isfinite(wall_s)):
            return
        with self._lock:
            if self._samples and vehicle_s < self._samples[-1][1]:
                self._samples.clear()  # the vehicle rebooted (or stamps from two sources): start again
            self._samples.append((wall_s, vehicle_s))
            while self._samples and wall_s - self._samples[0][0] > WINDOW_S:
                self._samples.popleft()
            (w0, v0), (w1, v1) = self._samples[0], self._samples[-1]
            if w1 - w0 >= MIN_SPAN_S:
                self._rate = min(MAX_RATE, max(MIN_RATE, (v1 - v0) / (w1 - w0)))
                self._known = True

    @property
    def known(self) -> bool:
        """Whether enough samples arrived for an estimate (until then, assume the vehicle may be fast)."""
        with self._lock:
            return self._known

    @property
    def rate(self) -> float:
        """The latest estimate (1.0 until 0.2 s of samples have arrived)."""
        with self._lock:
            return self._rate
