"""Real YOLO inference: people in the ultralytics sample images, tiling on small aerial people, tile choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mission_planner.profiles import CameraProfile
from vision.config import DetectorConfig
from vision.detector import ModelError, PersonDetector, choose_tile, resolve_model
from vision.geolocate import CameraModel, Pose
from vision.synthetic import BUS_PEOPLE, aerial_scene, recall


def test_bus_people_found(detector: PersonDetector, bus: np.ndarray) -> None:
    dets = detector.detect(bus)
    assert len(dets) >= 4
    assert set(dets.class_id.tolist()) == {0}
    assert recall(dets.xyxy, np.array(BUS_PEOPLE, dtype=float), iou=0.7) == 1.0


def test_zidane_two_people(detector: PersonDetector, zidane: np.ndarray) -> None:
    dets = detector.detect(zidane)
    assert len(dets) == 2
    assert (dets.confidence > 0.5).all()


def test_tiling_finds_small_people_the_whole_frame_misses(detector: PersonDetector) -> None:
    image, truth = aerial_scene(n_people=12, person_px=90, seed=3)
    whole = recall(detector.detect(image).xyxy, truth)
    tiled = recall(detector.detect(image, tile=480).xyxy, truth)
    assert tiled >= 0.5
    assert tiled > whole + 0.3


def test_tiled_boxes_are_in_frame_coordinates(detector: PersonDetector, bus: np.ndarray) -> None:
    dets = detector.detect(bus, tile=640)
    assert recall(dets.xyxy, np.array(BUS_PEOPLE[:2], dtype=float), iou=0.5) == 1.0


def test_tile_chosen_from_altitude() -> None:
    cfg = DetectorConfig()
    cam = CameraModel.from_profile(CameraProfile())
    high = choose_tile(cfg, cam, Pose(0, 0, 40.0, gimbal_pitch=-90), (1920, 1080))
    low = choose_tile(cfg, cam, Pose(0, 0, 3.0, gimbal_pitch=-20), (1920, 1080))
    mid = choose_tile(cfg, cam, Pose(0, 0, 15.0, gimbal_pitch=-45), (1920, 1080))
    assert high == cfg.imgsz // 2  # people ~13 px tall: smallest tiles
    assert low is None  # people hundreds of px tall: whole frame
    assert mid is not None and high < mid < 1920
    assert choose_tile(cfg.model_copy(update={"tiling": "off"}), cam, Pose(0, 0, 40.0), (1920, 1080)) is None
    assert choose_tile(cfg.model_copy(update={"tiling": "on"}), cam, Pose(0, 0, 3.0), (1920, 1080)) == 640


def test_missing_model_names_the_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    try:
        resolve_model(DetectorConfig().model, tmp_path)
    except ModelError as exc:
        assert "[vision.detector] model" in str(exc)
        assert str(tmp_path) in str(exc)
    else:
        raise AssertionError("no error for a missing model")


def test_official_name_allowed_only_online(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("YOLO_OFFLINE", "0")
    assert str(resolve_model(Path("yolo11n.pt"), tmp_path)) == "yolo11n.pt"
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    with pytest.raises(ModelError, match=r"yolo11n\.pt does not exist"):
        resolve_model(Path("yolo11n.pt"), tmp_path)
