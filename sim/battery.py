"""A LiPo battery that drains with time and airspeed, and sags under load.

Current is hover current plus a term that grows with the square of the airspeed and with climb; the resting
voltage falls linearly from 4.2 V to 3.3 V per cell with the charge used, minus the internal-resistance drop.
Good enough for failsafes to trigger when ArduPilot's would and for the ground station's reserve logic to be
exercised.

Example:
    >>> b = Battery(capacity_mah=5200)
    >>> b.step(60.0, airspeed=8.0, climb=0.0, armed=True)
    >>> 99.0 > b.remaining_pct > 90.0
    True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Battery:
    """State of the flight battery: 3S as ArduCopter SITL's (12.6 V full), 5200 mAh.

    The draw is the planner's default airframe (``quad-patrol``: 25 minutes at 8 m/s cruise), so that a sortie the
    planner sizes at X % uses about X % here; SITL's test quad draws about 30 A from 3300 mAh (planner profile
    ``sitl-quad``).
    """

    capacity_mah: float = 5200.0
    cells: int = 3
    consumed_mah: float = 0.0
    current_a: float = 0.0
    hover_current_a: float = 9.0
    resistance_ohm: float = 0.015

    @property
    def remaining_pct(self) -> float:
        """Charge left, 0..100 %."""
        if self.capacity_mah <= 0:
            return 0.0
        return max(0.0, min(100.0, 100.0 * (1.0 - self.consumed_mah / self.capacity_mah)))

    @property
    def remaining_mah(self) -> float:
        """Charge left in mAh."""
        return max(0.0, self.capacity_mah - self.consumed_mah)

    @property
    def voltage(self) -> float:
        """Terminal voltage under the present load."""
        resting = self.cells * (3.3 + 0.9 * self.remaining_pct / 100.0)
        return max(0.0, resting - self.current_a * self.resistance_ohm)

    def step(self, dt: float, airspeed: float, climb: float, armed: bool) -> None:
        """Drain the battery for ``dt`` seconds of flight (or idle when disarmed)."""
        if armed:
            self.current_a = self.hover_current_a + 0.06 * airspeed * airspeed + 3.0 * max(climb, 0.0)
        else:
            self.current_a = 0.4
        self.consumed_mah += self.current_a * dt / 3.6

    def sag(self, pct_drop: float) -> None:
        """Lose ``pct_drop`` percentage points of charge at once (fault injection)."""
        if pct_drop < 0:
            raise ValueError(f"pct_drop must be >= 0, got {pct_drop}")
        self.consumed_mah = min(self.capacity_mah, self.consumed_mah + self.capacity_mah * pct_drop / 100.0)
