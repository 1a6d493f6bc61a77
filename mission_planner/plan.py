"""The plan: what each drone flies, sortie by sortie, with the figures an operator checks before launch."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mission_planner.profiles import CameraProfile, VehicleProfile

WaypointKind = Literal["takeoff", "transit", "coverage", "streets", "hotspots", "perimeter", "return", "land"]
LatLon = tuple[float, float]


class Waypoint(BaseModel):
    """One point of a sortie. Altitude is metres above the launch site (MAVLink relative-altitude frame)."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float = Field(ge=0, description="Metres above the launch site.")
    kind: WaypointKind
    speed_ms: float | None = Field(None, gt=0, description="Speed from this point on; None keeps the current.")
    hold_s: float = Field(0.0, ge=0, description="Hover here this long (hotspot dwell).")
    gimbal_pitch_deg: float | None = Field(None, ge=-90, le=30, description="Point the camera; None keeps it.")
    grid_id: str | None = Field(None, description="The grid this point works on; None for transit.")


class Sortie(BaseModel):
    """One battery's flight: take off at a launch site, work, come back and land there."""

    model_config = ConfigDict(extra="forbid")

    drone_id: str
    index: int = Field(ge=0, description="0 for the drone's first sortie.")
    launch_id: str
    waypoints: list[Waypoint]
    grid_ids: list[str] = Field(default_factory=list, description="Grids worked on, in order.")
    length_m: float = Field(ge=0)
    duration_s: float = Field(ge=0)
    energy_pct: float = Field(ge=0, description="Share of a full battery this sortie uses.")
    area_covered_m2: float = Field(0.0, ge=0)
    start_s: float = Field(0.0, ge=0, description="Planned take-off time, seconds after the patrol starts.")


class DronePlan(BaseModel):
    """The sorties of one drone, in flying order."""

    model_config = ConfigDict(extra="forbid")

    drone_id: str
    launch_id: str
    home: LatLon
    sorties: list[Sortie] = Field(default_factory=list)

    @property
    def finish_s(self) -> float:
        """When this drone lands for the last time, seconds after the patrol starts."""
        return max((s.start_s + s.duration_s for s in self.sorties), default=0.0)


class GridCoverage(BaseModel):
    """How well one grid is covered."""

    model_config = ConfigDict(extra="forbid")

    grid_id: str
    name: str
    patterns: list[str]
    area_m2: float = Field(ge=0)
    covered_m2: float = Field(ge=0, description="Grid area within the camera swath of the route.")
    coverage_pct: float = Field(ge=0, le=100)


class GeoFenceZone(BaseModel):
    """A fence zone as exported: polygon (list of lat/lon) or circle (centre and radius)."""

    model_config = ConfigDict(extra="forbid")

    inclusion: bool
    polygon: list[LatLon] | None = None
    center: LatLon | None = None
    radius_m: float | None = Field(None, gt=0)


class Plan(BaseModel):
    """A whole patrol: per drone, ordered sorties; per grid, coverage; totals; the fence to upload."""

    model_config = ConfigDict(extra="forbid")

    district: str
    alt_m: float = Field(gt=0)
    vehicle: VehicleProfile
    camera: CameraProfile
    drones: list[DronePlan]
    grids: list[GridCoverage] = Field(default_factory=list)
    fence: list[GeoFenceZone] = Field(default_factory=list)
    rally: list[LatLon] = Field(default_factory=list)
    max_alt_m: float = Field(120.0, gt=0, description="Fence ceiling, metres above launch.")

    @property
    def sorties(self) -> list[Sortie]:
        """Every sortie of every drone."""
        return [s for d in self.drones for s in d.sorties]

    @property
    def length_m(self) -> float:
        """Total distance flown by all drones."""
        return sum(s.length_m for s in self.sorties)

    @property
    def makespan_s(self) -> float:
        """Time until the whole patrol is done (the last drone lands)."""
        return max((d.finish_s for d in self.drones), default=0.0)
