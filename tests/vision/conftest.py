"""Shared fixtures: one real detector (OpenVINO INT8 YOLO11n from the data directory) for the whole session."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("YOLO_OFFLINE", "1")

from gridpatrol.config import default_data_dir
from vision.config import DetectorConfig
from vision.detector import PersonDetector
from vision.masks import DEFAULT_WEIGHTS, MaskChecker
from vision.synthetic import assets_dir


@pytest.fixture(scope="session")
def detector() -> PersonDetector:
    model = default_data_dir() / DetectorConfig().model
    if not model.exists():
        pytest.skip(f"detector model {model} not present (set GRIDPATROL_DATA_DIR)")
    det = PersonDetector(DetectorConfig())
    det.warmup()
    return det


@pytest.fixture(scope="session")
def mask_checker() -> MaskChecker:
    """The committed face-mask model, loaded once for the session (each load takes seconds)."""
    if not DEFAULT_WEIGHTS.exists():
        pytest.skip(f"mask weights {DEFAULT_WEIGHTS} not present")
    return MaskChecker()


@pytest.fixture(scope="session")
def bus() -> np.ndarray:
    image = cv2.imread(str(assets_dir() / "bus.jpg"))
    assert image is not None
    return image


@pytest.fixture(scope="session")
def zidane() -> np.ndarray:
    image = cv2.imread(str(assets_dir() / "zidane.jpg"))
    assert image is not None
    return image
