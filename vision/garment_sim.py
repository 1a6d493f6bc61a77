"""Simulated torso crops with known garment colours: the second labelled set for the colour namer.

Why not the simulator's sprites: they are people cut out of real photos (``sim.sprites``), so their garment colours
are as unknown as the photos'. Here a torso crop is drawn from a known cloth colour instead: a prototype shade of
the colour word (sRGB, :data:`SHADES`), lit by a random gain and colour cast, shaded top to bottom, creased by
noise, with a skin-coloured hand on it, background at the sides, sensor noise and JPEG compression. The rows of
``vision/colour_labels/sim.csv`` (seed, word, shade, light) regenerate each crop exactly.

Example:
    >>> crop = render_crop(SimCrop(seed=3, colour="red", rgb=(200, 30, 30), gain=1.0))
    >>> crop.shape
    (96, 80, 3)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vision.data_dir import REPO_ROOT
from vision.garment_colour import name_colour

SIM_CSV = REPO_ROOT / "vision" / "colour_labels" / "sim.csv"
SHADES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "black": ((20, 20, 20), (35, 30, 30), (12, 12, 18)),
    "white": ((245, 245, 245), (232, 232, 226), (250, 247, 240)),
    "grey": ((128, 128, 128), (105, 105, 110), (160, 160, 158)),
    "red": ((200, 30, 30), (165, 20, 30), (220, 50, 40)),
    "orange": ((240, 130, 30), (230, 110, 20), (250, 150, 50)),
    "yellow": ((240, 220, 40), (250, 230, 80), (230, 200, 20)),
    "green": ((40, 150, 60), (30, 110, 40), (80, 170, 80)),
    "blue": ((30, 70, 180), (20, 40, 120), (60, 120, 210)),
    "purple": ((110, 40, 140), (130, 60, 160), (90, 30, 110)),
    "pink": ((240, 150, 180), (230, 120, 160), (250, 180, 200)),
    "brown": ((120, 70, 30), (100, 60, 35), (140, 90, 50)),
}
"""Prototype cloth colours (sRGB) of each basic colour word."""
_SKIN = (205, 160, 130)


@dataclass(frozen=True)
class SimCrop:
    """How to draw one crop: random seed, colour word, cloth sRGB and illumination gain."""

    seed: int
    colour: str
    rgb: tuple[int, int, int]
    gain: float


def plan(per_colour: int = 12, seed: int = 16) -> list[SimCrop]:
    """``per_colour`` crops for each colour word: its shades in turn, gains drawn in 0.75..1.15."""
    rng = np.random.default_rng(seed)
    rows: list[SimCrop] = []
    for colour, shades in SHADES.items():
        for i in range(per_colour):
            rows.append(SimCrop(len(rows), colour, shades[i % len(shades)], round(float(rng.uniform(0.75, 1.15)), 3)))
    return rows


def render_crop(spec: SimCrop, size: tuple[int, int] = (80, 96)) -> np.ndarray:
    """The BGR torso crop of ``spec`` (width, height = ``size``)."""
    rng = np.random.default_rng(spec.seed)
    w, h = size
    cast = 1 + rng.uniform(-0.05, 0.05, 3)
    cloth = np.array(spec.rgb[::-1], np.float32) * spec.gain * cast
    shade = np.linspace(1.08, 0.82, h, dtype=np.float32)[:, None, None]
    creases = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 4)[..., None]
    image = cloth * shade * (1 + 0.6 * creases / (np.abs(creases).max() + 1e-6) * 0.15)
    side = int(w * rng.uniform(0.05, 0.14))
    image[:, :side] = rng.uniform(40, 220, 3)
    image[:, w - side :] = rng.uniform(40, 220, 3)
    hand = np.zeros((h, w), np.uint8)
    centre = (int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.5, 0.9) * h))
    cv2.ellipse(hand, centre, (int(0.12 * w), int(0.08 * h)), float(rng.uniform(0, 180)), 0, 360, 255, -1)
    image[hand > 0] = np.array(_SKIN[::-1], np.float32) * spec.gain
    image += rng.normal(0, 4, image.shape)
    ok, buf = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("OpenCV could not round-trip a JPEG")
    return decoded


def write_plan(path: Path = SIM_CSV, rows: list[SimCrop] | None = None) -> Path:
    """Write the simulated set's labels (one row per crop) to ``path``."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("seed", "colour", "r", "g", "b", "gain"))
        writer.writerows((r.seed, r.colour, *r.rgb, r.gain) for r in rows or plan())
    return path


def read_plan(path: Path = SIM_CSV) -> list[SimCrop]:
    """The simulated set's rows."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            SimCrop(int(r["seed"]), r["colour"], (int(r["r"]), int(r["g"]), int(r["b"])), float(r["gain"]))
            for r in csv.DictReader(f)
        ]


def sim_pairs(path: Path = SIM_CSV) -> list[tuple[str, str]]:
    """(label, namer's answer) for every simulated crop."""
    return [(spec.colour, name_colour(render_crop(spec)).colour) for spec in read_plan(path)]


if __name__ == "__main__":
    print(write_plan())
