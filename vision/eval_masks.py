"""Per-face evaluation of the mask model on the fixed validation split: ``python -m vision.eval_masks``.

Three views, all matching a prediction to a ground-truth face by IoU >= 0.5 (class-agnostic, most confident
first, one label per face thanks to agnostic NMS), then scoring the label per class:

- ``frame_all``: the model on whole validation images, every labelled face counts (most are under 24 px).
- ``frame_min_px``: the same, but faces under ``min_face_px`` are set aside (neither missed nor false alarms),
  because ``MaskChecker`` reports those ``unverifiable`` instead of guessing.
- ``checker``: ``MaskChecker.check`` end to end, with a person box made around each labelled face (2.6 face widths
  wide, 7.5 face heights tall, clipped by the image like a real one), one check per person.

``--sweep`` prints without_mask precision/recall over confidence thresholds; ``--write`` stores the figures (with
ultralytics' per-class P/R/mAP) in ``vision/models/mask_metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vision.mask_data import MASK_CLASSES, label_cache_left_as_is, mask_split, read_labels, write_split_files
from vision.masks import DEFAULT_WEIGHTS, MaskChecker

if TYPE_CHECKING:
    from vision.pipeline import Pipeline

IOU_MATCH = 0.5
Box = tuple[float, float, float, float]


def iou(a: Box | np.ndarray, b: Box | np.ndarray) -> float:
    """Intersection over union of two ``xyxy`` boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class FaceScores:
    """Per-class counts of true positives, predictions and ground-truth faces."""

    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MASK_CLASSES, 0))
    pred: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MASK_CLASSES, 0))
    gt: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MASK_CLASSES, 0))

    def per_class(self) -> dict[str, dict[str, float]]:
        """Precision, recall, F1 and counts per class."""
        out = {}
        for c in MASK_CLASSES:
            p = self.tp[c] / self.pred[c] if self.pred[c] else 0.0
            r = self.tp[c] / self.gt[c] if self.gt[c] else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            out[c] = {"precision": p, "recall": r, "f1": f1, "tp": self.tp[c], "pred": self.pred[c], "gt": self.gt[c]}
        return out


def score_image(
    preds: Sequence[tuple[Box, str, float]],
    gts: Sequence[tuple[Box, str]],
    scores: FaceScores,
    *,
    min_face_px: float = 0.0,
) -> None:
    """Add one image's faces to ``scores``: predictions ``(xyxy, label, conf)`` against ground truth ``(xyxy, label)``.

    Ground-truth faces shorter than ``min_face_px`` are set aside: a prediction matched to one is not counted, and
    an unmatched prediction shorter than ``min_face_px`` is not counted either.
    """
    used: set[int] = set()
    for box, label, _ in sorted(preds, key=lambda p: -p[2]):
        best, best_iou = -1, IOU_MATCH
        for j, (gbox, _) in enumerate(gts):
            if j not in used and (v := iou(box, gbox)) >= best_iou:
                best, best_iou = j, v
        if best >= 0:
            used.add(best)
            gbox, glabel = gts[best]
            if gbox[3] - gbox[1] < min_face_px:
                continue
            scores.pred[label] += 1
            scores.tp[label] += int(label == glabel)
        elif box[3] - box[1] >= min_face_px:
            scores.pred[label] += 1
    for gbox, glabel in gts:
        if gbox[3] - gbox[1] >= min_face_px:
            scores.gt[glabel] += 1


def ground_truth(image: Path, width: int, height: int) -> list[tuple[Box, str]]:
    """Labelled faces of an image as ``(xyxy, class name)``."""
    return [(box, MASK_CLASSES[cls]) for cls, box in read_labels(image, width, height)]


def person_box_for_face(face: Box, width: int, height: int) -> Box:
    """A plausible person box around a face: 2.6 face widths wide, 7.5 face heights tall, clipped to the image."""
    x1, y1, x2, y2 = face
    fw, fh = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    return (
        max(0.0, cx - 1.3 * fw),
        max(0.0, y1 - 0.15 * fh),
        min(float(width), cx + 1.3 * fw),
        min(float(height), y1 + 7.35 * fh),
    )


def evaluate(checker: MaskChecker, images: Sequence[Path], *, with_checker: bool = True) -> dict[str, FaceScores]:
    """Score ``frame_all``, ``frame_min_px`` and (unless ``with_checker`` is False) ``checker`` on ``images``."""
    import cv2
    import supervision as sv

    out = {"frame_all": FaceScores(), "frame_min_px": FaceScores(), "checker": FaceScores()}
    for image in images:
        frame = cv2.imread(str(image))
        if frame is None:
            raise FileNotFoundError(f"cannot read image {image}")
        h, w = frame.shape[:2]
        gts = ground_truth(image, w, h)
        rows = checker.detect_faces([frame])[0]
        preds = [((r[0], r[1], r[2], r[3]), MASK_CLASSES[int(r[5])], float(r[4])) for r in rows]
        score_image(preds, gts, out["frame_all"])
        score_image(preds, gts, out["frame_min_px"], min_face_px=checker.min_face_px)
        if with_checker and gts:
            people = sv.Detections(
                xyxy=np.array([person_box_for_face(b, w, h) for b, _ in gts], dtype=np.float32),
                tracker_id=np.arange(len(gts)),
            )
            checks = checker.check(frame, people)
            for (gbox, glabel), c in zip(gts, checks, strict=True):
                if gbox[3] - gbox[1] >= checker.min_face_px:
                    out["checker"].gt[glabel] += 1
                if c.verifiable:
                    out["checker"].pred[c.label] += 1
                    out["checker"].tp[c.label] += int(c.label == glabel and iou(c.xyxy, gbox) >= IOU_MATCH)
    if not with_checker:
        del out["checker"]
    return out


