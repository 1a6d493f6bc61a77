"""Which models the vision pipeline uses, where they come from, and how to obtain them on a fresh machine.

A clean clone has the mask model (committed under ``vision/models/``) but no person detector: the COCO detector
lives in the data directory (``<data>/models/coco/yolo11n_int8_openvino_model`` by default). :func:`models_in_use`
lists both with path, source, licence and whether the file is there. :func:`fetch_detector` obtains the official
Ultralytics COCO weights through ultralytics' own downloader (``attempt_download_asset``, the same call
``YOLO("yolo11n.pt")`` makes) and :func:`export_openvino` turns them into the OpenVINO folder the station loads,
INT8-calibrated on images that ship inside the ultralytics package (``bus.jpg``, ``zidane.jpg``) plus aerial-like
frames built from them (:mod:`vision.synthetic`), so nothing but the weights is downloaded.

Without internet :func:`fetch_detector` raises :class:`FetchError` whose message names the files and folders to
put in place by hand (:func:`manual_instructions`).

Example:
    >>> from vision.config import VisionConfig
    >>> [m.role for m in models_in_use(VisionConfig(), Path("/nonexistent"))]
    ['person detector', 'mask model']
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2

from vision.config import VisionConfig

COCO_DIR = Path("models/coco")
OFFICIAL = ("yolo11n", "yolov8n")  # official COCO detectors the station is set up for (nano: CPU patrol speed)
LICENCE = "AGPL-3.0 (Ultralytics)"
CALIBRATION_AERIAL = ((30.0, 11), (45.0, 12), (60.0, 13), (90.0, 14))  # (person px, seed) of synthetic frames


class FetchError(RuntimeError):
    """The weights could not be obtained or exported; the message says what to do instead."""


@dataclass(frozen=True)
class ModelInfo:
    """One model the pipeline loads.

    Attributes:
        role: what it is for ("person detector", "mask model").
        path: where the station looks for it.
        present: whether that file or folder exists.
        source: where it comes from (read from the export's metadata when present).
        licence: the licence of the weights.
    """

    role: str
    path: Path
    present: bool
    source: str
    licence: str


def output_name(name: str, int8: bool = True) -> str:
    """The folder ultralytics writes when exporting ``<name>.pt`` to OpenVINO (and the station expects)."""
    return f"{name}_{'int8_' if int8 else ''}openvino_model"


def _metadata(folder: Path) -> dict[str, str]:
    """``description`` and ``license`` of an ultralytics export's metadata.yaml (empty when absent)."""
    meta = folder / "metadata.yaml"
    out: dict[str, str] = {}
    if meta.is_file():
        for line in meta.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key in ("description", "license", "version", "date"):
                out[key] = value.strip().strip("'\"")
    return out


def _describe(path: Path, source: str, licence: str) -> tuple[str, str]:
    """``source`` with what the export's metadata says about it, and the licence recorded there (else ``licence``)."""
    meta = _metadata(path) if path.is_dir() else {}
    if not meta:
        return source, licence
    note = f"{meta.get('description', '?')}, exported with ultralytics {meta.get('version', '?')}"
    return f"{source} [metadata: {note}]", meta.get("license", licence)


def models_in_use(cfg: VisionConfig, data_dir: Path) -> list[ModelInfo]:
    """The person detector and mask model these settings load, with where they come from.

    Args:
        cfg: the ``[vision]`` settings.
        data_dir: the station's data directory (relative model paths are under it).
    """
    from vision.masks import DEFAULT_WEIGHTS

    det = cfg.model_path(data_dir)
    stem = det.name.split("_")[0].removesuffix(".pt")
    official = stem in OFFICIAL
    det_source = (
        f"official Ultralytics COCO {stem}.pt ('gridpatrol models fetch' downloads and exports it)"
        if official
        else "your own weights (set in [vision.detector] model)"
    )
    det_source, det_licence = _describe(det, det_source, LICENCE if official else "see where you got it")
    mask = cfg.masks.weights or DEFAULT_WEIGHTS
    mask_source, mask_licence = _describe(
        mask, "trained for gridpatrol on the face-mask dataset, see vision/models/README.md", LICENCE
    )
    return [
        ModelInfo("person detector", det, det.exists(), det_source, det_licence),
        ModelInfo("mask model", mask, mask.exists(), mask_source, mask_licence),
    ]


def manual_instructions(data_dir: Path, name: str = "yolo11n") -> str:
    """What to put where when the weights cannot be downloaded here (file and folder names the station expects)."""
    coco = data_dir / COCO_DIR
    return (
        f"put the official {name}.pt (Ultralytics release asset, AGPL-3.0) at {coco / (name + '.pt')} and run "
        f"'gridpatrol models fetch --weights {coco / (name + '.pt')}' to export it; or copy an exported folder "
        f"{output_name(name)}/ (holding {name}.xml, {name}.bin and metadata.yaml) into {coco}/; or set "
        f"GRIDPATROL_DATA_DIR (or [station] data_dir) to a data directory holding {COCO_DIR / output_name(name)}/"
    )


def download_weights(name: str, data_dir: Path) -> Path:
    """The official ``<name>.pt`` in ``<data_dir>/models/coco/``, downloaded by ultralytics unless already there.

    Raises:
        FetchError: the download failed (no internet, blocked host, ``YOLO_OFFLINE`` set); the message says what to
            put where instead.
    """
    if name not in OFFICIAL:
        raise FetchError(f"unknown model {name!r}: choose one of {', '.join(OFFICIAL)}")
    dest = data_dir / COCO_DIR
    target = dest / f"{name}.pt"
    if target.is_file():
        return target
    dest.mkdir(parents=True, exist_ok=True)
    from ultralytics.utils.downloads import attempt_download_asset

    try:
        got = Path(attempt_download_asset(target, retry=1))
    except Exception as exc:  # ConnectionError offline; others for proxies, DNS, HTTP errors
        raise FetchError(f"could not download {name}.pt ({exc}); {manual_instructions(data_dir, name)}") from exc
    if not got.is_file():
        raise FetchError(f"the download left no {target}; {manual_instructions(data_dir, name)}")
    return got


def calibration_data(folder: Path, names: dict[int, str]) -> Path:
    """A small detection dataset for INT8 calibration in ``folder``; returns its yaml.

    Images: ultralytics' bundled ``bus.jpg`` and ``zidane.jpg`` (street scenes) and aerial-like frames with small
    people (:func:`vision.synthetic.aerial_scene`), so activations cover the patrol view. Labels are empty:
    calibration only needs images.
    """
    from vision.synthetic import aerial_scene, assets_dir

    images, labels = folder / "images", folder / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(exist_ok=True)
    for src in ("bus.jpg", "zidane.jpg"):
        shutil.copy(assets_dir() / src, images / src)
    for px, seed in CALIBRATION_AERIAL:
        image, _ = aerial_scene(12, px, seed=seed)
        cv2.imwrite(str(images / f"aerial_{int(px)}px.jpg"), image)
    for image_path in images.iterdir():
        (labels / f"{image_path.stem}.txt").write_text("")
    listed = "\n".join(f"  {k}: {v!r}" for k, v in sorted(names.items()))
    yaml = folder / "calibration.yaml"
    yaml.write_text(f"path: {folder}\ntrain: images\nval: images\nnames:\n{listed}\n", encoding="utf-8")
    return yaml


def export_openvino(weights: Path, dest: Path, *, name: str | None = None, int8: bool = True, imgsz: int = 640) -> Path:
    """Export YOLO ``weights`` (.pt) to an OpenVINO folder in ``dest``; returns the folder.

    The export runs in a temporary folder beside ``dest`` and is moved in when complete, so a station never finds a
    half-written model. ``name`` is the stem of the output (default: the weights' stem), giving
    ``<name>_int8_openvino_model`` or ``<name>_openvino_model``.

    Raises:
        FetchError: INT8 asked for without the ``nncf`` package, or the export failed.
    """
    if int8 and importlib.util.find_spec("nncf") is None:
        raise FetchError(
            "INT8 export needs the nncf package: pip install 'gridpatrol[export]' (or nncf), "
            "or export without INT8 (--no-int8)"
        )
    from ultralytics.models import YOLO

    name = name or weights.stem
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / output_name(name, int8)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".export-") as tmp:
        work = Path(tmp)
        shutil.copy(weights, work / f"{name}.pt")
        try:
            model = YOLO(str(work / f"{name}.pt"), task="detect")
            kwargs: dict[str, object] = {"format": "openvino", "imgsz": imgsz, "batch": 1}
            if int8:
                kwargs.update(quantize=8, data=str(calibration_data(work / "calibration", dict(model.names))))
            out = Path(model.export(**kwargs))
        except Exception as exc:  # ultralytics and OpenVINO raise many kinds
            raise FetchError(f"export of {weights} to OpenVINO failed: {exc}") from exc
        meta = out / "metadata.yaml"
        if meta.is_file():
            meta.write_text(meta.read_text(encoding="utf-8").replace(str(work), "<export folder>"), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        out.rename(final)
    return final


def fetch_detector(data_dir: Path, name: str = "yolo11n", *, weights: Path | None = None, int8: bool = True) -> Path:
    """Obtain the official COCO detector and export it where the station looks; returns the exported folder.

    Args:
        data_dir: the station's data directory; the result lands in ``<data_dir>/models/coco/``.
        name: which official model (``yolo11n``, the default detector, or ``yolov8n``).
        weights: a local ``.pt`` to export instead of downloading (e.g. one copied in by hand).
        int8: INT8 (needs nncf), else FP32 OpenVINO.

    Raises:
        FetchError: download or export failed; the message says exactly what to put where.
    """
    coco = data_dir / COCO_DIR
    if weights is not None:
        if not weights.is_file():
            raise FetchError(f"weights {weights} do not exist; {manual_instructions(data_dir, name)}")
        pt = weights
    else:
        pt = download_weights(name, data_dir)
    return export_openvino(pt, coco, name=name, int8=int8)
