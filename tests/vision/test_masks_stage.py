"""The mask stage's per-frame budget, with the committed model on a validation image of six bare faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import supervision as sv

from vision.config import MaskStageConfig
from vision.eval_masks import ground_truth, person_box_for_face
from vision.mask_data import mask_dataset_dir
from vision.masks import DEFAULT_WEIGHTS, MaskChecker
from vision.masks_stage import MaskStage

IMAGE = mask_dataset_dir() / "images" / "maksssksksss121.jpg"
pytestmark = pytest.mark.skipif(
    not IMAGE.is_file() or not DEFAULT_WEIGHTS.exists(), reason="face-mask data set or mask weights missing"
)


def people_of(frame: np.ndarray, *, tracked: bool = True) -> sv.Detections:
    h, w = frame.shape[:2]
    gts = ground_truth(IMAGE, w, h)
    boxes = np.array([person_box_for_face(b, w, h) for b, _ in gts], dtype=np.float32)
    ids = np.arange(10, 10 + len(gts)) if tracked else np.full(len(gts), -1)
    return sv.Detections(xyxy=boxes, tracker_id=ids)


def test_budget_checks_every_track_in_turn_and_stops_checking_alerted_ones(mask_checker: MaskChecker) -> None:
    frame = cv2.imread(str(IMAGE))
    people = people_of(frame)
    assert len(people) >= 6
    stage = MaskStage(
        MaskStageConfig(max_checks_per_frame=2, window=3, min_votes=2, min_share=0.6), checker=mask_checker
    )
    assert stage.available
    checked: list[list[int]] = []
    alerted: set[int] = set()
    for k in range(12):
        faces, verdicts = stage.check(frame, people, float(k))
        ids = [int(f.tracker_id) for f in faces]  # every face here is large enough to go to the model
        assert len(ids) <= 2
        for f in faces:  # person_index points into the full detections, not the subset sent to the model
            assert people.tracker_id[f.person_index] == f.tracker_id
        assert not alerted & set(ids), "a track already alerted was checked again"
        checked.append(ids)
        alerted |= {v.tracker_id for _, v in verdicts}
    first_round = {t for ids in checked[: (len(people) + 1) // 2] for t in ids}
    assert first_round == set(people.tracker_id.tolist())  # round robin: everyone once before anyone twice
    assert len(alerted) >= 5  # six bare faces, each alerted once
    assert set(checked[-1]) <= set(people.tracker_id.tolist()) - alerted  # only tracks still undecided


def test_no_budget_checks_everyone_and_untracked_people_cast_no_vote(mask_checker: MaskChecker) -> None:
    frame = cv2.imread(str(IMAGE))
    people = people_of(frame, tracked=False)
    stage = MaskStage(
        MaskStageConfig(max_checks_per_frame=0, min_votes=1, window=1, min_share=0.5), checker=mask_checker
    )
    for k in range(3):
        faces, verdicts = stage.check(frame, people, float(k))
        assert len(faces) == len(people)
        assert verdicts == []


def test_a_track_whose_face_is_not_found_is_checked_less_and_less_often(mask_checker: MaskChecker) -> None:
    blank = np.full((720, 1280, 3), 128, dtype=np.uint8)  # no face anywhere: every check is unverifiable
    people = sv.Detections(xyxy=np.array([[600.0, 100.0, 700.0, 600.0]], dtype=np.float32), tracker_id=np.array([5]))
    stage = MaskStage(MaskStageConfig(recheck_s=2.0), checker=mask_checker)
    checked_at = [t for t in np.arange(0.0, 8.0, 0.25) if stage.check(blank, people, float(t))[0]]
    assert checked_at == [0.0, 0.5, 1.5, 3.5, 5.5, 7.5]  # waits 0.5, 1, 2 s, then at most recheck_s


def test_faces_too_small_at_their_slant_range_skip_the_model(mask_checker: MaskChecker) -> None:
    frame = cv2.imread(str(IMAGE))
    people = people_of(frame)
    stage = MaskStage(MaskStageConfig(), checker=mask_checker)
    far = np.full(len(people), 9.0)  # 9 px faces (say 35 m away with this lens), whatever the boxes suggest
    faces, verdicts = stage.check(frame, people, 0.0, far)
    assert len(faces) == len(people) and verdicts == []
    assert all(f.label == "unverifiable" and f.face_px == 9.0 for f in faces)
    near = np.full(len(people), np.nan)  # unknown range: the boxes decide, and these faces are checked
    assert any(f.verifiable for f in stage.check(frame, people, 1.0, near)[0])
