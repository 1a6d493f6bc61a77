"""A pattern route: the path one pattern (coverage, streets, hotspots, perimeter) takes over one grid.

Routes are in the district's local frame (metres). The sortie builder chains them, adds transit, take-off and
landing, and turns the result into :class:`~mission_planner.plan.Waypoint` lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shapely.geometry import LineString

from mission_planner.district import Pattern

XY = tuple[float, float]


@dataclass(frozen=True)
class PatternRoute:
    """An ordered polyline over one grid, with optional hovers.

    Attributes:
        grid_id: The grid it works on.
        pattern: Which pattern made it.
        points: Waypoints in metres (east, north), in flying order; at least one.
        holds: Hover seconds by point index (hotspot dwell).
        swath_m: Camera footprint width used to judge coverage.
    """

    grid_id: str
    pattern: Pattern
    points: tuple[XY, ...]
    holds: dict[int, float] = field(default_factory=dict)
    swath_m: float = 0.0

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError(f"route for grid {self.grid_id} ({self.pattern}) has no points")

    @property
    def start(self) -> XY:
        return self.points[0]

    @property
    def end(self) -> XY:
        return self.points[-1]

    @property
    def length_m(self) -> float:
        """Horizontal length of the polyline."""
        return sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))

    @property
    def hold_s(self) -> float:
        """Total hover time."""
        return sum(self.holds.values())

    def turns(self, min_angle_deg: float = 30.0) -> int:
        """Heading changes sharper than ``min_angle_deg`` (each costs the vehicle's turn penalty)."""
        count = 0
        for a, b, c in zip(self.points, self.points[1:], self.points[2:], strict=False):
            h1 = math.atan2(b[1] - a[1], b[0] - a[0])
            h2 = math.atan2(c[1] - b[1], c[0] - b[0])
            delta = abs((math.degrees(h2 - h1) + 180.0) % 360.0 - 180.0)
            if delta >= min_angle_deg and math.dist(a, b) > 1e-6 and math.dist(b, c) > 1e-6:
                count += 1
        return count

    def reversed(self) -> PatternRoute:
        """The same route flown backwards (hovers stay at their points)."""
        n = len(self.points)
        return PatternRoute(
            self.grid_id,
            self.pattern,
            tuple(reversed(self.points)),
            {n - 1 - i: s for i, s in self.holds.items()},
            self.swath_m,
        )

    def line(self) -> LineString:
        """The route as a shapely line (a single point is repeated so the line is valid)."""
        pts = self.points if len(self.points) > 1 else (self.points[0], self.points[0])
        return LineString(pts)
