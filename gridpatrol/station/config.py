"""The ``[run]`` section of ``station.toml``: which district and grids, which drones on which links and videos.

Example ``station.toml``::

    [run]
    district = "examples/district.geojson"
    grids = ["5", "8"]
    patterns = ["hotspots"]
    alt_m = 25

    [[run.drones]]
    id = "drone-1"
    connect = "tcp:127.0.0.1:5760"
    video = "udp://:5600"

Example:
    >>> RunConfig(drones=[DroneLink(id="drone-1", connect="tcp:127.0.0.1:5760")]).drones[0].video
    'sim'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mission_planner.altitude import MAX_PATROL_ALT_M, PatrolAltitude
from mission_planner.district import PATTERNS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: ``video`` of a drone without a camera.
NO_VIDEO = "none"


class DroneLink(_Section):
    """One drone of the patrol: its MAVLink link, its video and its loudspeaker."""

    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        title="Drone id",
        description="The planner's drone id (drone-1, drone-2, ...), shown everywhere and sent with incidents.",
    )
    connect: str = Field(
        min_length=3,
        title="MAVLink link",
        description="tcp:HOST:PORT, udpin:0.0.0.0:14550, udpout:HOST:PORT or serial:/dev/ttyACM0:115200.",
    )
    video: str = Field(
        "sim",
        min_length=1,
        title="Video source",
        description="`sim` (the simulated camera), an RTSP/HTTP/UDP URL, a video file or an image folder; `none`: "
        "no camera (the drone flies and speaks, nothing is analysed).",
    )
    sink: Literal["file", "device", "network"] = Field(
        "file", title="Loudspeaker", description="Where this drone's warnings go (see [speaker.sink])."
    )

    @field_validator("connect")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if v.split(":", 1)[0] not in {"tcp", "tcpin", "udp", "udpin", "udpout", "serial"} and not v.startswith("/dev/"):
            raise ValueError(
                f"{v!r} is not a MAVLink link; use tcp:HOST:PORT, udpin:0.0.0.0:14550, udpout:HOST:PORT "
                "or serial:/dev/ttyACM0:115200"
            )
        return v


class RunConfig(_Section):
    """What ``gridpatrol run`` patrols and with which drones."""

    district: Path = Field(
        Path("examples/district.geojson"),
        title="District file",
        description="GeoJSON or KML with the fence, grids, no-fly zones and launch sites.",
    )
    grids: list[str] | None = Field(None, title="Grids", description="Grid ids to patrol; empty for all.")
    patterns: list[str] | None = Field(
        None, title="Patterns", description="Force these patterns (coverage, streets, hotspots, perimeter)."
    )
    alt_m: PatrolAltitude | None = Field(None, description="Above the launch site; empty: [planner] alt_m.")
    plan_dir: Path | None = Field(
        None,
        title="Plan folder",
        description="Fly these planner `.plan` files (drone-N-s1.plan) instead of planning at start.",
    )
    sortie: int = Field(1, ge=1, le=99, title="Sortie", description="Which sortie of each drone to fly (1: first).")
    fps: float = Field(2.0, gt=0, le=30, title="Analysis rate (fps)", description="Frames analysed per drone/s.")
    ready_timeout_s: float = Field(
        180.0,
        ge=0,
        le=3600,
        title="Wait for the video analyses (s)",
        description="The drones take off once every video analysis has loaded its models, or after this long "
        "(flying unwatched, said in the log); a slow or busy computer may need more.",
    )
    video_fps: float = Field(
        0.0,
        ge=0,
        le=30,
        title="Live video rate (fps)",
        description="Camera frames per drone/s sent to the operator console as live video (0: none).",
    )
    scene: Path | None = Field(
        None, title="Ground scene", description='People for the simulated camera (`video = "sim"`).'
    )
    investigate_alt_m: float = Field(
        20.0, gt=5, le=MAX_PATROL_ALT_M, title="Investigate height (m)", description="Hover height when investigating."
    )
    investigate_offset_m: float = Field(
        15.0,
        ge=0,
        le=100,
        title="Investigate stand-off (m)",
        description="Hover this far from the incident (so the camera sees it obliquely, not from above).",
    )
    investigate_hold_s: float = Field(
        10.0, ge=0, le=600, title="Investigate hold (s)", description="Vehicle seconds to watch before resuming."
    )
    drones: list[DroneLink] = Field(
        default_factory=list, title="Drones", description="One [[run.drones]] table per drone."
    )

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, v: list[str] | None) -> list[str] | None:
        for p in v or []:
            if p not in PATTERNS:
                raise ValueError(f"unknown pattern {p!r}; use one of {', '.join(PATTERNS)}")
        return v

    @model_validator(mode="after")
    def _unique(self) -> RunConfig:
        ids = [d.id for d in self.drones]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"drone ids must be unique; {', '.join(sorted(dup))} appears twice in [[run.drones]]")
        return self
