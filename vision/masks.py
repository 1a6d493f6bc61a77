"""Face-mask checks on the people the detector found, honest about faces too small to judge.

Design: the mask model (YOLO11n fine-tuned on the face-mask set, ``vision/models/mask_yolo11n.pt``) runs on one
crop per person around the head, sized so that the model's letterbox shows the face at about the size of the
training faces (``MODEL_FACE_PX``): a face that is small in a 1920x1080 drone frame is scaled up to it, and a large
one is not blown up past anything the model has seen. A person whose face cannot be judged gets one ``FaceCheck``
labelled ``unverifiable`` with confidence 0: when the face is estimated (from the person box) or measured (from the
face box) below ``min_face_px``, or when no face is found in the crop (seen from behind, from straight above,
occluded). The runtime can use ``min_face_px_slant_range`` to descend or zoom until faces become checkable.

Example:
    >>> checker = MaskChecker()  # doctest: +SKIP
    >>> for c in checker.check(frame, people):  # doctest: +SKIP
    ...     print(c.tracker_id, c.label, round(c.confidence, 2), round(c.face_px))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

if TYPE_CHECKING:
    import supervision as sv

    from mission_planner.profiles import CameraProfile

MaskLabel = Literal["with_mask", "without_mask", "mask_weared_incorrect", "unverifiable"]
MODEL_LABELS: tuple[MaskLabel, MaskLabel, MaskLabel] = ("with_mask", "without_mask", "mask_weared_incorrect")
MODELS_DIR = Path(__file__).resolve().parent / "models"
TRAINED_WEIGHTS = MODELS_DIR / "mask_yolo11n.pt"  # what vision.train_masks makes (PyTorch, fine-tunable)
INT8_WEIGHTS = MODELS_DIR / "mask_yolo11n_int8_openvino_model"  # vision.export_masks: ~4x faster on CPU
DEFAULT_WEIGHTS = INT8_WEIGHTS if (INT8_WEIGHTS / "mask_yolo11n.xml").is_file() else TRAINED_WEIGHTS
DEFAULT_IMGSZ = 416
FACE_HEIGHT_M = 0.22  # chin to hairline and a little: what estimates of a face's size in pixels assume
# A standing adult is about 1.7 m tall with a 0.22 m face (chin to hairline and a bit): face ~ 0.13 x body height.
# Shoulders are about 0.45 m wide: face ~ 0.35 x box width for an upper-body box cut by the frame edge.
FACE_PER_PERSON_HEIGHT = 0.13
FACE_PER_PERSON_WIDTH = 0.35
# The estimate from a person box is rough (boxes cut by the frame, sitting people): only people whose estimated face
# is below this share of min_face_px skip the model; the measured face box decides for the others.
ESTIMATE_MARGIN = 0.6
# Faces at least min_face_px tall in the training images are 40.6 px tall (median) once letterboxed to 416 px:
# head crops are sized so the model sees a face at about that size (see head_crop), not blown up to fill its input.
# (`python -m vision.eval_masks`, checker view: without_mask recall 0.667 with tight crops, 0.882 with this.)
MODEL_FACE_PX = 40.0
# Batch sizes compiled at load (the mask stage checks at most 4 people per frame by default).
WARM_BATCHES = 4


@dataclass(frozen=True)
class FaceCheck:
    """One face's verdict in one frame.

    Attributes:
        person_index: index into the people ``Detections`` whose box holds the face (None if no person box).
        tracker_id: that person's tracker id, if the detections were tracked.
        xyxy: face box in frame pixels (for ``unverifiable`` without a face found: the estimated head region).
        label: the model's class, or ``unverifiable`` when the face cannot be judged.
        confidence: the model's confidence; 0 for ``unverifiable``.
        face_px: face height in pixels (measured, or estimated from the person box when no face was found).
    """

    person_index: int | None
    tracker_id: int | None
    xyxy: tuple[float, float, float, float]
    label: MaskLabel
    confidence: float
    face_px: float

    @property
    def verifiable(self) -> bool:
        """Whether the model judged this face (its label is a vote)."""
        return self.label != "unverifiable"


def face_px_at_range(camera: CameraProfile, slant_range_m: float, *, face_height_m: float = FACE_HEIGHT_M) -> float:
    """Height in pixels of a face ``slant_range_m`` metres from the camera (pinhole, square pixels).

    The focal length in pixels comes from the sensor width and image width, as ``CameraProfile.gsd_cm`` does.

    Example:
        >>> from mission_planner.profiles import CameraProfile
        >>> round(face_px_at_range(CameraProfile(), 40.0), 1)
        7.7
    """
    if slant_range_m <= 0:
        raise ValueError(f"slant_range_m must be above 0 m, got {slant_range_m}")
    focal_px = camera.focal_length_mm * camera.image_width_px / camera.sensor_width_mm
    return face_height_m * focal_px / slant_range_m


def min_face_px_slant_range(
    camera: CameraProfile, *, min_face_px: float = 24.0, face_height_m: float = FACE_HEIGHT_M
) -> float:
    """The largest slant range (m) at which a face is still ``min_face_px`` tall with this camera.

    Beyond it mask checks are ``unverifiable``; the runtime can descend, zoom (a longer ``focal_length_mm``) or
    tilt the gimbal (faces are not visible from straight above at all) to get within it.

    Example:
        >>> from mission_planner.profiles import CameraProfile
        >>> round(min_face_px_slant_range(CameraProfile()), 1)
        12.8
    """
    if min_face_px <= 0 or face_height_m <= 0:
        raise ValueError(f"min_face_px and face_height_m must be above 0, got {min_face_px} and {face_height_m}")
    return face_px_at_range(camera, 1.0, face_height_m=face_height_m) / min_face_px


def head_crop(
    xyxy: tuple[float, float, float, float] | np.ndarray, width: int, height: int, *, face_context: float = 0.0
) -> tuple[int, int, int, int]:
    """Integer crop ``(x1, y1, x2, y2)`` of a person's head and upper body, clipped to the frame.

    The top half of the person box (the whole box when it is wider than tall), widened to a square, padded by 10 %.
    With ``face_context`` above 0 the square is at least that many estimated face heights wide, centred on the
    head, so that once letterboxed to the model's input the face is about ``imgsz / face_context`` pixels tall.
    """
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    ch = h if w >= h else max(0.5 * h, min(w, h))
    side = max(ch, w) * 1.1
    cx = (x1 + x2) / 2
    top = y1 - 0.05 * ch
    face = estimated_face_px(xyxy)
    if face_context > 0 and face * face_context > side:
        side = face * face_context
        top = y1 + 0.5 * face - side / 2
    bx1, by1 = int(max(0.0, cx - side / 2)), int(max(0.0, top))
    bx2, by2 = int(min(float(width), cx + side / 2)), int(min(float(height), top + side))
    return bx1, by1, max(bx2, bx1 + 1), max(by2, by1 + 1)


def face_estimate(xyxy: tuple[float, float, float, float] | np.ndarray, hint: float = float("nan")) -> float:
    """The face height (px) to decide on before the model runs: ``hint`` (from the slant range) when finite, else
    the person box's ``estimated_face_px``."""
    return float(hint) if np.isfinite(hint) else estimated_face_px(xyxy)


