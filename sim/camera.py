"""What a simulated drone's camera sees of a :class:`sim.scene.GroundScene`.

The camera pose and pinhole model are :mod:`vision.camera_model`'s (:class:`CameraPose`, :class:`CameraModel`),
the same ones ``vision/geolocate.py`` locates with, so the simulator draws a ground point at the pixel vision
places back on that point. ``sim`` imports small modules of ``vision`` (this one, numpy only); ``vision`` never
imports ``sim``. The conventions (local east/north/up metres of the scene's :class:`mission_planner.geo.LocalFrame`,
flat ground at home altitude, stabilised gimbal, pinhole without distortion) are documented there.

Rendering (:class:`CameraRenderer`): the seeded procedural ground (``sim.ground``) is ray-cast for every pixel,
then each person is pasted far to near as an upright billboard cut from a real photograph (``sim.sprites``): its
bottom centre on the projected foot point, its top centre on the head point ``height_m`` above, its width the
photo's aspect at that depth (``fx``). Looking steeply down the head-foot distance shrinks (foreshortening); it is
kept at least 0.8x the person's width, so at nadir a person is a small blob rather than nothing. A soft shadow
ellipse sits at the feet. People behind the camera or outside the frame are skipped. :meth:`CameraRenderer.truth`
returns the ground-truth pixel boxes, foot points and visible shares per person id for scoring detection.

Example:
    >>> from mission_planner.profiles import CameraProfile
    >>> cam = CameraModel.from_profile(CameraProfile())
    >>> pose = CameraPose(30.544, 114.295, 40.0, 0, 0, 0.0, -90.0, 0.0, 0.0)
    >>> uv, depth = cam.project(pose, (0.0, 0.0), np.array([[0.0, 0.0, 0.0]]))
    >>> uv.round(3).tolist(), depth.round(3).tolist()
    ([[960.0, 540.0]], [40.0])
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile
from sim.ground import SKY_BGR, GroundTexture
from sim.scene import GroundScene
from vision.camera_model import CameraModel, CameraPose

if TYPE_CHECKING:
    from sim.sprites import Sprite, SpriteBank

NEAR_M = 0.5
MIN_BLOB = 0.8
#: Most ground rays a frame casts (2 x 2 blocks up to 1280 x 720 pixels; a bigger image, bigger blocks): the
#: ground is most of a frame's render time. Bigger blocks for 720p made the demo's first crowd (a borderline
#: one) go unfound in two runs of two, so 720p frames keep 2 x 2 and their pixels.
BACKGROUND_RAYS = 240_000


def look_at(
    frame: LocalFrame,
    target_en: tuple[float, float],
    alt_m: float,
    gimbal_pitch: float,
    heading: float = 0.0,
    time: float = 0.0,
) -> CameraPose:
    """The pose whose image centre sees the ground point ``target_en`` from ``alt_m`` at this gimbal pitch.

    The camera stands back from the target against ``heading`` by ``alt_m / tan(-gimbal_pitch)`` (0 at nadir).

    Raises:
        ValueError: a pitch at or above the horizon (it never sees the ground), or a non-positive altitude.
    """
    if not -90.0 <= gimbal_pitch < 0.0 or alt_m <= 0:
        raise ValueError(f"need -90 <= gimbal_pitch < 0 and alt_m > 0, got {gimbal_pitch}, {alt_m}")
    back = 0.0 if gimbal_pitch == -90.0 else alt_m / math.tan(math.radians(-gimbal_pitch))
    h = math.radians(heading)
    lon, lat = frame.to_lonlat(target_en[0] - back * math.sin(h), target_en[1] - back * math.cos(h))
    return CameraPose(float(lat), float(lon), alt_m, 0.0, 0.0, heading, gimbal_pitch, 0.0, time)


@dataclass(frozen=True)
class PersonTruth:
    """Where a rendered person is in the image.

    Attributes:
        box: pixel box (x0, y0, x1, y1) of the pasted person, clipped to the image.
        foot: projected foot point (u, v), px (may lie outside the image when the person is cut by the edge).
        visible: share of the person's pixels not hidden by nearer people (0..1).
        range_m: distance from the camera to the person's feet.
    """

    box: tuple[int, int, int, int]
    foot: tuple[float, float]
    visible: float
    range_m: float


@dataclass(frozen=True)
class Rendered:
    """A rendered frame and its ground truth.

    Attributes:
        image: BGR uint8 (height, width, 3).
        people: truth per person id, for everyone at least partly in the frame.
    """

    image: np.ndarray
    people: dict[str, PersonTruth]


class CameraRenderer:
    """Renders the camera view of a ground scene for a pose.

    Args:
        camera: the camera profile (image size, lens, sensor).
        scene: the people on the ground.
        sprites: person sprites (``SpriteBank.load()``); loaded on first render when None.
        background: the ground texture (default: ``GroundTexture(seed=scene.seed)``).
        shadows: draw a soft shadow at each person's feet.
        noise: sensor noise standard deviation (grey levels); a light blur is applied with it.
    """

    def __init__(
        self,
        camera: CameraProfile,
        scene: GroundScene,
        *,
        sprites: SpriteBank | None = None,
        background: GroundTexture | None = None,
        shadows: bool = True,
        noise: float = 2.0,
    ) -> None:
        self.model = CameraModel.from_profile(camera)
        self.scene = scene
        self._sprites = sprites
        self.ground = background or GroundTexture(seed=scene.seed)
        self.shadows = shadows
        self.noise = noise
        self._people_en = scene.local()

    @property
    def sprites(self) -> SpriteBank:
        """The sprite bank (cut from the photos on first use)."""
        if self._sprites is None:
            from sim.sprites import SpriteBank

            self._sprites = SpriteBank.load()
        return self._sprites

    def camera_en(self, pose: CameraPose) -> tuple[float, float]:
        """The camera's (east, north) metres in the scene's frame."""
        x, y = self.scene.frame.to_local(pose.lon, pose.lat)
        return float(x), float(y)

    def render(self, pose: CameraPose) -> np.ndarray:
        """The camera image (BGR uint8, image_height_px x image_width_px) at ``pose``."""
        return self.truth(pose).image

    def truth(self, pose: CameraPose) -> Rendered:
        """The camera image at ``pose`` and where each person landed in it."""
        m = self.model
        cam_en = self.camera_en(pose)
        image = self._background(pose, cam_en)
        owner = np.full((m.height, m.width), -1, np.int32)
        people = self.scene.people
        feet = np.column_stack([self._people_en, np.zeros(len(people))]) if people else np.zeros((0, 3))
        heads = feet + np.column_stack([np.zeros((len(people), 2)), [p.height_m for p in people]])
        uv_f, z_f = m.project(pose, cam_en, feet) if people else (np.zeros((0, 2)), np.zeros(0))
        uv_h, z_h = m.project(pose, cam_en, heads) if people else (np.zeros((0, 2)), np.zeros(0))
        drawn: dict[int, tuple[tuple[int, int, int, int], int]] = {}
        for i in np.argsort(-z_f):  # far to near
            if z_f[i] < NEAR_M or z_h[i] < NEAR_M:
                continue
            sprite = self.sprites.pick(people[i].id, people[i].masked)
            flip = zlib.crc32(people[i].id.encode()) & 1 == 1
            placed = self._paste(image, owner, int(i), sprite, flip, uv_f[i], uv_h[i], (z_f[i] + z_h[i]) / 2)
            if placed is not None:
                drawn[int(i)] = placed
        result: dict[str, PersonTruth] = {}
        for i, (box, area) in drawn.items():
            x0, y0, x1, y1 = box
            visible = float(np.count_nonzero(owner[y0:y1, x0:x1] == i)) / max(area, 1)
            rng_m = float(np.linalg.norm(feet[i] - np.array([cam_en[0], cam_en[1], pose.alt_rel])))
            result[people[i].id] = PersonTruth(box, (float(uv_f[i][0]), float(uv_f[i][1])), visible, rng_m)
        return Rendered(self._finish(image, pose), result)

    # --- pieces

    def _background(self, pose: CameraPose, cam_en: tuple[float, float]) -> np.ndarray:
        """The ground ray-cast in blocks of step x step pixels (2 x 2, or larger for a big image: at most about
        :data:`BACKGROUND_RAYS` rays), scaled up to the image size; the texture's fine lines fade with the block."""
        m = self.model
        step = background_step(m.width, m.height)
        rays = self.model.grid_rays(pose, step).reshape(-1, 3).astype(np.float32)
        dz = rays[:, 2]
        hits = dz < -1e-6
        t = np.where(hits, pose.alt_rel / np.where(hits, -dz, 1.0), 0.0)
        norm = np.linalg.norm(rays, axis=1)
        grazing = np.where(hits, -dz / norm, 1.0)
        footprint = step * t * norm / m.fx / np.maximum(grazing, 0.1)
        out = np.empty((rays.shape[0], 3), np.uint8)
        out[:] = SKY_BGR.astype(np.uint8)
        if hits.any():
            e = cam_en[0] + t[hits] * rays[hits, 0]
            n = cam_en[1] + t[hits] * rays[hits, 1]
            colour = self.ground.colour(e, n, footprint[hits]).astype(np.float32)
            haze = np.clip((t[hits] - 250.0) / 1500.0, 0, 0.8)[:, None]
            out[hits] = np.clip(colour * (1 - haze) + SKY_BGR * haze, 0, 255).astype(np.uint8)
        small = out.reshape(-(-m.height // step), -(-m.width // step), 3)
        return cv2.resize(small, (m.width, m.height), interpolation=cv2.INTER_LINEAR)

    def _paste(
        self,
        image: np.ndarray,
        owner: np.ndarray,
        index: int,
        sprite: Sprite,
        flip: bool,
        foot: np.ndarray,
        head: np.ndarray,
        depth: float,
    ) -> tuple[tuple[int, int, int, int], int] | None:
        """Warp one sprite into the image; returns (box, pixel count) or None when it is outside the frame."""
        m = self.model
        person = self.scene.people[index]
        sh, sw = sprite.alpha.shape
        width = m.fx * person.height_m * (sw / sh) / depth
        axis = head - foot
        length = float(np.hypot(*axis))
        up = axis / length if length > 1e-6 else np.array([0.0, -1.0])
        length = max(length, MIN_BLOB * width)
        if width < 1.0 or length < 1.0:
            return None
        side = np.array([-up[1], up[0]])
        corners = np.array([foot + s * side * width / 2 + k * up * length for s in (-1, 1) for k in (0, 1)])
        pad = 2 + (math.ceil(1.1 * width) if self.shadows else 0)  # room for the shadow
        x0, y0 = np.floor(corners.min(axis=0)).astype(int) - pad
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + pad
        if x1 <= 0 or y1 <= 0 or x0 >= m.width or y0 >= m.height:
            return None
        bgr, alpha = sprite.bgr, sprite.alpha
        if flip:
            bgr, alpha = bgr[:, ::-1], alpha[:, ::-1]
        scale = length / sh
        if scale < 0.5:  # shrink with area averaging first, the affine warp then only nudges
            nw, nh = max(2, round(width)), max(2, round(length))
            bgr = cv2.resize(np.ascontiguousarray(bgr), (nw, nh), interpolation=cv2.INTER_AREA)
            alpha = cv2.resize(np.ascontiguousarray(alpha), (nw, nh), interpolation=cv2.INTER_AREA)
            sh, sw = alpha.shape
        rx0, ry0 = max(0, x0), max(0, y0)
        rx1, ry1 = min(m.width, x1), min(m.height, y1)
        # sprite (sx, sy) -> image: foot + (sx - sw/2) * width/sw * side + (sh - sy) * length/sh * up
        a = width / sw * side
        b = -length / sh * up
        t = foot - sw / 2 * a + length * up - np.array([rx0, ry0])
        mat = np.array([[a[0], b[0], t[0]], [a[1], b[1], t[1]]], np.float64)
        size = (rx1 - rx0, ry1 - ry0)
        flags = cv2.INTER_LINEAR
        patch = cv2.warpAffine(np.ascontiguousarray(bgr), mat, size, flags=flags, borderMode=cv2.BORDER_CONSTANT)
        cover = cv2.warpAffine(np.ascontiguousarray(alpha), mat, size, flags=flags, borderValue=0.0)
        roi = image[ry0:ry1, rx0:rx1]
        if self.shadows:
            _shadow(roi, foot - np.array([rx0, ry0]), width, up)
        cov = cover[..., None]
        roi[:] = np.clip(patch * cov + roi * (1.0 - cov), 0, 255).astype(np.uint8)
        solid = cover > 0.5
        ys, xs = np.nonzero(solid)
        if len(xs) == 0:
            return None
        owner[ry0:ry1, rx0:rx1][solid] = index
        box = (rx0 + int(xs.min()), ry0 + int(ys.min()), rx0 + int(xs.max()) + 1, ry0 + int(ys.max()) + 1)
        return box, len(xs)

    def _finish(self, image: np.ndarray, pose: CameraPose) -> np.ndarray:
        if self.noise <= 0:
            return image
        blurred = cv2.GaussianBlur(image, (0, 0), 0.6)
        seed = zlib.crc32(f"{self.scene.seed}:{pose.lat:.7f}:{pose.lon:.7f}:{pose.alt_rel:.2f}:{pose.time}".encode())
        rng = np.random.default_rng(seed)
        grain = rng.normal(0.0, self.noise, image.shape[:2]).astype(np.float32)[..., None]
        out = blurred.astype(np.float32)
        out += grain  # in place: a third of the time of a new array per step, the same pixels
        np.clip(out, 0, 255, out=out)
        return out.astype(np.uint8)


def background_step(width: int, height: int) -> int:
    """The side of the pixel blocks the ground is ray-cast in: 2, or more for an image of over
    :data:`BACKGROUND_RAYS` blocks (1280 x 720: 2, 1920 x 1080: 3)."""
    return max(2, math.ceil(math.sqrt(width * height / BACKGROUND_RAYS)))


def _shadow(roi: np.ndarray, foot: np.ndarray, width: float, up: np.ndarray) -> None:
    """Darken a soft ellipse under the feet (inside ``roi``, in place)."""
    mask = np.zeros(roi.shape[:2], np.float32)
    centre = (round(foot[0]), round(foot[1]))
    axes = (max(1, round(0.55 * width)), max(1, round(0.22 * width)))
    angle = math.degrees(math.atan2(up[1], up[0])) + 90.0
    cv2.ellipse(mask, centre, axes, angle, 0, 360, 0.35, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), max(0.5, 0.15 * width))[..., None]
    roi[:] = (roi * (1.0 - soft)).astype(np.uint8)
