"""``gridpatrol detect`` on an image folder writes valid JSON lines; bad sources fail with a clear message.

Photos are stills by default (tests/vision/test_cli_stills.py); videos keep tracks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridpatrol.cli import app
from vision.synthetic import assets_dir


def test_detect_image_folder_writes_jsonl(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for name in ("bus.jpg", "zidane.jpg"):
        shutil.copy(assets_dir() / name, frames / name)
    out, ann = tmp_path / "out.jsonl", tmp_path / "annotated"
    result = CliRunner().invoke(
        app,
        [
            "detect",
            str(frames),
            "--altitude",
            "6",
            "--gimbal-pitch",
            "-30",
            "--jsonl",
            str(out),
            "--save",
            str(ann),
            "--no-masks",
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [Path(r["file"]).name for r in records] == ["bus.jpg", "zidane.jpg"]
    assert len(records[0]["people"]) >= 4 and len(records[1]["people"]) == 2
    person = records[0]["people"][0]
    assert len(person["box"]) == 4 and 0 < person["confidence"] <= 1 and person["track_id"] is None  # stills
    assert {"lat", "lon", "error_m"} <= set(person)
    assert records[0]["faces"] == [] and records[0]["incidents"] == []
    assert sorted(p.name for p in ann.iterdir()) == ["bus.jpg", "zidane.jpg"]  # source names kept


def test_detect_dead_url_fails_clearly() -> None:
    result = CliRunner().invoke(app, ["detect", "rtsp://127.0.0.1:1/x", "--no-masks"])
    assert result.exit_code == 2
    assert "cannot open video source" in result.output


def test_detect_missing_file_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["detect", str(tmp_path / "none.mp4")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_detect_video_file_writes_annotated_video(tmp_path: Path) -> None:
    import cv2

    bus = cv2.imread(str(assets_dir() / "bus.jpg"))
    small = cv2.resize(bus, (405, 540))
    clip = tmp_path / "clip.avi"
    out = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (405, 540))
    for _ in range(10):
        out.write(small)
    out.release()
    jsonl, video = tmp_path / "out.jsonl", tmp_path / "annotated.mp4"
    result = CliRunner().invoke(
        app, ["detect", str(clip), "--fps", "2.5", "--altitude", "6", "--gimbal-pitch", "-30", "--no-masks",
              "--jsonl", str(jsonl), "--save", str(video)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(records) == 5  # 2 s of video (frames at 0 .. 1.8 s) at 2.5 analysed frames per second
    assert [r["t"] for r in records] == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6])
    assert all(len(r["people"]) >= 3 for r in records)
    ids = [sorted(p["track_id"] for p in r["people"] if p["track_id"]) for r in records]
    assert ids[1] == ids[-1] and ids[-1]  # the same people keep their ids
    cap = cv2.VideoCapture(str(video))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    cap.release()
