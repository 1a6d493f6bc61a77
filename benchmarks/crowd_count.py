"""Benchmark: how many people the crowd stage counts in a dense group, against the truth, per group size and altitude.

Each case renders one dense group (``sim.scene``'s layout: every person 0.8-1.2 m from a neighbour, never closer
than 0.7 m) of 5-30 people with real person sprites (``sim.camera``), seen obliquely (gimbal -45 deg, random
heading) from 20-60 m, and runs the real :class:`vision.pipeline.Pipeline` on it (default detector settings,
automatic tiling). The count is that of the largest crowd the crowd stage reports in the frame (0 when none
reaches the crowd rule). Methods, in the same run on the same frames:

* ``current``: frame-wide detections only (``[vision.crowd] recount = false``), what the station did before;
* ``zoom``: the group recounted in its own region, zoomed (``vision.crowd_count``), at the frame's threshold 0.25;
* ``zoom+conf .15`` (the default) and ``zoom+conf .10``: the same at a lower threshold inside the group.

The crowd rule is 5 people within 2 m (``max_spacing_m=2``): the sim's groups chain neighbours up to 1.2 m apart
and ground positions carry geolocation error, so the default 1 m splits even perfectly detected groups.

Usage: ``python benchmarks/crowd_count.py [--seeds 2] [--sizes 5 10 20 30] [--alts 20 40 60]``
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

import numpy as np  # noqa: E402

from gridpatrol.config import default_data_dir  # noqa: E402
from mission_planner.profiles import CameraProfile  # noqa: E402
from sim.camera import CameraRenderer, look_at  # noqa: E402
from sim.scene import GroundScene, _group_layout  # noqa: E402
from sim.sprites import SpriteBank  # noqa: E402
from vision.config import CrowdConfig, DetectorConfig, MaskStageConfig, VisionConfig  # noqa: E402
from vision.detector import PersonDetector  # noqa: E402
from vision.pipeline import Pipeline  # noqa: E402

ORIGIN = (114.2950, 30.5440)
METHODS: dict[str, dict[str, object]] = {
    "current": {"recount": False},
    "zoom": {"recount_conf": 0.25},
    "zoom+conf .15": {"recount_conf": 0.15},
    "zoom+conf .10": {"recount_conf": 0.10},
}


def crowd_count(pipe: Pipeline, image: np.ndarray, pose: object) -> int:
    """The largest crowd the pipeline reports in this frame (0 if none)."""
    result = pipe.process(image, 0.0, pose)  # type: ignore[arg-type]
    return max((c.count for c in result.crowds), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=2, help="groups per size and altitude")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 30])
    parser.add_argument("--alts", type=float, nargs="+", default=[20.0, 40.0, 60.0])
    parser.add_argument("--pitch", type=float, default=-45.0, help="gimbal pitch, degrees")
    args = parser.parse_args()
    cache = ROOT / ".pytest_cache" / "d" / "gridpatrol-sprites"
    bank = SpriteBank.load(cache_dir=cache, want=6)
    det = PersonDetector(DetectorConfig(), default_data_dir())
    det.warmup()
    profile = CameraProfile()
    crowd = CrowdConfig(max_spacing_m=2.0, min_duration_s=0.0)
    masks_off = MaskStageConfig(enabled=False)
    counts: dict[str, dict[tuple[float, int], list[int]]] = {m: {} for m in METHODS}
    seconds: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    frames = 0
    for alt in args.alts:
        for n in args.sizes:
            for seed in range(args.seeds):
                rng = np.random.default_rng(1000 * seed + 10 * n + int(alt))
                scene = GroundScene.at_local(ORIGIN, _group_layout(rng, (0.0, 0.0), n), group="g0")
                pose = look_at(scene.frame, (0.0, 0.0), alt, args.pitch, heading=float(rng.uniform(0, 360)))
                image = CameraRenderer(profile, scene, sprites=bank).render(pose)
                frames += 1
                for method, update in METHODS.items():
                    cfg = VisionConfig(crowd=crowd.model_copy(update=update), masks=masks_off)
                    pipe = Pipeline(cfg, profile, detector=det)
                    start = time.perf_counter()
                    counts[method].setdefault((alt, n), []).append(crowd_count(pipe, image, pose))
                    seconds[method] += time.perf_counter() - start
    print(
        f"dense groups, gimbal {args.pitch:.0f} deg, {args.seeds} group(s) per cell, 1920x1080, "
        f"crowd rule 5 within 2 m; count = largest crowd reported (0: none)\n"
    )
    names = list(METHODS)
    print("| altitude m | people | " + " | ".join(f"{m} count (error)" for m in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for alt in args.alts:
        for n in args.sizes:
            cells = []
            for m in names:
                c = np.array(counts[m][(alt, n)], dtype=float)
                cells.append(f"{c.mean():.1f} ({(c.mean() - n) / n:+.0%})")
            print(f"| {alt:.0f} | {n} | " + " | ".join(cells) + " |")
    print("\n| method | mean abs count error | groups within 20 % | s / frame |\n|---|---|---|---|")
    for m in names:
        errs = np.array([abs(c - n) / n for (alt, n), cs in counts[m].items() for c in cs])
        print(f"| {m} | {errs.mean():.0%} | {(errs <= 0.2).mean():.0%} | {seconds[m] / frames:.2f} |")


if __name__ == "__main__":
    main()
