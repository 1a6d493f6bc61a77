"""The district: grids, geofence, no-fly zones, streets, hotspots and launch sites.

Every feature keeps its geometry twice: ``geometry`` in longitude/latitude (as read and as exported) and
``local`` in metres in the district's :class:`~mission_planner.geo.LocalFrame` (what the planner computes on).
Loading from GeoJSON/KML lives in :mod:`mission_planner.district_io`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal, TypeAlias

import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon

from mission_planner.geo import LocalFrame

Pattern = Literal["coverage", "streets", "hotspots", "perimeter"]
PATTERNS: tuple[Pattern, ...] = ("coverage", "streets", "hotspots", "perimeter")
Area: TypeAlias = Polygon | MultiPolygon


@dataclass(frozen=True)
class Grid:
    """A patrol grid (网格) that one street team answers for."""

    id: str
    name: str
    priority: int
    geometry: Area
    local: Area
    patterns: tuple[Pattern, ...] = ("coverage",)


@dataclass(frozen=True)
class Fence:
    """An inclusion geofence: drones stay inside it and below ``max_alt_m`` (metres above launch)."""

    geometry: Area
    local: Area
    max_alt_m: float
    min_alt_m: float = 0.0
    name: str = "fence"


@dataclass(frozen=True)
class NoFlyZone:
    """An exclusion zone (school, hospital, helipad) that routes keep ``margin_m`` metres away from.

    ``radius_m`` is set when the zone was given as a circle (a point and a radius); ``local`` is then the
    circle as a polygon, and exports write it back as a circle.
    """

    id: str
    name: str
    geometry: Area
    local: Area
    margin_m: float = 0.0
    radius_m: float | None = None

    @property
    def keep_out(self) -> Area:
        """The zone grown by its margin, in metres: what no leg may touch."""
        return self.local.buffer(self.margin_m) if self.margin_m > 0 else self.local


@dataclass(frozen=True)
class Street:
    """A street to patrol along (a MultiLineString when its parts do not join up)."""

    id: str
    name: str
    geometry: LineString | MultiLineString
    local: LineString | MultiLineString


@dataclass(frozen=True)
class Hotspot:
    """A place where people gather (market, square, clinic queue) to visit and hover over for ``dwell_s``."""

    id: str
    name: str
    geometry: Point
    local: Point
    dwell_s: float = 30.0
    grid_id: str | None = None


@dataclass(frozen=True)
class LaunchSite:
    """Where drones take off, land and swap batteries."""

    id: str
    name: str
    geometry: Point
    local: Point


@dataclass(frozen=True)
class District:
    """Everything the planner needs to know about the ground, in lon/lat and in metres."""

    name: str
    frame: LocalFrame
    grids: tuple[Grid, ...]
    fences: tuple[Fence, ...]
    nofly: tuple[NoFlyZone, ...] = ()
    streets: tuple[Street, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()
    launches: tuple[LaunchSite, ...] = ()

    def grid(self, grid_id: str) -> Grid:
        """The grid with this id; a KeyError that lists the known ids otherwise."""
        for g in self.grids:
            if g.id == grid_id:
                return g
        known = ", ".join(g.id for g in self.grids)
        raise KeyError(f"no grid with id {grid_id!r} in district {self.name!r}; known grids: {known}")

    @cached_property
    def fence_area(self) -> Area:
        """The union of inclusion fences, in metres."""
        return shapely.union_all([f.local for f in self.fences])

    @cached_property
    def keep_out(self) -> Area | None:
        """The union of no-fly zones grown by their margins, in metres (None when there are none)."""
        zones = [z.keep_out for z in self.nofly]
        return shapely.union_all(zones) if zones else None

    @cached_property
    def allowed(self) -> Area:
        """Where a drone may fly, in metres: inside the fence and outside every no-fly zone plus margin."""
        return self.fence_area if self.keep_out is None else self.fence_area.difference(self.keep_out)

    @property
    def max_alt_m(self) -> float:
        """The lowest ceiling among the fences (a route must respect all of them)."""
        return min(f.max_alt_m for f in self.fences)

    def place_names(self) -> list[str]:
        """The names of the hotspots and streets, as a warning may say where ("民生路广场附近，")."""
        names = [h.name for h in self.hotspots] + [s.name for s in self.streets]
        return list(dict.fromkeys(n for n in names if n.strip()))

    def hotspots_in(self, grid: Grid) -> list[Hotspot]:
        """Hotspots that belong to a grid: named by ``grid_id``, or lying inside it when unnamed."""
        return [h for h in self.hotspots if h.grid_id == grid.id or (h.grid_id is None and grid.local.covers(h.local))]
