"""The typed edges of ``vision.detections``: ``select`` and ``predicted`` refuse what is not detections or results."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ultralytics.engine.results import Results

from vision.detections import empty, predicted, select


def test_select_keeps_detections_and_refuses_a_data_key() -> None:
    dets = empty()
    dets.xyxy = np.array([[0.0, 0, 10, 20], [5.0, 5, 15, 25]], dtype=np.float32)
    dets.confidence = np.array([0.9, 0.4], dtype=np.float32)
    dets.class_id = np.zeros(2, dtype=int)
    dets.tracker_id = np.array([7, 8])
    picked = select(dets, np.array([False, True]))
    assert [int(t) for t in picked.tracker_id] == [8]
    dets.data["grid_id"] = np.array(["A", "B"])
    with pytest.raises(TypeError, match="does not select detections"):
        select(dets, "grid_id")  # a string key gives a data array, not detections


def test_predicted_passes_results_and_refuses_tensors() -> None:
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    result = Results(image, path="x.jpg", names={0: "person"}, boxes=torch.zeros((0, 6)))
    assert predicted(iter([result])) == [result]
    with pytest.raises(TypeError, match="Tensor, not ultralytics Results"):
        predicted([torch.zeros(3)])
