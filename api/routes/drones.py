"""Drones: registry, live telemetry (stations post positions) and flown tracks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from api.deps import Caller, ServicesDep, SessionDep, StationDep, get_or_404
from api.models import Drone, TelemetryPoint
from api.schemas import DroneCreate, DronePublic, TelemetryCreate, TelemetryPublic
from api.validation import QueryTime

router = APIRouter(tags=["drones"])


@router.put("/drones/{drone_id}", response_model=DronePublic)
def register_drone(drone_id: str, body: DroneCreate, session: SessionDep, station: StationDep) -> Drone:
    """Add a drone to the registry or rename it (idempotent)."""
    if body.id != drone_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "id in the body must match the URL")
    drone = session.get(Drone, drone_id)
    if drone is None:
        drone = Drone(id=drone_id, name=body.name, station=station.name)
        session.add(drone)
    elif drone.station != station.name:
        raise HTTPException(status.HTTP_409_CONFLICT, f"drone {drone_id} belongs to station {drone.station}")
    drone.name = body.name
    session.commit()
    return drone


@router.get("/drones", response_model=list[DronePublic])
def list_drones(session: SessionDep, _: Caller) -> list[Drone]:
    """Every drone with its last known position."""
    return list(session.scalars(select(Drone).order_by(Drone.id)))


@router.post("/telemetry", response_model=DronePublic, status_code=status.HTTP_201_CREATED)
def post_telemetry(body: TelemetryCreate, session: SessionDep, station: StationDep, services: ServicesDep) -> Drone:
    """Record a position report; the drone is registered on first report. Pushed live to the UI."""
    drone = session.get(Drone, body.drone_id)
    if drone is None:
        drone = Drone(id=body.drone_id, name=body.drone_id, station=station.name)
        session.add(drone)
    elif drone.station != station.name:
        raise HTTPException(status.HTTP_409_CONFLICT, f"drone {body.drone_id} belongs to station {drone.station}")
    session.add(
        TelemetryPoint(
            drone_id=body.drone_id, mission_id=body.mission_id, ts=body.ts, lon=body.lon, lat=body.lat,
            alt_m=body.alt_m, heading_deg=body.heading_deg, battery_pct=body.battery_pct,
        )
    )  # fmt: skip
    if drone.last_ts is None or body.ts >= drone.last_ts:
        drone.last_ts, drone.last_lon, drone.last_lat, drone.last_alt_m = (
            body.ts,
            body.lon,
            body.lat,
            body.alt_m,
        )
        drone.battery_pct, drone.mode, drone.mission_id = body.battery_pct, body.mode, body.mission_id
    session.commit()
    services.hub.publish("position", DronePublic.model_validate(drone).model_dump(mode="json"))
    return drone


@router.get("/drones/{drone_id}/track", response_model=list[TelemetryPublic])
def drone_track(
    drone_id: str,
    session: SessionDep,
    _: Caller,
    since: Annotated[QueryTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=20_000)] = 2000,
) -> list[TelemetryPoint]:
    """The drone's positions in time order (the last ``limit`` of them)."""
    get_or_404(session, Drone, drone_id, "drone")
    stmt = select(TelemetryPoint).where(TelemetryPoint.drone_id == drone_id)
    if since is not None:
        stmt = stmt.where(TelemetryPoint.ts >= since)
    rows = list(session.scalars(stmt.order_by(TelemetryPoint.ts.desc()).limit(limit)))
    return rows[::-1]