def evaluate_stills(pipeline: Pipeline, images: Sequence[Path], *, min_face_px: float = 24.0) -> FaceScores:
    """Score faces as ``gridpatrol detect --stills`` judges them: the person detector, then ``process_still``.

    The view that counts for the command line: no boxes are made around the labels, so people the detector
    misses and faces outside its person boxes are missed faces; every verifiable face it reports is a prediction.
    """
    import cv2

    scores = FaceScores()
    for image in images:
        frame = cv2.imread(str(image))
        if frame is None:
            raise FileNotFoundError(f"cannot read image {image}")
        h, w = frame.shape[:2]
        faces = pipeline.process_still(frame).faces
        preds = [(f.xyxy, f.label, f.confidence) for f in faces if f.verifiable]
        score_image(preds, ground_truth(image, w, h), scores, min_face_px=min_face_px)
    return scores


def ultralytics_metrics(weights: Path, imgsz: int) -> dict[str, dict[str, float]]:
    """Ultralytics' own box metrics per class (P, R, mAP50, mAP50-95) on the validation split."""
    from ultralytics.models import YOLO

    split = mask_split()
    with label_cache_left_as_is(split), tempfile.TemporaryDirectory() as tmp:
        data = write_split_files(Path(tmp), split)
        m = YOLO(str(weights)).val(data=str(data), imgsz=imgsz, batch=16, device="cpu", plots=False, workers=0)
    out = {}
    for k, i in enumerate(m.box.ap_class_index):
        p, r, ap50, ap = m.box.class_result(k)
        out[m.names[int(i)]] = {"precision": float(p), "recall": float(r), "map50": float(ap50), "map50_95": float(ap)}
    return out


def sweep(checker: MaskChecker, images: Sequence[Path]) -> dict[float, dict[str, dict[str, float]]]:
    """without_mask precision/recall (whole frames, all faces and faces >= min_face_px) per confidence threshold.

    The model runs once at ``checker.conf`` (keep it low); higher thresholds filter its output.
    """
    import cv2

    frames = []
    for image in images:
        frame = cv2.imread(str(image))
        if frame is None:
            raise FileNotFoundError(f"cannot read image {image}")
        h, w = frame.shape[:2]
        frames.append((checker.detect_faces([frame])[0], ground_truth(image, w, h)))
    out: dict[float, dict[str, dict[str, float]]] = {}
    for conf in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6):
        fa, fm = FaceScores(), FaceScores()
        for rows, gts in frames:
            preds = [((r[0], r[1], r[2], r[3]), MASK_CLASSES[int(r[5])], float(r[4])) for r in rows if r[4] >= conf]
            score_image(preds, gts, fa)
            score_image(preds, gts, fm, min_face_px=checker.min_face_px)
        out[conf] = {"frame_all": fa.per_class()["without_mask"], "frame_min_px": fm.per_class()["without_mask"]}
        a, m = out[conf]["frame_all"], out[conf]["frame_min_px"]
        print(
            f"conf {conf:.2f} without_mask all P {a['precision']:.3f} R {a['recall']:.3f}"
            f" | >= {checker.min_face_px:g}px P {m['precision']:.3f} R {m['recall']:.3f}"
        )
    return out


def _print(name: str, scores: FaceScores) -> None:
    print(f"\n{name}")
    for c, v in scores.per_class().items():
        print(
            f"  {c:24s} P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}"
            f"  (tp {v['tp']}, pred {v['pred']}, gt {v['gt']})"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command line: see ``--help``; returns the figures it printed."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--imgsz", type=int, default=None, help="default: MaskChecker's")
    ap.add_argument("--min-face-px", type=float, default=24.0)
    ap.add_argument("--sweep", action="store_true", help="without_mask P/R over confidence thresholds")
    ap.add_argument("--no-ultralytics", action="store_true", help="skip ultralytics' mAP validation")
    ap.add_argument("--write", action="store_true", help="store the figures in vision/models/mask_metrics.json")
    a = ap.parse_args(argv)
    kw = {"imgsz": a.imgsz} if a.imgsz else {}
    checker = MaskChecker(a.weights, conf=a.conf, min_face_px=a.min_face_px, **kw)
    val = mask_split().val
    result: dict[str, Any] = {
        "weights": str(a.weights.name),
        "split": {"val_images": len(val), "val_names": [p.name for p in val]},
        "conf": a.conf,
        "imgsz": checker.imgsz,
        "min_face_px": a.min_face_px,
        "iou_match": IOU_MATCH,
    }
    for name, scores in evaluate(checker, val).items():
        _print(name, scores)
        result[name] = scores.per_class()
    if a.sweep:
        result["sweep_without_mask"] = sweep(MaskChecker(a.weights, conf=0.05, min_face_px=a.min_face_px, **kw), val)
    if not a.no_ultralytics:
        result["ultralytics"] = ultralytics_metrics(a.weights, checker.imgsz)
        print("\nultralytics val (all faces)")
        for c, v in result["ultralytics"].items():
            print(
                f"  {c:24s} P {v['precision']:.3f} R {v['recall']:.3f}"
                f" mAP50 {v['map50']:.3f} mAP50-95 {v['map50_95']:.3f}"
            )
    if a.write:
        path = a.weights.parent / "mask_metrics.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nwritten {path}")
    return result


if __name__ == "__main__":
    main()
