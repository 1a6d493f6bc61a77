"""Exports of the filtered incidents as CSV (spreadsheets) and GeoJSON (GIS), streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Caller, ServicesDep
from api.models import Incident
from api.queries import FilterDep, IncidentFilter
from api.schemas import IncidentPublic

router = APIRouter(prefix="/exports", tags=["exports"])
COLUMNS = list(IncidentPublic.model_fields)


def _rows(sessions: ServicesDep, filt: IncidentFilter) -> Iterator[dict[str, object]]:
    with sessions.sessions() as session:
        yield from _iter(session, filt)


def _iter(session: Session, filt: IncidentFilter) -> Iterator[dict[str, object]]:
    stmt = filt.apply(select(Incident)).order_by(Incident.ts, Incident.id).execution_options(yield_per=1000)
    for inc in session.scalars(stmt):
        yield IncidentPublic.model_validate(inc).model_dump(mode="json")


def _csv_cell(value: object) -> object:
    """Values as text; cells that a spreadsheet would run as a formula get a leading quote."""
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@router.get("/incidents.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_csv(services: ServicesDep, _: Caller, filt: FilterDep) -> StreamingResponse:
    """The filtered incidents as CSV (UTF-8 with BOM so spreadsheets read Chinese text)."""

    def gen() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        yield "\ufeff" + buf.getvalue()
        for row in _rows(services, filt):
            buf.seek(0)
            buf.truncate()
            writer.writerow([_csv_cell(row[c]) for c in COLUMNS])
            yield buf.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="incidents.csv"'}
    return StreamingResponse(gen(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/incidents.geojson",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def export_geojson(services: ServicesDep, _: Caller, filt: FilterDep) -> StreamingResponse:
    """The filtered incidents that have a position, as a GeoJSON FeatureCollection of points."""

    def gen() -> Iterator[str]:
        yield '{"type": "FeatureCollection", "features": ['
        first = True
        for row in _rows(services, filt):
            if row["lon"] is None or row["lat"] is None:
                continue
            feat = {
                "type": "Feature",
                "id": row["id"],
                "properties": row,
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            }
            yield ("" if first else ",") + json.dumps(feat, ensure_ascii=False)
            first = False
        yield "]}"

    headers = {"Content-Disposition": 'attachment; filename="incidents.geojson"'}
    return StreamingResponse(gen(), media_type="application/geo+json", headers=headers)
