"""Incident filters and cursor pagination, shared by the list, statistics and export routes."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, status
from sqlalchemy import Select, and_, or_

from api.models import Incident
from api.schemas import IncidentType, Status
from api.validation import QueryTime


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a request is about; every field is optional and they combine with AND."""

    since: datetime | None = None
    until: datetime | None = None
    type: list[str] | None = None
    status: list[str] | None = None
    grid_id: str | None = None
    drone_id: str | None = None
    mission_id: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` narrowed to the matching incidents."""
        conds = []
        if self.since is not None:
            conds.append(Incident.ts >= self.since)
        if self.until is not None:
            conds.append(Incident.ts < self.until)
        if self.type:
            conds.append(Incident.type.in_(self.type))
        if self.status:
            conds.append(Incident.status.in_(self.status))
        if self.grid_id is not None:
            conds.append(Incident.grid_id == self.grid_id)
        if self.drone_id is not None:
            conds.append(Incident.drone_id == self.drone_id)
        if self.mission_id is not None:
            conds.append(Incident.mission_id == self.mission_id)
        if self.bbox is not None:
            minx, miny, maxx, maxy = self.bbox
            conds += [Incident.lon >= minx, Incident.lon <= maxx, Incident.lat >= miny, Incident.lat <= maxy]
        return stmt.where(*conds) if conds else stmt


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"minlon,minlat,maxlon,maxlat"`` as four floats, or a ValueError saying what is wrong.

    Example:
        >>> parse_bbox("116.1,39.9,116.2,40.0")
        (116.1, 39.9, 116.2, 40.0)
    """
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox needs four numbers: minlon,minlat,maxlon,maxlat")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox values must be numbers: minlon,minlat,maxlon,maxlat") from None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("bbox must be minlon<=maxlon in [-180,180] and minlat<=maxlat in [-90,90]")
    return minx, miny, maxx, maxy


def incident_filter(
    since: Annotated[QueryTime | None, Query(description="Incidents at or after this time.")] = None,
    until: Annotated[QueryTime | None, Query(description="Incidents before this time.")] = None,
    type: Annotated[list[IncidentType] | None, Query(description="One or more incident types.")] = None,
    status_: Annotated[list[Status] | None, Query(alias="status", description="One or more statuses.")] = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
    drone_id: Annotated[str | None, Query(max_length=64)] = None,
    mission_id: Annotated[str | None, Query(max_length=64)] = None,
    bbox: Annotated[str | None, Query(max_length=100, description="minlon,minlat,maxlon,maxlat")] = None,
) -> IncidentFilter:
    """The filter given in the query string (a FastAPI dependency)."""
    box = None
    if bbox is not None:
        try:
            box = parse_bbox(bbox)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return IncidentFilter(
        since, until, list(type) if type else None, list(status_) if status_ else None,
        grid_id, drone_id, mission_id, box,
    )  # fmt: skip


FilterDep = Annotated[IncidentFilter, Depends(incident_filter)]


def encode_cursor(ts: datetime, incident_id: str) -> str:
    """An opaque cursor pointing after the incident ``(ts, id)`` in newest-first order."""
    raw = json.dumps([ts.isoformat(), incident_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(ts, id)`` inside a cursor; HTTP 422 when it was not made by :func:`encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts_text, incident_id = json.loads(raw)
        ts = datetime.fromisoformat(ts_text)
        if ts.tzinfo is None or not isinstance(incident_id, str):
            raise ValueError
        return ts, incident_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor is not valid; pass next_cursor from the last page"
        ) from None


def after_cursor(stmt: Select[Any], cursor: str | None, oldest_first: bool = False) -> Select[Any]:
    """``stmt`` ordered by (time, id), newest first unless ``oldest_first``, starting after ``cursor``.

    The outer ``ts <=`` (or ``>=``) lets the database use the time index; the inner test breaks ties by id.
    """
    if cursor:
        ts, incident_id = decode_cursor(cursor)
        if oldest_first:
            after = and_(Incident.ts >= ts, or_(Incident.ts > ts, and_(Incident.ts == ts, Incident.id > incident_id)))
        else:
            after = and_(Incident.ts <= ts, or_(Incident.ts < ts, and_(Incident.ts == ts, Incident.id < incident_id)))
        stmt = stmt.where(after)
    if oldest_first:
        return stmt.order_by(Incident.ts.asc(), Incident.id.asc())
    return stmt.order_by(Incident.ts.desc(), Incident.id.desc())
