"""From a pixel to a place on the ground, and how far to trust it: error and expected size of a person.

The camera pose and the pinhole model are :mod:`vision.camera_model`'s (shared with the simulator's renderer,
``sim/camera.py``, so what the simulator draws is what vision locates): a pixel's ground point is
:meth:`CameraModel.ground_xy`. This module adds what geolocation needs on top: the one-sigma ground error of a
pixel (:func:`ground_error_m`) and how tall a person looks from a pose (:func:`expected_person_px`, which picks
the detector's tiling). A person stands where the bottom-centre of their box meets the ground.

``Pose`` is the older name of :class:`CameraPose` (the same class).

Example:
    >>> from mission_planner.profiles import CameraProfile
    >>> cam = CameraModel.from_profile(CameraProfile())
    >>> pose = Pose(lat=0.0, lon=0.0, alt_rel=40.0, yaw=0.0, gimbal_pitch=-45.0)
    >>> x, y, ok = cam.ground_xy(np.array([[960.0, 540.0]]), pose, 0.0, 0.0)
    >>> round(float(x[0]), 3) + 0.0, round(float(y[0]), 3), bool(ok[0])
    (0.0, 40.0, True)
    >>> round(float(ground_error_m(cam, np.array([[960.0, 540.0]]), pose)[0]), 2)
    1.57
"""

from __future__ import annotations

import math

import numpy as np

from vision.camera_model import CameraModel, CameraPose

Pose = CameraPose

__all__ = ["CameraModel", "CameraPose", "Pose", "expected_person_px", "ground_error_m"]


def ground_error_m(
    camera: CameraModel,
    pixels: np.ndarray,
    pose: CameraPose,
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
        xa, ya, oka = camera.ground_xy(pixels + d_px, pose, 0.0, 0.0, d_azimuth=d_az, d_elevation=d_el)
        xb, yb, okb = camera.ground_xy(pixels - d_px, pose, 0.0, 0.0, d_azimuth=-d_az, d_elevation=-d_el)
        half = np.hypot(xa - xb, ya - yb) / 2.0
        total += np.where(oka & okb, half**2, np.inf)
    return np.sqrt(total)


def expected_person_px(
    camera: CameraModel, pose: CameraPose, person_height_m: float = 1.7, shoulder_m: float = 0.5
) -> float:
    """Roughly how tall (px) a standing person looks at the image centre from this pose.

    A vertical person of height h seen at depression angle a from slant range R spans about
    ``fy * (h cos a + w sin a) / R`` pixels (w: shoulder width, what a nadir camera sees).
    """
    dep = math.radians(min(90.0, max(1.0, -pose.gimbal_pitch)))
    alt = max(float(pose.alt_rel), 0.1)
    slant = alt / math.sin(dep)
    return camera.fy * (person_height_m * math.cos(dep) + shoulder_m * math.sin(dep)) / slant
