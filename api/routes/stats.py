"""Statistics: incidents by type, status, grid and hour of day (UTC), with the list's filters."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from api.deps import Caller, SessionDep
from api.models import Incident
from api.queries import FilterDep
from api.schemas import CountBy, StatsPublic

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("", response_model=StatsPublic)
def stats(session: SessionDep, _: Caller, filt: FilterDep) -> StatsPublic:
    """Counts of the filtered incidents, for the charts."""

    def by(column: Any) -> list[CountBy]:
        stmt = filt.apply(select(column, func.count()).select_from(Incident)).group_by(column)
        rows = session.execute(stmt).all()
        return sorted((CountBy(key=str(k or "none"), count=n) for k, n in rows), key=lambda c: -c.count)

    hours: Counter[str] = Counter()
    for (ts,) in session.execute(filt.apply(select(Incident.ts))):
        hours[f"{ts.hour:02d}"] += 1
    by_type = by(Incident.type)
    return StatsPublic(
        total=sum(c.count for c in by_type),
        by_type=by_type,
        by_status=by(Incident.status),
        by_grid=by(Incident.grid_id),
        by_hour=[CountBy(key=f"{h:02d}", count=hours.get(f"{h:02d}", 0)) for h in range(24)],
    )
