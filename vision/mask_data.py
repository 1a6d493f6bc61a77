"""The face-mask data set and its fixed train/validation split.

The split is by image, seeded and computed from the sorted file names, so training, evaluation and tests all see
the same validation images without copying any data into the repository. Ultralytics reads the split as two text
files of image paths (labels are found by replacing ``images/`` with ``labels/``).

Example:
    >>> split = mask_split(Path("/data/face_mask"))  # doctest: +SKIP
    >>> len(split.val) > 0  # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vision.data_dir import default_data_dir

MASK_CLASSES: tuple[str, str, str] = ("with_mask", "without_mask", "mask_weared_incorrect")
SPLIT_SEED = 20260
VAL_FRACTION = 0.15


def mask_dataset_dir(data_dir: Path | None = None) -> Path:
    """The face-mask data set: ``<data_dir>/face_mask`` (default data dir: ``vision.data_dir.default_data_dir()``)."""
    return (data_dir or default_data_dir()) / "face_mask"


@dataclass(frozen=True)
class MaskSplit:
    """Image paths of the training and validation parts, each sorted by name."""

    train: tuple[Path, ...]
    val: tuple[Path, ...]


def mask_split(root: Path | None = None, *, seed: int = SPLIT_SEED, val_fraction: float = VAL_FRACTION) -> MaskSplit:
    """Split the data set's images into train and validation, deterministically.

    Args:
        root: the data set folder (with ``images/`` and ``labels/``); default ``mask_dataset_dir()``.
        seed: shuffling seed; the default is the split the committed model was trained on.
        val_fraction: share of images for validation.

    Raises:
        FileNotFoundError: when the folder has no ``images/*.jpg``, naming the folder and the setting to fix.
    """
    root = root or mask_dataset_dir()
    images = sorted((root / "images").glob("*.jpg"))
    if not images:
        raise FileNotFoundError(
            f"no face-mask images in {root / 'images'}; set GRIDPATROL_DATA_DIR to the folder holding face_mask/"
        )
    order = list(images)
    random.Random(seed).shuffle(order)
    n_val = round(len(order) * val_fraction)
    return MaskSplit(train=tuple(sorted(order[n_val:])), val=tuple(sorted(order[:n_val])))


def label_path(image: Path) -> Path:
    """The YOLO label file of an image of the data set (``images/x.jpg`` -> ``labels/x.txt``)."""
    return image.parent.parent / "labels" / f"{image.stem}.txt"


def read_labels(image: Path, width: int, height: int) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Ground-truth faces of an image as ``(class id, xyxy in pixels)``; an image without a label file has none."""
    path = label_path(image)
    if not path.exists():
        return []
    faces = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue
        cls, cx, cy, w, h = int(parts[0]), *(float(p) for p in parts[1:])
        faces.append((cls, ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)))
    return faces


def write_split_files(run_dir: Path, split: MaskSplit) -> Path:
    """Write ``train.txt``, ``val.txt`` and an ultralytics ``data.yaml`` into ``run_dir``; return the yaml path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.txt").write_text("".join(f"{p.resolve()}\n" for p in split.train))
    (run_dir / "val.txt").write_text("".join(f"{p.resolve()}\n" for p in split.val))
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(MASK_CLASSES))
    yaml = run_dir / "data.yaml"
    yaml.write_text(f"path: {run_dir.resolve()}\ntrain: train.txt\nval: val.txt\nnames:\n{names}")
    return yaml


@contextlib.contextmanager
def label_cache_left_as_is(split: MaskSplit) -> Iterator[None]:
    """Remove the ``labels.cache`` ultralytics writes beside the shared data set, unless it was there before."""
    cache = split.train[0].parent.parent / "labels.cache"
    had_cache = cache.exists()
    try:
        yield
    finally:
        if not had_cache:
            cache.unlink(missing_ok=True)
