"""Settings of the vision pipeline (``[vision]`` in station.toml).

Everything the pipeline needs is plain data here, so a pipeline can be rebuilt in another process from a pickled
or serialised :class:`VisionConfig`.

Example:
    >>> cfg = VisionConfig()
    >>> cfg.crowd.min_people, cfg.crowd.max_spacing_m
    (5, 1.0)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = Path("models/coco/yolo11n_int8_openvino_model")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetectorConfig(_Section):
    """The person detector: which YOLO model and how frames are sliced into tiles."""

    model: Path = Field(
        DEFAULT_MODEL,
        title="Detector model",
        description="YOLO weights (.pt) or an *_openvino_model folder; relative paths are under the data directory.",
    )
    imgsz: int = Field(
        640, ge=32, le=4096, title="Input size (px)", description="Network input; 640 for the INT8 export."
    )
    conf: float = Field(0.25, ge=0.01, le=1, title="Confidence threshold", description="Keep people scored above this.")
    iou: float = Field(0.5, gt=0, le=1, title="NMS IoU", description="Overlap above which two boxes are one person.")
    device: str = Field("cpu", title="Device", description="Inference device: cpu, cuda:0, intel:gpu ...")
    tiling: Literal["auto", "on", "off"] = Field(
        "auto",
        title="Tiling",
        description="auto slices frames into tiles when people are expected to be too small for the network.",
    )
    tile_px: int = Field(0, ge=0, le=4096, title="Tile size (px)", description="0 chooses it from altitude and camera.")
    tile_overlap: float = Field(
        0.2, ge=0, lt=0.9, title="Tile overlap", description="Share of a tile its neighbour overlaps."
    )
    min_model_px: float = Field(
        64.0,
        gt=0,
        le=640,
        title="Smallest reliable person (px)",
        description="Person height at network input below which tiling is used (auto).",
    )
    person_height_m: float = Field(1.7, gt=0.5, le=2.5, title="Person height (m)", description="For expected px size.")


class TrackerConfig(_Section):
    """ByteTrack settings: how detections become tracks with stable ids."""

    high_thresh: float = Field(0.25, gt=0, le=1, title="High threshold", description="First-stage match score.")
    low_thresh: float = Field(0.1, ge=0, le=1, title="Low threshold", description="Second-stage (recovery) score.")
    new_track_thresh: float = Field(
        0.25, gt=0, le=1, title="New track threshold", description="Start a new track above."
    )
    buffer_frames: int = Field(
        30, ge=1, le=1000, title="Track buffer (frames)", description="Keep lost tracks this long."
    )
    match_thresh: float = Field(0.8, gt=0, le=1, title="Match threshold", description="Association cost cut-off.")


class CrowdConfig(_Section):
    """When people standing close together count as a crowd (defaults: local gathering rules)."""

    min_people: int = Field(5, ge=2, le=10_000, title="Minimum people", description="People that make a crowd.")
    max_spacing_m: float = Field(
        1.0, gt=0, le=50, title="Maximum spacing (m)", description="Neighbours closer than this belong to one group."
    )
    min_duration_s: float = Field(
        10.0, ge=0, le=3600, title="Minimum duration (s)", description="A group must last this long to be reported."
    )
    dispersed_s: float = Field(
        10.0,
        ge=0,
        le=3600,
        title="Dispersal time (s)",
        description="A crowd is closed after staying below the minimum this long (hysteresis).",
    )
    match_m: float = Field(
        5.0, gt=0, le=100, title="Match distance (m)", description="Centroids closer than this are the same crowd."
    )
    recount: bool = Field(
        True,
        title="Recount groups",
        description="Count a group again zoomed in on its image region (vision/crowd_count.py): dense groups.",
    )
    recount_min_people: int = Field(
        3, ge=2, le=10_000, title="Recount from", description="Groups of this many people found are recounted."
    )
    recount_conf: float = Field(
        0.15, ge=0.01, le=1, title="Recount confidence", description="Keep people scored above this in a group."
    )
    recount_iou: float = Field(
        0.6, gt=0, le=1, title="Recount NMS IoU", description="Overlap above which two boxes in a group are one."
    )
    recount_zoom_px: float = Field(
        80.0, ge=16, le=640, title="Recount zoom (px)", description="Person height at network input in a recount."
    )


class MaskStageConfig(_Section):
    """The face-mask stage (model by vision/masks.py)."""

    enabled: bool = Field(True, title="Check masks", description="Look for faces without a mask.")
    weights: Path | None = Field(
        None, title="Mask model", description="Face-mask weights; empty uses the mask module's default."
    )
    min_face_px: float = Field(
        24.0, gt=0, le=1000, title="Smallest face (px)", description="Smaller faces: unverifiable."
    )
    conf: float = Field(0.25, gt=0, le=1, title="Mask confidence", description="Keep face boxes scored above this.")
    window: int = Field(7, ge=1, le=100, title="Vote window", description="Recent checks per track that vote.")
    min_votes: int = Field(3, ge=1, le=100, title="Minimum votes", description="Checks needed before a verdict.")
    min_share: float = Field(0.6, gt=0, le=1, title="Minimum share", description="Share of votes that must agree.")
    max_checks_per_frame: int = Field(
        4,
        ge=0,
        le=1000,
        title="Face checks per frame",
        description="Most people sent to the mask model per frame, those checked longest ago first; 0: no limit.",
    )
    recheck_s: float = Field(
        8.0,
        ge=0,
        le=600,
        title="Re-check after (s)",
        description="Longest wait before checking again a track whose votes settled or whose face was not found.",
    )


class GeolocationConfig(_Section):
    """Uncertainty fed into the ground-position error estimate."""

    attitude_sigma_deg: float = Field(
        1.0, ge=0, le=30, title="Attitude error (deg)", description="Gimbal pitch/yaw uncertainty propagated."
    )
    pixel_sigma_px: float = Field(2.0, ge=0, le=100, title="Pixel error (px)", description="Box-foot uncertainty.")
    max_range_m: float = Field(
        500.0, gt=0, le=10_000, title="Maximum range (m)", description="Rays meeting the ground farther are dropped."
    )


class VisionConfig(_Section):
    """The vision pipeline: detector, tracker, crowds, masks, geolocation and pacing."""

    detector: DetectorConfig = Field(default_factory=DetectorConfig, title="Detector", description="YOLO people.")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, title="Tracker", description="ByteTrack.")
    crowd: CrowdConfig = Field(default_factory=CrowdConfig, title="Crowds", description="Crowd rule.")
    masks: MaskStageConfig = Field(default_factory=MaskStageConfig, title="Masks", description="Face-mask stage.")
    geolocation: GeolocationConfig = Field(
        default_factory=GeolocationConfig, title="Geolocation", description="Ground position errors."
    )
    analyse_fps: float = Field(
        2.0, gt=0, le=120, title="Analysis rate (fps)", description="Frames analysed per second of live streams."
    )
    snapshot_quality: int = Field(85, ge=10, le=100, title="Snapshot JPEG quality", description="Incident snapshots.")
    snapshot_max_px: int = Field(
        1280, ge=64, le=8192, title="Snapshot size (px)", description="Longest side of incident snapshots."
    )
    reconnect_s: float = Field(
        2.0, ge=0, le=600, title="Reconnect delay (s)", description="Wait this long before reopening a dropped stream."
    )
    open_timeout_s: float = Field(
        8.0, gt=0, le=120, title="Open timeout (s)", description="A stream that gives no frame this long is an error."
    )

    def model_path(self, data_dir: Path) -> Path:
        """The detector model's path, relative paths resolved against the data directory."""
        m = self.detector.model
        return m if m.is_absolute() else data_dir / m
