"""The whole pipeline on real frames: stable tracks, ground positions, grid ids, one crowd incident for the API."""

from __future__ import annotations

import math
import pickle

import cv2
import numpy as np
import pytest

from api.schemas import IncidentCreate
from mission_planner.district_io import district_from_geojson
from mission_planner.profiles import CameraProfile
from mission_planner.synthetic import synthetic_district
from vision.config import CrowdConfig, MaskStageConfig, VisionConfig
from vision.detector import PersonDetector
from vision.geolocate import Pose
from vision.pipeline import Pipeline

BUS_CAMERA = CameraProfile(image_width_px=810, image_height_px=1080, focal_length_mm=4.5)


@pytest.fixture(scope="module")
def district():  # type: ignore[no-untyped-def]
    return district_from_geojson(synthetic_district(4, seed=1), "test")


def crowd_config() -> VisionConfig:
    return VisionConfig(
        crowd=CrowdConfig(min_people=3, max_spacing_m=3.0, min_duration_s=2.0, dispersed_s=2.0),
        masks=MaskStageConfig(enabled=False),
    )


def test_config_is_picklable_and_strict() -> None:
    cfg = crowd_config()
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    with pytest.raises(ValueError, match="min_peple"):
        CrowdConfig.model_validate({"min_peple": 3})


def test_crowd_reported_once_with_position_grid_and_snapshot(
    detector: PersonDetector, bus: np.ndarray, district
) -> None:  # type: ignore[no-untyped-def]
    grid = district.grids[0]
    lon, lat = district.frame.to_lonlat(grid.local.centroid.x, grid.local.centroid.y)
    pose = Pose(lat=float(lat), lon=float(lon), alt_rel=6.0, yaw=30.0, gimbal_pitch=-30.0)
    pipe = Pipeline(crowd_config(), BUS_CAMERA, district, drone_id="drone-1", mission_id="m-7", detector=detector)
    results = [pipe.process(bus, float(t), pose) for t in range(6)]
    ids = [sorted(int(i) for i in r.people.tracker_id) for r in results]
    assert ids[0] == ids[-1] and len(ids[0]) >= 4 and min(ids[0]) >= 1  # same people, same ids in every frame
    people = results[-1].people
    assert set(people.data["grid_id"].tolist()) == {grid.id}
    assert np.isfinite(people.data["lat"]).all() and (people.data["error_m"] < 5).all()
    # the people stand a few metres ahead of the drone along its heading (30 deg)
    x, y = district.frame.to_local(people.data["lon"], people.data["lat"])
    dx, dy = x - grid.local.centroid.x, y - grid.local.centroid.y
    assert np.all(np.hypot(dx, dy) < 30) and np.all(dy > 0)

    incidents = [i for r in results for i in r.incidents]
    assert [i.type for i in incidents] == ["crowd"]
    crowd = incidents[0]
    assert crowd.people >= 3 and crowd.grid_id == grid.id and crowd.drone_id == "drone-1"
    assert results[2].incidents == [crowd]  # first seen at t=0, reported at min_duration_s
    body = IncidentCreate.model_validate(crowd.wire())
    assert body.type == "crowd" and body.people == crowd.people and body.mission_id == "m-7"
    assert body.snapshot_sha == crowd.snapshot_sha
    assert crowd.snapshot is not None
    snap = cv2.imdecode(np.frombuffer(crowd.snapshot, np.uint8), cv2.IMREAD_COLOR)
    assert snap is not None and max(snap.shape[:2]) <= 1280
    assert set(results[-1].timings_ms) >= {"detect", "track", "geolocate", "crowd", "mask", "total"}


def test_masks_unavailable_or_disabled_does_not_stop_the_pipeline(detector: PersonDetector, bus: np.ndarray) -> None:
    pipe = Pipeline(VisionConfig(masks=MaskStageConfig(enabled=False)), BUS_CAMERA, detector=detector)
    result = pipe.process(bus, 0.0, Pose(lat=30.5, lon=114.3, alt_rel=6.0, gimbal_pitch=-30.0))
    assert result.faces == [] and not pipe.masks.available
    assert "disabled" in pipe.masks.reason
    record = result.to_json()
    assert len(record["people"]) >= 4
    assert all(math.isfinite(p["lat"]) for p in record["people"])


