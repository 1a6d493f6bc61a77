"""Incidents: idempotent create by stations, filtered cursor-paged list, detail, review and bulk review, and
deletion and redaction by admins (audited)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import audit
from api.deps import AdminUser, Caller, CurrentUser, ServicesDep, SessionDep, StationDep, get_or_404
from api.geo import GridIndex
from api.models import Broadcast, Grid, Incident, ReviewEvent, Snapshot, utcnow
from api.queries import FilterDep, after_cursor, encode_cursor
from api.schemas import (
    BulkReview,
    BulkReviewResult,
    IncidentCreate,
    IncidentDetail,
    IncidentPublic,
    IncidentsPage,
    IncidentUpdate,
    Redaction,
)

router = APIRouter(prefix="/incidents", tags=["incidents"])


def ensure_grid_index(session: Session, index: GridIndex) -> GridIndex:
    """Load the grids into ``index`` on first use."""
    if not index.loaded:
        from shapely.geometry import shape

        index.load([(g.id, shape(g.geometry)) for g in session.scalars(select(Grid))])
    return index


def unknown_snapshot(sha: str) -> str:
    """The error for an incident that names a snapshot nobody uploaded."""
    return f"snapshot_sha {sha} is unknown; upload it first with POST /api/snapshots"


def new_incident(session: Session, body: IncidentCreate, station: str, grids: GridIndex) -> Incident:
    """An Incident row for ``body``, with its grid found from lon/lat when the station did not name one."""
    grid_id = body.grid_id
    if grid_id is None and body.lon is not None and body.lat is not None:
        grid_id = ensure_grid_index(session, grids).locate(body.lon, body.lat)
    return Incident(**body.model_dump(exclude={"grid_id"}), grid_id=grid_id, station=station)


def same_incident(existing: Incident, body: IncidentCreate, station: str) -> bool:
    """Whether a stored incident is what ``body`` (from ``station``) describes: a retry, not a conflict."""
    return existing.station == station and _same(existing, body)


def _same(existing: Incident, body: IncidentCreate) -> bool:
    sent = body.model_dump(exclude={"id", "grid_id"})
    return all(getattr(existing, k) == v for k, v in sent.items()) and body.grid_id in (
        None,
        existing.grid_id,
    )


@router.post(
    "",
    response_model=IncidentPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already stored with this id (a retry): the stored incident."}},
)
def create_incident(
    body: IncidentCreate, session: SessionDep, station: StationDep, services: ServicesDep, response: Response
) -> Incident:
    """Store an incident. A retry with the same id returns the stored one (200); different content is 409."""
    existing = session.get(Incident, body.id)
    if existing is None:
        if body.snapshot_sha and session.get(Snapshot, body.snapshot_sha) is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, unknown_snapshot(body.snapshot_sha))
        incident = new_incident(session, body, station.name, services.grids)
        session.add(incident)
        try:
            session.commit()
        except IntegrityError:  # the same id arrived concurrently
            session.rollback()
            existing = session.get(Incident, body.id)
            if existing is None:
                raise
        else:
            services.hub.publish("incident", IncidentPublic.model_validate(incident).model_dump(mode="json"))
            return incident
    if not same_incident(existing, body, station.name):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"incident {body.id} already exists with different content; use a new id for a new incident",
        )
    response.status_code = status.HTTP_200_OK
    return existing


@router.get("", response_model=IncidentsPage)
def list_incidents(
    session: SessionDep,
    _: Caller,
    services: ServicesDep,
    filt: FilterDep,
    cursor: Annotated[str | None, Query(max_length=300, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    order: Annotated[Literal["newest", "oldest"], Query(description="Sort by time.")] = "newest",
) -> IncidentsPage:
    """Incidents sorted by time (newest first by default), filtered, one page at a time."""
    limit = min(limit, services.config.page_max)
    stmt = after_cursor(filt.apply(select(Incident)), cursor, order == "oldest").limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1].ts, rows[-1].id) if more and rows else None
    return IncidentsPage(items=[IncidentPublic.model_validate(r) for r in rows], next_cursor=nxt)


@router.get("/{incident_id}", response_model=IncidentDetail)
def get_incident(incident_id: str, session: SessionDep, _: Caller) -> IncidentDetail:
    """One incident with its review history and the broadcasts played for it."""
    incident = get_or_404(session, Incident, incident_id, "incident")
    history = session.scalars(
        select(ReviewEvent).where(ReviewEvent.incident_id == incident_id).order_by(ReviewEvent.id)
    )
    casts = session.scalars(select(Broadcast).where(Broadcast.incident_id == incident_id).order_by(Broadcast.ts))
    return IncidentDetail.model_validate(
        {
            **IncidentPublic.model_validate(incident).model_dump(),
            "history": list(history),
            "broadcasts": list(casts),
        }
    )


def _review(session: Session, incident: Incident, body: IncidentUpdate | BulkReview, reviewer: str) -> None:
    now = utcnow()
    session.add(
        ReviewEvent(
            incident_id=incident.id, at=now, reviewer=reviewer,
            from_status=incident.status, to_status=body.status, note=body.note,
        )
    )  # fmt: skip
    incident.status = body.status
    incident.note = body.note
    # Back to ``new`` is an undo: the incident is unreviewed again (the history keeps who reopened it).
    reopened = body.status == "new"
    incident.reviewed_by = None if reopened else reviewer
    incident.reviewed_at = None if reopened else now


@router.patch("/{incident_id}", response_model=IncidentPublic)
def review_incident(
    incident_id: str, body: IncidentUpdate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> Incident:
    """Confirm, dismiss or resolve an incident, or put it back to ``new`` (undo); kept in its history."""
    incident = get_or_404(session, Incident, incident_id, "incident")
    _review(session, incident, body, user.name)
    session.commit()
    services.hub.publish("review", {"ids": [incident_id], "status": body.status, "reviewer": user.name})
    return incident


@router.post("/review", response_model=BulkReviewResult)
def bulk_review(body: BulkReview, session: SessionDep, user: CurrentUser, services: ServicesDep) -> BulkReviewResult:
    """The same decision (or ``new``, undo) for many incidents in one transaction; unknown ids change nothing
    (404)."""
    ids = list(dict.fromkeys(body.ids))
    found = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incidents with ids {missing}; nothing was changed")
    for incident in found.values():
        _review(session, incident, body, user.name)
    session.commit()
    services.hub.publish("review", {"ids": ids, "status": body.status, "reviewer": user.name})
    return BulkReviewResult(updated=len(ids))


def _drop_snapshot_if_unused(session: Session, sha: str | None, keep: str) -> Snapshot | None:
    """The snapshot row ``sha``, deleted from the session when no incident other than ``keep`` names it."""
    if sha is None:
        return None
    others = session.scalar(select(Incident.id).where(Incident.snapshot_sha == sha, Incident.id != keep).limit(1))
    row = session.get(Snapshot, sha)
    if others is not None or row is None:
        return None
    session.delete(row)
    return row


def _erase_files(services: ServicesDep, row: Snapshot | None) -> None:
    if row is not None:
        services.store.delete(row.sha256, row.media_type)


@router.delete("/{incident_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_incident(incident_id: str, session: SessionDep, admin: AdminUser, services: ServicesDep) -> None:
    """Delete an incident and its review history (admins); its snapshot goes too when no other incident uses it.

    Broadcasts stay in the loudspeaker log. The deletion is kept in the audit log.
    """
    incident = get_or_404(session, Incident, incident_id, "incident")
    dropped = _drop_snapshot_if_unused(session, incident.snapshot_sha, incident.id)
    session.delete(incident)
    audit(session, f"admin {admin.name}", "delete-incident", f"incident {incident_id}", f"station {incident.station}")
    session.commit()
    _erase_files(services, dropped)


@router.post("/{incident_id}/redact", response_model=IncidentPublic)
def redact_incident(
    incident_id: str, body: Redaction, session: SessionDep, admin: AdminUser, services: ServicesDep
) -> Incident:
    """Remove parts of an incident (admins): a bystander's snapshot (erased from disk when no other incident
    uses it), the details or the note. The redaction and its reason are kept in the audit log."""
    incident = get_or_404(session, Incident, incident_id, "incident")
    parts = list(dict.fromkeys(body.remove))
    dropped = None
    if "snapshot" in parts:
        dropped = _drop_snapshot_if_unused(session, incident.snapshot_sha, incident.id)
        incident.snapshot_sha = None
    if "details" in parts:
        incident.details = {}
    if "note" in parts:
        incident.note = None
    detail = f"removed {', '.join(parts)}; reason: {body.reason}"
    audit(session, f"admin {admin.name}", "redact-incident", f"incident {incident_id}", detail)
    session.commit()
    _erase_files(services, dropped)
    return incident
