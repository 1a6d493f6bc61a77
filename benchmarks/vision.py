"""Benchmark of the vision pipeline: overhead over bare YOLO, OpenVINO INT8 vs PyTorch, latency, tiled recall.

Reports, each against a baseline run in the same process on the same frames:

* full pipeline (detect + track + geolocate + crowd + mask + incidents) FPS / bare ``YOLO.predict`` FPS, same
  backend, untiled (target >= 0.9x);
* OpenVINO INT8 YOLO11n FPS / PyTorch ``recovered_yolo11n.pt`` FPS, bare predict (target >= 2x);
* frame-to-incident latency p50/p95: wall time from a frame entering ``Pipeline.process`` to the incident it
  triggers (crowd rule fulfilled in that frame; snapshot encoded), untiled and with 40 m aerial tiling;
* person recall on aerial-like frames (``vision.synthetic``), whole frame against tiles.

Usage: ``python benchmarks/vision.py [--frames 30] [--aerial 4]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from gridpatrol.config import default_data_dir  # noqa: E402
from mission_planner.profiles import CameraProfile  # noqa: E402
from vision.config import CrowdConfig, DetectorConfig, VisionConfig  # noqa: E402
from vision.detector import PersonDetector, load_yolo  # noqa: E402
from vision.geolocate import Pose  # noqa: E402
from vision.pipeline import Pipeline  # noqa: E402
from vision.synthetic import aerial_scene, assets_dir, recall  # noqa: E402


def bus_frames(n: int) -> list[np.ndarray]:
    """bus.jpg shifted a few pixels per frame, as if the drone drifted (exercises the tracker)."""
    bus = cv2.imread(str(assets_dir() / "bus.jpg"))
    frames = []
    for i in range(n):
        m = np.float32([[1, 0, 3 * np.sin(i / 3)], [0, 1, 2 * np.cos(i / 4)]])
        frames.append(cv2.warpAffine(bus, m, (bus.shape[1], bus.shape[0]), borderMode=cv2.BORDER_REFLECT))
    return frames


def fps_of(fn: object, frames: list[np.ndarray], repeat: int = 1) -> float:
    """Frames per second of ``fn(frame, i)`` over all frames (after one warm-up call)."""
    call = fn  # type: ignore[assignment]
    call(frames[0], 0)  # type: ignore[operator]
    start = time.perf_counter()
    for _ in range(repeat):
        for i, f in enumerate(frames):
            call(f, i)  # type: ignore[operator]
    return repeat * len(frames) / (time.perf_counter() - start)


def interleaved(cases: dict[str, object], frames: list[np.ndarray], rounds: int) -> dict[str, float]:
    """Median FPS per case over ``rounds`` rounds that alternate the cases (so load from others hits all)."""
    runs: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for key, fn in cases.items():
            runs[key].append(fps_of(fn, frames))
    return {k: float(np.median(v)) for k, v in runs.items()}


def square(image: np.ndarray, side: int = 640) -> np.ndarray:
    """The image letterboxed to side x side (what a static 640 model gets), so every backend sees one tensor."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    small = cv2.resize(image, (round(w * scale), round(h * scale)))
    out = np.full((side, side, 3), 114, np.uint8)
    y, x = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


