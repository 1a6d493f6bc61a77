"""``gridpatrol models`` and ``models fetch``: listing, a real offline export, and a real failed download.

The export runs ultralytics' OpenVINO exporter on the recovered YOLO11n checkpoint of the data directory into a
temporary data directory, then the station's detector loads the result and finds the people of bus.jpg. FP32
here (about 12 s on 2 cores); the INT8 export (nncf calibration, about 45 s) is checked by hand, see
docs/vision.md. The download failure is real: ultralytics' downloader is pointed at a proxy on a closed local
port, so nothing can reach the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gridpatrol.config import default_data_dir
from vision.config import DetectorConfig, VisionConfig
from vision.detector import PersonDetector
from vision.model_store import FetchError, calibration_data, fetch_detector, models_in_use, output_name

RECOVERED = default_data_dir() / "models/coco/recovered_yolo11n.pt"


def gridpatrol(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process with ``env`` added."""
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def test_listing_names_both_models_and_says_what_is_missing(tmp_path: Path) -> None:
    infos = models_in_use(VisionConfig(), tmp_path)
    assert [m.role for m in infos] == ["person detector", "mask model"]
    assert infos[0].path == tmp_path / "models/coco/yolo11n_int8_openvino_model"
    assert not infos[0].present and "yolo11n.pt" in infos[0].source and "AGPL" in infos[0].licence
    out = gridpatrol("models", env={"GRIDPATROL_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert "person detector: MISSING" in out.stdout
    assert "gridpatrol models fetch" in out.stdout


def test_listing_reads_the_export_metadata_when_present() -> None:
    infos = models_in_use(VisionConfig(), default_data_dir())
    if not infos[0].present:
        pytest.skip("no detector in the data directory")
    assert "exported with ultralytics" in infos[0].source
    assert infos[1].present and "vision/models/README.md" in infos[1].source


def test_fetch_without_internet_says_what_to_put_where_and_exits_nonzero(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9"  # the discard port, closed here: every request is refused at once
    env = {"GRIDPATROL_DATA_DIR": str(tmp_path), "HTTPS_PROXY": closed, "HTTP_PROXY": closed, "NO_PROXY": ""}
    env.update(https_proxy=closed, http_proxy=closed, no_proxy="", YOLO_OFFLINE="1")
    out = gridpatrol("models", "fetch", env=env)
    assert out.returncode == 1
    message = " ".join(out.stderr.split())
    assert "could not download yolo11n.pt" in message
    coco = tmp_path / "models" / "coco"
    assert str(coco / "yolo11n.pt") in message
    assert "yolo11n_int8_openvino_model/" in message and "yolo11n.xml, yolo11n.bin" in message
    assert "Traceback" not in out.stderr
    assert not (coco / "yolo11n_int8_openvino_model").exists()


def test_fetch_of_missing_local_weights_is_an_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"nothere\.pt do not exist"):
        fetch_detector(tmp_path, weights=tmp_path / "nothere.pt", int8=False)


def test_calibration_data_uses_only_bundled_images(tmp_path: Path) -> None:
    yaml = calibration_data(tmp_path, {0: "person", 1: "bicycle"})
    images = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert "bus.jpg" in images and "zidane.jpg" in images and len(images) == 6
    assert "0: 'person'" in yaml.read_text()


@pytest.mark.slow
def test_offline_export_is_loaded_by_the_detector_and_finds_people(tmp_path: Path, bus: np.ndarray) -> None:
    if not RECOVERED.is_file():
        pytest.skip(f"{RECOVERED} not present (set GRIDPATROL_DATA_DIR)")
    assert os.environ.get("YOLO_OFFLINE") == "1"  # set by tests/vision/conftest.py: no download can happen
    folder = fetch_detector(tmp_path, "yolo11n", weights=RECOVERED, int8=False)
    assert folder == tmp_path / "models/coco" / output_name("yolo11n", int8=False)
    assert (folder / "yolo11n.xml").is_file() and (folder / "metadata.yaml").is_file()
    assert str(tmp_path) not in (folder / "metadata.yaml").read_text()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".export-")]
    det = PersonDetector(DetectorConfig(model=folder.relative_to(tmp_path), tiling="off"), data_dir=tmp_path)
    people = det.detect(bus)
    assert len(people) >= 4  # bus.jpg: four people
    assert models_in_use(VisionConfig(detector=DetectorConfig(model=folder)), tmp_path)[0].present
