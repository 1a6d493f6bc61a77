"""From a pixel to a place on the ground: pinhole camera, stabilised gimbal, flat ground.

Conventions (shared with the simulator's camera renderer, ``sim/camera.py``):

* Local frame: x east, y north, z up, metres (:class:`mission_planner.geo.LocalFrame`); the ground is the plane
  ``z = 0`` at home altitude and the camera sits at ``z = alt_rel``.
* The gimbal is stabilised: the optical axis points at azimuth ``yaw + gimbal_yaw`` (degrees clockwise from north)
  and elevation ``gimbal_pitch`` (degrees, negative below the horizon, -90 straight down). Airframe roll and pitch
  are ignored. The image's x axis is the camera's right (perpendicular to the azimuth, level), its y axis points
  down, so at nadir the top of the image faces the azimuth.
* Pinhole: ``fx = focal_mm / sensor_width_mm * image_width_px``, ``fy = focal_mm / sensor_height_mm *
  image_height_px``, principal point at the image centre, no distortion. A person stands where the bottom-centre of
  their box meets the ground.

Example:
    >>> from mission_planner.profiles import CameraProfile
    >>> cam = CameraModel.from_profile(CameraProfile())
    >>> pose = Pose(lat=0.0, lon=0.0, alt_rel=40.0, yaw=0.0, gimbal_pitch=-45.0)
    >>> x, y, ok = cam.ground_xy(np.array([[960.0, 540.0]]), pose, 0.0, 0.0)
    >>> round(float(x[0]), 3), round(float(y[0]), 3), bool(ok[0])
    (0.0, 40.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mission_planner.profiles import CameraProfile


class PoseLike(Protocol):
    """Anything shaped like :class:`sim.vehicle.CameraPose` (duck typing; read-only attributes)."""

    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def alt_rel(self) -> float: ...
    @property
    def yaw(self) -> float: ...
    @property
    def gimbal_pitch(self) -> float: ...
    @property
    def gimbal_yaw(self) -> float: ...


@dataclass(frozen=True)
class Pose:
    """Where the camera is and where it looks (same fields and meaning as ``sim.vehicle.CameraPose``).

    ``roll`` and ``pitch`` (airframe) are kept for the record but do not move a stabilised camera.
    """

    lat: float
    lon: float
    alt_rel: float
    yaw: float = 0.0
    gimbal_pitch: float = -90.0
    gimbal_yaw: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    time: float = 0.0

    @classmethod
    def of(cls, pose: PoseLike) -> Pose:
        """Copy a CameraPose-shaped object into a Pose (checks the fields are there)."""
        if isinstance(pose, Pose):
            return pose
        missing = [f for f in ("lat", "lon", "alt_rel", "yaw", "gimbal_pitch") if not hasattr(pose, f)]
        if missing:
            raise TypeError(f"pose {pose!r} lacks {', '.join(missing)}; pass a sim.vehicle.CameraPose or vision Pose")
        return cls(
            lat=float(pose.lat),
            lon=float(pose.lon),
            alt_rel=float(pose.alt_rel),
            yaw=float(pose.yaw),
            gimbal_pitch=float(pose.gimbal_pitch),
            gimbal_yaw=float(getattr(pose, "gimbal_yaw", 0.0)),
            roll=float(getattr(pose, "roll", 0.0)),
            pitch=float(getattr(pose, "pitch", 0.0)),
            time=float(getattr(pose, "time", 0.0)),
        )


@dataclass(frozen=True)
class CameraModel:
    """A pinhole camera: focal lengths and principal point in pixels, image size."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_profile(cls, profile: CameraProfile, width: int | None = None, height: int | None = None) -> CameraModel:
        """Intrinsics of a camera profile, optionally for frames of another size (same sensor, rescaled)."""
        w = width or profile.image_width_px
        h = height or profile.image_height_px
        return cls(
            fx=profile.focal_length_mm / profile.sensor_width_mm * w,
            fy=profile.focal_length_mm / profile.sensor_height_mm * h,
            cx=w / 2.0,
            cy=h / 2.0,
            width=w,
            height=h,
        )

    def rays(self, pixels: np.ndarray, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
        """Unit-free ray directions (N, 3) in east/north/up for pixels (N, 2) of a camera looking this way."""
        az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
        fwd = np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])
        right = np.array([math.cos(az), -math.sin(az), 0.0])
        up = np.cross(right, fwd)
        u = (pixels[:, 0] - self.cx) / self.fx
        v = (pixels[:, 1] - self.cy) / self.fy
        return fwd[None, :] + u[:, None] * right[None, :] - v[:, None] * up[None, :]

    def ground_xy(
        self,
        pixels: np.ndarray,
        pose: PoseLike,
        x0: float,
        y0: float,
        *,
        d_azimuth: float = 0.0,
        d_elevation: float = 0.0,
        max_range_m: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where the rays through pixels (N, 2) meet the ground, relative to a camera at local (x0, y0).

        Returns east and north metres and a mask of rays that hit the ground within ``max_range_m`` (rays at or
        above the horizon never do; their x/y are NaN).
        """
        pixels = np.asarray(pixels, dtype=float).reshape(-1, 2)
        d = self.rays(pixels, pose.yaw + pose.gimbal_yaw + d_azimuth, pose.gimbal_pitch + d_elevation)
        alt = float(pose.alt_rel)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(d[:, 2] < -1e-9, -alt / d[:, 2], np.nan)
        x = x0 + t * d[:, 0]
        y = y0 + t * d[:, 1]
        ok = np.isfinite(t) & (np.hypot(x - x0, y - y0) <= max_range_m) & (alt > 0)
        return np.where(ok, x, np.nan), np.where(ok, y, np.nan), ok

    def ground_error_m(
        self,
        pixels: np.ndarray,
        pose: PoseLike,
        *,
        attitude_sigma_deg: float = 1.0,
        pixel_sigma_px: float = 2.0,
    ) -> np.ndarray:
        """One-sigma ground position error (m) per pixel from attitude and pixel uncertainty.

        Each source (gimbal elevation, azimuth, pixel x, pixel y) is perturbed by plus and minus its sigma; half
        the spread of the two ground points is that source's error, and the sources add as a root sum of squares.
        A perturbation that lifts the ray above the horizon gives an infinite error.
        """
        pixels = np.asarray(pixels, dtype=float).reshape(-1, 2)
        total = np.zeros(len(pixels))
        perturbations: list[tuple[float, float, np.ndarray]] = [
            (0.0, attitude_sigma_deg, np.zeros(2)),
            (attitude_sigma_deg, 0.0, np.zeros(2)),
            (0.0, 0.0, np.array([pixel_sigma_px, 0.0])),
            (0.0, 0.0, np.array([0.0, pixel_sigma_px])),
        ]
        for d_az, d_el, d_px in perturbations:
            if d_az == 0 and d_el == 0 and not d_px.any():
                continue
            xa, ya, oka = self.ground_xy(pixels + d_px, pose, 0.0, 0.0, d_azimuth=d_az, d_elevation=d_el)
            xb, yb, okb = self.ground_xy(pixels - d_px, pose, 0.0, 0.0, d_azimuth=-d_az, d_elevation=-d_el)
            half = np.hypot(xa - xb, ya - yb) / 2.0
            total += np.where(oka & okb, half**2, np.inf)
        return np.sqrt(total)

    def expected_person_px(self, pose: PoseLike, person_height_m: float = 1.7, shoulder_m: float = 0.5) -> float:
        """Roughly how tall (px) a standing person looks at the image centre from this pose.

        A vertical person of height h seen at depression angle a from slant range R spans about
        ``fy * (h cos a + w sin a) / R`` pixels (w: shoulder width, what a nadir camera sees).
        """
        dep = math.radians(min(90.0, max(1.0, -pose.gimbal_pitch)))
        alt = max(float(pose.alt_rel), 0.1)
        slant = alt / math.sin(dep)
        return self.fy * (person_height_m * math.cos(dep) + shoulder_m * math.sin(dep)) / slant