def estimated_face_px(xyxy: tuple[float, float, float, float] | np.ndarray) -> float:
    """Generous estimate of the face height (px) of a person box, to skip people whose face is surely too small."""
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    return max((y2 - y1) * FACE_PER_PERSON_HEIGHT, (x2 - x1) * FACE_PER_PERSON_WIDTH)


class MaskChecker:
    """Runs the mask model on people's head crops and returns one ``FaceCheck`` per person.

    Args:
        weights: the mask model (a ``.pt`` file or an exported folder); default the committed OpenVINO INT8 export
            of ``vision/models/mask_yolo11n.pt``.
        min_face_px: faces shorter than this (frame pixels) are ``unverifiable``; 24 px is about where the model's
            without_mask recall holds up (see docs/benchmarks.md, Masks).
        conf: minimum model confidence for a face.
        imgsz: model input size; crops are letterboxed to it.
        model_face_px: the face height (model input pixels) head crops are sized for: the scale of the training
            faces. Smaller crops blow faces up past what the model has seen and it misses them.

    Raises:
        FileNotFoundError: when the weights file is missing, naming it and how to make it.
    """

    def __init__(
        self,
        weights: Path | None = None,
        *,
        min_face_px: float = 24.0,
        conf: float = 0.25,
        imgsz: int = DEFAULT_IMGSZ,
        model_face_px: float = MODEL_FACE_PX,
    ) -> None:
        path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        if not path.exists():  # a .pt file or an exported model folder (OpenVINO)
            raise FileNotFoundError(
                f"mask model weights {path} not found; pass weights= or recreate them with "
                "`python -m vision.train_masks` (see vision/models/README.md)"
            )
        if min_face_px <= 0:
            raise ValueError(f"min_face_px must be above 0, got {min_face_px}")
        if model_face_px <= 0 or model_face_px > imgsz:
            raise ValueError(f"model_face_px must be between 0 and imgsz ({imgsz}), got {model_face_px}")
        if not 0 < conf < 1:
            raise ValueError(f"conf must be between 0 and 1, got {conf}")
        os.environ.setdefault("YOLO_OFFLINE", "1")
        from ultralytics.models import YOLO

        self.weights = path
        self.min_face_px = float(min_face_px)
        self.conf = float(conf)
        self.imgsz = int(imgsz)
        self.model_face_px = float(model_face_px)
        self._model = YOLO(str(path), task="detect")
        names = [self._model.names[i] for i in sorted(self._model.names)]
        if tuple(names) != MODEL_LABELS:
            raise ValueError(f"mask model {path} has classes {names}, expected {list(MODEL_LABELS)}")
        # the first call of each batch size compiles the model (2 s, then ~0.15 s for OpenVINO): pay it now, not on
        # the first faces seen in flight
        for n in range(1, WARM_BATCHES + 1):
            self.detect_faces([np.zeros((64, 64, 3), dtype=np.uint8)] * n)

    def detect_faces(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Raw model output per BGR image: an array of rows ``x1, y1, x2, y2, confidence, class`` (agnostic NMS).

        Images are padded to squares (right and bottom, so boxes keep their coordinates): the model then always
        gets one input shape, and OpenVINO does not recompile for each new crop shape (100 ms or more each).
        """
        if not images:
            return []
        results = self._model.predict(
            [_square(im) for im in images],
            imgsz=self.imgsz,
            conf=self.conf,
            agnostic_nms=True,
            verbose=False,
            device="cpu",
        )
        out = []
        for r in results:
            boxes: Any = getattr(r, "boxes", None)
            if boxes is None or len(boxes) == 0:
                out.append(np.zeros((0, 6)))
                continue
            xyxy, conf, cls = (
                np.asarray(t.cpu().numpy(), dtype=np.float64) for t in (boxes.xyxy, boxes.conf, boxes.cls)
            )
            out.append(np.concatenate([xyxy, conf[:, None], cls[:, None]], axis=1))
        return out

    def check_frame(self, frame: np.ndarray) -> list[FaceCheck]:
        """Faces in a whole frame without person boxes (close-range cameras); ``person_index`` is None."""
        _check_frame_array(frame)
        rows = self.detect_faces([frame])[0]
        return [self.face_check(None, None, row) for row in rows]

    def check(self, frame: np.ndarray, people: sv.Detections, face_px: np.ndarray | None = None) -> list[FaceCheck]:
        """One ``FaceCheck`` per person box in ``people`` (BGR uint8 HxWx3 frame).

        People whose face is estimated too small are not sent to the model; the others' head crops go in one
        batch. The estimate is ``face_px`` where given and finite (the pipeline's, from each person's slant range:
        ``face_px_at_range``), else from the person box (``estimated_face_px``). In each crop the face kept is the
        one nearest the top centre of the person box, among those whose centre lies in its upper part (faces of
        neighbours in the same crop are theirs to check).
        """
        _check_frame_array(frame)
        height, width = frame.shape[:2]
        tracker_ids = people.tracker_id
        checks: dict[int, FaceCheck] = {}
        todo: list[tuple[int, tuple[int, int, int, int]]] = []
        hints = np.full(len(people), np.nan) if face_px is None else np.asarray(face_px, dtype=np.float64)
        for i, box in enumerate(np.asarray(people.xyxy, dtype=np.float64)):
            tid = int(tracker_ids[i]) if tracker_ids is not None else None
            est = face_estimate(box, hints[i])
            if est < self.min_face_px * ESTIMATE_MARGIN:
                checks[i] = self.unverifiable(i, tid, box, est)
            else:
                todo.append((i, head_crop(box, width, height, face_context=self.imgsz / self.model_face_px)))
        crops = [frame[y1:y2, x1:x2] for _, (x1, y1, x2, y2) in todo]
        for (i, (cx1, cy1, _, _)), rows in zip(todo, self.detect_faces(crops), strict=True):
            box = np.asarray(people.xyxy[i], dtype=np.float64)
            tid = int(tracker_ids[i]) if tracker_ids is not None else None
            best = _pick_face(rows, box, (cx1, cy1))
            if best is None:
                checks[i] = self.unverifiable(i, tid, box, estimated_face_px(box))
            else:
                checks[i] = self.face_check(i, tid, best)
        return [checks[i] for i in range(len(people))]

    def face_check(self, index: int | None, tid: int | None, row: np.ndarray) -> FaceCheck:
        """The check of one model output row (frame pixels): its label, or ``unverifiable`` below ``min_face_px``."""
        x1, y1, x2, y2, conf, cls = (float(v) for v in row[:6])
        face_px = y2 - y1
        if face_px < self.min_face_px:
            return FaceCheck(index, tid, (x1, y1, x2, y2), "unverifiable", 0.0, face_px)
        return FaceCheck(index, tid, (x1, y1, x2, y2), MODEL_LABELS[int(cls)], conf, face_px)

    def unverifiable(self, index: int, tid: int | None, box: np.ndarray, face_px: float) -> FaceCheck:
        """An ``unverifiable`` check for a person whose face was not found or is too small (head region as box)."""
        x1, y1, x2, y2 = (float(v) for v in box)
        head = (x1, y1, x2, min(y2, y1 + max(face_px, 1.0) * 1.5))
        return FaceCheck(index, tid, head, "unverifiable", 0.0, face_px)


def _pick_face(rows: np.ndarray, person: np.ndarray, offset: tuple[int, int]) -> np.ndarray | None:
    """The face (rows in crop pixels) nearest the person box's top centre, among those centred in its upper 60 %."""
    if len(rows) == 0:
        return None
    frame_rows = rows.copy()
    frame_rows[:, [0, 2]] += offset[0]
    frame_rows[:, [1, 3]] += offset[1]
    px1, py1, px2, py2 = (float(v) for v in person)
    pw, ph = max(px2 - px1, 1.0), max(py2 - py1, 1.0)
    cx = (frame_rows[:, 0] + frame_rows[:, 2]) / 2
    cy = (frame_rows[:, 1] + frame_rows[:, 3]) / 2
    inside = (cx >= px1) & (cx <= px2) & (cy >= py1 - 0.05 * ph) & (cy <= py1 + 0.6 * ph)
    if not inside.any():
        return None
    # distance of the face's top centre from the box's top centre, in box widths
    dist = np.abs(cx - (px1 + px2) / 2) / pw + np.abs(frame_rows[:, 1] - py1) / pw
    dist[~inside] = np.inf
    return cast(np.ndarray, frame_rows[int(np.argmin(dist))])


def _square(image: np.ndarray) -> np.ndarray:
    """``image`` padded with grey on the right or bottom to a square."""
    h, w = image.shape[:2]
    if h == w:
        return image
    side = max(h, w)
    out = np.full((side, side, 3), 114, dtype=np.uint8)
    out[:h, :w] = image
    return out


def _check_frame_array(frame: object) -> None:
    """Refuse anything but a BGR uint8 image (callers outside the type checker pass lists, floats, grey images)."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        got = f"{type(frame).__name__} {getattr(frame, 'shape', '')} {getattr(frame, 'dtype', '')}"
        raise ValueError(f"frame must be a BGR uint8 array of shape HxWx3, got {got}")
