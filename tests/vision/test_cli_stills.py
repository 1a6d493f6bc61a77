"""``gridpatrol detect`` on photos (issue 16): stills by default, verdicts drawn, names kept, options checked
before any model loads, the summary counting what was skipped and why."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from gridpatrol.cli import app
from vision.mask_data import mask_dataset_dir

PHOTOS = ("maksssksksss584", "maksssksksss249")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "photos"
    out.mkdir()
    for stem in PHOTOS:
        src = mask_dataset_dir() / "images" / f"{stem}.jpg"
        if not src.exists():
            pytest.skip(f"face-mask photo {src} not present (set GRIDPATROL_DATA_DIR)")
        (out / src.name).symlink_to(src)
    data = (mask_dataset_dir() / "images" / f"{PHOTOS[1]}.jpg").read_bytes()
    (out / "cut.jpg").write_bytes(data[: len(data) // 2])
    (out / "broken.jpg").write_bytes(b"not a jpeg")
    (out / "readme.txt").write_text("notes")
    return out


def test_photo_folder_is_judged_as_stills(folder: Path, tmp_path: Path) -> None:
    jsonl, ann = tmp_path / "out.jsonl", tmp_path / "annotated"
    result = CliRunner().invoke(app, ["detect", str(folder), "--jsonl", str(jsonl), "--save", str(ann)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [Path(r["file"]).name for r in records] == ["cut.jpg", f"{PHOTOS[1]}.jpg", f"{PHOTOS[0]}.jpg"]
    assert all(p["track_id"] is None for r in records for p in r["people"])  # no track across photos
    assert all("lat" not in p for r in records for p in r["people"])  # no pose given, none needed
    assert sorted(p.name for p in ann.iterdir()) == sorted(Path(r["file"]).name for r in records)
    crowded = records[-1]
    bare = [f for f in crowded["faces"] if f["label"] == "without_mask"]
    assert bare and all(f["track_id"] is None for f in crowded["faces"])
    assert len(crowded["incidents"]) == len(bare)
    # the verdict is drawn: red (BGR 0,0,255) along the top edge of a bare face's box
    image = cv2.imread(str(ann / f"{PHOTOS[0]}.jpg"))
    x1, y1, x2, _ = (int(v) for v in bare[0]["box"])
    rows = image[max(y1 - 1, 0) : y1 + 2, x1 + 2 : x2 - 2].astype(int)
    assert max((np.abs(row - [0, 0, 255]).sum(axis=1) < 90).mean() for row in rows) > 0.5
    out = " ".join(result.output.split())
    assert "3 images" in out and "skipped 1 file that are not images (.txt)" in out
    assert "skipped: 1 image not an image or corrupt: broken.jpg" in out
    assert "warning: 1 image truncated JPEG, analysed as decoded: cut.jpg" in out


def test_tile_flag_sets_the_tile(folder: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "out.jsonl"
    one = folder / f"{PHOTOS[1]}.jpg"
    result = CliRunner().invoke(app, ["detect", str(one), "--tile", "320", "--no-masks", "--jsonl", str(jsonl)])
    assert result.exit_code == 0, result.output
    assert json.loads(jsonl.read_text())["tile"] == 320


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gimbal-pitch", "30"], "--gimbal-pitch 30: must be between -90"),
        (["--gimbal-pitch", "-200"], "--gimbal-pitch -200: must be between -90"),
        (["--tile", "100"], "--tile 100: give a tile side of 320 to 4096 px"),
    ],
)
def test_bad_options_fail_naming_the_option(folder: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["detect", str(folder), *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_source_checked_before_models_load(tmp_path: Path) -> None:
    # no models where the data directory points: a model error would come first if models loaded first
    empty, nodata = tmp_path / "empty", tmp_path / "nodata"
    empty.mkdir()
    nodata.mkdir()
    env = {"GRIDPATROL_DATA_DIR": str(nodata)}
    result = CliRunner().invoke(app, ["detect", str(empty)], env=env)
    assert result.exit_code == 2 and "holds no images" in result.output, result.output
    result = CliRunner().invoke(app, ["detect", str(tmp_path / "missing")], env=env)
    assert result.exit_code == 2 and "does not exist" in result.output


def test_save_into_the_source_folder_is_refused(folder: Path) -> None:
    result = CliRunner().invoke(app, ["detect", str(folder), "--save", str(folder), "--no-masks"])
    assert result.exit_code == 2 and "would replace the originals" in result.output
