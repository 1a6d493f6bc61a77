"""The console's proposed warnings (``confirm`` mode, :mod:`gridpatrol.station.proposals`): list, play, dismiss.

``GET /api/proposals`` lists this patrol's proposals, newest first, each with its phrase, drone, grid, incident,
snapshot link, state and seconds left. ``POST /api/proposals/ID/play`` plays one through the station's speaker
path (:meth:`~gridpatrol.station.runtime.Station.play_proposal`: the broadcast is logged as any warning);
``POST /api/proposals/ID/dismiss`` drops it. Both need an operator (observers get 403), answer 404 for an unknown
id and 409 with the reason for one that expired or was played or dismissed already, and go into the audit log
with who and what came of it.

No ``from __future__ import annotations``: FastAPI must see the dependency types as objects (as in ``app.py``).
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from gridpatrol.console.accounts import Accounts, Session
from gridpatrol.station.proposals import Proposal, ProposalError

#: Most proposals listed (the newest).
MAX_LISTED = 50


def proposal_view(station: Any, proposal: Proposal) -> dict[str, Any]:
    """A proposal as the page shows it: :meth:`Proposal.view` plus the incident's snapshot link (or ``None``)."""
    view = proposal.view(station.proposals.clock())
    has_snapshot = any(
        r.incident.id == proposal.incident_id and getattr(r.incident, "snapshot", None) for r in list(station.incidents)
    )
    view["snapshot"] = f"/api/incidents/{proposal.incident_id}/snapshot" if has_snapshot else None
    return view


def proposals_router(
    station: Any,
    accounts: Accounts,
    session: Callable[..., Session],
    changing: Callable[..., Session],
) -> APIRouter:
    """The proposals' routes for ``station``; ``session`` and ``changing`` are the app's login and CSRF checks."""
    router = APIRouter()
    Who = Annotated[Session, Depends(session)]
    Changing = Annotated[Session, Depends(changing)]

    @router.get("/api/proposals")
    def proposals(who: Who) -> dict[str, Any]:
        """This patrol's proposed warnings, newest first, and each grid's warning mode."""
        config = station.settings.speaker
        listed = station.proposals.all()[:MAX_LISTED]
        modes = {g: config.mode_for(g) for g in station.run.grids}
        return {
            "proposals": [proposal_view(station, p) for p in listed],
            "mode": config.warning_mode,
            "modes": modes,
            "ttl_s": config.proposal_ttl_s,
        }

    def close(who: Session, proposal_id: str, verb: str) -> dict[str, Any]:
        target = proposal_id[:64]
        try:
            if not who.can_command:
                raise ProposalError(403, "observers watch only; an operator login is needed to play warnings")
            if verb == "play":
                done = station.play_proposal(proposal_id, who.username)
            else:
                done = station.dismiss_proposal(proposal_id, who.username)
        except ProposalError as exc:
            accounts.audit(who.username, f"{verb}-warning", target, "", f"refused: {exc.message}")
            raise HTTPException(exc.status, exc.message) from None
        what = f"{done.drone_id} {done.kind} in grid {done.grid_id}: {done.text}"[:500]
        accounts.audit(who.username, f"{verb}-warning", done.drone_id, f"proposal={done.id}", f"ok: {what}")
        return proposal_view(station, done)

    @router.post("/api/proposals/{proposal_id}/play")
    def play(proposal_id: str, who: Changing) -> dict[str, Any]:
        """Play a proposed warning now (operators)."""
        return close(who, proposal_id, "play")

    @router.post("/api/proposals/{proposal_id}/dismiss")
    def dismiss(proposal_id: str, who: Changing) -> dict[str, Any]:
        """Drop a proposed warning unplayed (operators)."""
        return close(who, proposal_id, "dismiss")

    return router
