"""People in a frame: ultralytics YOLO, whole-frame or sliced into overlapping tiles for aerial views.

From drone altitude a person is a few pixels tall; a 1920 px frame shrunk to a 640 px network input loses them.
:func:`choose_tile` sizes tiles from the camera and pose so that a person reaches ``min_model_px`` at network
input, and :class:`PersonDetector` runs the tiles through supervision's ``InferenceSlicer`` and merges them by NMS.

Example:
    >>> from vision.config import DetectorConfig
    >>> det = PersonDetector(DetectorConfig(), data_dir=default_data_dir())  # doctest: +SKIP
    >>> people = det.detect(frame_bgr)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv

from vision.config import DetectorConfig
from vision.data_dir import default_data_dir
from vision.detections import from_ultralytics, predicted
from vision.geolocate import CameraModel, CameraPose, expected_person_px

if TYPE_CHECKING:
    from ultralytics.models import YOLO

log = logging.getLogger(__name__)

PERSON = 0


class ModelError(RuntimeError):
    """The detector model is missing or cannot be loaded; the message says where it was looked for."""


def resolve_model(model: Path, data_dir: Path | None = None) -> Path:
    """The model's path: absolute as given, otherwise under the data directory; a ModelError if absent.

    A bare official name such as ``yolo11n.pt`` that is not in the data directory is passed on as is when
    downloads are allowed (``YOLO_OFFLINE`` unset or 0): ultralytics then fetches the official weights.
    """
    path = model if model.is_absolute() else (data_dir or default_data_dir()) / model
    online = os.environ.get("YOLO_OFFLINE", "0") in ("", "0", "false", "False")
    if not path.exists() and online and len(model.parts) == 1 and model.suffix == ".pt":
        return model
    if not path.exists():
        raise ModelError(
            f"detector model {path} does not exist; set [vision.detector] model to a .pt file or an "
            f"*_openvino_model folder, or GRIDPATROL_DATA_DIR to the folder holding models/coco/"
        )
    return path


def load_yolo(path: Path) -> YOLO:
    """Load YOLO weights or an OpenVINO folder for detection (a bare official name may download, see above)."""
    from ultralytics.models import YOLO

    try:
        return YOLO(str(path), task="detect")
    except Exception as exc:  # ultralytics raises many kinds for a bad file
        raise ModelError(f"cannot load detector model {path}: {exc}") from exc


def choose_tile(
    cfg: DetectorConfig, camera: CameraModel, pose: CameraPose | None, frame_wh: tuple[int, int]
) -> int | None:
    """Tile size (px) for this frame, or None to run the whole frame at once.

    ``tiling="on"`` always tiles (``tile_px`` or the network size); ``"off"`` never; ``"auto"`` tiles when the
    expected person height at network input, ``person_px * imgsz / max(w, h)``, is below ``min_model_px``. The
    tile is then the side at which a person reaches ``min_model_px``, no smaller than half the network input
    (upscaling further adds no detail) and no larger than the frame.
    """
    w, h = frame_wh
    longest = max(w, h)
    if cfg.tiling == "off":
        return None
    if cfg.tiling == "on":
        tile = cfg.tile_px or cfg.imgsz
    else:
        if pose is None:
            return None
        person_px = expected_person_px(camera, pose, cfg.person_height_m) * (w / camera.width)
        if person_px * cfg.imgsz / longest >= cfg.min_model_px:
            return None
        tile = cfg.tile_px or math.ceil(person_px * cfg.imgsz / cfg.min_model_px)
    tile = max(cfg.imgsz // 2, min(tile, longest))
    return None if tile >= longest else tile


class PersonDetector:
    """YOLO person detector with optional tiling; returns ``supervision.Detections`` of class 0 (person)."""

    def __init__(self, cfg: DetectorConfig, data_dir: Path | None = None, model: YOLO | None = None) -> None:
        self.cfg = cfg
        self.path = resolve_model(cfg.model, data_dir) if model is None else Path(str(getattr(model, "ckpt_path", "")))
        self.model = model if model is not None else load_yolo(self.path)
        self.calls = 0
        self._slicers: dict[int, sv.InferenceSlicer] = {}

    def _predict(self, image: np.ndarray) -> sv.Detections:
        self.calls += 1
        result = predicted(
            self.model.predict(
                image,
                imgsz=self.cfg.imgsz,
                conf=self.cfg.conf,
                iou=self.cfg.iou,
                classes=[PERSON],
                device=self.cfg.device,
                verbose=False,
            )
        )[0]
        return from_ultralytics(result)

    def detect(self, frame: np.ndarray, tile: int | None = None) -> sv.Detections:
        """People in a BGR frame; with ``tile`` the frame is sliced into overlapping tiles of that side."""
        if tile is None:
            return self._predict(frame)
        slicer = self._slicers.get(tile)
        if slicer is None:
            overlap = int(tile * self.cfg.tile_overlap)
            slicer = sv.InferenceSlicer(
                callback=self._predict,
                slice_wh=(tile, tile),
                overlap_wh=(overlap, overlap),
                iou_threshold=self.cfg.iou,
            )
            self._slicers[tile] = slicer
        dets = slicer(frame)
        return dets if len(dets) else from_ultralytics(None)

    def warmup(self, shape: tuple[int, int] = (640, 640)) -> None:
        """Run one blank frame so the first real frame is not slowed by model compilation."""
        self._predict(np.zeros((*shape, 3), dtype=np.uint8))
        self.calls = 0
