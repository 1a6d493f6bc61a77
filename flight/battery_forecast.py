"""Will the battery last the route? A forecast from what the vehicle has really used so far.

The planner sizes each sortie from a vehicle profile (endurance, speeds); the vehicle's real draw can differ a
lot (ArduCopter SITL's quad used 87 % on a sortie planned at 29 %). Waiting for the reserve watchdog to trip means
finding out over the far end of the grid. :class:`BatteryForecast` compares the charge used with the distance
flown along the planned track, extrapolates to the distance left, and says once, in words, when the vehicle
would come home below its reserve, so the operator can call it back early or re-plan with the vehicle's real
endurance (``[planner.vehicle] endurance_min``, or ``--profile``).

Example:
    >>> f = BatteryForecast(track_m=[(0, 0, 0), (0, 0, 40), (1000, 0, 40), (2000, 0, 40), (2000, 0, 0)],
    ...                     track_seqs=[0, 1, 2, 3, 4], reserve_pct=20)
    >>> f.update(battery_pct=100, current_seq=1)  # take-off: the start
    >>> f.update(battery_pct=55, current_seq=3) is not None  # 45 % for the first kilometre, 1 km to go
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Distance (m) and charge (%) flown before the rate is trusted: the climb costs more than cruise.
MIN_FLOWN_M = 300.0
MIN_USED_PCT = 5.0


class BatteryForecast:
    """One sortie's battery forecast (see the module docs).

    Args:
        track_m: The planned 3-D track (east, north, up; metres), as :class:`flight.safety.CheckedMission` has it.
        track_seqs: The mission item of each track point.
        reserve_pct: The charge the vehicle must still have when it lands.
    """

    def __init__(self, track_m: Sequence[tuple[float, float, float]], track_seqs: Sequence[int], reserve_pct: float):
        self.reserve_pct = reserve_pct
        self._start_of: dict[int, float] = {}  # item -> distance along the track where its leg starts
        along = 0.0
        for i, seq in enumerate(track_seqs):
            if i > 0:
                along += math.dist(track_m[i - 1], track_m[i])
            self._start_of.setdefault(seq, along)
        self.total_m = along
        self._first_pct: float | None = None
        self._first_m = 0.0
        self.warned = False

    def flown_m(self, current_seq: int) -> float:
        """Distance along the planned track up to the start of the leg to ``current_seq``."""
        done = [m for seq, m in self._start_of.items() if seq < current_seq]
        return max(done, default=0.0)

    def update(self, battery_pct: float | None, current_seq: int | None) -> str | None:
        """Take the latest charge and mission item; the warning the first time the forecast falls below the
        reserve, else None."""
        if battery_pct is None or current_seq is None or not math.isfinite(battery_pct) or self.warned:
            return None
        flown = self.flown_m(current_seq)
        if self._first_pct is None:
            self._first_pct, self._first_m = battery_pct, flown
            return None
        used, distance = self._first_pct - battery_pct, flown - self._first_m
        if distance < MIN_FLOWN_M or used < MIN_USED_PCT:
            return None
        left_m = self.total_m - flown
        landing_pct = battery_pct - used / distance * left_m
        if landing_pct >= self.reserve_pct:
            return None
        self.warned = True
        reach = distance / used * max(0.0, battery_pct - self.reserve_pct)
        return (
            f"BATTERY FORECAST: {used:.0f} % used for {distance / 1000:.1f} km; at this rate it lands with "
            f"{landing_pct:.0f} % (reserve {self.reserve_pct:g} %), {max(0.0, left_m - reach) / 1000:.1f} km short "
            "of the end. Call it back early, or re-plan with the vehicle's real endurance"
        )
