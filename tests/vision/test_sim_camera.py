"""Cross-checks against the simulator's camera renderer (``sim/camera.py``): one camera model, so one convention.

The projection round trip needs no images; the end-to-end test renders a scene with one group of 5-8 people and
runs the real pipeline on it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile
from sim import camera as simcam
from vision.detector import PersonDetector
from vision.geolocate import CameraModel

ORIGIN = (114.2950, 30.5440)


@pytest.mark.parametrize(
    ("pitch", "heading", "gimbal_yaw"), [(-90.0, 0.0, 0.0), (-45.0, 30.0, 0.0), (-30.0, 200.0, 15.0)]
)
def test_ground_points_round_trip_through_the_sim_projection(pitch: float, heading: float, gimbal_yaw: float) -> None:
    from sim.vehicle import CameraPose

    profile = CameraProfile()
    frame = LocalFrame(*ORIGIN)
    pose = CameraPose(ORIGIN[1], ORIGIN[0], 35.0, 3.0, -2.0, heading, pitch, gimbal_yaw, 0.0)
    sim_model = simcam.CameraModel.from_profile(profile)
    rng = np.random.default_rng(0)
    ahead = 0.0 if pitch == -90 else 35.0 / math.tan(math.radians(-pitch))
    az = math.radians(heading + gimbal_yaw)
    centre = np.array([ahead * math.sin(az), ahead * math.cos(az)])
    ground = np.column_stack([centre + rng.uniform(-8, 8, (20, 2)), np.zeros(20)])
    uv, depth = sim_model.project(pose, (0.0, 0.0), ground)
    assert (depth > 0).all()
    mine = CameraModel.from_profile(profile)
    x, y, ok = mine.ground_xy(uv, pose, 0.0, 0.0)
    assert ok.all()
    assert np.allclose(np.column_stack([x, y]), ground[:, :2], atol=1e-6)
    assert frame.lon0 == ORIGIN[0]


@pytest.mark.slow
def test_rendered_group_becomes_one_crowd_incident_at_its_place(
    request: pytest.FixtureRequest, detector: PersonDetector
) -> None:
    from sim.scene import GroundScene
    from vision.config import CrowdConfig, MaskStageConfig, VisionConfig
    from vision.pipeline import Pipeline

    try:
        bank = request.getfixturevalue("sprite_bank")  # cut once per run, cached between runs
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    scene = GroundScene.around([ORIGIN], groups=1, singles=2, seed=3, spread_m=4.0)
    profile = CameraProfile()
    renderer = simcam.CameraRenderer(profile, scene, sprites=bank)
    tx0, ty0 = scene.frame.to_local(*ORIGIN)
    target = (float(tx0), float(ty0))
    pose = simcam.look_at(scene.frame, target, 12.0, -45.0, heading=20.0)
    image = renderer.render(pose)
    cfg = VisionConfig(
        crowd=CrowdConfig(min_people=5, max_spacing_m=2.0, min_duration_s=2.0, dispersed_s=5.0),
        masks=MaskStageConfig(enabled=False),
    )
    pipe = Pipeline(cfg, profile, drone_id="sim-1", detector=detector)  # the session's model, loaded once
    results = [pipe.process(image, float(t), pose) for t in range(4)]
    incidents = [i for r in results for i in r.incidents]
    assert [i.type for i in incidents] == ["crowd"]
    group = next(iter(scene.groups().values()))
    gx, gy = scene.frame.to_local([p.lon for p in group], [p.lat for p in group])
    assert incidents[0].lon is not None and incidents[0].lat is not None
    cx, cy = scene.frame.to_local(incidents[0].lon, incidents[0].lat)
    assert math.hypot(float(cx) - float(np.mean(gx)), float(cy) - float(np.mean(gy))) < 1.5
    assert incidents[0].people >= 4
    # every detected person's feet land within a metre or two of someone in the scene
    people = results[-1].people
    px, py = scene.frame.to_local(people.data["lon"], people.data["lat"])
    tx, ty = scene.local().T
    nearest = np.min(np.hypot(px[:, None] - tx[None, :], py[:, None] - ty[None, :]), axis=1)
    assert np.median(nearest) < 1.0
