"""Pixel-to-ground geometry against analytic cases, and the sim's CameraPose accepted as is."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile
from sim.vehicle import CameraPose
from vision.detections import attach_ground
from vision.geolocate import CameraModel, Pose, ground_error_m

CAM = CameraModel.from_profile(CameraProfile())
CENTRE = np.array([[960.0, 540.0]])


def test_intrinsics_from_profile() -> None:
    p = CameraProfile()
    assert CAM.fx == pytest.approx(p.focal_length_mm / p.sensor_width_mm * p.image_width_px)
    assert CAM.fy == pytest.approx(p.focal_length_mm / p.sensor_height_mm * p.image_height_px)
    assert (CAM.cx, CAM.cy) == (960.0, 540.0)


def test_nadir_centre_is_directly_below() -> None:
    x, y, ok = CAM.ground_xy(CENTRE, Pose(0, 0, 40.0, yaw=123.0), 10.0, 20.0)
    assert ok[0]
    assert (x[0], y[0]) == pytest.approx((10.0, 20.0), abs=1e-9)


@pytest.mark.parametrize("heading", [0.0, 90.0, 225.0])
def test_oblique_45_centre_is_alt_ahead(heading: float) -> None:
    x, y, _ = CAM.ground_xy(CENTRE, Pose(0, 0, 30.0, yaw=heading, gimbal_pitch=-45.0), 0.0, 0.0)
    h = math.radians(heading)
    assert (x[0], y[0]) == pytest.approx((30.0 * math.sin(h), 30.0 * math.cos(h)), abs=1e-6)


def test_gimbal_yaw_adds_to_heading() -> None:
    a = CAM.ground_xy(CENTRE, Pose(0, 0, 30.0, yaw=60.0, gimbal_pitch=-45.0, gimbal_yaw=30.0), 0, 0)
    b = CAM.ground_xy(CENTRE, Pose(0, 0, 30.0, yaw=90.0, gimbal_pitch=-45.0), 0, 0)
    assert (a[0][0], a[1][0]) == pytest.approx((b[0][0], b[1][0]))
    assert a[0][0] == pytest.approx(30.0)


def test_off_centre_pixel_at_nadir() -> None:
    # Heading north, nadir: image right is east, image top is north; ground offset = alt * pixel offset / f.
    px = np.array([[960.0 + 0.25 * CAM.fx, 540.0 - 0.1 * CAM.fy]])
    x, y, _ = CAM.ground_xy(px, Pose(0, 0, 40.0), 0, 0)
    assert (x[0], y[0]) == pytest.approx((10.0, 4.0))
    # Heading east: image right is south, image top is east.
    x, y, _ = CAM.ground_xy(px, Pose(0, 0, 40.0, yaw=90.0), 0, 0)
    assert (x[0], y[0]) == pytest.approx((4.0, -10.0))


def test_ray_above_horizon_misses_the_ground() -> None:
    top = np.array([[960.0, 0.0]])
    x, _, ok = CAM.ground_xy(top, Pose(0, 0, 40.0, gimbal_pitch=-5.0), 0, 0)
    assert not ok[0] and math.isnan(x[0])


def test_error_grows_with_altitude_and_obliquity() -> None:
    low = ground_error_m(CAM, CENTRE, Pose(0, 0, 20.0))[0]
    high = ground_error_m(CAM, CENTRE, Pose(0, 0, 40.0))[0]
    oblique = ground_error_m(CAM, CENTRE, Pose(0, 0, 40.0, gimbal_pitch=-30.0))[0]
    assert high == pytest.approx(2 * low, rel=0.01)
    # at nadir the centre does not move with azimuth; 1 deg of elevation moves it alt * tan(1 deg), 2 px alt * 2 / f
    expected = math.sqrt((40 * math.tan(math.radians(1))) ** 2 + (80 / CAM.fx) ** 2 + (80 / CAM.fy) ** 2)
    assert high == pytest.approx(expected, rel=1e-3)
    assert oblique > 2 * high


def test_attach_ground_with_sim_camera_pose() -> None:
    import supervision as sv

    frame = LocalFrame(116.4, 39.9)
    pose = CameraPose(
        lat=39.9, lon=116.4, alt_rel=40.0, roll=5.0, pitch=-3.0, yaw=0.0, gimbal_pitch=-90.0, gimbal_yaw=0.0, time=1.0
    )
    # a person whose feet are at the image centre and one 100 px right of it
    dets = sv.Detections(
        xyxy=np.array([[950.0, 500, 970, 540], [1050, 500, 1070, 540]]),
        confidence=np.array([0.9, 0.8]),
        class_id=np.array([0, 0]),
    )
    attach_ground(dets, CAM, pose, frame)
    x, y = frame.to_local(dets.data["lon"], dets.data["lat"])
    assert (float(x[0]), float(y[0])) == pytest.approx((0.0, 0.0), abs=1e-3)
    assert float(x[1]) == pytest.approx(40.0 * 100 / CAM.fx, abs=1e-3)
    assert (np.asarray(dets.data["error_m"]) > 0).all()
