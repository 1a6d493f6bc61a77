"""Missions: planned routes, their status and the flown track."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from api.deps import Caller, SessionDep, StationDep, get_or_404
from api.models import Mission, TelemetryPoint, utcnow
from api.schemas import MissionCreate, MissionPublic, MissionUpdate

router = APIRouter(prefix="/missions", tags=["missions"])


def _check_plan(plan: dict[str, Any]) -> None:
    if plan and (plan.get("type") != "FeatureCollection" or not isinstance(plan.get("features"), list)):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            'plan must be a GeoJSON FeatureCollection ({"type": "FeatureCollection", "features": [...]})',
        )


@router.post("", response_model=MissionPublic, status_code=status.HTTP_201_CREATED)
def create_mission(body: MissionCreate, session: SessionDep, station: StationDep, response: Response) -> Mission:
    """Store a planned mission; a retry with the same id returns the stored one (200)."""
    _check_plan(body.plan)
    existing = session.get(Mission, body.id)
    if existing is not None:
        if existing.station != station.name:
            raise HTTPException(status.HTTP_409_CONFLICT, f"mission {body.id} belongs to another station")
        response.status_code = status.HTTP_200_OK
        return existing
    mission = Mission(**body.model_dump(), station=station.name)
    session.add(mission)
    session.commit()
    return mission


@router.get("", response_model=list[MissionPublic])
def list_missions(session: SessionDep, _: Caller) -> list[Mission]:
    """Missions, newest first."""
    return list(session.scalars(select(Mission).order_by(Mission.created_at.desc()).limit(500)))


@router.get("/{mission_id}", response_model=MissionPublic)
def get_mission(mission_id: str, session: SessionDep, _: Caller) -> Mission:
    """One mission with its plan."""
    return get_or_404(session, Mission, mission_id, "mission")


@router.patch("/{mission_id}", response_model=MissionPublic)
def update_mission(mission_id: str, body: MissionUpdate, session: SessionDep, station: StationDep) -> Mission:
    """Change a mission's status (uploaded, flying, paused, returning, done, aborted)."""
    mission = get_or_404(session, Mission, mission_id, "mission")
    if mission.station != station.name:
        raise HTTPException(status.HTTP_409_CONFLICT, f"mission {mission_id} belongs to another station")
    mission.status = body.status
    mission.updated_at = utcnow()
    session.commit()
    return mission


@router.get("/{mission_id}/track")
def mission_track(mission_id: str, session: SessionDep, _: Caller) -> dict[str, Any]:
    """The flown track: a GeoJSON Feature (LineString of lon, lat, alt) from the mission's telemetry."""
    get_or_404(session, Mission, mission_id, "mission")
    pts = session.execute(
        select(TelemetryPoint.lon, TelemetryPoint.lat, TelemetryPoint.alt_m, TelemetryPoint.ts)
        .where(TelemetryPoint.mission_id == mission_id)
        .order_by(TelemetryPoint.ts)
    ).all()
    return {
        "type": "Feature",
        "properties": {
            "mission_id": mission_id,
            "points": len(pts),
            "times": [p.ts.isoformat() for p in pts],
        },
        "geometry": {"type": "LineString", "coordinates": [[p.lon, p.lat, p.alt_m] for p in pts]},
    }
