"""``supervision.Detections`` is the per-frame type; this module fills it from ultralytics and adds ground data.

Per-person extras live in ``Detections.data`` (one array entry per box):

* ``lat``, ``lon``: where the person's feet are (WGS 84 degrees, NaN when the ray misses the ground),
* ``x_m``, ``y_m``: the same in the local metric frame (east/north metres),
* ``error_m``: one-sigma ground position error (m),
* ``grid_id``: the district grid the feet fall in ("" outside every grid or without a district).
* ``range_m``: slant range from the camera to the feet (m), NaN where the ray misses the ground.

Example:
    >>> import numpy as np
    >>> d = empty()
    >>> len(d), d.tracker_id.shape
    (0, (0,))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import numpy as np
import supervision as sv
from shapely import STRtree, points

from mission_planner.district import District
from mission_planner.geo import LocalFrame
from vision.geolocate import CameraModel, CameraPose, ground_error_m

if TYPE_CHECKING:
    from ultralytics.engine.results import Results

GROUND_KEYS = ("lat", "lon", "x_m", "y_m", "error_m", "grid_id", "range_m")


def empty() -> sv.Detections:
    """No detections, with every array present (so code never special-cases None)."""
    return sv.Detections(
        xyxy=np.empty((0, 4), dtype=np.float32),
        confidence=np.empty(0, dtype=np.float32),
        class_id=np.empty(0, dtype=int),
        tracker_id=np.empty(0, dtype=int),
    )


def from_ultralytics(result: Results | None) -> sv.Detections:
    """Detections from one ultralytics ``Results`` (None gives none), with confidence and class always set."""
    if result is None or result.boxes is None or len(result.boxes) == 0:
        return empty()
    dets = sv.Detections.from_ultralytics(result)
    dets.data.pop("class_name", None)
    return dets


def select(dets: sv.Detections, index: np.ndarray) -> sv.Detections:
    """The detections at ``index`` (integer or boolean array); typed, where ``Detections[...]`` may be a data array."""
    out = dets[index]
    if not isinstance(out, sv.Detections):  # only a string key gives a data array
        raise TypeError(f"index {index!r} does not select detections")
    return out


def predicted(results: Iterable[object]) -> list[Results]:
    """``YOLO.predict``'s output as what it is without ``stream``: a list of ``Results`` (checked, not assumed).

    Ultralytics annotates ``predict`` as returning a list or an iterator, of results or of tensors.
    """
    from ultralytics.engine.results import Results

    out = list(results)
    for r in out:
        if not isinstance(r, Results):
            raise TypeError(f"YOLO.predict gave a {type(r).__name__}, not ultralytics Results")
    return cast("list[Results]", out)


def track_ids(dets: sv.Detections) -> np.ndarray:
    """Track id per detection as ints (-1 where untracked or when the detections were never tracked)."""
    if dets.tracker_id is None:
        return np.full(len(dets), -1, dtype=int)
    return np.asarray(dets.tracker_id, dtype=int)


def feet_px(dets: sv.Detections) -> np.ndarray:
    """Bottom-centre of each box (N, 2): where a standing person touches the ground."""
    return dets.get_anchors_coordinates(sv.Position.BOTTOM_CENTER).astype(float)


class GridIndex:
    """Which district grid a local (x, y) point lies in, through a shapely STRtree."""

    def __init__(self, district: District) -> None:
        self.ids = [g.id for g in district.grids]
        self.tree = STRtree([g.local for g in district.grids])

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Grid id per point ("" outside every grid or for NaN points)."""
        out = np.full(len(x), "", dtype=object)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            idx = np.flatnonzero(ok)
            pts, grids = self.tree.query(points(x[ok], y[ok]), predicate="intersects")
            for p, g in zip(pts, grids, strict=True):
                if out[idx[p]] == "":
                    out[idx[p]] = self.ids[g]
        return out


def attach_ground(
    dets: sv.Detections,
    camera: CameraModel,
    pose: CameraPose,
    frame: LocalFrame,
    *,
    grids: GridIndex | None = None,
    attitude_sigma_deg: float = 1.0,
    pixel_sigma_px: float = 2.0,
    max_range_m: float = 500.0,
) -> sv.Detections:
    """Fill ``data`` with each person's ground position, error and grid (see the module doc); returns ``dets``."""
    n = len(dets)
    if n == 0:
        for key in GROUND_KEYS:
            dets.data[key] = np.empty(0, dtype=object if key == "grid_id" else float)
        return dets
    px = feet_px(dets)
    x0, y0 = (float(v) for v in frame.to_local(pose.lon, pose.lat))
    x, y, ok = camera.ground_xy(px, pose, x0, y0, max_range_m=max_range_m)
    err = ground_error_m(camera, px, pose, attitude_sigma_deg=attitude_sigma_deg, pixel_sigma_px=pixel_sigma_px)
    lon, lat = frame.to_lonlat(np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    dets.data["x_m"] = x
    dets.data["y_m"] = y
    dets.data["lat"] = np.where(ok, np.asarray(lat, dtype=float).reshape(n), np.nan)
    dets.data["lon"] = np.where(ok, np.asarray(lon, dtype=float).reshape(n), np.nan)
    dets.data["error_m"] = np.where(ok, err, np.inf)
    dets.data["range_m"] = np.where(ok, np.sqrt((x - x0) ** 2 + (y - y0) ** 2 + pose.alt_rel**2), np.nan)
    dets.data["grid_id"] = grids.lookup(x, y) if grids is not None else np.full(n, "", dtype=object)
    return dets
