"""The ``[sim]`` settings section: defaults for ``gridpatrol sim``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SimConfig(BaseModel):
    """Defaults of the MAVLink simulator run by ``gridpatrol sim`` (command-line options override them)."""

    model_config = ConfigDict(extra="forbid")

    vehicles: int = Field(1, ge=1, le=50, title="Vehicles", description="How many simulated copters to run.")
    speedup: float = Field(
        1.0, ge=0.1, le=200, title="Speed-up", description="Simulated seconds per wall-clock second."
    )
    home: tuple[float, float, float] = Field(
        (30.5440, 114.2950, 20.0),
        title="Home",
        description="Latitude, longitude (degrees) and altitude above sea level (m) of vehicle 1's home.",
    )
    base_port: int = Field(
        5760,
        ge=0,
        le=65000,
        title="Base TCP port",
        description="Vehicle i listens on base_port + 10*i on 127.0.0.1 (0 picks free ports).",
    )
    udp: bool = Field(False, title="UDP", description="Also listen on UDP, on the same port numbers.")
    wind_speed: float = Field(0.0, ge=0, le=30, title="Wind speed (m/s)", description="Steady wind speed.")
    wind_dir: float = Field(
        180.0, ge=0, lt=360, title="Wind direction (deg)", description="Direction the wind blows from."
    )
    seed: int = Field(0, title="Seed", description="Seed of the packet-loss random generator.")
