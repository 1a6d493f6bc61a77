"""The live video's overlay record: verdicts joined to people by track id (or index), crowd hulls in pixels."""

from __future__ import annotations

import numpy as np
import supervision as sv

from gridpatrol.station.video_feed import VideoFrame, overlay_record
from vision.crowds import Crowd
from vision.masks import FaceCheck
from vision.pipeline import FrameResult


def test_overlay_joins_verdicts_and_outlines_a_crowd_around_its_members() -> None:
    people = sv.Detections(
        xyxy=np.array([[10, 10, 20, 40], [30, 12, 40, 44], [100, 100, 110, 130], [200, 5, 210, 30]], float),
        confidence=np.array([0.9, 0.8, 0.7, 0.6]),
        tracker_id=np.array([4, 7, 9, -1]),
    )
    faces = [
        FaceCheck(0, 4, (11, 10, 19, 18), "without_mask", 0.9, 8.0),
        FaceCheck(3, None, (201, 5, 209, 12), "with_mask", 0.8, 7.0),
    ]
    crowd = Crowd(id=2, first_seen=0.0, last_seen=5.0, members={4, 7, 55}, count=3)
    result = FrameResult(1.0, people, faces, crowds=[crowd])
    overlay = overlay_record(result, frame_no=12, analysed_wall=100.0)
    assert overlay["frame"] == 12 and overlay["analysed_wall"] == 100.0
    assert [(b["track_id"], b["verdict"]) for b in overlay["boxes"]] == [
        (4, "without_mask"),
        (7, None),
        (9, None),
        (None, "with_mask"),  # untracked: joined by its index
    ]
    [outline] = overlay["crowds"]
    assert outline["crowd_id"] == 2 and outline["count"] == 3
    corners = {(x, y) for x in (10.0, 20.0, 30.0, 40.0) for y in (10.0, 40.0, 12.0, 44.0)}
    assert len(outline["hull"]) >= 3 and {tuple(p) for p in outline["hull"]} <= corners
    xs = [p[0] for p in outline["hull"]]
    ys = [p[1] for p in outline["hull"]]
    assert (min(xs), max(xs), min(ys), max(ys)) == (10.0, 40.0, 10.0, 44.0)  # members 4 and 7 only; 9 is out


def test_a_frame_is_encoded_once_as_jpeg_with_its_size() -> None:
    image = np.full((48, 64, 3), 128, np.uint8)
    frame = VideoFrame.encode("d1", 3, 5.0, image, None, quality=60)
    assert frame.jpeg[:2] == b"\xff\xd8" and frame.jpeg[-2:] == b"\xff\xd9"
    assert (frame.width, frame.height, frame.number, frame.captured) == (64, 48, 3, 5.0)
