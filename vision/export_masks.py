"""Export the mask model to OpenVINO INT8: ``python -m vision.export_masks``.

Reproduces ``vision/models/mask_yolo11n_int8_openvino_model/`` (the model ``MaskChecker`` loads by default) from
``vision/models/mask_yolo11n.pt``. INT8 calibration (nncf, through ultralytics) uses half of the *training* images
of the fixed split, never the validation images the figures are measured on. Dynamic batch, so one call checks all
the head crops of a frame. Needs ``pip install nncf`` (export time only); takes about 25 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from vision.mask_data import label_cache_left_as_is, mask_split, write_split_files
from vision.masks import DEFAULT_IMGSZ, TRAINED_WEIGHTS


def export(weights: Path = TRAINED_WEIGHTS, *, imgsz: int = DEFAULT_IMGSZ, fraction: float = 0.5) -> Path:
    """Export ``weights`` to an OpenVINO INT8 folder beside them and return its path."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from ultralytics.models import YOLO

    split = mask_split()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = write_split_files(work, split)
        data.write_text(data.read_text().replace("val: val.txt", "val: train.txt"))  # calibrate on training images
        shutil.copy(weights, work / weights.name)
        with label_cache_left_as_is(split):
            out = Path(
                YOLO(str(work / weights.name)).export(
                    format="openvino", imgsz=imgsz, int8=True, dynamic=True, data=str(data), fraction=fraction
                )
            )
        meta = out / "metadata.yaml"
        meta.write_text(meta.read_text().replace(str(work), "<temporary export folder>"))
        dest = weights.parent / out.name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(out, dest)
    return dest


def main(argv: list[str] | None = None) -> None:
    """Command line: see ``--help``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--weights", type=Path, default=TRAINED_WEIGHTS)
    ap.add_argument("--imgsz", type=int, default=DEFAULT_IMGSZ)
    ap.add_argument("--fraction", type=float, default=0.5, help="share of the training images used to calibrate")
    a = ap.parse_args(argv)
    print(f"written {export(a.weights, imgsz=a.imgsz, fraction=a.fraction)}")


if __name__ == "__main__":
    main()
