"""The one camera model and pose: the simulator draws with it, vision locates with it, and the two agree.

A person placed on the ground is projected by the simulator's renderer (``sim.camera.CameraRenderer``, its own
pose and camera position), a box is stood on that foot pixel, and vision's real geolocation step
(:func:`vision.detections.attach_ground`) must put it back on the person, to the millimetre, for nadir, oblique
and turned-gimbal views.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import supervision as sv

from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile
from sim.camera import CameraRenderer, look_at
from sim.scene import GroundScene
from vision.camera_model import CameraModel, CameraPose
from vision.detections import attach_ground

ORIGIN = (114.2950, 30.5440)
PLACED = [(0.0, 0.0), (6.0, -3.0), (-5.0, 4.5), (2.5, 9.0), (-8.0, -7.0)]


def test_sim_vision_and_station_share_one_pose_and_one_model() -> None:
    import sim
    from sim import camera as simcam
    from sim import vehicle
    from vision import geolocate

    assert vehicle.CameraPose is CameraPose and sim.CameraPose is CameraPose
    assert geolocate.Pose is CameraPose and geolocate.CameraPose is CameraPose
    assert simcam.CameraModel is CameraModel and geolocate.CameraModel is CameraModel


def test_positional_order_is_the_simulators_and_keywords_default() -> None:
    p = CameraPose(30.5, 114.3, 40.0, 5.0, -3.0, 90.0, -45.0, 10.0, 7.0)
    assert (p.roll, p.pitch, p.yaw, p.gimbal_pitch, p.gimbal_yaw, p.time) == (5.0, -3.0, 90.0, -45.0, 10.0, 7.0)
    assert p.azimuth == 100.0
    q = CameraPose(30.5, 114.3, 40.0)
    assert (q.roll, q.pitch, q.yaw, q.gimbal_pitch, q.gimbal_yaw, q.time) == (0.0, 0.0, 0.0, -90.0, 0.0, 0.0)


def test_of_copies_a_duck_typed_record_and_names_missing_fields() -> None:
    class Record:
        lat, lon, alt_rel, yaw, gimbal_pitch = 30.5, 114.3, 20.0, 45.0, -60.0

    p = CameraPose.of(Record())
    assert p == CameraPose(30.5, 114.3, 20.0, yaw=45.0, gimbal_pitch=-60.0)
    assert CameraPose.of(p) is p
    with pytest.raises(TypeError, match="gimbal_pitch"):
        CameraPose.of(type("NoGimbal", (), {"lat": 0.0, "lon": 0.0, "alt_rel": 1.0, "yaw": 0.0})())


def test_grid_rays_go_through_block_centres() -> None:
    cam = CameraModel.from_profile(CameraProfile())
    pose = CameraPose(0.0, 0.0, 30.0, yaw=30.0, gimbal_pitch=-50.0, gimbal_yaw=5.0)
    grid = cam.grid_rays(pose, step=2)
    assert grid.shape == (cam.height // 2, cam.width // 2, 3)
    one = cam.rays(np.array([[1.0 + 2 * 17, 1.0 + 2 * 9]]), pose.azimuth, pose.gimbal_pitch)[0]
    assert grid[9, 17] == pytest.approx(one)
    # a ray through a pixel projects back onto that pixel
    uv, depth = cam.project(pose, (0.0, 0.0), np.array([[0.0, 0.0, 30.0]]) + 10.0 * one)
    assert uv[0] == pytest.approx([35.0, 19.0], abs=1e-9) and depth[0] > 0


@pytest.mark.parametrize(
    ("pitch", "heading", "gimbal_yaw"), [(-90.0, 0.0, 0.0), (-60.0, 135.0, 0.0), (-35.0, 250.0, -20.0)]
)
def test_a_person_drawn_by_the_sim_is_located_back_on_their_feet(
    pitch: float, heading: float, gimbal_yaw: float
) -> None:
    profile = CameraProfile()
    scene = GroundScene.at_local(ORIGIN, PLACED)
    renderer = CameraRenderer(profile, scene, sprites=None)  # projection only: no sprites are loaded
    aimed = look_at(scene.frame, (0.0, 0.0), 25.0, pitch, heading=heading, time=3.0)
    pose = CameraPose(aimed.lat, aimed.lon, aimed.alt_rel, 4.0, -2.0, heading, pitch, gimbal_yaw, aimed.time)
    feet = np.column_stack([scene.local(), np.zeros(len(PLACED))])
    uv, depth = renderer.model.project(pose, renderer.camera_en(pose), feet)
    assert (depth > 0).all()
    boxes = np.column_stack([uv[:, 0] - 8.0, uv[:, 1] - 40.0, uv[:, 0] + 8.0, uv[:, 1]])
    dets = sv.Detections(xyxy=boxes, confidence=np.full(len(PLACED), 0.9), class_id=np.zeros(len(PLACED), int))
    vision_cam = CameraModel.from_profile(profile)
    assert vision_cam == renderer.model
    frame = LocalFrame(*ORIGIN)
    attach_ground(dets, vision_cam, pose, frame)
    x, y = frame.to_local(dets.data["lon"], dets.data["lat"])
    for (e, n), gx, gy, person in zip(PLACED, x, y, scene.people, strict=True):
        assert math.hypot(float(gx) - e, float(gy) - n) < 1e-3, person.id
        assert float(dets.data["lat"][scene.people.index(person)]) == pytest.approx(person.lat, abs=1e-8)
        assert float(dets.data["lon"][scene.people.index(person)]) == pytest.approx(person.lon, abs=1e-8)
    assert np.isfinite(dets.data["error_m"]).all()
