"""Fine-tune the mask detector: ``python -m vision.train_masks --epochs 30``.

Reproduces ``vision/models/mask_yolo11n.pt``: writes the fixed split (``vision.mask_data``) into a run folder
outside the repository, fine-tunes YOLO from the recovered COCO checkpoint (training from scratch on 600 images is
far worse), copies the best weights (fp16, as ultralytics saves them) into ``vision/models/`` and prints the
validation metrics. On 2 CPU cores one epoch at imgsz 416 takes about two minutes; ``--hours`` bounds the run by
wall-clock time instead (ultralytics then re-plans the number of epochs and the learning-rate schedule after the
first epoch).
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from vision.data_dir import default_data_dir
from vision.mask_data import mask_dataset_dir, mask_split, write_split_files
from vision.masks import MODELS_DIR


def _threads(n: int) -> Callable[[object], None]:
    """An ultralytics callback that sets torch's CPU threads (ultralytics uses one by default here)."""

    def on_train_start(trainer: object) -> None:
        import torch

        torch.set_num_threads(n)

    return on_train_start


def train(
    *,
    base: str = "yolo11n",
    epochs: int = 30,
    hours: float | None = None,
    imgsz: int = 416,
    batch: int = 16,
    workers: int = 2,
    threads: int = 2,
    run_dir: Path = Path("/work/runs/masks"),
    name: str = "train",
    out: Path | None = None,
    data_dir: Path | None = None,
) -> Path:
    """Fine-tune and copy the best weights to ``out`` (default ``vision/models/mask_<base>.pt``); return that path.

    ``data_dir`` holds ``models/coco/`` and ``face_mask/`` (default: ``vision.data_dir.default_data_dir()``).
    """
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import torch
    from ultralytics.models import YOLO

    torch.set_num_threads(threads)
    data_dir = data_dir or default_data_dir()
    checkpoint = data_dir / "models" / "coco" / f"recovered_{base}.pt"
    if not checkpoint.exists():
        raise FileNotFoundError(f"base checkpoint {checkpoint} is missing; set GRIDPATROL_DATA_DIR (see PROVENANCE.md)")
    data = write_split_files(run_dir, mask_split(mask_dataset_dir(data_dir)))
    model = YOLO(str(checkpoint))
    model.add_callback("on_train_start", _threads(threads))
    extra: dict[str, float] = {"time": hours} if hours else {}
    model.train(
        data=str(data),
        epochs=epochs,
        imgsz=imgsz,
        batch=batch,
        workers=workers,
        device="cpu",
        project=str(run_dir),
        name=name,
        exist_ok=True,
        seed=0,
        deterministic=True,
        cache="ram",
        plots=False,
        patience=100,
        close_mosaic=5,
        **extra,
    )
    best = run_dir / name / "weights" / "best.pt"
    out = out or MODELS_DIR / f"mask_{base}.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)
    metrics = YOLO(str(out)).val(data=str(data), imgsz=imgsz, batch=batch, device="cpu", plots=False, workers=0)
    for i, cls_name in metrics.names.items():
        p, r, ap50, ap = metrics.box.class_result(list(metrics.box.ap_class_index).index(i))
        print(f"{cls_name:24s} P {p:.3f} R {r:.3f} mAP50 {ap50:.3f} mAP50-95 {ap:.3f}")
    print(f"weights: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: see ``--help``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--base", default="yolo11n", choices=["yolo11n", "yolov8n"], help="recovered COCO checkpoint")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hours", type=float, default=None, help="wall-clock budget; overrides --epochs")
    ap.add_argument("--imgsz", type=int, default=416)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--run-dir", type=Path, default=Path("/work/runs/masks"), help="outside the repository")
    ap.add_argument("--name", default="train")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--data-dir", type=Path, default=None, help="shared data (default: GRIDPATROL_DATA_DIR)")
    a = ap.parse_args(argv)
    train(
        base=a.base,
        epochs=a.epochs,
        hours=a.hours,
        imgsz=a.imgsz,
        batch=a.batch,
        workers=a.workers,
        threads=a.threads,
        run_dir=a.run_dir,
        name=a.name,
        out=a.out,
        data_dir=a.data_dir,
    )


if __name__ == "__main__":
    main()
