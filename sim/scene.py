"""Ground truth for the vision chain: people placed at known ground positions, in groups and alone.

A :class:`GroundScene` is what the simulated cameras (``sim.camera``) look at and what detection, geolocation and
crowd incidents are scored against. It is built from a seed, so a test gets the same people every run, and it
saves to JSON so a scoring script can read it back.

Groups are 5-8 people about 1 m apart (nearest neighbour 0.8-1.2 m, never closer than 0.7 m): a crowd under the
usual local rule of five or more people within about a metre or two of each other. Everyone in a group shares
its mask choice half of the time (a family, a queue), otherwise each person draws their own.

Example:
    >>> scene = GroundScene.around([(114.2950, 30.5440)], groups=2, singles=3, seed=7)
    >>> len(scene.people), len(scene.groups())
    (18, 2)
    >>> GroundScene.from_json(scene.to_json()) == scene
    True
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from mission_planner.district import District
from mission_planner.geo import LocalFrame

GROUP_SIZE = (5, 8)
NEIGHBOUR_M = (0.8, 1.2)
MIN_GAP_M = 0.7


@dataclass(frozen=True)
class Person:
    """One person standing on the ground.

    Attributes:
        id: unique in the scene (``g0-3`` for the fourth of group 0, ``s5`` for the sixth single).
        lat: latitude, degrees (WGS 84).
        lon: longitude, degrees.
        group: the group id, or None for someone alone.
        masked: whether they wear a face mask.
        height_m: standing height, metres.
    """

    id: str
    lat: float
    lon: float
    group: str | None
    masked: bool
    height_m: float


@dataclass(frozen=True)
class GroundScene:
    """People at known places; the local frame is centred on ``origin`` (lon, lat).

    Attributes:
        origin: (lon, lat) of the local metric frame the scene was laid out in.
        people: everyone in the scene.
        seed: the seed the scene was drawn from (0 for hand-made scenes).
    """

    origin: tuple[float, float]
    people: tuple[Person, ...]
    seed: int = 0
    _frame: LocalFrame | None = field(default=None, compare=False, repr=False)

    @cached_property
    def frame(self) -> LocalFrame:
        """The local (east, north) metric frame of the scene."""
        return self._frame or LocalFrame(*self.origin)

    def local(self) -> np.ndarray:
        """Everyone's ground position as an (N, 2) array of east, north metres (in ``people`` order)."""
        if not self.people:
            return np.zeros((0, 2))
        x, y = self.frame.to_local([p.lon for p in self.people], [p.lat for p in self.people])
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def groups(self) -> dict[str, list[Person]]:
        """The members of each group."""
        out: dict[str, list[Person]] = {}
        for p in self.people:
            if p.group is not None:
                out.setdefault(p.group, []).append(p)
        return out

    def person(self, person_id: str) -> Person:
        """The person with this id (KeyError naming it otherwise)."""
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(f"no person {person_id!r} in the scene")

    # --- building

    @classmethod
    def at_local(
        cls,
        origin: tuple[float, float],
        placed: Sequence[tuple[float, float]],
        *,
        masked: Sequence[bool] | bool = False,
        height_m: float = 1.7,
        group: str | None = None,
    ) -> GroundScene:
        """People at given (east, north) metres from ``origin`` (lon, lat), ids ``p0``, ``p1``...; for tests."""
        frame = LocalFrame(*origin)
        flags = [masked] * len(placed) if isinstance(masked, bool) else list(masked)
        people = []
        for i, (e, n) in enumerate(placed):
            lon, lat = frame.to_lonlat(e, n)
            people.append(Person(f"p{i}", float(lat), float(lon), group, bool(flags[i]), height_m))
        return cls(origin, tuple(people), 0, frame)

    @classmethod
    def around(
        cls,
        where: District | BaseGeometry | Sequence[tuple[float, float]],
        *,
        groups: int = 3,
        singles: int = 10,
        seed: int = 0,
        masked_share: float = 0.5,
        spread_m: float = 20.0,
    ) -> GroundScene:
        """A seeded scene in a district (its hotspots, else its grids), a lon/lat geometry or near (lon, lat) points.

        Args:
            where: a :class:`District` (groups at its hotspots when it has any, everyone inside its grids), a
                lon/lat shapely geometry (everyone inside it) or (lon, lat) points (everyone within ``spread_m``).
            groups: how many groups of 5-8 people.
            singles: how many people alone (at least 3 m from anyone else).
            seed: the random seed; the same seed gives the same scene.
            masked_share: probability that a person wears a mask.
            spread_m: radius around the points (points only).

        Raises:
            ValueError: nothing to place people in, or a share outside 0..1.
        """
        if not 0.0 <= masked_share <= 1.0:
            raise ValueError(f"masked_share must be within 0..1, got {masked_share}")
        if groups < 0 or singles < 0:
            raise ValueError(f"groups and singles must be >= 0, got {groups}, {singles}")
        rng = np.random.default_rng(seed)
        frame, area, anchors = _layout_area(where, spread_m)
        positions: list[tuple[float, float]] = []
        people: list[Person] = []

        def add(pid: str, xy: tuple[float, float], group: str | None, masked: bool) -> None:
            lon, lat = frame.to_lonlat(xy[0], xy[1])
            height = round(float(rng.uniform(1.6, 1.8)), 3)
            people.append(Person(pid, round(float(lat), 8), round(float(lon), 8), group, masked, height))
            positions.append(xy)

        for g in range(groups):
            centre = _free_point(rng, area, positions, anchors, clearance=4.5)
            shared = bool(rng.random() < masked_share) if rng.random() < 0.5 else None
            for i, xy in enumerate(_group_layout(rng, centre, int(rng.integers(GROUP_SIZE[0], GROUP_SIZE[1] + 1)))):
                masked = shared if shared is not None else bool(rng.random() < masked_share)
                add(f"g{g}-{i}", xy, f"g{g}", masked)
        for s in range(singles):
            add(
                f"s{s}", _free_point(rng, area, positions, None, clearance=2.5), None, bool(rng.random() < masked_share)
            )
        return cls((frame.lon0, frame.lat0), tuple(people), seed, frame)

    # --- files

    def to_json(self) -> str:
        """The scene as JSON (origin, seed, people)."""
        return json.dumps(
            {"version": 1, "origin": list(self.origin), "seed": self.seed, "people": [asdict(p) for p in self.people]},
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> GroundScene:
        """A scene saved with :meth:`to_json`.

        Raises:
            ValueError: not a scene file (the message says what is missing).
        """
        data: dict[str, Any] = json.loads(text)
        if data.get("version") != 1 or "people" not in data or "origin" not in data:
            raise ValueError("not a ground scene file: expected version 1 with 'origin' and 'people'")
        people = tuple(Person(**p) for p in data["people"])
        return cls((float(data["origin"][0]), float(data["origin"][1])), people, int(data.get("seed", 0)))

    def save(self, path: Path | str) -> None:
        """Write the scene to a JSON file."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> GroundScene:
        """Read a scene written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _layout_area(
    where: District | BaseGeometry | Sequence[tuple[float, float]], spread_m: float
) -> tuple[LocalFrame, BaseGeometry, list[tuple[float, float]] | None]:
    """The frame, the area to place people in (metres) and preferred group anchors (metres) for ``where``."""
    if isinstance(where, District):
        frame = where.frame
        area = shapely.union_all([g.local for g in where.grids])
        anchors = [(h.local.x, h.local.y) for h in where.hotspots] or None
        return frame, area, anchors
    if isinstance(where, BaseGeometry):
        frame = LocalFrame.around([where])
        return frame, frame.geom_to_local(where), None
    points = [(float(lon), float(lat)) for lon, lat in where]
    if not points:
        raise ValueError("give at least one (lon, lat) point, a geometry or a district to place people around")
    frame = LocalFrame.around([Point(p) for p in points])
    local = [tuple(float(v) for v in frame.to_local(lon, lat)) for lon, lat in points]
    area = shapely.union_all([Point(xy).buffer(spread_m) for xy in local])
    return frame, area, [(xy[0], xy[1]) for xy in local]


def _free_point(
    rng: np.random.Generator,
    area: BaseGeometry,
    taken: list[tuple[float, float]],
    anchors: list[tuple[float, float]] | None,
    clearance: float,
) -> tuple[float, float]:
    """A random point in ``area`` (near an anchor if given) at least ``clearance`` m from everyone placed."""
    if area.is_empty or area.area <= 0:
        raise ValueError("the area to place people in is empty")
    minx, miny, maxx, maxy = area.bounds
    pts = np.asarray(taken) if taken else np.zeros((0, 2))
    for attempt in range(5000):
        if anchors and attempt < 2000:
            ax, ay = anchors[int(rng.integers(len(anchors)))]
            r, a = 8.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            x, y = ax + r * math.cos(a), ay + r * math.sin(a)
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not area.contains(Point(x, y)):
            continue
        if len(pts) and np.min(np.hypot(pts[:, 0] - x, pts[:, 1] - y)) < clearance:
            continue
        return float(x), float(y)
    raise ValueError("no room left for more people in the area; place fewer or give a larger area")


def _group_layout(rng: np.random.Generator, centre: tuple[float, float], size: int) -> list[tuple[float, float]]:
    """``size`` positions around ``centre``, each 0.8-1.2 m from one placed before and >= 0.7 m from all."""
    placed = [centre]
    while len(placed) < size:
        bx, by = placed[int(rng.integers(len(placed)))]
        d, a = rng.uniform(*NEIGHBOUR_M), rng.uniform(0, 2 * math.pi)
        x, y = bx + d * math.cos(a), by + d * math.sin(a)
        if all(math.hypot(x - px, y - py) >= MIN_GAP_M for px, py in placed):
            placed.append((x, y))
    return placed
