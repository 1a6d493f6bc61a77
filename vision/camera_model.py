"""The one camera pose and pinhole model: world to pixel (the simulator renders) and pixel to ground (vision locates).

``sim/camera.py`` draws with :meth:`CameraModel.project` and ``vision/geolocate.py`` places people with
:meth:`CameraModel.ground_xy`; both use this module, so a ground point projected into an image and located back
is the same point (``tests/vision/test_camera_model.py`` checks it through the renderer). The station builds its
poses from telemetry as :class:`CameraPose` too (``gridpatrol/station/poses.py``).

Conventions:

* Local frame: x east, y north, z up, metres (:class:`mission_planner.geo.LocalFrame`); the ground is the plane
  ``z = 0`` at home altitude and the camera sits at ``z = alt_rel``.
* The gimbal is stabilised: the optical axis points at azimuth ``a = yaw + gimbal_yaw`` (degrees clockwise from
  north) and elevation ``e = gimbal_pitch`` (degrees, negative below the horizon, -90 straight down). Airframe
  roll and pitch are kept for the record but do not move the image.
* Camera axes in the world: forward ``f = (sin a cos e, cos a cos e, sin e)``, right ``r = (cos a, -sin a, 0)``,
  image-down ``d = f x r``. At nadir the top of the image faces the azimuth.
* Pinhole, no distortion: ``fx = focal_mm / sensor_width_mm * width_px``, ``fy = focal_mm / sensor_height_mm *
  height_px``, principal point ``(cx, cy) = (width_px / 2, height_px / 2)``; a world point ``v`` metres from the
  camera lands on ``u = cx + fx (v.r) / (v.f)``, ``w = cy + fy (v.d) / (v.f)`` (x right, y down). Pixel
  ``(i, j)`` covers ``[i, i+1) x [j, j+1)``, so the image centre is the corner point ``(W/2, H/2)``.

Example:
    >>> from mission_planner.profiles import CameraProfile
    >>> cam = CameraModel.from_profile(CameraProfile())
    >>> pose = CameraPose(lat=0.0, lon=0.0, alt_rel=40.0, yaw=0.0, gimbal_pitch=-45.0)
    >>> uv, depth = cam.project(pose, (0.0, 0.0), np.array([[0.0, 40.0, 0.0]]))
    >>> uv.round(3).tolist(), round(float(depth[0]), 3)
    ([[960.0, 540.0]], 56.569)
    >>> x, y, ok = cam.ground_xy(uv, pose, 0.0, 0.0)
    >>> round(float(x[0]), 3) + 0.0, round(float(y[0]), 3), bool(ok[0])
    (0.0, 40.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mission_planner.profiles import CameraProfile

_POSE_FIELDS = ("lat", "lon", "alt_rel", "roll", "pitch", "yaw", "gimbal_pitch", "gimbal_yaw", "time")


@dataclass(frozen=True)
class CameraPose:
    """Where the camera is and where it looks, at one moment.

    The simulator reports it as ground truth (``sim.vehicle.SimVehicle.camera_pose``), the station builds it from
    telemetry, vision geolocates with it. Positional order is the simulator's; elsewhere pass keywords.

    Attributes:
        lat: latitude, degrees.
        lon: longitude, degrees.
        alt_rel: metres above the home ground (the flat ground plane).
        roll: airframe roll, degrees (recorded; a stabilised camera ignores it).
        pitch: airframe pitch, degrees, nose up positive (recorded; ignored likewise).
        yaw: vehicle heading, degrees clockwise from north.
        gimbal_pitch: camera elevation, degrees: negative below the horizon, -90 straight down.
        gimbal_yaw: camera azimuth relative to the heading, degrees.
        time: seconds on the clock the pose came with (simulated time, the vehicle's boot clock, a frame time).
    """

    lat: float
    lon: float
    alt_rel: float
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    gimbal_pitch: float = -90.0
    gimbal_yaw: float = 0.0
    time: float = 0.0

    @classmethod
    def of(cls, pose: object) -> CameraPose:
        """``pose`` itself when it is a CameraPose, else a copy of any object with the fields (a duck-typed record).

        ``lat``, ``lon``, ``alt_rel``, ``yaw`` and ``gimbal_pitch`` are required; the others default.

        Raises:
            TypeError: a required field is missing (named).
        """
        if isinstance(pose, CameraPose):
            return pose
        missing = [f for f in ("lat", "lon", "alt_rel", "yaw", "gimbal_pitch") if not hasattr(pose, f)]
        if missing:
            raise TypeError(f"pose {pose!r} lacks {', '.join(missing)}; pass a vision.camera_model.CameraPose")
        defaults = cls(0.0, 0.0, 0.0)
        return cls(**{f: float(getattr(pose, f, getattr(defaults, f))) for f in _POSE_FIELDS})

    @property
    def azimuth(self) -> float:
        """Where the optical axis points, degrees clockwise from north (heading plus gimbal yaw)."""
        return self.yaw + self.gimbal_yaw


def camera_axes(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Rows right, down, forward of a camera looking this way, as unit vectors in (east, north, up)."""
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    forward = np.array([math.sin(a) * math.cos(e), math.cos(a) * math.cos(e), math.sin(e)])
    right = np.array([math.cos(a), -math.sin(a), 0.0])
    return np.vstack([right, np.cross(forward, right), forward])


@dataclass(frozen=True)
class CameraModel:
    """A pinhole camera (see the module docstring for the conventions).

    Attributes:
        fx: horizontal focal length, px.
        fy: vertical focal length, px.
        cx: principal point x, px.
        cy: principal point y, px.
        width: image width, px.
        height: image height, px.
    """

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

    @staticmethod
    def axes(pose: CameraPose) -> np.ndarray:
        """Rows right, down, forward of the camera at ``pose`` as unit vectors in (east, north, up)."""
        return camera_axes(pose.azimuth, pose.gimbal_pitch)

    def project(
        self, pose: CameraPose, camera_en: tuple[float, float], points: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) and depths along the optical axis (N,) of world points (N, 3) east, north, up metres.

        ``camera_en`` is the camera's (east, north) in the same frame; its height is ``pose.alt_rel``. Points
        with depth <= 0 are behind the camera (their pixels are meaningless).
        """
        rel = np.asarray(points, float) - np.array([camera_en[0], camera_en[1], pose.alt_rel])
        cam = rel @ self.axes(pose).T
        depth = cam[:, 2]
        safe = np.where(np.abs(depth) < 1e-9, 1e-9, depth)
        uv = np.column_stack([self.cx + self.fx * cam[:, 0] / safe, self.cy + self.fy * cam[:, 1] / safe])
        return uv, depth

    def rays(self, pixels: np.ndarray, azimuth_deg: float, elevation_deg: float) -> NDArray[np.float64]:
        """World directions (N, 3), not normalised, through pixels (N, 2) of a camera looking this way."""
        right, down, forward = camera_axes(azimuth_deg, elevation_deg)
        u = (pixels[:, 0] - self.cx) / self.fx
        v = (pixels[:, 1] - self.cy) / self.fy
        return np.asarray(forward[None, :] + u[:, None] * right[None, :] + v[:, None] * down[None, :], dtype=np.float64)

    def grid_rays(self, pose: CameraPose, step: int = 1) -> np.ndarray:
        """World directions (H/step, W/step, 3), not normalised, through the centres of ``step``-pixel blocks."""
        u = np.arange(0, self.width, step) + 0.5 * step
        v = np.arange(0, self.height, step) + 0.5 * step
        uu, vv = np.meshgrid(u, v)
        pixels = np.column_stack([uu.ravel(), vv.ravel()])
        return self.rays(pixels, pose.azimuth, pose.gimbal_pitch).reshape(*uu.shape, 3)

    def ground_xy(
        self,
        pixels: np.ndarray,
        pose: CameraPose,
        x0: float,
        y0: float,
        *,
        d_azimuth: float = 0.0,
        d_elevation: float = 0.0,
        max_range_m: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where the rays through pixels (N, 2) meet the ground (the inverse of :meth:`project` at ``z = 0``).

        The camera stands at local (x0, y0); ``d_azimuth`` / ``d_elevation`` turn it (degrees) for error studies.
        Returns east and north metres and a mask of rays that hit the ground within ``max_range_m`` (rays at or
        above the horizon never do; their x/y are NaN).
        """
        pixels = np.asarray(pixels, dtype=float).reshape(-1, 2)
        d = self.rays(pixels, pose.azimuth + d_azimuth, pose.gimbal_pitch + d_elevation)
        alt = float(pose.alt_rel)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(d[:, 2] < -1e-9, -alt / d[:, 2], np.nan)
        x = x0 + t * d[:, 0]
        y = y0 + t * d[:, 1]
        ok = np.isfinite(t) & (np.hypot(x - x0, y - y0) <= max_range_m) & (alt > 0)
        return np.where(ok, x, np.nan), np.where(ok, y, np.nan), ok
