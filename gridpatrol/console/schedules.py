"""Recurring patrols (issue 15, "Schedule"): for example grids 1-5 with drone-1 every day at 09:00 and 15:00.

A :class:`Schedule` is a launch (grids, drones, pattern, height, sortie) with the times of day and the week days it
flies, in the station's time zone (``[console] timezone``; default: this machine's). The :class:`Scheduler` looks
every few seconds; each time that has come launches through the console's :class:`~.launch.Launcher`, the same
planner and checks as a launch from the page, and becomes a :class:`PatrolTask` whose state the page shows:

``sent`` (launched, not yet in the air) -> ``in progress`` -> ``done``, ``failed`` or ``cancelled``; ``paused``
while an operator holds a drone. A launch that is refused (a drone still flying, a plan that no longer passes its
checks) is a ``failed`` task with the reason. What happened is said in words, and each start and end goes into the
audit log.

Like cron, a time that passed while the station was off is not flown late. A time that passed while the scheduler
was held up is flown if it is the newest one of its schedule; older ones become ``failed`` tasks saying they were
missed.

Schedules are kept in ``schedules.json`` in the station's state folder, written whole (a crash never leaves half a
file). A file that does not read is refused with the schedule and field named, and left as it is.

Example:
    >>> from datetime import datetime, timezone
    >>> s = ScheduleCreate(name="morning", grids=["1"], drones=["drone-1"], times=["09:00"])
    >>> next_time(s, datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)).isoformat()
    '2026-12-08T09:00:00+00:00'
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from flight.fly import MissionFlight
from gridpatrol.console.actions import ActionError
from gridpatrol.console.launch import LaunchBody, Launcher
from mission_planner.altitude import PatrolAltitude

log = logging.getLogger(__name__)

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TaskState = Literal["sent", "in progress", "paused", "done", "failed", "cancelled"]
#: Flight phases before take-off: the task is ``sent``.
BEFORE_TAKEOFF = {"waiting", "connecting", "waiting for GPS", "uploading fence", "preflight", "uploading mission",
                  "uploaded", "arming"}  # fmt: skip
#: Flight phases of a vehicle held where it is by the operator: the task is ``paused``.
HELD = {"brake", "loiter", "hold", "poshold"}
#: Finished tasks kept for the page (the audit log keeps them all).
KEEP_TASKS = 200


class ScheduleCreate(BaseModel):
    """A recurring patrol as an operator enters it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, title="Name", description="What the operators call it.")
    grids: list[str] = Field(min_length=1, max_length=500, title="Grids", description="Grid ids to patrol.")
    drones: list[str] = Field(min_length=1, max_length=50, title="Drones", description="Drone ids that fly.")
    pattern: str | None = Field(None, max_length=32, title="Pattern", description="Empty: each grid's own.")
    alt_m: PatrolAltitude | None = Field(None, title="Height (m)", description="Empty: the station's.")
    sortie: int = Field(1, ge=1, le=99, title="Sortie", description="Which sortie of each drone flies (1: first).")
    times: list[str] = Field(
        min_length=1, max_length=24, title="Times", description="Times of day it flies, HH:MM (24 h), station time."
    )
    days: list[Day] = Field(
        default_factory=lambda: list(DAYS), min_length=1, title="Days", description="Week days it flies (mon-sun)."
    )
    enabled: bool = Field(True, title="Enabled", description="Off: kept, but not flown.")

    @field_validator("times")
    @classmethod
    def _clock_times(cls, times: list[str]) -> list[str]:
        for t in times:
            try:
                datetime.strptime(t, "%H:%M")
            except ValueError:
                raise ValueError(f"{t!r} is not a time of day; write it as HH:MM, for example 09:00 or 15:30") from None
        return sorted({datetime.strptime(t, "%H:%M").strftime("%H:%M") for t in times})

    def launch_body(self) -> LaunchBody:
        """The launch each of its times makes (confirmed: the operator confirmed it when saving the schedule)."""
        return LaunchBody(
            grids=self.grids,
            drones=self.drones,
            pattern=self.pattern,
            alt_m=self.alt_m,
            sortie=self.sortie,
            confirm=True,
        )


class ScheduleUpdate(BaseModel):
    """What can change on a saved schedule without entering it again."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(title="Enabled", description="Off: kept, but not flown.")


class Schedule(ScheduleCreate):
    """A saved schedule."""

    id: str = Field(min_length=1, max_length=64, title="Id")
    created_by: str = Field(max_length=64, title="Saved by")
    created_at: AwareDatetime = Field(title="Saved at", description="With its UTC offset; its times start after it.")


def times_between(schedule: ScheduleCreate, after: datetime, until: datetime) -> Iterator[datetime]:
    """The schedule's times in ``(after, until]``, oldest first, in ``after``'s time zone (at most 8 days back)."""
    tz = after.tzinfo
    day = max(after.date(), until.date() - timedelta(days=8))
    while day <= until.date():
        if DAYS[day.weekday()] in schedule.days:
            for t in schedule.times:
                at = _at(day, t, tz)
                if after < at <= until:
                    yield at
        day += timedelta(days=1)


def next_time(schedule: ScheduleCreate, now: datetime) -> datetime | None:
    """The schedule's first time after ``now`` (None when it has no day in the coming week, which cannot be)."""
    return next(times_between(schedule, now, now + timedelta(days=8)), None)


