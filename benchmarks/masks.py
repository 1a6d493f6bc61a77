"""Benchmark of mask alerts: single-frame checks (the baseline) against votes across a track's frames.

Each labelled validation face of at least ``min_face_px`` becomes a synthetic track of ``--frames`` frames: the
validation image re-rendered each time with a random scale (0.85-1.15), blur, brightness and JPEG quality and a
jittered person box around the face (as ``vision.eval_masks`` makes them), checked by ``MaskChecker.check``. Per
track it reports, for the ``without_mask`` alert:

* baseline: alert as soon as one frame says ``without_mask`` (no votes);
* votes: ``MaskVotes`` with its defaults (3 of the last 7 verifiable checks, at least 60 %).

Precision = alerted tracks that are really bare faces / alerted tracks; recall = bare-face tracks alerted / bare-face
tracks. The frame changes are synthetic, not real video (no motion, no turning heads), so this measures how votes
absorb per-frame noise, not tracking.

Before that it prints per-face without_mask precision and recall on the same validation photos in two views side by
side (docs/benchmarks.md, "Masks through gridpatrol detect --stills"):

* label boxes: ``MaskChecker.check`` on person boxes built around the labelled faces (``vision.eval_masks``);
* ``detect --stills``: what ``gridpatrol detect --stills`` does, ``Pipeline.process_still`` with the real person
  detector (``[vision.detector]`` model from the data directory), so people it misses are missed faces.

Usage: ``python benchmarks/masks.py [--frames 7] [--seed 0] [--views-only]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import supervision as sv

from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig
from vision.eval_masks import evaluate, evaluate_stills, ground_truth, person_box_for_face
from vision.mask_data import mask_split
from vision.mask_votes import MaskVotes
from vision.masks import MaskChecker
from vision.masks_stage import MaskStage
from vision.pipeline import Pipeline


def render(frame: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One noisy re-rendering of a frame and its scale factor."""
    s = float(rng.uniform(0.85, 1.15))
    out = cv2.resize(frame, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    sigma = float(rng.uniform(0.0, 1.2))
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    out = np.clip(out.astype(np.float32) * float(rng.uniform(0.75, 1.25)), 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])
    decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
    return (np.asarray(decoded) if decoded is not None else out), s


def print_views(checker: MaskChecker) -> None:
    """Per-face without_mask P/R with label boxes and through ``detect --stills``, one row each."""
    val = mask_split().val
    cfg = VisionConfig()
    pipe = Pipeline(cfg, CameraProfile())
    pipe.masks = MaskStage(cfg.masks, checker=checker)  # the one loaded model, not a second load
    t0 = time.perf_counter()
    labelled = evaluate(checker, val)["checker"].per_class()["without_mask"]
    t1 = time.perf_counter()
    stills = evaluate_stills(pipe, val, min_face_px=checker.min_face_px).per_class()["without_mask"]
    t2 = time.perf_counter()
    print(f"validation photos {len(val)}, faces >= {checker.min_face_px:g} px, IoU >= 0.5, without_mask per face")
    print("| view | precision | recall | tp | predicted | faces | s |")
    print("|---|---|---|---|---|---|---|")
    for name, v, s in (
        ("label boxes: person boxes around the labelled faces", labelled, t1 - t0),
        (f"`gridpatrol detect --stills`: {cfg.detector.model.name} person detector", stills, t2 - t1),
    ):
        print(f"| {name} | {v['precision']:.3f} | {v['recall']:.3f} | {v['tp']} | {v['pred']} | {v['gt']} | {s:.0f} |")
    print()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--frames", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-face-px", type=float, default=24.0)
    ap.add_argument("--views-only", action="store_true", help="only the per-face views, not the votes")
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    checker = MaskChecker(min_face_px=a.min_face_px)
    print_views(checker)
    if a.views_only:
        return
    votes = MaskVotes()
    truth: dict[int, str] = {}
    first_alert: dict[int, bool] = {}
    voted: dict[int, bool] = {}
    frame_counts = {"checks": 0, "unverifiable": 0, "tp": 0, "pred": 0}
    next_id = 0
    t0 = time.perf_counter()
    for image in mask_split().val:
        read = cv2.imread(str(image))
        if read is None:
            raise FileNotFoundError(f"cannot read image {image}")
        base = np.asarray(read)
        h, w = base.shape[:2]
        faces = [(b, lab) for b, lab in ground_truth(image, w, h) if b[3] - b[1] >= a.min_face_px]
        if not faces:
            continue
        ids = list(range(next_id, next_id + len(faces)))
        next_id += len(faces)
        for tid, (_, lab) in zip(ids, faces, strict=True):
            truth[tid] = lab
        for k in range(a.frames):
            frame, s = render(base, rng)
            boxes = []
            for b, _ in faces:
                x1, y1, x2, y2 = person_box_for_face(b, w, h)
                j = rng.uniform(-0.08, 0.08, 4) * np.array([x2 - x1, y2 - y1, x2 - x1, y2 - y1])
                boxes.append(np.clip((np.array([x1, y1, x2, y2]) + j) * s, 0, [w * s, h * s, w * s, h * s]))
            people = sv.Detections(xyxy=np.array(boxes, dtype=np.float32), tracker_id=np.array(ids))
            for tid, check in zip(ids, checker.check(frame, people), strict=True):
                frame_counts["checks"] += 1
                frame_counts["unverifiable"] += int(not check.verifiable)
                if check.label == "without_mask":
                    frame_counts["pred"] += 1
                    frame_counts["tp"] += int(truth[tid] == "without_mask")
                    first_alert[tid] = True
                if votes.add(tid, check, float(k)) is not None:
                    voted[tid] = True
    elapsed = time.perf_counter() - t0
    bare = {tid for tid, lab in truth.items() if lab == "without_mask"}

    def pr(alerts: dict[int, bool]) -> tuple[float, float, int]:
        hit = [tid for tid in alerts if tid in bare]
        return (len(hit) / len(alerts) if alerts else 0.0), len(hit) / max(len(bare), 1), len(alerts)

    bp, br, bn = pr(first_alert)
    vp, vr, vn = pr(voted)
    fp = frame_counts["tp"] / max(frame_counts["pred"], 1)
    print(f"tracks {len(truth)} (without_mask {len(bare)}), {a.frames} frames each, {elapsed:.0f} s")
    print(f"per-frame checks {frame_counts['checks']}, unverifiable {frame_counts['unverifiable']}")
    print(f"per-frame without_mask precision {fp:.3f}")
    print("| alert rule | alerts | precision | recall |")
    print("|---|---|---|---|")
    print(f"| baseline: first without_mask frame | {bn} | {bp:.3f} | {br:.3f} |")
    print(
        f"| votes: MaskVotes() | {vn} | {vp:.3f} ({vp / bp if bp else 0:.2f}x)"
        f" | {vr:.3f} ({vr / br if br else 0:.2f}x) |"
    )


if __name__ == "__main__":
    main()
