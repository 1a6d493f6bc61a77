"""The simulated camera: analytic projection, the scene, deterministic rendering and real YOLO on the frames."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

from mission_planner.district_io import load_district
from mission_planner.profiles import CameraProfile
from sim.camera import CameraModel, CameraRenderer, look_at
from sim.scene import GroundScene
from sim.scoring import match, yolo_people
from sim.sprites import SpriteBank
from sim.vehicle import CameraPose

ORIGIN = (114.2950, 30.5440)
ROOT = Path(__file__).resolve().parents[2]
CAM = CameraProfile()
MODEL = CameraModel.from_profile(CAM)


@pytest.fixture(scope="session")
def sprites(sprite_bank: SpriteBank) -> SpriteBank:
    """Sprites cut once (about 30 s) and kept in pytest's cache folder (tests/conftest.py's ``sprite_bank``)."""
    return sprite_bank


def pose(alt: float, pitch: float, yaw: float = 0.0, east: float = 0.0, north: float = 0.0) -> CameraPose:
    scene = GroundScene.at_local(ORIGIN, [])
    lon, lat = scene.frame.to_lonlat(east, north)
    return CameraPose(float(lat), float(lon), alt, 5.0, -3.0, yaw, pitch, 0.0, 0.0)  # roll/pitch ignored


# --- projection


def test_nadir_point_below_is_the_image_centre_and_top_is_the_heading() -> None:
    p = pose(40.0, -90.0, yaw=0.0)
    uv, depth = MODEL.project(p, (0.0, 0.0), np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0]]))
    assert uv[0] == pytest.approx([960.0, 540.0], abs=1e-6)
    assert depth[0] == pytest.approx(40.0)
    assert uv[1] == pytest.approx([960.0 + MODEL.fx * 10 / 40, 540.0], abs=1e-6)  # east is right
    assert uv[2] == pytest.approx([960.0, 540.0 - MODEL.fy * 10 / 40], abs=1e-6)  # north (heading) is up
    turned, _ = MODEL.project(pose(40.0, -90.0, yaw=90.0), (0.0, 0.0), np.array([[10.0, 0.0, 0.0]]))
    assert turned[0] == pytest.approx([960.0, 540.0 - MODEL.fy * 10 / 40], abs=1e-6)  # heading east: east is up


def test_oblique_minus_45_sees_the_point_alt_ahead_along_the_heading() -> None:
    alt, yaw = 25.0, 30.0
    ahead = np.array([[alt * math.sin(math.radians(yaw)), alt * math.cos(math.radians(yaw)), 0.0]])
    uv, depth = MODEL.project(pose(alt, -45.0, yaw=yaw), (0.0, 0.0), ahead)
    assert uv[0] == pytest.approx([960.0, 540.0], abs=1e-6)
    assert depth[0] == pytest.approx(alt * math.sqrt(2))
    # the gimbal yaw adds to the heading
    p = CameraPose(pose(alt, -45.0).lat, pose(alt, -45.0).lon, alt, 0, 0, 10.0, -45.0, 20.0, 0.0)
    assert MODEL.project(p, (0.0, 0.0), ahead)[0][0] == pytest.approx([960.0, 540.0], abs=1e-6)
    _, depth = MODEL.project(pose(alt, -45.0, yaw=yaw), (0.0, 0.0), -ahead)
    assert depth[0] < 0


def test_look_at_puts_the_target_in_the_centre() -> None:
    scene = GroundScene.at_local(ORIGIN, [])
    for pitch in (-90.0, -60.0, -30.0):
        p = look_at(scene.frame, (12.0, -7.0), 20.0, pitch, heading=200.0)
        cam = tuple(float(v) for v in scene.frame.to_local(p.lon, p.lat))
        uv, _ = MODEL.project(p, cam, np.array([[12.0, -7.0, 0.0]]))  # type: ignore[arg-type]
        assert uv[0] == pytest.approx([960.0, 540.0], abs=1e-3)
    with pytest.raises(ValueError, match="gimbal_pitch"):
        look_at(scene.frame, (0.0, 0.0), 20.0, 0.0)


def test_a_person_at_known_range_has_the_pinhole_size(sprites: SpriteBank) -> None:
    r, h = 20.0, 1.7
    scene = GroundScene.at_local(ORIGIN, [(0.0, r)], height_m=h)
    renderer = CameraRenderer(CAM, scene, sprites=sprites, shadows=False, noise=0)
    level = pose(h / 2, 0.0)  # camera at mid-height, looking level: head and feet symmetric about the centre
    truth = renderer.truth(level).people["p0"]
    x0, y0, x1, y1 = truth.box
    assert y1 - y0 == pytest.approx(MODEL.fy * h / r, abs=1.0)
    assert (y0 + y1) / 2 == pytest.approx(540.0, abs=1.0)
    sprite = sprites.pick("p0", False)
    aspect = sprite.alpha.shape[1] / sprite.alpha.shape[0]
    assert x1 - x0 == pytest.approx(MODEL.fx * h * aspect / r, abs=1.5)
    assert truth.foot[1] == pytest.approx(540.0 + MODEL.fy * (h / 2) / r, abs=1e-6)


def test_nadir_people_are_small_blobs_and_off_frame_people_are_skipped(sprites: SpriteBank) -> None:
    scene = GroundScene.at_local(ORIGIN, [(0.0, 0.0), (3.0, 2.0), (0.0, 500.0)])
    out = CameraRenderer(CAM, scene, sprites=sprites).truth(pose(40.0, -90.0))
    assert set(out.people) == {"p0", "p1"}
    for pid in ("p0", "p1"):
        x0, y0, x1, y1 = out.people[pid].box
        width = x1 - x0
        assert 0.75 * width <= y1 - y0 <= 2.0 * width  # a blob, not a standing figure
        assert y1 - y0 < MODEL.fy * 1.7 / 40 * 0.6
    oblique = CameraRenderer(CAM, scene, sprites=sprites).truth(pose(40.0, -45.0, yaw=180.0))
    assert "p2" not in oblique.people  # behind the camera


# --- scene


def test_scene_groups_are_crowds_and_singles_alone() -> None:
    scene = GroundScene.around([ORIGIN, (114.2960, 30.5445)], groups=4, singles=12, seed=3)
    xy = {p.id: v for p, v in zip(scene.people, scene.local(), strict=True)}
    groups = scene.groups()
    assert len(groups) == 4
    for members in groups.values():
        assert 5 <= len(members) <= 8
        pts = np.array([xy[m.id] for m in members])
        d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        assert d.min() >= 0.7 and d.min(axis=1).max() <= 1.2
    singles = [p for p in scene.people if p.group is None]
    assert len(singles) == 12
    allpts = np.array(list(xy.values()))
    for s in singles:
        d = np.hypot(*(allpts - xy[s.id]).T)
        assert np.sort(d)[1] >= 2.5
    assert all(1.6 <= p.height_m <= 1.8 for p in scene.people)
    assert any(p.masked for p in scene.people) and not all(p.masked for p in scene.people)
    assert GroundScene.around([ORIGIN, (114.2960, 30.5445)], groups=4, singles=12, seed=3) == scene
    assert GroundScene.around([ORIGIN], groups=4, singles=12, seed=4) != scene


def test_scene_in_a_district_and_json_round_trip(tmp_path: Path) -> None:
    district = load_district(ROOT / "examples" / "district.geojson")
    scene = GroundScene.around(district, groups=2, singles=5, seed=1)
    grids = [g.geometry for g in district.grids]
    assert all(any(g.contains(Point(p.lon, p.lat)) for g in grids) for p in scene.people)
    hotspots = district.frame.to_local(
        [h.geometry.x for h in district.hotspots], [h.geometry.y for h in district.hotspots]
    )
    first = scene.local()[0]
    assert np.min(np.hypot(hotspots[0] - first[0], hotspots[1] - first[1])) < 10  # groups gather at hotspots
    scene.save(tmp_path / "scene.json")
    assert GroundScene.load(tmp_path / "scene.json") == scene
    with pytest.raises(ValueError, match="ground scene"):
        GroundScene.from_json('{"people": []}')


# --- rendering


def test_rendering_is_deterministic_for_a_seed(sprites: SpriteBank) -> None:
    scene = GroundScene.around([ORIGIN], groups=1, singles=4, seed=5, spread_m=8)
    target = tuple(float(v) for v in scene.frame.to_local(*ORIGIN))
    p = look_at(scene.frame, target, 20.0, -45.0)  # type: ignore[arg-type]
    a = CameraRenderer(CAM, scene, sprites=sprites).render(p)
    b = CameraRenderer(CAM, GroundScene.from_json(scene.to_json()), sprites=sprites).render(p)
    assert a.shape == (CAM.image_height_px, CAM.image_width_px, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    other = GroundScene.around([ORIGIN], groups=1, singles=4, seed=6, spread_m=8)
    c = CameraRenderer(CAM, other, sprites=sprites).render(p)
    assert np.mean(np.abs(a.astype(int) - c.astype(int))) > 5  # another seed: other ground and people


def test_sprites_come_from_photos_with_both_mask_kinds(sprites: SpriteBank) -> None:
    assert len(sprites.masked) >= 6 and len(sprites.unmasked) >= 6
    for s in sprites.sprites:
        assert s.bgr.shape[:2] == s.alpha.shape and s.alpha.shape[0] >= 1.5 * s.alpha.shape[1]
        assert s.alpha.min() >= 0.0 and s.alpha.max() <= 1.0 and s.alpha.mean() > 0.3
    assert sprites.pick("g0-1", True).masked and not sprites.pick("g0-1", False).masked
    assert sprites.pick("g0-1", True) is sprites.pick("g0-1", True)


def test_real_yolo_finds_the_rendered_people_from_a_low_oblique_pose(sprites: SpriteBank) -> None:
    """COCO YOLO11n (OpenVINO int8) in 640 px tiles finds most people of a frame from 15 m at gimbal -45."""
    from ultralytics import YOLO

    from gridpatrol.config import default_data_dir

    assert os.environ.get("YOLO_OFFLINE") == "1"
    model = YOLO(str(default_data_dir() / "models" / "coco" / "yolo11n_int8_openvino_model"), task="detect")
    scene = GroundScene.around([ORIGIN], groups=2, singles=6, seed=0, spread_m=6.5)
    target = tuple(float(v) for v in scene.frame.to_local(*ORIGIN))
    out = CameraRenderer(CAM, scene, sprites=sprites).truth(look_at(scene.frame, target, 15.0, -45.0))  # type: ignore[arg-type]
    truth = {
        pid: p.box for pid, p in out.people.items()
        if p.visible >= 0.6 and p.box[0] > 0 and p.box[1] > 0 and p.box[2] < 1920 and p.box[3] < 1080
    }  # fmt: skip
    assert len(truth) >= 12
    found, _ = match(truth, yolo_people(model, out.image, tile=640), min_iou=0.5)
    print(f"YOLO found {len(found)} of {len(truth)} rendered people")
    assert len(found) >= 0.7 * len(truth), f"found {len(found)} of {len(truth)}"
