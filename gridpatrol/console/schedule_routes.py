"""The console's schedule API: ``GET /api/schedules`` (schedules with their next time, and the tasks),
``POST /api/schedules`` (save one), ``PATCH /api/schedules/{id}`` (on or off) and ``DELETE /api/schedules/{id}``.

Everyone logged in sees them; saving, switching and deleting are for operators, checked by planning the launch
first (an unknown grid or drone, or a plan the planner refuses, is answered in its words and nothing is saved),
and each goes into the audit log.

No ``from __future__ import annotations``: FastAPI must see the routes' dependency types as objects.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from gridpatrol.console.access import require_operator
from gridpatrol.console.accounts import Accounts, Session
from gridpatrol.console.actions import ActionError
from gridpatrol.console.schedules import Schedule, ScheduleCreate, Scheduler, ScheduleUpdate, next_time


def schedule_view(schedule: Schedule, scheduler: Scheduler) -> dict[str, Any]:
    """A schedule as the page shows it, with its next time (None while it is off)."""
    upcoming = next_time(schedule, scheduler.now()) if schedule.enabled else None
    return schedule.model_dump(mode="json") | {"next": upcoming.isoformat(timespec="minutes") if upcoming else None}


def schedules_router(
    scheduler: Scheduler,
    accounts: Accounts,
    session: Callable[..., Session],
    changing: Callable[..., Session],
) -> APIRouter:
    """The routes above, on ``scheduler``."""
    router = APIRouter()
    Who = Annotated[Session, Depends(session)]
    Changing = Annotated[Session, Depends(changing)]
    store = scheduler.store

    @router.get("/api/schedules")
    def schedules(who: Who) -> dict[str, Any]:
        """The schedules, the station's time zone and time, and the tasks (newest first) with their states."""
        return {
            "timezone": str(scheduler.tz),
            "now": scheduler.now().isoformat(timespec="seconds"),
            "schedules": [schedule_view(s, scheduler) for s in store.all()],
            "tasks": [t.view() for t in scheduler.tasks()],
        }

    @router.post("/api/schedules")
    def create(body: ScheduleCreate, who: Changing) -> dict[str, Any]:
        """Save a schedule once its launch plans (nothing flies now)."""
        require_operator(accounts, who, "schedule", body.name, "to change the schedules")
        detail = f"{','.join(body.times)} {','.join(body.days)} grids={','.join(body.grids)}"[:500]
        try:
            scheduler.launcher.preview(body.launch_body())
        except ActionError as exc:
            accounts.audit(who.username, "schedule", body.name, detail, f"refused: {exc.message}")
            raise HTTPException(exc.status, exc.message) from None
        saved = store.add(body, who.username, scheduler.now())
        accounts.audit(who.username, "schedule", body.name, detail, f"ok: saved {saved.id}")
        scheduler.note(f"schedule {saved.name} saved by {who.username}: {', '.join(saved.times)}")
        return schedule_view(saved, scheduler)

    @router.patch("/api/schedules/{schedule_id}")
    def update(schedule_id: str, body: ScheduleUpdate, who: Changing) -> dict[str, Any]:
        """Turn a schedule on or off."""
        require_operator(accounts, who, "schedule-switch", schedule_id, "to change the schedules")
        try:
            changed = store.update(schedule_id, body)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from None
        accounts.audit(who.username, "schedule-switch", changed.name, "on" if changed.enabled else "off", "ok")
        return schedule_view(changed, scheduler)

    @router.delete("/api/schedules/{schedule_id}")
    def delete(schedule_id: str, who: Changing) -> dict[str, str]:
        """Delete a schedule; its tasks so far stay listed."""
        require_operator(accounts, who, "schedule-delete", schedule_id, "to change the schedules")
        try:
            gone = store.remove(schedule_id)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from None
        accounts.audit(who.username, "schedule-delete", gone.name, "", "ok")
        return {"result": f"schedule {gone.name} deleted"}

    return router
