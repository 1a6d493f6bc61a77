"""One stream's analysis: detect people, track them, place them on the map, find crowds and unmasked faces.

A :class:`Pipeline` is built from plain settings (a :class:`~vision.config.VisionConfig`, a camera profile, an
optional district), so a station can start one per stream in its own process from pickled settings. Each call
of :meth:`Pipeline.process` takes a frame, its timestamp and the camera pose and returns a :class:`FrameResult`
with the tracked people (``supervision.Detections`` carrying ground positions), the face checks, the incidents
that are new in this frame (each reported once per person or crowd) and the time each stage took.

Timestamps: ``t`` is seconds. Values above 1e9 are taken as Unix epoch seconds (live streams); smaller values
are offsets from the moment the pipeline was built (video files, image folders).

Example:
    >>> from mission_planner.profiles import CameraProfile
    >>> pipe = Pipeline(VisionConfig(), CameraProfile(), drone_id="d1")  # doctest: +SKIP
    >>> result = pipe.process(frame_bgr, 0.0, Pose(lat=39.9, lon=116.4, alt_rel=40))  # doctest: +SKIP
    >>> [(int(i), float(lat)) for i, lat in zip(result.people.tracker_id, result.people.data["lat"])]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from incidents.places import PLACE_KEY
from mission_planner.district import District
from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile
from vision.config import VisionConfig
from vision.crowd_count import GroupCounter
from vision.crowds import Crowd, CrowdEvent, CrowdMonitor
from vision.detections import GridIndex, attach_ground, track_ids
from vision.detector import PersonDetector, choose_tile
from vision.garment_colour import upper_colour
from vision.geolocate import CameraModel, Pose
from vision.incidents import Sighting, annotate, encode_jpeg
from vision.masks import FACE_HEIGHT_M, FaceCheck
from vision.masks_stage import MaskStage
from vision.places import NamedPlaces
from vision.records import FaceRecord, FrameRecord, PersonRecord
from vision.tracking import PersonTracker

STAGES = ("detect", "track", "geolocate", "crowd", "mask", "incidents")


@dataclass
class FrameResult:
    """What one analysed frame gave: people, faces, new incidents, crowd events and per-stage timings (ms)."""

    t: float
    people: sv.Detections
    faces: list[FaceCheck] = field(default_factory=list)
    incidents: list[Sighting] = field(default_factory=list)
    events: list[CrowdEvent] = field(default_factory=list)
    crowds: list[Crowd] = field(default_factory=list)
    tile: int | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> FrameRecord:
        """A JSON-friendly record: people (box, confidence, track id, ground position), faces, incidents."""
        p = self.people

        def finite(key: str, i: int) -> float | None:
            return float(p.data[key][i]) if key in p.data and math.isfinite(float(p.data[key][i])) else None

        people = []
        for i in range(len(p)):
            row: PersonRecord = {
                "box": [round(float(v), 1) for v in p.xyxy[i]],
                "confidence": round(float(p.confidence[i]), 4) if p.confidence is not None else None,
                "track_id": int(p.tracker_id[i]) if p.tracker_id is not None and p.tracker_id[i] >= 0 else None,
            }
            lat, lon, error_m = finite("lat", i), finite("lon", i), finite("error_m", i)
            if lat is not None:
                row["lat"] = round(lat, 7)
            if lon is not None:
                row["lon"] = round(lon, 7)
            if error_m is not None:
                row["error_m"] = round(error_m, 2)
            if "grid_id" in p.data and p.data["grid_id"][i]:
                row["grid_id"] = str(p.data["grid_id"][i])
            people.append(row)
        faces: list[FaceRecord] = [
            {
                "person_index": None if f.person_index is None else int(f.person_index),
                "track_id": None if f.tracker_id is None else int(f.tracker_id),
                "box": None if f.xyxy is None else [round(float(v), 1) for v in f.xyxy],
                "label": f.label,
                "confidence": round(float(f.confidence), 4),
                "face_px": round(float(f.face_px), 1),
            }
            for f in self.faces
        ]
        return {
            "t": self.t,
            "tile": self.tile,
            "people": people,
            "faces": faces,
            "incidents": [i.summary() for i in self.incidents],
            "crowd_events": [{"kind": e.kind, "crowd_id": e.crowd.id, "count": e.crowd.count} for e in self.events],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


class StageTimes:
    """Milliseconds per pipeline stage of one frame: call it with a stage's name as that stage ends.

    Example:
        >>> lap = StageTimes()
        >>> lap("detect")
        >>> list(lap.ms)
        ['detect']
    """

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = (now - self._clock) * 1000.0
        self._clock = now


class Pipeline:
    """Detect, track, geolocate, group and check masks, frame by frame, for one camera (see the module doc)."""

    def __init__(
        self,
        config: VisionConfig,
        camera: CameraProfile,
        district: District | None = None,
        *,
        drone_id: str | None = None,
        mission_id: str | None = None,
        data_dir: Path | None = None,
        detector: PersonDetector | None = None,
    ) -> None:
        self.config = config
        self.camera = camera
        self.district = district
        self.drone_id, self.mission_id = drone_id, mission_id
        self.detector = detector or PersonDetector(config.detector, data_dir)
        self.tracker = PersonTracker(config.tracker)
        self.crowds = CrowdMonitor(config.crowd)
        self.counter = GroupCounter.from_config(self.detector, config.crowd) if config.crowd.recount else None
        self.masks = MaskStage(config.masks)
        self.frame: LocalFrame | None = district.frame if district is not None else None
        self.grids = GridIndex(district) if district is not None and district.grids else None
        self.places = NamedPlaces(district) if district is not None else None
        self._models: dict[tuple[int, int], CameraModel] = {}
        self._no_mask_done: set[int] = set()
        self._t0 = time.time()

    def warmup(self, width: int | None = None, height: int | None = None) -> None:
        """Pay the first-call costs (model compilation, library imports, JPEG encoder) before the first real frame.

        A live stream's first crowd must not wait seconds for them: the detector is compiled, the grouping and the
        snapshot encoder run once on dummy data; tracker and crowd state are left untouched.
        """
        from vision.crowds import cluster

        w, h = width or self.camera.image_width_px, height or self.camera.image_height_px
        blank = np.zeros((h, w, 3), dtype=np.uint8)
        det = self.config.detector
        tile = (det.tile_px or det.imgsz) if det.tiling == "on" else None
        self.detector.detect(blank, tile)
        self.detector.calls = 0
        cluster(np.array([[0.0, 0.0], [0.5, 0.0], [9.0, 9.0]]), self.config.crowd.max_spacing_m)
        encode_jpeg(annotate(blank, sv.Detections.empty()), self.config.snapshot_quality, self.config.snapshot_max_px)

    @staticmethod
    def _face_px(people: sv.Detections, cam: CameraModel) -> np.ndarray | None:
        """Each person's expected face height (px) at their slant range: faces surely too small skip the model."""
        if len(people) == 0 or "range_m" not in people.data:
            return None
        rng = np.asarray(people.data["range_m"], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(rng > 0, FACE_HEIGHT_M * cam.fy / rng, np.nan)

    def camera_model(self, width: int, height: int) -> CameraModel:
        """Intrinsics for frames of this size (the profile rescaled when the stream differs)."""
        key = (width, height)
        if key not in self._models:
            self._models[key] = CameraModel.from_profile(self.camera, width, height)
        return self._models[key]

    def _local_frame(self, pose: Pose) -> LocalFrame:
        if self.frame is None:
            self.frame = LocalFrame(pose.lon, pose.lat)
        else:
            x, y = self.frame.to_local(pose.lon, pose.lat)
            if math.hypot(float(x), float(y)) > 20_000 and self.district is None:
                self.frame = LocalFrame(pose.lon, pose.lat)
        return self.frame

    def timestamp(self, t: float) -> datetime:
        """The wall-clock time of a frame timestamp (see the module doc)."""
        return datetime.fromtimestamp(t if t > 1e9 else self._t0 + t, tz=UTC)

    def process(self, image: np.ndarray, t: float, pose: Pose) -> FrameResult:
        """Analyse one BGR frame taken at ``t`` from ``pose``; returns people, faces and new incidents."""
        p = Pose.of(pose)
        lap = StageTimes()
        timings = lap.ms

        h, w = image.shape[:2]
        cam = self.camera_model(w, h)
        tile = choose_tile(self.config.detector, cam, p, (w, h))
        dets = self.detector.detect(image, tile)
        lap("detect")
        people = self.tracker.update(dets)
        lap("track")
        people = self._geolocate(people, cam, p)
        lap("geolocate")
        ids = track_ids(people)
        tracked = ids >= 0
        xy = np.column_stack([people.data["x_m"], people.data["y_m"]])[tracked] if len(people) else np.empty((0, 2))
        conf = people.confidence[tracked] if people.confidence is not None else None
        recount = None
        if (counter := self.counter) is not None:
            boxes = people.xyxy[tracked]

            def recount(idx: np.ndarray) -> int:
                return counter.count(image, boxes[idx])

        events = self.crowds.update(t, ids[tracked], xy, conf, recount)
        lap("crowd")
        faces, verdicts = self.masks.check(image, people, t, self._face_px(people, cam))
        lap("mask")
        incidents = [self._crowd_incident(e, image, people, t) for e in events if e.kind == "opened"]
        for face, verdict in verdicts:
            tid = verdict.tracker_id  # the face's track: votes are cast for tracked faces only
            if tid not in self._no_mask_done:
                self._no_mask_done.add(tid)
                incidents.append(self._no_mask_incident(face, float(verdict.confidence), image, people, t))
        lap("incidents")
        timings["total"] = sum(timings.values())
        return FrameResult(t, people, faces, incidents, events, self.crowds.reported, tile, timings)

    def process_still(self, image: np.ndarray, t: float = 0.0, pose: Pose | None = None) -> FrameResult:
        """Analyse one photo on its own: its people, every face judged once, a no_mask incident per bare face.

        Nothing carries over from the photo before (no tracker, no votes, no crowd, which must last): unrelated
        photos are not one video. Faces are searched over each person's head crop (``vision.stills``). Without a
        ``pose`` (close-ups) the detector runs untiled unless tiling is on, and people get no ground position.
        """
        lap = StageTimes()
        timings = lap.ms

        h, w = image.shape[:2]
        cam = self.camera_model(w, h)
        p = Pose.of(pose) if pose is not None else None
        tile = choose_tile(self.config.detector, cam, p, (w, h))
        people = self.detector.detect(image, tile)
        people.tracker_id = np.full(len(people), -1, dtype=int)
        lap("detect")
        if p is not None:
            people = self._geolocate(people, cam, p)
        lap("geolocate")
        faces = self.masks.check_still(image, people)
        lap("mask")
        incidents = [
            self._no_mask_incident(f, f.confidence, image, people, t) for f in faces if f.label == "without_mask"
        ]
        lap("incidents")
        timings["total"] = sum(timings.values())
        return FrameResult(t, people, faces, incidents, [], [], tile, timings)

    def _geolocate(self, people: sv.Detections, cam: CameraModel, pose: Pose) -> sv.Detections:
        geo = self.config.geolocation
        return attach_ground(
            people,
            cam,
            pose,
            self._local_frame(pose),
            grids=self.grids,
            attitude_sigma_deg=geo.attitude_sigma_deg,
            pixel_sigma_px=geo.pixel_sigma_px,
            max_range_m=geo.max_range_m,
        )

    def _snapshot(self, image: np.ndarray, people: sv.Detections, highlight: set[int] | np.ndarray) -> bytes:
        return encode_jpeg(
            annotate(image, people, highlight), self.config.snapshot_quality, self.config.snapshot_max_px
        )

    def _grid_of(self, x: float, y: float) -> str | None:
        if self.grids is None or not (math.isfinite(x) and math.isfinite(y)):
            return None
        return str(self.grids.lookup(np.array([x]), np.array([y]))[0]) or None

    def _crowd_incident(self, event: CrowdEvent, image: np.ndarray, people: sv.Detections, t: float) -> Sighting:
        crowd = event.crowd
        assert self.frame is not None
        lon, lat = self.frame.to_lonlat(*crowd.centroid)
        sel = np.isin(track_ids(people), list(crowd.members))
        err = np.asarray(people.data["error_m"], dtype=float)[sel]
        return Sighting(
            type="crowd",
            ts=self.timestamp(t),
            confidence=crowd.confidence,
            people=crowd.count,
            lat=float(lat),
            lon=float(lon),
            grid_id=self._grid_of(*crowd.centroid),
            drone_id=self.drone_id,
            mission_id=self.mission_id,
            snapshot=self._snapshot(image, people, crowd.members),
            details={
                "track_ids": sorted(int(m) for m in crowd.members),
                "crowd_id": crowd.id,
                "radius_m": round(crowd.radius_m, 2),
                "density_per_m2": round(crowd.density, 3),
                "duration_s": round(crowd.duration_s, 1),
                "error_m": round(float(np.mean(err)), 2) if len(err) and np.isfinite(err).all() else None,
            },
        )

    def _no_mask_incident(
        self, face: FaceCheck, confidence: float, image: np.ndarray, people: sv.Detections, t: float
    ) -> Sighting:
        tid = None if face.tracker_id is None or int(face.tracker_id) < 0 else int(face.tracker_id)
        if tid is not None:
            idx = np.flatnonzero(track_ids(people) == tid)
            i = int(idx[0]) if len(idx) else -1
        else:
            i = -1 if face.person_index is None else int(face.person_index)

        def value(key: str) -> Any:
            return people.data[key][i] if i >= 0 and key in people.data else None

        lat, lon, grid, err = value("lat"), value("lon"), value("grid_id"), value("error_m")
        finite = err is not None and math.isfinite(float(err))
        colour = upper_colour(image, people.xyxy[i] if i >= 0 else None, face.xyxy if face.verifiable else None)
        x, y = value("x_m"), value("y_m")
        place = None if self.places is None or x is None else self.places.nearest(float(x), float(y))
        return Sighting(
            type="no_mask",
            ts=self.timestamp(t),
            confidence=confidence,
            lat=lat,
            lon=lon,
            grid_id=str(grid) if grid else None,
            drone_id=self.drone_id,
            mission_id=self.mission_id,
            snapshot=self._snapshot(image, people, np.arange(len(people)) == i),
            details={
                "track_ids": [] if tid is None else [tid],
                "label": face.label,
                "face_px": round(float(face.face_px), 1),
                "error_m": round(float(err), 2) if finite else None,
                **({"upper_colour": colour} if colour else {}),
                **({PLACE_KEY: place} if place else {}),
            },
        )
