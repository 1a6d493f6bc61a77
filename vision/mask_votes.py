"""Votes across the frames of a track before a mask alert.

One frame's mask check is noisy (a hand before the face, motion blur, a turned head). ``MaskVotes`` keeps each
track's last ``window`` verifiable checks and alerts once per track when at least ``min_votes`` of them say
``without_mask`` and those are at least ``min_share`` of the window. ``unverifiable`` checks are not votes: a face
too small to see neither accuses nor clears anyone.

Example:
    >>> from vision.masks import FaceCheck
    >>> votes = MaskVotes(window=5, min_votes=3, min_share=0.6)
    >>> bare = FaceCheck(0, 7, (0.0, 0.0, 30.0, 30.0), "without_mask", 0.8, 30.0)
    >>> [votes.add(7, bare, t) is not None for t in (0.0, 0.5, 1.0, 1.5)]
    [False, False, True, False]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from vision.masks import FaceCheck, MaskLabel


@dataclass(frozen=True)
class MaskVerdict:
    """A track's mask alert, decided from several frames.

    Attributes:
        tracker_id: the person's track.
        label: the alerting label (``without_mask``).
        votes: checks in the window with that label.
        window: verifiable checks in the window.
        share: ``votes / window``.
        confidence: mean model confidence of the agreeing votes.
        first_t: time of the oldest agreeing vote in the window (seconds, the caller's clock).
        t: time of the check that completed the verdict.
        best: the agreeing check with the highest confidence (its face box is the evidence to show).
    """

    tracker_id: int
    label: MaskLabel
    votes: int
    window: int
    share: float
    confidence: float
    first_t: float
    t: float
    best: FaceCheck


@dataclass
class _Track:
    checks: deque[tuple[float, FaceCheck]]
    alerted: bool = False
    last_t: float = field(default=0.0)


class MaskVotes:
    """Per-track vote keeper; ``add`` returns a ``MaskVerdict`` once per track when the votes agree.

    Args:
        window: how many of a track's latest verifiable checks count.
        min_votes: agreeing checks needed for an alert.
        min_share: agreeing share of the window needed for an alert.
        alert_labels: labels that alert (default only ``without_mask``).

    Raises:
        ValueError: on a window below 1, ``min_votes`` outside 1..window or ``min_share`` outside (0, 1].
    """

    def __init__(
        self,
        *,
        window: int = 7,
        min_votes: int = 3,
        min_share: float = 0.6,
        alert_labels: Iterable[MaskLabel] = ("without_mask",),
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        if not 1 <= min_votes <= window:
            raise ValueError(f"min_votes must be between 1 and window ({window}), got {min_votes}")
        if not 0 < min_share <= 1:
            raise ValueError(f"min_share must be in (0, 1], got {min_share}")
        self.window = window
        self.min_votes = min_votes
        self.min_share = min_share
        self.alert_labels = frozenset(alert_labels)
        if "unverifiable" in self.alert_labels:
            raise ValueError("alert_labels cannot include 'unverifiable': it is not a vote")
        self._tracks: dict[int, _Track] = {}

    def add(self, tracker_id: int, check: FaceCheck, t: float) -> MaskVerdict | None:
        """Record one frame's check of a track; return the track's verdict the first time the votes agree."""
        track = self._tracks.get(tracker_id)
        if track is None:
            track = self._tracks[tracker_id] = _Track(deque(maxlen=self.window))
        track.last_t = t
        if not check.verifiable:
            return None
        track.checks.append((t, check))
        if track.alerted:
            return None
        n = len(track.checks)
        for label in self.alert_labels:
            agreeing = [(ts, c) for ts, c in track.checks if c.label == label]
            if len(agreeing) >= self.min_votes and len(agreeing) / n >= self.min_share:
                track.alerted = True
                return MaskVerdict(
                    tracker_id=tracker_id,
                    label=label,
                    votes=len(agreeing),
                    window=n,
                    share=len(agreeing) / n,
                    confidence=sum(c.confidence for _, c in agreeing) / len(agreeing),
                    first_t=min(ts for ts, _ in agreeing),
                    t=t,
                    best=max((c for _, c in agreeing), key=lambda c: c.confidence),
                )
        return None

    def alerted(self, tracker_id: int) -> bool:
        """Whether this track has already had its alert."""
        track = self._tracks.get(tracker_id)
        return track is not None and track.alerted

    def tally(self, tracker_id: int) -> dict[str, int]:
        """Counts per label in the track's current window (empty for an unknown track)."""
        track = self._tracks.get(tracker_id)
        counts: dict[str, int] = {}
        for _, c in track.checks if track else ():
            counts[c.label] = counts.get(c.label, 0) + 1
        return counts

    def forget_older_than(self, t: float) -> list[int]:
        """Drop tracks not seen since ``t`` (tracks the tracker has lost); return their ids."""
        gone = [tid for tid, track in self._tracks.items() if track.last_t < t]
        for tid in gone:
            del self._tracks[tid]
        return gone

    def __len__(self) -> int:
        """Number of tracks kept."""
        return len(self._tracks)
