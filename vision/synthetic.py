"""Aerial-like test frames: small people pasted onto a large textured background, with their true boxes.

Real drone footage cannot be shipped with the project, so tests and benchmarks build frames like it: the three
standing people of ultralytics' ``bus.jpg`` (full-body crops) are shrunk to the height a person has from drone
altitude and pasted at random places onto pavement-like noise. Ground truth is exact, so recall can be measured.

Example:
    >>> image, boxes = aerial_scene(n_people=8, person_px=36, seed=1)
    >>> image.shape, boxes.shape
    ((1080, 1920, 3), (8, 4))
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

# Full-body people in ultralytics' bus.jpg (x1, y1, x2, y2), as found by YOLO11n there.
BUS_PEOPLE = ((48, 397, 242, 904), (221, 405, 346, 860), (670, 392, 810, 880))


def assets_dir() -> Path:
    """Where ultralytics keeps its sample images (bus.jpg, zidane.jpg)."""
    from ultralytics.utils import ASSETS

    return Path(ASSETS)


def person_crops() -> list[np.ndarray]:
    """The standing people of bus.jpg as BGR crops."""
    bus = cv2.imread(str(assets_dir() / "bus.jpg"))
    if bus is None:
        raise FileNotFoundError(f"bus.jpg is missing from {assets_dir()}; reinstall ultralytics")
    return [bus[y1:y2, x1:x2].copy() for x1, y1, x2, y2 in BUS_PEOPLE]


def background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Grey pavement-like noise with a few darker stripes (kerbs, road markings)."""
    base = rng.normal(120, 18, (height // 8 + 1, width // 8 + 1, 3)).clip(0, 255).astype(np.uint8)
    image = cv2.resize(base, (width, height), interpolation=cv2.INTER_LINEAR)
    noise = rng.normal(0, 6, image.shape)
    image = (image + noise).clip(0, 255).astype(np.uint8)
    for _ in range(4):
        y = int(rng.integers(0, height))
        cv2.line(image, (0, y), (width, y + int(rng.integers(-200, 200))), (70, 70, 70), int(rng.integers(4, 14)))
    return image


def aerial_scene(
    n_people: int = 10, person_px: float = 36.0, width: int = 1920, height: int = 1080, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A frame with ``n_people`` non-overlapping people about ``person_px`` tall and their boxes (N, 4)."""
    rng = np.random.default_rng(seed)
    image = background(width, height, rng)
    crops = person_crops()
    boxes: list[tuple[int, int, int, int]] = []
    tries = 0
    while len(boxes) < n_people and tries < 10_000:
        tries += 1
        crop = crops[int(rng.integers(len(crops)))]
        h = max(4, round(person_px * float(rng.uniform(0.9, 1.1))))
        w = max(2, round(crop.shape[1] * h / crop.shape[0]))
        x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
        box = (x, y, x + w, y + h)
        if any(x < b[2] + 8 and b[0] < x + w + 8 and y < b[3] + 8 and b[1] < y + h + 8 for b in boxes):
            continue
        image[y : y + h, x : x + w] = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
        boxes.append(box)
    return image, np.array(boxes, dtype=float).reshape(-1, 4)


def recall(found: np.ndarray, truth: np.ndarray, iou: float = 0.3) -> float:
    """Share of true boxes matched (greedy, IoU at least ``iou``) by a found box."""
    if len(truth) == 0:
        return 1.0
    used: set[int] = set()
    hits = 0
    for t in truth:
        best, best_iou = -1, iou
        for j, f in enumerate(found):
            if j in used:
                continue
            ix = max(0.0, min(t[2], f[2]) - max(t[0], f[0]))
            iy = max(0.0, min(t[3], f[3]) - max(t[1], f[1]))
            inter = ix * iy
            union = (t[2] - t[0]) * (t[3] - t[1]) + (f[2] - f[0]) * (f[3] - f[1]) - inter
            if union > 0 and inter / union >= best_iou:
                best, best_iou = j, inter / union
        if best >= 0:
            used.add(best)
            hits += 1
    return hits / len(truth)
