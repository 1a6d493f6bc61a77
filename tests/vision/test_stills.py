"""Stills are stills (issue 16): each photo judged on its own, every face once, through the real models.

Photos come from the shared face-mask set (found through GRIDPATROL_DATA_DIR / the data-dir setting, never copied
into the repository); the detector and the mask model are the real ones (YOLO_OFFLINE=1).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig
from vision.detector import PersonDetector
from vision.eval_masks import IOU_MATCH, ground_truth, iou
from vision.mask_data import mask_dataset_dir
from vision.masks import MaskChecker
from vision.masks_stage import MaskStage
from vision.pipeline import Pipeline
from vision.sources import FolderSource, jpeg_truncated
from vision.stills import dedupe_faces, overlap_of_smaller

# crowded validation photos where one face per person box lost bare faces to a neighbour's face or to a face
# picked twice (found with `vision.eval_masks.evaluate_stills` against the old checker path)
CROWDED = ("maksssksksss389", "maksssksksss584", "maksssksksss699", "maksssksksss703")


def photo(stem: str) -> Path:
    path = mask_dataset_dir() / "images" / f"{stem}.jpg"
    if not path.exists():
        pytest.skip(f"face-mask photo {path} not present (set GRIDPATROL_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def pipe(detector: PersonDetector, mask_checker: MaskChecker) -> Pipeline:
    cfg = VisionConfig()
    p = Pipeline(cfg, CameraProfile(), detector=detector)
    p.masks = MaskStage(cfg.masks, checker=mask_checker)
    return p


def bare_faces_found(faces: list, truth: list) -> int:
    """Labelled without_mask faces (24 px or more) that a without_mask check matches at IoU 0.5."""
    bare = [b for b, lab in truth if lab == "without_mask" and b[3] - b[1] >= 24]
    said = [f.xyxy for f in faces if f.label == "without_mask"]
    return sum(any(iou(s, b) >= IOU_MATCH for s in said) for b in bare)


def test_each_face_judged_once_and_more_bare_faces_than_one_per_person(pipe: Pipeline) -> None:
    stills_hits = checker_hits = 0
    for stem in CROWDED:
        path = photo(stem)
        image = cv2.imread(str(path))
        result = pipe.process_still(image)
        verifiable = [f for f in result.faces if f.verifiable]
        for a in range(len(verifiable)):
            for b in range(a + 1, len(verifiable)):  # one verdict per face, not one per overlapping person box
                assert overlap_of_smaller(np.array(verifiable[a].xyxy), np.array(verifiable[b].xyxy)) <= 0.5
        assert all(f.tracker_id is None for f in result.faces)
        assert (result.people.tracker_id == -1).all()
        truth = ground_truth(path, image.shape[1], image.shape[0])
        stills_hits += bare_faces_found(result.faces, truth)
        checker_hits += bare_faces_found(pipe.masks.checker.check(image, result.people), truth)
    assert stills_hits > checker_hits, (stills_hits, checker_hits)


def test_no_state_carries_over_between_photos(pipe: Pipeline) -> None:
    image = cv2.imread(str(photo("maksssksksss584")))
    first = pipe.process_still(image, 0.0)
    again = pipe.process_still(image, 1.0)
    bare = sum(f.label == "without_mask" for f in first.faces)
    assert bare and len(first.incidents) == bare  # a bare face in a photo is an incident, judged from it alone
    assert [f.label for f in first.faces] == [f.label for f in again.faces]
    assert len(again.incidents) == len(first.incidents)  # nothing 'already alerted' from the photo before
    assert pipe.masks.votes is not None and len(pipe.masks.votes) == 0  # no votes kept for photos
    inc = first.incidents[0]
    assert inc.track_ids == () and inc.lat is None and inc.snapshot


def test_dedupe_keeps_the_most_confident_of_nested_boxes() -> None:
    rows = np.array([[10, 10, 50, 60, 0.5, 1], [12, 8, 48, 58, 0.9, 0], [200, 10, 240, 60, 0.3, 1]])
    kept = dedupe_faces(rows)
    assert kept[:, 4].tolist() == [0.9, 0.3]


def test_truncated_jpeg_is_a_warning_and_corrupt_file_is_skipped(tmp_path: Path) -> None:
    data = photo("maksssksksss249").read_bytes()
    (tmp_path / "a_whole.jpg").write_bytes(data)
    (tmp_path / "b_cut.jpg").write_bytes(data[: len(data) // 2])
    (tmp_path / "c_bad.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "notes.txt").write_text("x")
    assert not jpeg_truncated(tmp_path / "a_whole.jpg") and jpeg_truncated(tmp_path / "b_cut.jpg")
    src = FolderSource(tmp_path)
    names = [Path(f.name).name for f in src]
    assert names == ["a_whole.jpg", "b_cut.jpg"]
    assert [(p.name, why) for p, why in src.warnings] == [("b_cut.jpg", "truncated JPEG, analysed as decoded")]
    assert [p.name for p, _ in src.skipped] == ["c_bad.jpg"] and [p.name for p in src.ignored] == ["notes.txt"]


def test_warmup_runs_the_detector_before_the_first_frame(pipe: Pipeline) -> None:
    pipe.warmup(640, 480)
    assert pipe.detector.model.predictor is not None and pipe.detector.calls == 0
