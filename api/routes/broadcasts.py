"""Broadcasts: the loudspeaker log (stations write, everyone authenticated reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import Caller, ServicesDep, SessionDep, StationDep
from api.models import Broadcast, Drone, Incident
from api.schemas import BroadcastCreate, BroadcastPublic

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])


def _check_owner(session: SessionDep, body: BroadcastCreate, station: str) -> None:
    """A station logs broadcasts only for its own incidents and drones (404 unknown incident, 403 another's)."""
    if body.incident_id is not None:
        incident = session.get(Incident, body.incident_id)
        if incident is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no incident with id {body.incident_id!r}; post the incident first"
            )
        if incident.station != station:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"incident {body.incident_id} belongs to another station")
    if body.drone_id is not None:
        drone = session.get(Drone, body.drone_id)
        if drone is not None and drone.station != station:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"drone {body.drone_id} belongs to another station")


@router.post(
    "",
    response_model=BroadcastPublic,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Another station's incident or drone."}, 404: {"description": "No such incident."}},
)
def create_broadcast(
    body: BroadcastCreate, session: SessionDep, station: StationDep, services: ServicesDep, response: Response
) -> Broadcast:
    """Log a warning that was played; a retry with the same id returns the stored one (200)."""
    existing = session.get(Broadcast, body.id)
    if existing is None:
        _check_owner(session, body, station.name)
        row = Broadcast(**body.model_dump(), station=station.name)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = session.get_one(Broadcast, body.id)
        else:
            services.hub.publish("broadcast", BroadcastPublic.model_validate(row).model_dump(mode="json"))
            return row
    if existing.station != station.name:
        raise HTTPException(status.HTTP_409_CONFLICT, f"broadcast {body.id} belongs to another station")
    response.status_code = status.HTTP_200_OK
    return existing


@router.get("", response_model=list[BroadcastPublic])
def list_broadcasts(
    session: SessionDep,
    _: Caller,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    drone_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Broadcast]:
    """Newest broadcasts first, optionally for one incident or drone."""
    stmt = select(Broadcast)
    if incident_id is not None:
        stmt = stmt.where(Broadcast.incident_id == incident_id)
    if drone_id is not None:
        stmt = stmt.where(Broadcast.drone_id == drone_id)
    return list(session.scalars(stmt.order_by(Broadcast.ts.desc(), Broadcast.id.desc()).limit(limit)))
