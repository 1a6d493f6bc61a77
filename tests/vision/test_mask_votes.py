"""Votes across a track's frames: one alert per track, none on mixed votes, unverifiable ignored."""

from __future__ import annotations

import pytest

from vision.mask_votes import MaskVotes
from vision.masks import FaceCheck, MaskLabel


def check(label: MaskLabel, conf: float = 0.8, tid: int = 1) -> FaceCheck:
    return FaceCheck(0, tid, (10.0, 10.0, 40.0, 40.0), label, 0.0 if label == "unverifiable" else conf, 30.0)


def test_one_alert_per_track_after_enough_agreeing_votes() -> None:
    votes = MaskVotes(window=7, min_votes=3, min_share=0.6)
    results = [votes.add(1, check("without_mask", conf=0.5 + 0.1 * i), t=float(i)) for i in range(6)]
    assert [r is not None for r in results] == [False, False, True, False, False, False]
    verdict = results[2]
    assert verdict is not None
    assert (verdict.tracker_id, verdict.label, verdict.votes, verdict.window) == (1, "without_mask", 3, 3)
    assert verdict.first_t == 0.0 and verdict.t == 2.0
    assert verdict.confidence == pytest.approx(0.6)
    assert verdict.best.confidence == pytest.approx(0.7)
    assert votes.alerted(1)


def test_tracks_are_independent() -> None:
    votes = MaskVotes(window=5, min_votes=2, min_share=0.5)
    assert votes.add(1, check("without_mask", tid=1), 0.0) is None
    assert votes.add(2, check("without_mask", tid=2), 0.0) is None
    assert votes.add(1, check("without_mask", tid=1), 1.0) is not None
    assert not votes.alerted(2)
    assert votes.add(2, check("without_mask", tid=2), 1.0) is not None


def test_no_alert_on_mixed_votes() -> None:
    votes = MaskVotes(window=7, min_votes=3, min_share=0.6)
    labels: list[MaskLabel] = ["with_mask", "without_mask"] * 3
    assert all(votes.add(3, check(lab, tid=3), float(i)) is None for i, lab in enumerate(labels))
    assert votes.tally(3) == {"without_mask": 3, "with_mask": 3}
    assert not votes.alerted(3)
    # More bare faces: 4 of 7 (0.57 < 0.6), then 5 of 7 once the window drops the oldest masked one.
    assert votes.add(3, check("without_mask", tid=3), 6.0) is None
    verdict = votes.add(3, check("without_mask", tid=3), 7.0)
    assert verdict is not None and (verdict.votes, verdict.window) == (5, 7)


def test_unverifiable_checks_are_not_votes() -> None:
    votes = MaskVotes(window=3, min_votes=2, min_share=0.6)
    assert votes.add(4, check("without_mask", tid=4), 0.0) is None
    for i in range(10):
        assert votes.add(4, check("unverifiable", tid=4), 1.0 + i) is None
    assert votes.tally(4) == {"without_mask": 1}
    # unverifiable checks did not push the bare-face vote out of the window, nor dilute its share
    verdict = votes.add(4, check("without_mask", tid=4), 20.0)
    assert verdict is not None and verdict.window == 2


def test_masked_faces_never_alert_and_incorrect_mask_is_not_an_alert_by_default() -> None:
    votes = MaskVotes()
    assert all(votes.add(5, check("with_mask", tid=5), float(i)) is None for i in range(20))
    assert all(votes.add(6, check("mask_weared_incorrect", tid=6), float(i)) is None for i in range(20))
    worn_badly = MaskVotes(alert_labels=("without_mask", "mask_weared_incorrect"))
    verdicts = [worn_badly.add(6, check("mask_weared_incorrect", tid=6), float(i)) for i in range(5)]
    assert [v.label for v in verdicts if v] == ["mask_weared_incorrect"]


def test_forget_lost_tracks() -> None:
    votes = MaskVotes()
    votes.add(1, check("with_mask", tid=1), 0.0)
    votes.add(2, check("with_mask", tid=2), 5.0)
    assert votes.forget_older_than(3.0) == [1]
    assert len(votes) == 1 and votes.tally(1) == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window": 0}, "window"),
        ({"window": 3, "min_votes": 4}, "min_votes"),
        ({"min_share": 0.0}, "min_share"),
        ({"alert_labels": ("unverifiable",)}, "alert_labels"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        MaskVotes(**kwargs)
