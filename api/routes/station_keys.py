"""Station API keys (admins only): issue, list, revoke and rotate. Each change is audited.

A revoked key fails from its next request on, and the station's open live streams end. Responses that carry a
key are sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from api import accounts
from api.deps import AdminUser, ServicesDep, SessionDep
from api.models import StationKey
from api.routes.users import actor
from api.schemas import StationKeyCreate, StationKeyInfo, StationKeyPublic

log = logging.getLogger(__name__)
router = APIRouter(prefix="/station-keys", tags=["station keys"])
KeyIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="The key's id (from GET /api/station-keys).")]


@router.post("", response_model=StationKeyPublic, status_code=status.HTTP_201_CREATED)
def create_station_key(
    body: StationKeyCreate, session: SessionDep, admin: AdminUser, response: Response
) -> StationKeyPublic:
    """Issue an API key for a station; the key is shown once."""
    row, key = accounts.issue_station_key(session, body.station, actor=actor(admin))
    log.info("admin %r issued key %d for station %r", admin.name, row.id, body.station)
    response.headers["Cache-Control"] = "no-store"
    return StationKeyPublic(id=row.id, station=body.station, api_key=key)


@router.get("", response_model=list[StationKeyInfo])
def list_station_keys(session: SessionDep, _: AdminUser) -> Sequence[StationKey]:
    """Every key (never the key itself): station, when issued, whether and when revoked."""
    return accounts.list_station_keys(session)


@router.post("/{key_id}/revoke", response_model=StationKeyInfo)
def revoke_station_key(key_id: KeyIdPath, session: SessionDep, admin: AdminUser, services: ServicesDep) -> StationKey:
    """Revoke a key: its next request fails (401) and its open live streams end."""
    try:
        key = accounts.revoke_station_key(session, key_id, actor(admin), services.clock.now())
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    services.hub.close(f"credential:{key.key_hash}")
    log.info("admin %r revoked key %d of station %r", admin.name, key.id, key.station)
    return key


@router.post("/{key_id}/rotate", response_model=StationKeyPublic)
def rotate_station_key(
    key_id: KeyIdPath, session: SessionDep, admin: AdminUser, services: ServicesDep, response: Response
) -> StationKeyPublic:
    """Revoke a key and issue its station a new one (shown once)."""
    try:
        old, new, secret = accounts.rotate_station_key(session, key_id, actor(admin))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    services.hub.close(f"credential:{old.key_hash}")
    log.info("admin %r rotated key %d of station %r (new key %d)", admin.name, key_id, new.station, new.id)
    response.headers["Cache-Control"] = "no-store"
    return StationKeyPublic(id=new.id, station=new.station, api_key=secret)
