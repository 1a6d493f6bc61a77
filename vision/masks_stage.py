"""The face-mask stage, loaded only if the mask model's modules (``vision.masks``, ``vision.mask_votes``) exist.

The pipeline works without them: a warning is logged and no faces are checked. When the code is there but the
weights are missing or unreadable, a warning is logged and every person's face is reported ``unverifiable``.
With both, tracked people's faces are checked and the votes of recent checks decide, once per track, that a person
wears no mask. To keep the frame rate of a crowded scene, at most ``max_checks_per_frame`` people go to the model per
frame, the tracks checked longest ago first (round robin), then untracked people (whose checks cast no vote);
tracks already alerted are not checked again, and tracks whose votes have settled without an alert, or whose face
the model does not find, are checked again only after a while (``recheck_s``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv

from vision.config import MaskStageConfig
from vision.detections import select

if TYPE_CHECKING:
    from vision.mask_votes import MaskVerdict, MaskVotes
    from vision.masks import FaceCheck, MaskChecker

log = logging.getLogger(__name__)


class MaskStage:
    """Face checks per frame and one verdict per track (see ``vision.masks`` for the model).

    Args:
        cfg: The ``[vision.masks]`` settings.
        checker: A loaded mask model to use instead of loading ``cfg.weights`` (loading takes seconds: tests and
            several stages can share one; its thresholds are its own, not ``cfg``'s).
    """

    def __init__(self, cfg: MaskStageConfig, checker: MaskChecker | None = None) -> None:
        self.cfg = cfg
        self.checker: MaskChecker | _Unverifiable | None = None
        self.votes: MaskVotes | None = None
        self.reason = "disabled in [vision.masks]"
        self._last_checked: dict[int, float] = {}
        self._next_check: dict[int, float] = {}  # tracks backing off: not checked before this time
        self._misses: dict[int, int] = {}  # consecutive checks that found no face
        if not cfg.enabled:
            return
        try:
            from vision.mask_votes import MaskVotes
            from vision.masks import MaskChecker
        except ImportError as exc:
            self.reason = f"mask model code not installed ({exc})"
            log.warning("face-mask stage unavailable: %s; faces are not checked", self.reason)
            return
        self.votes = MaskVotes(window=cfg.window, min_votes=cfg.min_votes, min_share=cfg.min_share)
        try:
            self.checker = checker or MaskChecker(cfg.weights, min_face_px=cfg.min_face_px, conf=cfg.conf)
        except (FileNotFoundError, ValueError, RuntimeError) as exc:
            self.reason = f"mask model not loaded ({exc}); faces reported unverifiable"
            log.warning("face-mask stage: %s", self.reason)
            self.checker = _Unverifiable()
            return
        self.reason = ""

    @property
    def available(self) -> bool:
        """True when a mask model checks faces."""
        return self.checker is not None and not isinstance(self.checker, _Unverifiable)

    def check(
        self, frame: np.ndarray, people: sv.Detections, t: float, face_px: np.ndarray | None = None
    ) -> tuple[list[FaceCheck], list[tuple[FaceCheck, MaskVerdict]]]:
        """This frame's face checks and the new ``(check, verdict)`` pairs of tracks judged to wear no mask.

        ``face_px``: each person's expected face height in pixels, where known (from the slant range).
        """
        votes = self.votes
        if self.checker is None or votes is None or len(people) == 0:  # votes are set whenever a checker is
            return [], []
        hints = np.full(len(people), np.nan) if face_px is None else np.asarray(face_px, dtype=float)
        chosen = self._choose(votes, people, t, hints)
        if not chosen:
            return [], []
        picked = np.array(chosen)
        faces = [
            replace(face, person_index=chosen[face.person_index]) if face.person_index is not None else face
            for face in self.checker.check(frame, select(people, picked), hints[picked])
        ]
        verdicts: list[tuple[FaceCheck, MaskVerdict]] = []
        for face in faces:
            tid = getattr(face, "tracker_id", None)
            if tid is None or int(tid) < 0:
                continue
            verdict = votes.add(int(tid), face, t)
            self._schedule(votes, int(tid), face.verifiable, t)
            if verdict is not None:
                verdicts.append((face, verdict))
        if len(self._last_checked) > 4 * max(len(people), 64):  # forget tracks long gone
            votes.forget_older_than(t - 60.0)
            keep = {k for k, v in self._last_checked.items() if v >= t - 60.0}
            self._last_checked = {k: self._last_checked[k] for k in keep}
            self._next_check = {k: v for k, v in self._next_check.items() if k in keep}
            self._misses = {k: v for k, v in self._misses.items() if k in keep}
        return faces, verdicts

    def check_still(self, frame: np.ndarray, people: sv.Detections) -> list[FaceCheck]:
        """One photo's faces, each judged once from this photo alone (no votes, no schedule; ``vision.stills``)."""
        checker = self.checker
        if checker is None or len(people) == 0:
            return []
        if isinstance(checker, _Unverifiable):  # not ``available``
            return list(checker.check(frame, people))
        from vision.stills import search_faces

        return search_faces(checker, frame, people)

    def _schedule(self, votes: MaskVotes, tid: int, verifiable: bool, t: float) -> None:
        """When to check this track next: at once while its votes build up; later once they have settled (a full
        window and no alert) or while its face cannot be seen (0.5 s, doubling, up to ``recheck_s``)."""
        self._last_checked[tid] = t
        if not verifiable:
            misses = self._misses[tid] = self._misses.get(tid, 0) + 1
            self._next_check[tid] = t + min(self.cfg.recheck_s, 0.5 * 2 ** (misses - 1))
            return
        self._misses.pop(tid, None)
        settled = sum(votes.tally(tid).values()) >= self.cfg.window
        self._next_check[tid] = t + self.cfg.recheck_s if settled else t

    def _choose(self, votes: MaskVotes, people: sv.Detections, t: float, hints: np.ndarray) -> list[int]:
        """Indices of the people to check at ``t``: not alerted, not backing off, within the per-frame budget."""
        from vision.masks import ESTIMATE_MARGIN, face_estimate

        n = len(people)
        ids = people.tracker_id if people.tracker_id is not None else np.full(n, -1)
        small, large = [], []
        for i, (tid, box) in enumerate(zip(ids, np.asarray(people.xyxy, dtype=float), strict=True)):
            if int(tid) >= 0 and (votes.alerted(int(tid)) or self._next_check.get(int(tid), -np.inf) > t):
                continue
            if face_estimate(box, hints[i]) < self.cfg.min_face_px * ESTIMATE_MARGIN:
                small.append(i)  # reported unverifiable without running the model: free
            else:
                large.append(i)
        # tracks checked longest ago (never: first), then untracked people, whose checks cast no vote
        large.sort(key=lambda i: (int(ids[i]) < 0, self._last_checked.get(int(ids[i]), -np.inf)))
        if self.cfg.max_checks_per_frame:
            large = large[: self.cfg.max_checks_per_frame]
        return sorted(small + large)


class _Unverifiable:
    """Stands in for a MaskChecker whose weights are missing: every face is ``unverifiable`` (never a vote)."""

    def check(self, frame: np.ndarray, people: sv.Detections, face_px: np.ndarray | None = None) -> list[FaceCheck]:
        from vision.masks import FaceCheck, estimated_face_px, head_crop

        h, w = frame.shape[:2]
        ids = people.tracker_id
        out = []
        for i, box in enumerate(np.asarray(people.xyxy, dtype=float)):
            tid = int(ids[i]) if ids is not None else None
            x1, y1, x2, y2 = head_crop(box, w, h)
            out.append(
                FaceCheck(
                    i, tid, (float(x1), float(y1), float(x2), float(y2)), "unverifiable", 0.0, estimated_face_px(box)
                )
            )
        return out
