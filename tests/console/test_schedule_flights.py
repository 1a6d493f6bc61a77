"""Schedules that fly (issue 15, "Schedule"): a real station with two drones on the built-in simulator, its console's
launcher and scheduler. The scheduler is given its times (``tick(now)``) instead of waiting for the clock; the
flights are real. A schedule launches at its time and its task follows the flights (sent, in progress, done); a
time that comes while the drone still flies is refused with the reason; so is one whose drone has a flat battery
(the vehicle's pre-flight check); once the crew has swapped it, a later time flies the landed drone again (the
station's next flight of the same vehicle) beside a drone that had not flown yet; a time the scheduler was held up
past is reported as missed. The station's command then stays up after the landings until it is ended.

Waits are on conditions; their limits only stop a hang.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from console_kit import accounts_with_users, patrol
from flightkit import DISTRICT

from gridpatrol.console.actions import ActionError
from gridpatrol.console.launch import LaunchBody, Launcher
from gridpatrol.console.schedules import PatrolTask, ScheduleCreate, Scheduler, ScheduleStore, ScheduleUpdate
from gridpatrol.station.cli import _fly_and_watch
from mission_planner.district_io import load_district

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
HANG_S = 240.0


def day(hour: int, minute: int) -> datetime:
    return datetime(2026, 12, 8, hour, minute, tzinfo=UTC)


def follow_to_the_end(scheduler: Scheduler, task: PatrolTask) -> list[str]:
    """The states the task went through until it ended (each once, in order)."""
    seen = [task.state]
    deadline = time.monotonic() + HANG_S
    while not task.ended:
        assert time.monotonic() < deadline, f"task hung at {task.state}: {task.detail}"
        scheduler.follow()
        if task.state != seen[-1]:
            seen.append(task.state)
        time.sleep(0.05)
    return seen


def test_schedules_launch_at_their_times_and_their_tasks_follow_the_flights(tmp_path: Path) -> None:
    with patrol(tmp_path, fly=True, speedup=20.0) as (station, sims):
        accounts = accounts_with_users(tmp_path / "console.db")
        launcher = Launcher(station, load_district(DISTRICT))
        store = ScheduleStore(tmp_path / "schedules.json")
        scheduler = Scheduler(store, launcher, accounts.audit, station.note, UTC, clock=lambda: day(8, 50))
        one = dict(grids=["1"], drones=["drone-1"], pattern="perimeter")
        twice = store.add(ScheduleCreate(name="twice", times=["09:00", "09:30"], **one), "op", day(8, 50))

        assert scheduler.tick(day(8, 59)) == []  # not yet
        [first] = scheduler.tick(day(9, 1))
        assert (first.due, first.state, list(first.flights)) == (day(9, 0), "sent", ["drone-1"])
        assert list(station.rigs) == ["drone-1"]  # the first launch flies drone-1 only
        deadline = time.monotonic() + HANG_S
        while first.state == "sent":
            assert time.monotonic() < deadline, f"the first patrol never took off: {first.detail}"
            time.sleep(0.05)
            scheduler.follow()

        store.add(ScheduleCreate(name="clash", times=["09:05"], **one), "op", day(9, 2))
        [clash] = scheduler.tick(day(9, 6))
        assert clash.state == "failed" and clash.detail.startswith("not launched: still flying: drone-1 ("), clash
        assert follow_to_the_end(scheduler, first)[-2:] == ["in progress", "done"], first.detail
        assert first.flights["drone-1"].status.ok

        [tired] = scheduler.tick(day(9, 31))  # its 09:30: the battery used at 09:00 is still in
        assert follow_to_the_end(scheduler, tired)[-1] == "failed" and "fit a charged battery" in tired.detail
        store.update(twice.id, ScheduleUpdate(enabled=False))  # off: it flies no more
        sims[0].vehicle(0).swap_battery()  # the crew's turn-round

        both = dict(grids=["1", "4"], drones=["drone-1", "drone-2"], pattern="perimeter")
        store.add(ScheduleCreate(name="late", times=["10:00", "10:30"], **both), "op", day(9, 40))
        missed, again = scheduler.tick(day(10, 45))
        assert missed.state == "failed" and missed.due == day(10, 0) and "missed" in missed.detail
        assert again.due == day(10, 30) and sorted(again.flights) == ["drone-1", "drone-2"]
        assert follow_to_the_end(scheduler, again)[-1] == "done", again.detail
        # drone-1 flew again (its third flight); drone-2, never flown, was started as at a first launch
        assert [s.ok for s in station.rigs["drone-1"].earlier] == [True, False]
        assert station.rigs["drone-2"].earlier == [] and station.rigs["drone-2"].stream_state == "no video"
        assert all(station.rigs[d].flight is f for d, f in again.flights.items())
        assert not any(sim.vehicle(0).armed for sim in sims)  # both landed

        assert [t.id for t in scheduler.tasks()] == [again.id, missed.id, tired.id, clash.id, first.id]
        launches = [e for e in accounts.audit_log() if e.action == "launch"]
        assert {e.actor for e in launches} == {"schedule twice", "schedule clash", "schedule late"}
        ends = {(e.actor, e.outcome.split(":")[0]) for e in accounts.audit_log() if e.action == "patrol"}
        assert ends == {("schedule twice", "done"), ("schedule twice", "failed"), ("schedule late", "done")}
        plans = tmp_path / "plans" / "launch-3"
        assert sorted(p.name for p in plans.glob("*.plan")) == ["drone-1-s1.plan", "drone-2-s1.plan"]  # each kept

        # `gridpatrol run --launch-from-console` stays up once every flight has ended (for the next launch), until
        # the operator ends it (here: its timeout)
        summary, finished = _fly_and_watch(station, timeout_s=1.0, yes=True, live=False, stay=True)
        assert finished and "every flight has ended; the console can launch again" in " ".join(station.messages)
        assert set(summary["drones"]) == {"drone-1", "drone-2"}
        with pytest.raises(ActionError, match="the station has stopped"):  # a schedule firing as the run ends
            launcher.launch(LaunchBody(grids=["1"], drones=["drone-1"], pattern="perimeter", confirm=True))
        accounts.close()
