"""Person sprites cut out of real photographs, for the simulated camera to paste into its frames.

Sources (all offline): the street photos of the face-mask dataset (``<data>/face_mask``, people with and without
masks, face boxes in ``annotations/``) and ultralytics' bundled ``bus.jpg``. People are found at run time with the
COCO YOLO detector (``<data>/models/coco/yolo11n_int8_openvino_model``); only whole, upright, unoccluded people
are kept (box at least 2x as tall as wide and 120 px tall, clear of the photo's edges and of other people), and each
is cut out with OpenCV's grabCut inside its box. A sprite's mask flag comes from the dataset's face box inside the
top third of the person (``with_mask`` / ``without_mask``); bus.jpg's passengers wear none.

Sprites are kept in memory, and optionally in a cache folder (PNG with alpha, under the station's state directory
or a test's temporary folder, never in the repository), so the detector runs once.

Example:
    >>> bank = SpriteBank.load(want=8)  # doctest: +SKIP
    >>> len(bank.masked) > 0 and len(bank.unmasked) > 0  # doctest: +SKIP
    True
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

MIN_ASPECT = 1.8
MIN_HEIGHT_PX = 100


@dataclass(frozen=True)
class Sprite:
    """One person cut out of a photo.

    Attributes:
        bgr: the pixels (H, W, 3) uint8, cropped to the person.
        alpha: coverage (H, W) float32 0..1 (1 = person).
        masked: whether the person wears a face mask.
        source: photo file name and box, for provenance.
    """

    bgr: np.ndarray
    alpha: np.ndarray
    masked: bool
    source: str


class SpriteBank:
    """The sprites, split by mask flag; pick one per person deterministically."""

    def __init__(self, sprites: list[Sprite]) -> None:
        self.sprites = sprites
        self.masked = [s for s in sprites if s.masked]
        self.unmasked = [s for s in sprites if not s.masked]
        if not self.masked or not self.unmasked:
            raise ValueError(
                f"need sprites with and without masks, got {len(self.masked)} and {len(self.unmasked)}; "
                "is the face-mask dataset complete?"
            )

    def pick(self, key: str, masked: bool) -> Sprite:
        """The sprite for ``key`` (a person id) with this mask flag; the same key always gets the same one."""
        pool = self.masked if masked else self.unmasked
        h = int.from_bytes(key.encode("utf-8").ljust(8, b"\0")[:8], "little") ^ (len(key) * 0x9E3779B97F4A7C15)
        return pool[(h * 0x2545F4914F6CDD1D % (1 << 64)) % len(pool)]

    @classmethod
    def load(
        cls,
        data_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        want: int = 16,
    ) -> SpriteBank:
        """Sprites from the cache folder if it holds them, else cut from the photos (and cached there).

        Args:
            data_dir: shared models and data (default: ``vision.data_dir.default_data_dir()``).
            cache_dir: where to keep the cut-out sprites between runs (None: memory only); the folder is locked while
                it is read or filled, so processes loading at once cut the sprites once.
            want: how many sprites with and how many without masks to cut (fewer if the photos run out).

        Raises:
            FileNotFoundError: the detector or the dataset is missing (names the path).
        """
        if cache_dir is None:
            return cls(cut_sprites(data_dir, want=want))
        cache_dir.mkdir(parents=True, exist_ok=True)
        # one cut per folder: the station's analysis processes (one per drone) and parallel test workers load at
        # once, and each used to cut the same sprites (30 s of both cores each) and could read a half-written index
        with open(cache_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            cached = _read_cache(cache_dir, want)
            if cached:
                return cls(cached)
            sprites = cut_sprites(data_dir, want=want)
            _write_cache(cache_dir, want, sprites)
        return cls(sprites)


def _photos(data_dir: Path) -> list[tuple[Path, list[tuple[str, tuple[int, int, int, int]]]]]:
    """The photos worth scanning, best first, with their face boxes (label, x0, y0, x1, y1).

    Close-ups are skipped without running the detector: a photo is kept when it has a face smaller than 10 % of
    its height in its upper 70 % (someone standing further away, likely whole). Photos with unmasked faces come
    first (they are the rarer kind in the dataset), then those with the most such faces.
    """
    from ultralytics.utils import ASSETS

    ann = data_dir / "face_mask" / "annotations"
    images = data_dir / "face_mask" / "images"
    if not images.is_dir():
        raise FileNotFoundError(f"face-mask photos not found at {images}; set GRIDPATROL_DATA_DIR to shared/data")
    ranked: list[tuple[tuple[int, int, str], Path, list[tuple[str, tuple[int, int, int, int]]]]] = []
    for xml in sorted(ann.glob("*.xml")):
        root = ET.parse(xml).getroot()
        img = images / (root.findtext("filename") or f"{xml.stem}.jpg")
        height = int(root.findtext("size/height") or 0)
        faces = []
        for obj in root.iter("object"):
            box = obj.find("bndbox")
            if box is None:
                continue
            c = [int(float(box.findtext(k) or 0)) for k in ("xmin", "ymin", "xmax", "ymax")]
            faces.append((obj.findtext("name") or "", (c[0], c[1], c[2], c[3])))
        small = [f for f in faces if f[1][3] - f[1][1] < 0.1 * height and f[1][3] < 0.7 * height]
        if small and img.is_file():
            unmasked = sum(1 for label, _ in small if label == "without_mask")
            ranked.append(((-min(unmasked, 1), -len(small), img.name), img, faces))
    ranked.sort(key=lambda r: r[0])
    return [(Path(ASSETS) / "bus.jpg", [])] + [(img, faces) for _, img, faces in ranked]


def cut_sprites(data_dir: Path | None = None, *, want: int = 16, max_images: int = 200) -> list[Sprite]:
    """Detect whole people in the photos with YOLO and cut each out with grabCut (~0.2 s per photo).

    Stops once ``want`` sprites with and ``want`` without masks are cut, or after ``max_images`` photos.
    """
    from ultralytics import YOLO

    from vision.data_dir import default_data_dir

    os.environ.setdefault("YOLO_OFFLINE", "1")
    data_dir = data_dir or default_data_dir()
    model_dir = data_dir / "models" / "coco" / "yolo11n_int8_openvino_model"
    if not model_dir.is_dir():
        raise FileNotFoundError(f"COCO detector not found at {model_dir}; set GRIDPATROL_DATA_DIR to shared/data")
    model = YOLO(str(model_dir), task="detect")
    sprites: list[Sprite] = []
    scanned = 0
    for path, faces in _photos(data_dir)[:max_images]:
        n_masked = sum(s.masked for s in sprites)
        if n_masked >= want and len(sprites) - n_masked >= want:
            break
        image = cv2.imread(str(path))
        if image is None:
            continue
        scanned += 1
        result: Any = model.predict(image, classes=[0], conf=0.45, verbose=False)[0]  # type: ignore[index]
        boxes = result.boxes.xyxy.cpu().numpy() if result.boxes is not None else np.zeros((0, 4))
        for i, box in enumerate(boxes):
            if not _whole_person(box, boxes, i, image.shape):
                continue
            masked = _mask_flag(box, faces, path.name)
            if masked is None:
                continue
            cut = _grabcut(image, box)
            if cut is not None:
                x0, y0, x1, y1 = (int(v) for v in box)
                sprites.append(Sprite(cut[0], cut[1], masked, f"{path.name}[{x0},{y0},{x1},{y1}]"))
    log.info("cut %d person sprites from %d photos", len(sprites), scanned)
    return sprites


def _whole_person(box: np.ndarray, boxes: np.ndarray, index: int, shape: tuple[int, ...]) -> bool:
    """Tall, big, clear of the photo's edges and not overlapped much by another person."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if h < MIN_HEIGHT_PX or h < MIN_ASPECT * w or x0 <= 2 or y0 <= 2 or x1 >= shape[1] - 2:
        return False
    for j, other in enumerate(boxes):
        if j == index:
            continue
        ix = max(0.0, min(x1, other[2]) - max(x0, other[0]))
        iy = max(0.0, min(y1, other[3]) - max(y0, other[1]))
        if ix * iy > 0.25 * w * h:
            return False
    return True


