"""Benchmark of the simulated camera: does the real COCO detector find the rendered people (by altitude, pitch)?

For each gimbal pitch (nadir -90, oblique -45) and altitude (15, 25, 40 m) it renders a few frames of a seeded
ground scene (2 groups of 5-8 and 6 singles; 1 and 3 when the view is small) around the point the image centre
sees, runs YOLO11n (COCO, OpenVINO int8) on the whole frame (resized to 640 px) and in 640 px tiles
(supervision InferenceSlicer), and reports the recall of people at IoU >= 0.5 (and >= 0.3) with the ground-truth
boxes, counting only people fully inside the frame and at least 60 % visible, plus false detections per frame.
Timing: a frame's render time as a ratio of one whole-frame YOLO inference measured in the same run.

Usage: ``python benchmarks/sim_camera.py [--frames 2] [--square-pixels] [--pitches -90,-45] [--alts 15,25,40]``
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mission_planner.profiles import CameraProfile  # noqa: E402
from sim.camera import CameraRenderer, look_at  # noqa: E402
from sim.scene import GroundScene  # noqa: E402
from sim.scoring import match, yolo_people  # noqa: E402
from sim.sprites import SpriteBank  # noqa: E402

ORIGIN = (114.2950, 30.5440)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2, help="frames (scene seeds) per altitude and pitch")
    parser.add_argument("--square-pixels", action="store_true", help="sensor height = width * 9/16 (fx = fy)")
    parser.add_argument("--pitches", default="-90,-45", help="gimbal pitches to measure (degrees, comma-separated)")
    parser.add_argument("--alts", default="15,25,40", help="altitudes to measure (m, comma-separated)")
    parser.add_argument("--cache", type=Path, default=ROOT / ".gridpatrol" / "sprites", help="sprite cache")
    args = parser.parse_args()
    from ultralytics import YOLO

    from gridpatrol.config import default_data_dir

    camera = CameraProfile()
    if args.square_pixels:
        camera = camera.model_copy(update={"sensor_height_mm": camera.sensor_width_mm * 1080 / 1920})
    t0 = time.perf_counter()
    bank = SpriteBank.load(cache_dir=args.cache)
    print(f"sprites: {len(bank.masked)} masked, {len(bank.unmasked)} unmasked ({time.perf_counter() - t0:.1f} s)")
    model = YOLO(str(default_data_dir() / "models" / "coco" / "yolo11n_int8_openvino_model"), task="detect")
    print(f"camera {camera.name}: fx={camera.focal_length_mm / camera.sensor_width_mm * 1920:.0f} px, "
          f"fy={camera.focal_length_mm / camera.sensor_height_mm * 1080:.0f} px")  # fmt: skip
    head = "| pitch | alt m | people | px tall (median) | full frame R@.5 | R@.3 | FP/frame | tiled R@.5 | R@.3 |"
    print(head + " FP/frame |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    render_s: list[float] = []
    infer_s: list[float] = []
    for pitch in (float(v) for v in args.pitches.split(",")):
        for alt in (float(v) for v in args.alts.split(",")):
            stats = {k: [0, 0, 0] for k in ("full", "tiled")}  # found@.5, found@.3, false
            total = 0
            heights: list[int] = []
            for seed in range(args.frames):
                slant = alt / abs(math.sin(math.radians(pitch)))
                spread = 0.3 * slant * camera.sensor_height_mm / camera.focal_length_mm
                groups, singles = (1, 3) if spread < 6 else (2, 6)
                scene = GroundScene.around([ORIGIN], groups=groups, singles=singles, seed=seed, spread_m=spread)
                renderer = CameraRenderer(camera, scene, sprites=bank)
                pose = look_at(scene.frame, tuple(scene.frame.to_local(*ORIGIN)), alt, pitch, heading=30.0 * seed)
                t = time.perf_counter()
                out = renderer.truth(pose)
                render_s.append(time.perf_counter() - t)
                w, h = camera.image_width_px, camera.image_height_px
                truth = {
                    pid: p.box for pid, p in out.people.items()
                    if p.visible >= 0.6 and p.box[0] > 0 and p.box[1] > 0 and p.box[2] < w and p.box[3] < h
                }  # fmt: skip
                total += len(truth)
                heights += [b[3] - b[1] for b in truth.values()]
                for mode, tile in (("full", None), ("tiled", 640)):
                    t = time.perf_counter()
                    dets = yolo_people(model, out.image, tile=tile)
                    if tile is None:
                        infer_s.append(time.perf_counter() - t)
                    found5, _ = match(truth, dets, 0.5)
                    found3, _ = match(truth, dets, 0.3)
                    # detections of people cut by the edge or hidden are not false: only unmatched to anyone
                    everyone = {pid: p.box for pid, p in out.people.items()}
                    _, false = match(everyone, dets, 0.3)
                    stats[mode][0] += len(found5)
                    stats[mode][1] += len(found3)
                    stats[mode][2] += len(false)
            med = sorted(heights)[len(heights) // 2] if heights else 0
            cells = []
            for mode in ("full", "tiled"):
                f5, f3, fp = stats[mode]
                cells += [f"{f5 / max(total, 1):.2f}", f"{f3 / max(total, 1):.2f}", f"{fp / args.frames:.1f}"]
            print(f"| {pitch:.0f} | {alt:.0f} | {total} | {med} | " + " | ".join(cells) + " |", flush=True)
    r, i = sum(render_s) / len(render_s), sum(infer_s) / len(infer_s)
    print(f"render {r * 1000:.0f} ms/frame = {r / i:.2f}x one whole-frame YOLO inference ({i * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
