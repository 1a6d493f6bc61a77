"""Proposed warnings: in ``confirm`` mode the station words an incident's warning and waits for the operator.

A grid's warning mode (``[speaker] warning_mode``, per grid ``[speaker.grids.ID] warning_mode``) decides what
happens when an incident is found there: ``auto`` plays the warning at once (as before), ``off`` logs the
incident only, and ``confirm`` (the default) puts a :class:`Proposal` here: the phrase in the warning language,
the drone, grid and incident (whose snapshot the console shows), and when it was made and expires, in station
time. The operator plays it with one click or key in the console (or ``play ID`` in the terminal), or dismisses
it; one that nobody plays within ``[speaker] proposal_ttl_s`` expires and is logged as expired unplayed. An expired,
played or dismissed proposal cannot be played.

Example:
    >>> box = Proposals(ttl_s=60, note=print, clock=lambda: 100.0)
    >>> box.open()
    []
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from speaker.speaker import PreparedWarning

State = Literal["proposed", "played", "dismissed", "expired"]


@dataclass
class ProposalError(Exception):
    """A proposal that cannot be played or dismissed: 404 (no such id) or 409 (expired, played, dismissed)."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Proposal:
    """One proposed warning and what became of it.

    ``created`` and ``expires`` are station time (seconds since the epoch, the station's clock).
    """

    id: str
    drone_id: str
    grid_id: str | None
    incident_id: str
    kind: str
    text: str
    language: str
    created: float
    expires: float
    warning: PreparedWarning = field(repr=False)
    state: State = "proposed"
    by: str | None = None
    closed: float | None = None

    def view(self, now: float) -> dict[str, object]:
        """The proposal as JSON for the console (``expires_in_s``: seconds left, 0 once closed)."""
        left = max(0.0, self.expires - now) if self.state == "proposed" else 0.0
        return {
            "id": self.id,
            "drone": self.drone_id,
            "grid": self.grid_id,
            "incident": self.incident_id,
            "kind": self.kind,
            "text": self.text,
            "lang": self.language,
            "created": self.created,
            "expires": self.expires,
            "expires_in_s": round(left, 1),
            "state": self.state,
            "by": self.by,
        }


class Proposals:
    """The station's proposed warnings (thread-safe: the events thread adds, the console and terminal take).

    Args:
        ttl_s: Seconds a proposal may be played.
        note: Tells the operator and the log (the station's ``note``).
        clock: Station time in seconds (``time.time``; a test passes a simulated clock).
    """

    def __init__(self, ttl_s: float, note: Callable[[str], None], clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self.note = note
        self.clock = clock
        self._items: dict[str, Proposal] = {}
        self._lock = threading.Lock()

    def add(self, drone_id: str, incident_id: str, warning: PreparedWarning) -> Proposal:
        """Propose ``warning`` (:meth:`speaker.speaker.Speaker.prepare`) for ``incident_id`` seen by ``drone_id``."""
        now = self.clock()
        b = warning.broadcast
        proposal = Proposal(
            id=secrets.token_hex(4),
            drone_id=drone_id,
            grid_id=b.grid_id,
            incident_id=incident_id,
            kind=b.kind,
            text=b.text,
            language=b.language,
            created=now,
            expires=now + self.ttl_s,
            warning=warning,
        )
        with self._lock:
            self._items[proposal.id] = proposal
        where = f"grid {b.grid_id}" if b.grid_id else "outside the grids"
        self.note(f"{drone_id}: warning proposed ({proposal.id}, {b.kind} in {where}): play {proposal.id}")
        return proposal

    def sweep(self) -> list[Proposal]:
        """Expire the proposals whose time is up, logging each as expired unplayed; returns them."""
        now = self.clock()
        with self._lock:
            due = [p for p in self._items.values() if p.state == "proposed" and now >= p.expires]
            for p in due:
                p.state, p.closed = "expired", now
        for p in due:
            self.note(f"{p.drone_id}: proposed warning {p.id} ({p.kind}) expired unplayed")
        return due

    def all(self) -> list[Proposal]:
        """Every proposal of this patrol, newest first (expired ones swept first)."""
        self.sweep()
        with self._lock:
            return list(reversed(self._items.values()))  # added in order: newest last

    def open(self) -> list[Proposal]:
        """The proposals that may still be played, newest first."""
        return [p for p in self.all() if p.state == "proposed"]

    def find(self, prefix: str) -> Proposal:
        """The proposal whose id is or starts with ``prefix`` (the terminal's ``play ID``)."""
        with self._lock:
            hits = [p for p in self._items.values() if prefix and p.id.startswith(prefix)]
        if len(hits) != 1:
            raise ProposalError(404, f"no proposal {prefix!r}" if not hits else f"{prefix!r} is ambiguous")
        return hits[0]

    def close(self, proposal_id: str, who: str, state: Literal["played", "dismissed"]) -> Proposal:
        """Mark a proposal played or dismissed by ``who``.

        Raises:
            ProposalError: 404 no such proposal; 409 it expired, or was played or dismissed already (the reason).
        """
        self.sweep()
        now = self.clock()
        with self._lock:
            proposal = self._items.get(proposal_id)
            if proposal is None:
                raise ProposalError(404, f"no proposal {proposal_id!r}")
            if proposal.state != "proposed":
                by = f" by {proposal.by}" if proposal.by else ""
                raise ProposalError(409, f"proposal {proposal_id} was {proposal.state}{by}; it cannot be {state}")
            proposal.state, proposal.by, proposal.closed = state, who, now
        return proposal
