"""Grids: the district's GeoJSON, and each grid's open incidents and household-map colour."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, status
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from api.deps import AdminUser, Caller, ServicesDep, SessionDep
from api.geo import GridGeoJSONError, areas_m2, colour, parse_grids
from api.models import Grid, Incident
from api.validation import json_problem

router = APIRouter(prefix="/grids", tags=["grids"])
OPEN = ("new", "confirmed")


@router.put("", status_code=status.HTTP_200_OK)
def replace_grids(
    session: SessionDep,
    _: AdminUser,
    services: ServicesDep,
    collection: dict[str, Any] = Body(description="GeoJSON FeatureCollection of grid polygons (properties.id)."),
) -> dict[str, int]:
    """Replace the district's grids (admins only; all or nothing); a bad feature is a 422 that names it.

    To upload the grids of a district file (which also holds the fence, no-fly zones ...), use
    ``gridpatrol grids push DISTRICT.geojson``: it keeps the features whose ``kind`` is ``grid``.
    """
    problem = json_problem(collection)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"grids: {problem}")
    try:
        grids = parse_grids(collection)
    except GridGeoJSONError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    session.execute(delete(Grid))
    for g in grids:
        minx, miny, maxx, maxy = g.shape.bounds
        session.add(Grid(id=g.id, name=g.name, geometry=g.geometry, minx=minx, miny=miny, maxx=maxx, maxy=maxy))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "grids were replaced concurrently; try again") from None
    services.grids.load([(g.id, g.shape) for g in grids])
    return {"grids": len(grids)}


@router.get("")
def get_grids(session: SessionDep, _: Caller, services: ServicesDep) -> dict[str, Any]:
    """The grids as a FeatureCollection with ``open_incidents``, ``colour`` and ``area_m2`` per grid."""
    from shapely.geometry import shape

    rows = list(session.scalars(select(Grid).order_by(Grid.id)))
    counts = dict(
        session.execute(
            select(Incident.grid_id, func.count()).where(Incident.status.in_(OPEN)).group_by(Incident.grid_id)
        ).all()
    )
    areas = areas_m2([shape(g.geometry) for g in rows])
    thresholds = services.config.grid_colour_thresholds
    features = [
        {
            "type": "Feature",
            "id": g.id,
            "properties": {
                "id": g.id,
                "name": g.name,
                "open_incidents": counts.get(g.id, 0),
                "colour": colour(counts.get(g.id, 0), thresholds),
                "area_m2": round(area, 1),
            },
            "geometry": g.geometry,
        }
        for g, area in zip(rows, areas, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features, "thresholds": thresholds}