def _mask_flag(box: np.ndarray, faces: list[tuple[str, tuple[int, int, int, int]]], name: str) -> bool | None:
    """True/False from a face box in the person's top third; None if there is none (or it is worn wrongly)."""
    if name == "bus.jpg":
        return False
    x0, y0, x1, y1 = box
    for label, (fx0, fy0, fx1, fy1) in faces:
        cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y0 + (y1 - y0) / 3:
            # without_mask, or mask_weared_incorrect: a mask worn below the nose counts as none
            return label == "with_mask"
    return None


def _grabcut(image: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The person in ``box`` cut out: (bgr crop, alpha), or None when grabCut finds too little of them."""
    h_img, w_img = image.shape[:2]
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    mx, my = max(4, (x1 - x0) // 6), max(4, (y1 - y0) // 12)
    cx0, cy0, cx1, cy1 = max(0, x0 - mx), max(0, y0 - my), min(w_img, x1 + mx), min(h_img, y1 + my)
    crop = np.ascontiguousarray(image[cy0:cy1, cx0:cx1])
    mask = np.zeros(crop.shape[:2], np.uint8)
    rect = (x0 - cx0, y0 - cy0, x1 - x0, y1 - y0)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(crop, mask, rect, bgd, fgd, 4, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg)
    if n < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    fg = (labels == biggest).astype(np.uint8)
    if fg.sum() < 0.2 * (x1 - x0) * (y1 - y0):
        return None
    ys, xs = np.nonzero(fg)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if bottom - top < 0.75 * (y1 - y0) or top + cy0 - y0 > 0.08 * (y1 - y0):  # grabCut lost the head or legs
        return None
    alpha = cv2.GaussianBlur(fg.astype(np.float32), (3, 3), 0)[top:bottom, left:right]
    return np.ascontiguousarray(crop[top:bottom, left:right]), np.ascontiguousarray(alpha)


def _read_cache(cache_dir: Path, want: int) -> list[Sprite]:
    index = cache_dir / "sprites.json"
    if not index.is_file():
        return []
    meta = json.loads(index.read_text())
    if meta.get("want") != want:
        return []
    sprites = []
    for entry in meta["sprites"]:
        rgba = cv2.imread(str(cache_dir / entry["file"]), cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
            return []
        alpha = rgba[:, :, 3].astype(np.float32) / 255.0
        sprites.append(Sprite(np.ascontiguousarray(rgba[:, :, :3]), alpha, bool(entry["masked"]), entry["source"]))
    return sprites


def _write_cache(cache_dir: Path, want: int, sprites: list[Sprite]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, s in enumerate(sprites):
        name = f"sprite-{i:03d}.png"
        rgba = np.dstack([s.bgr, np.round(s.alpha * 255).astype(np.uint8)])
        cv2.imwrite(str(cache_dir / name), rgba)
        entries.append({"file": name, "masked": s.masked, "source": s.source})
    (cache_dir / "sprites.json").write_text(json.dumps({"want": want, "sprites": entries}))
