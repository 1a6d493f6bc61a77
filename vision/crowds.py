"""Crowds on the ground: people standing close together for long enough, reported once and closed on dispersal.

Grouping is single-linkage on ground positions in metres (scikit-learn DBSCAN with ``min_samples=1`` and
``eps=max_spacing_m``): two people belong to one group when a chain of neighbours, each closer than
``max_spacing_m``, joins them. A group of at least ``min_people`` is a *candidate*; it is matched to the
candidates of earlier frames by shared track ids, else by centroid within ``match_m``. A candidate that has
lasted ``min_duration_s`` is reported once (``opened``); it is closed (``closed``) only after no matching group
of ``min_people`` has been seen for ``dispersed_s`` seconds, so a missed detection or one person stepping out for
a moment never makes it flap.

Example:
    >>> import numpy as np
    >>> from vision.config import CrowdConfig
    >>> mon = CrowdMonitor(CrowdConfig(min_people=3, max_spacing_m=1.0, min_duration_s=2, dispersed_s=2))
    >>> xy = np.array([[0.0, 0.0], [0.8, 0.0], [1.6, 0.0]])
    >>> [e.kind for t in (0, 1, 2, 3) for e in mon.update(t, np.array([1, 2, 3]), xy)]
    ['opened']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sklearn.cluster import DBSCAN

from vision.config import CrowdConfig


@dataclass
class Crowd:
    """A group of people on the ground, followed over frames."""

    id: int
    first_seen: float
    last_seen: float
    members: set[int] = field(default_factory=set)
    count: int = 0
    centroid: tuple[float, float] = (0.0, 0.0)
    radius_m: float = 0.0
    max_count: int = 0
    confidence: float = 0.0
    reported: bool = False

    @property
    def duration_s(self) -> float:
        """How long the group has been seen (first to latest sighting)."""
        return self.last_seen - self.first_seen

    @property
    def density(self) -> float:
        """People per square metre in the group's circle (radius at least 0.5 m)."""
        r = max(self.radius_m, 0.5)
        return self.count / (math.pi * r * r)


@dataclass(frozen=True)
class CrowdEvent:
    """A crowd was reported (``opened``) or has dispersed (``closed``)."""

    kind: Literal["opened", "closed"]
    crowd: Crowd
    t: float


def cluster(xy: np.ndarray, max_spacing_m: float) -> np.ndarray:
    """Group label per point (N, 2 metres): single-linkage within ``max_spacing_m``; NaN points get -1."""
    labels = np.full(len(xy), -1, dtype=int)
    ok = np.isfinite(xy).all(axis=1) if len(xy) else np.zeros(0, dtype=bool)
    if ok.sum() > 0:
        labels[ok] = DBSCAN(eps=max_spacing_m, min_samples=1).fit(xy[ok]).labels_
    return labels