def test_frames_of_another_size_rescale_the_camera(detector: PersonDetector, bus: np.ndarray) -> None:
    pipe = Pipeline(VisionConfig(masks=MaskStageConfig(enabled=False)), BUS_CAMERA, detector=detector)
    small = cv2.resize(bus, (405, 540))
    pose = Pose(lat=30.5, lon=114.3, alt_rel=6.0, gimbal_pitch=-30.0)
    a = pipe.process(bus, 0.0, pose).people
    pipe2 = Pipeline(VisionConfig(masks=MaskStageConfig(enabled=False)), BUS_CAMERA, detector=detector)
    b = pipe2.process(small, 0.0, pose).people
    assert len(a) == len(b)
    order_a, order_b = np.argsort(a.xyxy[:, 0]), np.argsort(b.xyxy[:, 0])
    assert np.allclose(a.data["lat"][order_a], b.data["lat"][order_b], atol=3e-6)


def test_missing_mask_weights_report_faces_unverifiable(detector: PersonDetector, bus: np.ndarray, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("vision.masks")
    cfg = VisionConfig(masks=MaskStageConfig(weights=tmp_path / "missing.pt"))
    pipe = Pipeline(cfg, BUS_CAMERA, detector=detector)
    assert not pipe.masks.available and "unverifiable" in pipe.masks.reason
    result = pipe.process(bus, 0.0, Pose(lat=30.5, lon=114.3, alt_rel=6.0, gimbal_pitch=-30.0))
    assert len(result.faces) == len(result.people) >= 4
    assert {f.label for f in result.faces} == {"unverifiable"}
    assert result.incidents == []
    assert result.to_json()["faces"][0]["label"] == "unverifiable"


def test_no_mask_incident_once_per_track(detector: PersonDetector, bus: np.ndarray) -> None:
    """Real detector, tracker, mask model (the committed INT8 export) and votes on bus.jpg: two bare faces."""
    pipe = Pipeline(VisionConfig(), BUS_CAMERA, detector=detector, drone_id="d-2")
    assert pipe.masks.available, pipe.masks.reason
    pose = Pose(lat=30.5, lon=114.3, alt_rel=6.0, gimbal_pitch=-30.0)
    results = [pipe.process(bus, float(t), pose) for t in range(8)]
    incidents = [i for r in results for i in r.incidents]
    assert [i.type for i in incidents] == ["no_mask", "no_mask"]
    assert results[2].incidents == incidents  # the third vote (min_votes=3), on frames 0, 1, 2
    alerted = {i.track_ids[0] for i in incidents}
    assert len(alerted) == 2
    assert not any(f.tracker_id in alerted for r in results[3:] for f in r.faces)  # never checked again
    inc = incidents[0]
    person = int(np.flatnonzero(results[2].people.tracker_id == inc.track_ids[0])[0])
    assert inc.lat == pytest.approx(float(results[2].people.data["lat"][person]))
    assert inc.confidence > 0.5 and inc.details["label"] == "without_mask"
    body = IncidentCreate.model_validate(inc.wire())
    assert body.type == "no_mask" and body.people == 1 and body.drone_id == "d-2"


def test_a_no_mask_incident_says_the_nearest_named_place(detector: PersonDetector, bus: np.ndarray) -> None:
    """The same two bare faces, the drone over the example district's square: each incident names the square (the
    district file's name), which the speaker says first ("民生路广场附近，…")."""
    from pathlib import Path

    from mission_planner.district_io import load_district

    district = load_district(Path(__file__).resolve().parents[2] / "examples" / "district.geojson")
    square = next(h for h in district.hotspots if h.id == "square")
    lon, lat = district.frame.to_lonlat(square.local.x, square.local.y)
    pose = Pose(lat=float(lat), lon=float(lon), alt_rel=6.0, gimbal_pitch=-30.0)
    pipe = Pipeline(VisionConfig(), BUS_CAMERA, district, detector=detector, drone_id="d-2")
    incidents = [i for t in range(8) for i in pipe.process(bus, float(t), pose).incidents]
    assert [i.type for i in incidents] == ["no_mask", "no_mask"]
    assert [i.details.get("place") for i in incidents] == ["民生路广场 Minsheng square"] * 2
    far = Pose(lat=float(lat) + 0.05, lon=float(lon), alt_rel=6.0, gimbal_pitch=-30.0)  # 5.5 km north: no place
    pipe = Pipeline(VisionConfig(), BUS_CAMERA, district, detector=detector, drone_id="d-2")
    incidents = [i for t in range(8) for i in pipe.process(bus, float(t), far).incidents]
    assert incidents and all("place" not in i.details for i in incidents)
