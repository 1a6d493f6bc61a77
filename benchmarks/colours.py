"""Garment colour accuracy on hand-labelled crops: ``python benchmarks/colours.py [--json out.json]``.

Real crops: the boxes in ``vision/colour_labels/real.csv`` cut from ``../shared/data/face_mask`` (labels written
by looking at each crop; ``unclear`` ones left out). Simulated crops: ``vision/colour_labels/sim.csv``, sprites of
``sim.sprites`` rendered with known garment colours (see ``vision.garment_sim``). Accuracy counts a crop right when
the namer's word equals the label; ``unknown`` answers are counted apart (coverage) and as wrong in ``accuracy``,
and ``accuracy_named`` is the share right among the named ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from incidents.colours import COLOURS
from vision.garment_colour import name_colour
from vision.garment_crops import LABELS_CSV, cut, read_image, read_labels
from vision.mask_data import mask_dataset_dir


def score(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, coverage and per-colour confusion of (label, answer) pairs."""
    n = len(pairs)
    right = sum(1 for t, p in pairs if t == p)
    named = [(t, p) for t, p in pairs if p != "unknown"]
    confusion: dict[str, dict[str, int]] = {}
    for t, p in pairs:
        confusion.setdefault(t, Counter())[p] += 1
    return {
        "crops": n,
        "accuracy": round(right / n, 3) if n else None,
        "coverage": round(len(named) / n, 3) if n else None,
        "accuracy_named": round(right / len(named), 3) if named else None,
        "confusion": {t: dict(c) for t, c in sorted(confusion.items())},
    }


def real_pairs(labels: Path = LABELS_CSV) -> list[tuple[str, str]]:
    """(label, answer) for every labelled real crop that is not ``unclear``."""
    root = mask_dataset_dir() / "images"
    pairs: list[tuple[str, str]] = []
    for lab in read_labels(labels):
        if lab.upper not in COLOURS:
            continue
        pairs.append((lab.upper, name_colour(cut(read_image(root / lab.image), lab.box)).colour))
    return pairs


def _print(name: str, result: dict[str, Any]) -> None:
    print(
        f"{name}: {result['crops']} crops, accuracy {result['accuracy']}, named {result['coverage']}, "
        f"accuracy when named {result['accuracy_named']}"
    )
    for label, row in result["confusion"].items():
        print(f"  {label:7s} " + ", ".join(f"{p} {n}" for p, n in sorted(row.items(), key=lambda kv: -kv[1])))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    out: dict[str, Any] = {}
    start = time.perf_counter()
    pairs = real_pairs()
    out["real"] = score(pairs)
    out["real"]["ms_per_crop"] = round(1000 * (time.perf_counter() - start) / max(1, len(pairs)), 1)
    _print("real", out["real"])
    try:
        from vision.garment_sim import sim_pairs
    except ImportError:
        pass
    else:
        out["sim"] = score(sim_pairs())
        _print("sim", out["sim"])
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