class CrowdMonitor:
    """Follows groups frame by frame and emits crowd events (see the module doc)."""

    def __init__(self, cfg: CrowdConfig) -> None:
        self.cfg = cfg
        self.active: list[Crowd] = []
        self._ids = itertools.count(1)

    def update(
        self,
        t: float,
        track_ids: np.ndarray,
        xy: np.ndarray,
        confidence: np.ndarray | None = None,
        recount: Callable[[np.ndarray], int] | None = None,
    ) -> list[CrowdEvent]:
        """Take one frame's tracked people (ids, ground xy in metres) at time ``t``; return new events.

        ``recount``, given the indices of a group's members (at least ``recount_min_people``), returns how many
        people the group really has (``vision.crowd_count``): the detector misses people in dense groups, so
        the group's count, and whether it reaches ``min_people``, use the larger of the two.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.asarray(track_ids, dtype=int).reshape(-1)
        conf = np.ones(len(ids)) if confidence is None else np.asarray(confidence, dtype=float)
        smallest = min(self.cfg.min_people, self.cfg.recount_min_people) if recount else self.cfg.min_people
        too_few = len(xy) < smallest  # no crowd possible: skip the clustering cost
        labels = np.full(len(xy), -1, dtype=int) if too_few else cluster(xy, self.cfg.max_spacing_m)
        events: list[CrowdEvent] = []
        before = {c.id: (set(c.members), c.centroid, c.radius_m) for c in self.active}
        parts: dict[int, list[tuple[np.ndarray, int]]] = {}  # crowd id -> its groups this frame (selection, count)
        candidates: list[tuple[np.ndarray, int]] = []
        for label in set(labels.tolist()) - {-1}:
            sel = labels == label
            count = int(sel.sum())
            if recount is not None and count >= self.cfg.recount_min_people:
                count = max(count, recount(np.flatnonzero(sel)))
            if count >= self.cfg.min_people:
                candidates.append((sel, count))
        candidates.sort(key=lambda c: (-c[1], float(xy[c[0]].mean(axis=0)[0])))  # biggest first: it keeps the id
        for sel, count in candidates:
            members = set(ids[sel].tolist())
            centre = xy[sel].mean(axis=0)
            crowd = self._match(members, centre, set(parts)) or self._part_of(members, centre, parts, before)
            if crowd is None:
                crowd = Crowd(id=next(self._ids), first_seen=t, last_seen=t)
                self.active.append(crowd)
            parts.setdefault(crowd.id, []).append((sel, count))
        for crowd in self.active:
            if crowd.id in parts:
                self._see(crowd, t, parts[crowd.id], ids, xy, conf)
                if not crowd.reported and crowd.duration_s >= self.cfg.min_duration_s:
                    crowd.reported = True
                    events.append(CrowdEvent("opened", crowd, t))
        matched = set(parts)
        for crowd in list(self.active):
            if crowd.id not in matched and t - crowd.last_seen >= self.cfg.dispersed_s:
                self.active.remove(crowd)
                if crowd.reported:
                    events.append(CrowdEvent("closed", crowd, t))
        return events

    def _see(
        self,
        crowd: Crowd,
        t: float,
        groups: list[tuple[np.ndarray, int]],
        ids: np.ndarray,
        xy: np.ndarray,
        conf: np.ndarray,
    ) -> None:
        """Update ``crowd`` from the groups it was seen as in this frame (one, or the parts of a split group)."""
        sel = np.logical_or.reduce([g for g, _ in groups])
        pts = xy[sel]
        centre = pts.mean(axis=0)
        crowd.last_seen = t
        crowd.members = set(ids[sel].tolist())
        crowd.count = sum(n for _, n in groups)
        crowd.max_count = max(crowd.max_count, crowd.count)
        crowd.centroid = (float(centre[0]), float(centre[1]))
        crowd.radius_m = float(np.hypot(*(pts - centre).T).max())
        crowd.confidence = float(conf[sel].mean())

    def _part_of(
        self,
        members: set[int],
        centre: np.ndarray,
        parts: dict[int, list[tuple[np.ndarray, int]]],
        before: dict[int, tuple[set[int], tuple[float, float], float]],
    ) -> Crowd | None:
        """The crowd, already matched in this frame, that this group was part of a frame before: it shares its
        tracks, or lies in the area the crowd covered (a gap opened inside one gathering, not a new one)."""
        for crowd in self.active:
            if crowd.id not in parts or crowd.id not in before:
                continue
            was_members, was_centre, was_radius = before[crowd.id]
            inside = math.dist(was_centre, (float(centre[0]), float(centre[1]))) <= was_radius + self.cfg.max_spacing_m
            if members & was_members or inside:
                return crowd
        return None

    def _match(self, members: set[int], centre: np.ndarray, taken: set[int]) -> Crowd | None:
        best: Crowd | None = None
        best_key = (0, -math.inf)
        for crowd in self.active:
            if crowd.id in taken:
                continue
            shared = len(crowd.members & members)
            dist = math.dist(crowd.centroid, (float(centre[0]), float(centre[1])))
            if shared == 0 and dist > self.cfg.match_m:
                continue
            key = (shared, -dist)
            if key > best_key:
                best, best_key = crowd, key
        return best

    @property
    def reported(self) -> list[Crowd]:
        """Crowds reported and not yet closed."""
        return [c for c in self.active if c.reported]