def bare_predict(model: object, imgsz: int = 640) -> object:
    def run(frame: np.ndarray, i: int) -> object:
        return model.predict(frame, imgsz=imgsz, conf=0.25, classes=[0], verbose=False)  # type: ignore[attr-defined]

    return run


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def latency(
    cfg: VisionConfig, camera: CameraProfile, pose: Pose, frames: list[np.ndarray], det: PersonDetector
) -> list[float]:
    """ms from frame in to crowd incident out, for frames that trigger one (crowd shown, hidden, shown ...)."""
    pipe = Pipeline(cfg, camera, detector=det)
    blank = np.full_like(frames[0], 127)
    out: list[float] = []
    for i, frame in enumerate(frames):
        image = frame if i % 2 == 0 else blank  # the crowd appears on even frames and is gone on odd ones
        start = time.perf_counter()
        result = pipe.process(image, float(i), pose)
        if result.incidents:
            out.append((time.perf_counter() - start) * 1000.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="frames per throughput run")
    parser.add_argument("--aerial", type=int, default=4, help="aerial frames per person size for recall")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per throughput comparison")
    args = parser.parse_args()
    data = default_data_dir()
    frames = bus_frames(args.frames)
    bus_cam = CameraProfile(image_width_px=810, image_height_px=1080)
    pose = Pose(lat=30.544, lon=114.295, alt_rel=6.0, yaw=0.0, gimbal_pitch=-30.0)

    print(f"frames: {len(frames)} x bus.jpg (810x1080, 4 people) shifted; cpu threads: {os.cpu_count()}")
    det = PersonDetector(DetectorConfig(tiling="off"), data)
    cfg = VisionConfig(detector=DetectorConfig(tiling="off"))
    pipe = Pipeline(cfg, bus_cam, detector=det, drone_id="bench")
    no_masks = cfg.model_copy(update={"masks": cfg.masks.model_copy(update={"enabled": False})})
    pipe_nm = Pipeline(no_masks, bus_cam, detector=det, drone_id="bench")
    # frame times at the analysis rate (2 fps by default), as a live stream is analysed: the mask stage's
    # re-check intervals are in seconds
    period = 1.0 / cfg.analyse_fps
    clock, clock_nm = iter(range(10**9)), iter(range(10**9))
    mask_ms: list[float] = []

    def full(f: np.ndarray, i: int) -> None:
        mask_ms.append(pipe.process(f, next(clock) * period, pose).timings_ms["mask"])

    fps = interleaved(
        {
            "bare": bare_predict(det.model),
            "full": full,
            "no_masks": lambda f, i: pipe_nm.process(f, next(clock_nm) * period, pose),
        },
        frames,
        args.rounds,
    )
    masks = "on" if pipe.masks.available else "unavailable (faces unverifiable)"
    print(f"\n| case (median of {args.rounds} alternating rounds) | FPS | ratio |\n|---|---|---|")
    print(f"| bare YOLO.predict, OpenVINO INT8 (baseline) | {fps['bare']:.1f} | 1.00 |")
    print(f"| full pipeline, OpenVINO INT8, masks {masks} | {fps['full']:.1f} | {fps['full'] / fps['bare']:.2f} |")
    print(f"| full pipeline, masks off | {fps['no_masks']:.1f} | {fps['no_masks'] / fps['bare']:.2f} |")
    print(
        f"mask stage: mean {np.mean(mask_ms):.1f} ms/frame, p95 {pct(mask_ms, 95):.1f} ms, first frame "
        f"{mask_ms[0]:.1f} ms (4 people checked in one model call); frames {period:.2f} s apart"
    )

    torch_path = data / "models/coco/recovered_yolo11n.pt"
    if torch_path.exists():
        import torch

        squares = [square(f) for f in frames]
        both = interleaved(
            {"torch": bare_predict(load_yolo(torch_path)), "int8": bare_predict(det.model)}, squares, args.rounds
        )
        print(
            f"| bare YOLO.predict 640x640, PyTorch recovered_yolo11n.pt, {torch.get_num_threads()} threads "
            f"(baseline) | {both['torch']:.1f} | 1.00 |"
        )
        print(f"| bare YOLO.predict 640x640, OpenVINO INT8 | {both['int8']:.1f} | {both['int8'] / both['torch']:.2f} |")

    crowd = CrowdConfig(min_people=3, max_spacing_m=5.0, min_duration_s=0.0, dispersed_s=0.0)
    lat_cfg = VisionConfig(detector=DetectorConfig(tiling="off"), crowd=crowd)
    untiled = latency(lat_cfg, bus_cam, pose, frames, det)
    aerial_img, _ = aerial_scene(12, person_px=40, seed=5)
    high = Pose(lat=30.544, lon=114.295, alt_rel=40.0, gimbal_pitch=-90.0)
    auto = Pipeline(VisionConfig(), CameraProfile(), detector=det)
    tile = auto.process(aerial_img, 0.0, high).tile
    tiled_det = PersonDetector(DetectorConfig(tiling="auto"), model=det.model)
    n_aerial = max(4, args.frames // 5)
    spread = crowd.model_copy(update={"max_spacing_m": 60.0})  # the pasted people stand metres apart: one group
    tiled = latency(VisionConfig(crowd=spread), CameraProfile(), high, [aerial_img] * n_aerial, tiled_det)
    print("\n| frame-to-incident latency | incidents | p50 ms | p95 ms |\n|---|---|---|---|")
    print(f"| 810x1080, untiled | {len(untiled)} | {pct(untiled, 50):.0f} | {pct(untiled, 95):.0f} |")
    print(
        f"| 1920x1080 at 40 m nadir, auto tiles {tile} px ({tiled_det.calls // max(1, n_aerial)} / frame) "
        f"| {len(tiled)} | {pct(tiled, 50):.0f} | {pct(tiled, 95):.0f} |"
    )

    print(
        "\n| person px (1920x1080) | whole-frame recall | tile 480 recall | tile 320 recall | s/frame whole, 480, 320 |"
    )
    print("|---|---|---|---|---|")
    for px in (30, 45, 60, 90):
        scores: dict[str, list[float]] = {"whole": [], "480": [], "320": []}
        times: dict[str, float] = {"whole": 0.0, "480": 0.0, "320": 0.0}
        for seed in range(args.aerial):
            image, truth = aerial_scene(12, px, seed=100 + seed)
            for key, t in (("whole", None), ("480", 480), ("320", 320)):
                start = time.perf_counter()
                found = det.detect(image, t)
                times[key] += time.perf_counter() - start
                scores[key].append(recall(found.xyxy, truth))
        row = " | ".join(f"{np.mean(scores[k]):.2f}" for k in ("whole", "480", "320"))
        tms = ", ".join(f"{times[k] / args.aerial:.2f}" for k in ("whole", "480", "320"))
        print(f"| {px} | {row} | {tms} |")


if __name__ == "__main__":
    main()
