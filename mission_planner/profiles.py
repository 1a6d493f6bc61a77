"""Vehicle and camera profiles: what the drone can fly and what its camera sees at a given altitude.

:data:`VEHICLE_PROFILES` names the vehicle profiles the planner knows by heart (``gridpatrol plan --profile``):
``quad-patrol``, the default patrol quad, and ``sitl-quad``, ArduCopter SITL's simulated quad as measured on it
(see :data:`SITL_QUAD`), so that plans for the SITL give sorties its battery really lasts.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class VehicleProfile(BaseModel):
    """How a patrol drone flies: speeds, limits and battery."""

    model_config = ConfigDict(extra="forbid", title="Vehicle profile")

    name: str = Field("quad-patrol", title="Name", description="Label shown in summaries and exports.")
    cruise_speed_ms: float = Field(
        8.0,
        gt=0,
        le=30,
        title="Cruise speed (m/s)",
        description="Horizontal speed on survey and transit legs.",
    )
    climb_rate_ms: float = Field(3.0, gt=0, le=10, title="Climb rate (m/s)", description="Vertical speed up.")
    descent_rate_ms: float = Field(2.0, gt=0, le=10, title="Descent rate (m/s)", description="Vertical speed down.")
    max_alt_m: float = Field(
        120.0,
        gt=0,
        le=500,
        title="Maximum altitude (m)",
        description="Highest altitude the vehicle may fly, above launch.",
    )
    endurance_min: float = Field(
        25.0, gt=0, le=300, title="Endurance (min)", description="Flight time on a full battery at cruise."
    )
    reserve_pct: float = Field(
        25.0,
        ge=0,
        lt=100,
        title="Battery reserve (%)",
        description="Share of the battery kept for landing and wind; never planned.",
    )
    turn_penalty_s: float = Field(
        3.0,
        ge=0,
        le=60,
        title="Turn penalty (s)",
        description="Time lost slowing down and turning at each sharp corner.",
    )
    battery_swap_s: float = Field(
        180.0,
        ge=0,
        le=3600,
        title="Battery swap (s)",
        description="Ground time between two sorties of one drone.",
    )

    @property
    def usable_s(self) -> float:
        """Seconds of flight a sortie may plan for: endurance less the reserve."""
        return self.endurance_min * 60.0 * (1.0 - self.reserve_pct / 100.0)


class CameraProfile(BaseModel):
    """The patrol camera: sensor, lens, image and gimbal; gives footprint, GSD and sweep spacing."""

    model_config = ConfigDict(extra="forbid", title="Camera profile")

    name: str = Field("1/2.3in-4.5mm", title="Name", description="Label shown in summaries and exports.")
    sensor_width_mm: float = Field(6.17, gt=0, le=100, title="Sensor width (mm)", description="")
    sensor_height_mm: float = Field(4.55, gt=0, le=100, title="Sensor height (mm)", description="")
    focal_length_mm: float = Field(4.5, gt=0, le=1000, title="Focal length (mm)", description="")
    image_width_px: int = Field(
        1920,
        gt=0,
        le=20000,
        title="Image width (px)",
        description="Width of the frames analysed (the video stream's).",
    )
    image_height_px: int = Field(
        1080, gt=0, le=20000, title="Image height (px)", description="Height of the frames analysed."
    )
    gimbal_pitch_deg: float = Field(
        -90.0,
        ge=-90,
        le=0,
        title="Gimbal pitch (deg)",
        description="-90 looks straight down (nadir); -45 looks ahead and down.",
    )
    side_overlap: float = Field(
        0.2,
        ge=0,
        lt=0.95,
        title="Side overlap",
        description="Share of the footprint width that adjacent sweeps overlap.",
    )

    def footprint_m(self, alt_m: float) -> tuple[float, float]:
        """Ground footprint (across-track width, along-track height) in metres at this altitude.

        For an oblique gimbal the figure is taken at the image centre's slant range, which is what the
        middle of the frame sees.

        Example:
            >>> w, h = CameraProfile().footprint_m(40.0)
            >>> round(w, 1), round(h, 1)
            (54.8, 40.4)
        """
        if alt_m <= 0:
            raise ValueError(f"altitude must be above 0 m, got {alt_m}")
        slant = alt_m / math.sin(math.radians(abs(self.gimbal_pitch_deg)) or 1e-9)
        return slant * self.sensor_width_mm / self.focal_length_mm, slant * self.sensor_height_mm / (
            self.focal_length_mm
        )

    def gsd_cm(self, alt_m: float) -> float:
        """Ground sample distance (centimetres per pixel) at the image centre."""
        return self.footprint_m(alt_m)[0] * 100.0 / self.image_width_px

    def line_spacing_m(self, alt_m: float) -> float:
        """Distance between adjacent sweep lines: footprint width x (1 - side overlap), as QGroundControl."""
        return self.footprint_m(alt_m)[0] * (1.0 - self.side_overlap)

    def cropped(self, share: float) -> CameraProfile:
        """The centre ``share`` of the image on each side (a digital crop): same lens and pixel size, so a person is
        as many pixels tall as in the full frame, with ``share**2`` of the pixels to render and analyse.

        Example:
            >>> full = CameraProfile(image_width_px=1280, image_height_px=720)
            >>> crop = full.cropped(0.5)
            >>> crop.image_width_px, crop.image_height_px, round(crop.gsd_cm(40.0), 3) == round(full.gsd_cm(40.0), 3)
            (640, 360, True)
        """
        if not 0 < share <= 1:
            raise ValueError(f"share must be above 0 and at most 1, got {share}")
        width, height = round(self.image_width_px * share), round(self.image_height_px * share)
        return self.model_copy(
            update={
                "name": f"{self.name} (centre {width}x{height})",
                "image_width_px": width,
                "image_height_px": height,
                "sensor_width_mm": self.sensor_width_mm * width / self.image_width_px,
                "sensor_height_mm": self.sensor_height_mm * height / self.image_height_px,
            }
        )


#: ArduCopter SITL's quad (``--model +``, ``copter.parm``: 3S pack, BATT_CAPACITY 3300 mAh, about 30 A), measured
#: with ``benchmarks/sitl_battery.py`` (speed-up 10, flown by ``flight.fly.MissionFlight``; docs/sim.md has the
#: figures): in the air it uses 14.2-14.9 % of its battery per minute, hovering or at 6-10 m/s alike, so 100 %
#: lasts 6.7-7.0 minutes. Take-off took 12-22 s to 15-40 m (arming included) and landing 28-44 s (the last 10 m at
#: LAND_SPEED 0.5 m/s): 1.5 and 0.7 m/s come within a few seconds. Cruise is WPNAV_SPEED's 10 m/s. ArduCopter
#: also slows at every bend of a route, not only at the sharp corners the planner charges 4 s for, so a route
#: takes up to about 10 % longer than planned: endurance 6.0 min (not 6.7) makes the planned battery % what the
#: vehicle then reports (a hotspot sortie planned at 42 % used 41 %), and the 30 % reserve keeps every sortie
#: clear of the station's 20 % return-home reserve. With the default profile (25 min) the planner had sized a
#: 3.5-minute sortie at 14 %; the vehicle flew it in 4.2 minutes and used 62 %.
SITL_QUAD = VehicleProfile(
    name="sitl-quad",
    cruise_speed_ms=10.0,
    climb_rate_ms=1.5,
    descent_rate_ms=0.7,
    endurance_min=6.0,
    reserve_pct=30.0,
    turn_penalty_s=4.0,
    battery_swap_s=60.0,
)

#: Vehicle profiles by name (``gridpatrol plan --profile NAME``).
VEHICLE_PROFILES: dict[str, VehicleProfile] = {"quad-patrol": VehicleProfile(), SITL_QUAD.name: SITL_QUAD}


def vehicle_profile(name: str) -> VehicleProfile:
    """The named vehicle profile (a copy, safe to change).

    Raises:
        ValueError: no such profile (the message lists the known ones).

    Example:
        >>> vehicle_profile("sitl-quad").endurance_min
        6.0
    """
    try:
        return VEHICLE_PROFILES[name].model_copy()
    except KeyError:
        raise ValueError(f"unknown vehicle profile {name!r}; known: {', '.join(VEHICLE_PROFILES)}") from None