def _at(day: date, hhmm: str, tz: tzinfo | None) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


class ScheduleFileError(ValueError):
    """``schedules.json`` does not read; the message names the file, the schedule and the field."""


class ScheduleStore:
    """The saved schedules, in one JSON file written whole.

    Raises:
        ScheduleFileError: At creation, when the file is there and does not read (it is left as it is).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._items: dict[str, Schedule] = {s.id: s for s in self._read()}

    def _read(self) -> list[Schedule]:
        if not self.path.exists():
            return []
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScheduleFileError(f"{self.path} does not read as JSON ({exc}); fix it or move it away") from None
        rows = doc.get("schedules") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            raise ScheduleFileError(f'{self.path}: expected {{"schedules": [...]}}; fix it or move it away')
        out = []
        for i, row in enumerate(rows):
            try:
                out.append(Schedule.model_validate(row))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "the schedule"
                raise ScheduleFileError(
                    f"{self.path}: schedule {i + 1} ({row.get('name', '?') if isinstance(row, dict) else '?'}), "
                    f"field {where}: {first['msg']}; fix it or remove that schedule"
                ) from None
        return out

    def all(self) -> list[Schedule]:
        """The schedules, in the order they were saved."""
        with self._lock:
            return list(self._items.values())

    def get(self, schedule_id: str) -> Schedule:
        """One schedule. Raises ActionError 404 with the ids there are."""
        with self._lock:
            found = self._items.get(schedule_id)
            known = ", ".join(self._items) or "none"
        if found is None:
            raise ActionError(404, f"no schedule {schedule_id!r}; the schedules are {known}")
        return found

    def add(self, create: ScheduleCreate, who: str, now: datetime) -> Schedule:
        """Save a new schedule."""
        schedule = Schedule(**create.model_dump(), id=uuid.uuid4().hex[:12], created_by=who, created_at=now)
        with self._lock:
            self._items[schedule.id] = schedule
            self._write()
        return schedule

    def update(self, schedule_id: str, change: ScheduleUpdate) -> Schedule:
        """Turn a schedule on or off."""
        schedule = self.get(schedule_id).model_copy(update=change.model_dump())
        with self._lock:
            self._items[schedule_id] = schedule
            self._write()
        return schedule

    def remove(self, schedule_id: str) -> Schedule:
        """Delete a schedule (its tasks so far stay in the list and the audit log)."""
        schedule = self.get(schedule_id)
        with self._lock:
            self._items.pop(schedule_id, None)
            self._write()
        return schedule

    def _write(self) -> None:
        doc = {"schedules": [s.model_dump(mode="json") for s in self._items.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.part")
        partial.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, self.path)


@dataclass
class PatrolTask:
    """One time of a schedule, launched (or not), and what became of it."""

    id: str
    schedule_id: str
    name: str
    due: datetime
    state: TaskState
    detail: str
    flights: dict[str, MissionFlight] = field(default_factory=dict)
    ended: bool = False

    def refresh(self) -> bool:
        """Read the state off the task's flights; returns True the first time it reaches an end state."""
        if self.ended or not self.flights:
            return False
        self.state, self.detail = flights_state(self.flights)
        if self.state in ("done", "failed", "cancelled"):
            self.ended = True
            return True
        return False

    def view(self) -> dict[str, Any]:
        """What the page shows."""
        return {
            "id": self.id,
            "schedule": self.schedule_id,
            "name": self.name,
            "due": self.due.isoformat(timespec="minutes"),
            "state": self.state,
            "detail": self.detail,
            "drones": list(self.flights),
        }


def flights_state(flights: dict[str, MissionFlight]) -> tuple[TaskState, str]:
    """A task's state and its words, from its drones' flights (see the module doc)."""
    statuses = {d: f.status for d, f in flights.items()}
    words = "; ".join(f"{d}: {s.phase}{' ' + s.detail if s.detail else ''}" for d, s in statuses.items())
    if all(s.done for s in statuses.values()):
        if all(s.ok for s in statuses.values()):
            return "done", words
        if any(s.phase == "cancelled" for s in statuses.values()):
            return "cancelled", words
        return "failed", words
    if any(s.phase in HELD for s in statuses.values()):
        return "paused", words
    if all(s.phase in BEFORE_TAKEOFF for s in statuses.values() if not s.done):
        return "sent", words
    return "in progress", words


