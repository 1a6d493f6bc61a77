"""Upper-garment crops cut from the face-mask photos, their hand labels, and contact sheets to label them by eye.

The photos stay in ``../shared/data/face_mask`` (they are not ours to commit); the repository keeps only
``vision/colour_labels/real.csv``: image name, crop box and the colour words a person wrote after looking at the
crop. The torso lies below a labelled face: from half a face height under the chin, about two face heights deep
and 2.2 face widths wide. Faces are taken when they are at least ``MIN_FACE_PX`` wide, the torso box lies in the
photo and no other face falls inside it (a crowd's torsos overlap).

Usage (the crops, numbered, in sheets of 20 under /tmp, and a label file with blank colours):
    python -m vision.garment_crops --sheets /tmp/colour-sheets --template /tmp/real-template.csv
"""

from __future__ import annotations

import argparse
import csv
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vision.data_dir import REPO_ROOT
from vision.mask_data import mask_dataset_dir

Box = tuple[int, int, int, int]
LABELS_CSV = REPO_ROOT / "vision" / "colour_labels" / "real.csv"
MIN_FACE_PX = 28
PER_IMAGE = 2
FIELDS = ("image", "x1", "y1", "x2", "y2", "upper", "lower")


@dataclass(frozen=True)
class CropLabel:
    """One labelled crop: photo file name, crop box in pixels, upper colour word (or ``unclear``), lower or ''."""

    image: str
    box: Box
    upper: str
    lower: str = ""


def torso_box(face: Sequence[float], width: int, height: int) -> Box | None:
    """The upper-garment box below a face ``(x1, y1, x2, y2)``, or ``None`` when less than 1.5 face heights fit."""
    x1, y1, x2, y2 = face
    fw, fh = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2
    top = y2 + 0.5 * fh
    bottom = min(float(height), y2 + 2.5 * fh)
    if bottom - top < 1.5 * fh:
        return None
    left, right = max(0.0, cx - 1.1 * fw), min(float(width), cx + 1.1 * fw)
    if right - left < 1.5 * fw:
        return None
    return round(left), round(top), round(right), round(bottom)


def faces_of(annotation: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and face boxes of a Pascal VOC annotation."""
    root = ET.parse(annotation).getroot()
    size = root.find("size")
    w = int(size.findtext("width", "0")) if size is not None else 0
    h = int(size.findtext("height", "0")) if size is not None else 0
    faces = []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        if bb is not None:
            faces.append(tuple(int(float(bb.findtext(k, "0"))) for k in ("xmin", "ymin", "xmax", "ymax")))
    return w, h, faces  # type: ignore[return-value]


def candidate_crops(root: Path | None = None, limit: int = 260) -> list[tuple[str, Box]]:
    """Torso boxes under the larger faces of the data set, in file-name order, at most ``PER_IMAGE`` per photo."""
    root = root or mask_dataset_dir()
    out: list[tuple[str, Box]] = []
    for ann in sorted((root / "annotations").glob("*.xml")):
        w, h, faces = faces_of(ann)
        taken = 0
        for face in sorted(faces, key=lambda f: f[0] - f[2]):  # largest first
            if face[2] - face[0] < MIN_FACE_PX or taken >= PER_IMAGE:
                continue
            box = torso_box(face, w, h)
            if box is None or any(_inside(other, box) for other in faces if other != face):
                continue
            out.append((f"{ann.stem}.jpg", box))
            taken += 1
        if len(out) >= limit:
            break
    return out


def _inside(face: Sequence[int], box: Box) -> bool:
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def read_image(path: Path) -> np.ndarray:
    """A photo as BGR; ``FileNotFoundError`` when it cannot be read."""
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return image


def cut(image: np.ndarray, box: Box) -> np.ndarray:
    """The pixels of ``box`` (BGR)."""
    x1, y1, x2, y2 = box
    return image[y1:y2, x1:x2]


def read_labels(path: Path = LABELS_CSV) -> list[CropLabel]:
    """The hand labels in ``path``."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            CropLabel(r["image"], (int(r["x1"]), int(r["y1"]), int(r["x2"]), int(r["y2"])), r["upper"], r["lower"])
            for r in csv.DictReader(f)
        ]


def contact_sheets(crops: Sequence[tuple[str, Box]], root: Path, out_dir: Path, per_sheet: int = 20) -> list[Path]:
    """PNG sheets of numbered crops (5 across, each scaled to 160x160) for labelling by eye."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sheets = []
    for start in range(0, len(crops), per_sheet):
        tiles = []
        for i, (name, box) in enumerate(crops[start : start + per_sheet], start):
            image = read_image(root / "images" / name)
            tile = cv2.resize(cut(image, box), (160, 160), interpolation=cv2.INTER_AREA)
            tile = cv2.copyMakeBorder(tile, 22, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255))
            cv2.putText(tile, str(i), (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
            tiles.append(tile)
        while len(tiles) % 5:
            tiles.append(np.full_like(tiles[0], 255))
        rows = [np.hstack(tiles[r : r + 5]) for r in range(0, len(tiles), 5)]
        path = out_dir / f"sheet_{start // per_sheet:02d}.png"
        cv2.imwrite(str(path), np.vstack(rows))
        sheets.append(path)
    return sheets


def main(argv: list[str] | None = None) -> None:
    """Write contact sheets and a label template for the candidate crops."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, default=Path("/tmp/colour-sheets"))
    parser.add_argument("--template", type=Path, default=Path("/tmp/real-template.csv"))
    parser.add_argument("--limit", type=int, default=260)
    args = parser.parse_args(argv)
    root = mask_dataset_dir()
    crops = candidate_crops(root, args.limit)
    with args.template.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows([name, *box, "", ""] for name, box in crops)
    for sheet in contact_sheets(crops, root, args.sheets):
        print(sheet)
    print(f"{len(crops)} crops -> {args.template}")


if __name__ == "__main__":
    main()