class Scheduler:
    """Launches each schedule at its times and follows the tasks (see the module doc).

    Args:
        store: The saved schedules.
        launcher: The console's launcher (the same planning and checks as the page).
        audit: ``audit(actor, action, target, detail, outcome)``: the console's audit log.
        note: Shows a line to the operator (the station's message list).
        tz: The station's time zone.
        clock: Now, as an aware datetime (tests give their own times to :meth:`tick` instead).
    """

    def __init__(
        self,
        store: ScheduleStore,
        launcher: Launcher,
        audit: Callable[[str, str, str, str, str], None],
        note: Callable[[str], None],
        tz: tzinfo,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store, self.launcher, self.audit, self.note, self.tz = store, launcher, audit, note, tz
        self.clock = clock or (lambda: datetime.now(tz))
        self._last = self.clock()
        self._tasks: list[PatrolTask] = []
        self._lock = threading.Lock()
        self._following = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self) -> datetime:
        """The scheduler's now, in the station's time zone."""
        return self.clock().astimezone(self.tz)

    def tick(self, now: datetime | None = None) -> list[PatrolTask]:
        """Launch every schedule whose time has come since the last tick; returns the tasks it made."""
        now = (now or self.clock()).astimezone(self.tz)
        with self._lock:
            after, self._last = self._last, max(self._last, now)
        made = []
        for schedule in self.store.all():
            if not schedule.enabled:
                continue
            start = max(after, schedule.created_at).astimezone(self.tz)  # not a time from before it was saved
            due = list(times_between(schedule, start, now))
            for missed in due[:-1]:
                made.append(self._add(self._missed(schedule, missed, due[-1])))
            if due:
                made.append(self._add(self._fire(schedule, due[-1])))
        self.follow()
        return made

    def _missed(self, schedule: Schedule, at: datetime, newest: datetime) -> PatrolTask:
        why = f"missed: the scheduler was held up past {at:%H:%M}; only the newest time ({newest:%H:%M}) flew"
        self.audit(f"schedule {schedule.name}", "launch", ",".join(schedule.drones), at.isoformat(), f"failed: {why}")
        return PatrolTask(uuid.uuid4().hex[:12], schedule.id, schedule.name, at, "failed", why, ended=True)

    def _fire(self, schedule: Schedule, at: datetime) -> PatrolTask:
        actor, target = f"schedule {schedule.name}", ",".join(schedule.drones)
        detail = f"{at:%Y-%m-%d %H:%M} grids={','.join(schedule.grids)}"
        task = PatrolTask(uuid.uuid4().hex[:12], schedule.id, schedule.name, at, "sent", "")
        try:
            launched = self.launcher.launch(schedule.launch_body())
        except ActionError as exc:
            task.state, task.detail, task.ended = "failed", f"not launched: {exc.message}", True
            self.audit(actor, "launch", target, detail, f"refused: {exc.message}")
            self.note(f"schedule {schedule.name} ({at:%H:%M}): not launched: {exc.message}")
            return task
        task.flights, task.detail = launched.flights, launched.text
        self.audit(actor, "launch", target, detail, f"ok: {launched.text}")
        self.note(f"schedule {schedule.name} ({at:%H:%M}): {launched.text}")
        return task

    def _add(self, task: PatrolTask) -> PatrolTask:
        with self._lock:
            self._tasks.append(task)
            ended = [t for t in self._tasks if t.ended]
            for old in ended[: max(0, len(ended) - KEEP_TASKS)]:
                self._tasks.remove(old)
        return task

    def follow(self) -> None:
        """Bring every task's state up to date; one that has just ended is said and audited (once: the page's
        requests and the scheduler's thread both call this)."""
        with self._lock:
            tasks = list(self._tasks)
        for task in tasks:
            with self._following:
                ended = task.refresh()
            if ended:
                target = ",".join(task.flights)
                self.audit(
                    f"schedule {task.name}", "patrol", target, task.due.isoformat(), f"{task.state}: {task.detail}"
                )
                self.note(f"schedule {task.name} ({task.due:%H:%M}): {task.state}")

    def tasks(self) -> list[PatrolTask]:
        """The tasks, newest first, their states up to date."""
        self.follow()
        with self._lock:
            return list(reversed(self._tasks))

    def start(self, period_s: float = 5.0) -> Scheduler:
        """Tick every ``period_s`` in a thread of its own until :meth:`stop`."""

        def run() -> None:
            while not self._stop.wait(period_s):
                try:
                    self.tick()
                except Exception:  # a bad schedule must not end the scheduling of the others
                    log.exception("scheduler: tick failed")

        self._thread = threading.Thread(target=run, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop ticking (flights in the air go on)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
