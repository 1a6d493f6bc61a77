"""Recurring patrols (issue 15, "Schedule"), without flying: the times a schedule flies, the schedules file (written
whole, a bad one refused with its field named and left as it is), and the API (FastAPI's TestClient) against a real
station that has not taken off: bad schedules are refused in words and nothing is saved, observers only look.
Flying them is in test_schedule_flights.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from console_browser import api_login
from console_kit import accounts_with_users, patrol
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.app import create_console_app
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.schedules import (
    ScheduleCreate,
    ScheduleFileError,
    Scheduler,
    ScheduleStore,
    next_time,
    times_between,
)

BASE = "http://testserver"
MORNING = {"name": "morning", "grids": ["1"], "drones": ["drone-1"], "pattern": "perimeter", "times": ["09:00"]}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, tz: Any = UTC) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=tz)  # 2026-12-07 is a Monday


def test_times_come_on_the_chosen_days_in_the_stations_zone() -> None:
    weekdays = ScheduleCreate(**MORNING | {"times": ["15:00", "9:00"], "days": ["mon", "tue", "wed", "thu", "fri"]})
    assert weekdays.times == ["09:00", "15:00"]  # written as HH:MM, in order
    fri_evening, mon_morning = at(11, 18, tz=SHANGHAI), at(14, 9, tz=SHANGHAI)
    assert list(times_between(weekdays, fri_evening, mon_morning)) == [mon_morning]  # not on the weekend
    assert next_time(weekdays, at(14, 9, tz=SHANGHAI)) == at(14, 15, tz=SHANGHAI)  # the end of the span is in it
    assert list(times_between(weekdays, at(14, 9, tz=SHANGHAI), at(14, 9, tz=SHANGHAI))) == []
    # the zone is the station's: 09:00 in Shanghai is 01:00 UTC
    assert next_time(weekdays, at(8, 0, tz=SHANGHAI)) == at(8, 1, tz=UTC)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("times", ["25:00"], "'25:00' is not a time of day; write it as HH:MM"),
        ("times", [], "at least 1"),
        ("days", ["someday"], "'mon'"),
        ("grids", [], "at least 1"),
        ("alt_m", float("nan"), "120"),  # NaN is refused (by the range check)
    ],
)
def test_a_bad_schedule_is_refused_with_its_field(field: str, value: Any, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        ScheduleCreate(**MORNING | {field: value})
    assert field in str(err.value) and words in str(err.value)


def test_a_time_from_before_the_schedule_was_saved_does_not_fly(tmp_path: Path) -> None:
    store = ScheduleStore(tmp_path / "schedules.json")
    scheduler = Scheduler(store, None, lambda *a: None, lambda t: None, UTC, clock=lambda: at(8, 8))  # type: ignore[arg-type]
    store.add(ScheduleCreate(**MORNING | {"times": ["09:00"]}), "op", at(8, 9, 30))
    assert scheduler.tick(at(8, 9, 45)) == []  # saved at 09:30: today's 09:00 had passed


def test_the_schedules_file_keeps_them_and_a_bad_one_is_named_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "schedules.json"
    store = ScheduleStore(path)
    saved = store.add(ScheduleCreate(**MORNING), "op", at(8, 8))
    assert [s.model_dump() for s in ScheduleStore(path).all()] == [saved.model_dump()]  # read back whole
    assert not list(tmp_path.glob(".*.part"))  # written aside, then renamed

    path.write_text(path.read_text().replace('"09:00"', '"9 o\'clock"'))
    broken = path.read_bytes()
    with pytest.raises(ScheduleFileError) as err:
        ScheduleStore(path)
    assert "schedule 1 (morning), field times" in str(err.value) and "HH:MM" in str(err.value)
    path.write_text("{ not json")
    with pytest.raises(ScheduleFileError, match="does not read as JSON"):
        ScheduleStore(path)
    path.write_bytes(broken)
    with pytest.raises(ScheduleFileError):
        ScheduleStore(path)
    assert path.read_bytes() == broken  # nothing lost: the operator fixes it


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Accounts, TestClient]]:
    out = tmp_path_factory.mktemp("console-schedules")
    with patrol(out, fly=False) as (station, _):
        accounts = accounts_with_users(out / "console.db")
        app = create_console_app(station, ConsoleConfig(timezone="Asia/Shanghai"), accounts)
        yield station, accounts, TestClient(app, base_url=BASE)
        accounts.close()


def test_an_operator_saves_a_schedule_and_everyone_sees_its_next_time(setup: tuple[Any, Accounts, TestClient]) -> None:
    station, accounts, client = setup
    headers = api_login(client, "op", BASE)
    r = client.post("/api/schedules", json=MORNING | {"times": ["09:00", "15:00"]}, headers=headers)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["created_by"] == "op" and saved["next"].endswith(("09:00+08:00", "15:00+08:00"))
    assert (Path(station.out_dir) / "schedules.json").exists()

    api_login(client, "obs", BASE)
    listed = client.get("/api/schedules").json()
    assert listed["timezone"] == "Asia/Shanghai" and [s["id"] for s in listed["schedules"]] == [saved["id"]]
    assert listed["tasks"] == []
    headers = api_login(client, "obs", BASE)
    assert client.post("/api/schedules", json=MORNING, headers=headers).status_code == 403
    assert client.delete(f"/api/schedules/{saved['id']}", headers=headers).status_code == 403

    headers = api_login(client, "op", BASE)
    off = client.patch(f"/api/schedules/{saved['id']}", json={"enabled": False}, headers=headers).json()
    assert off["enabled"] is False and off["next"] is None
    assert (
        client.delete(f"/api/schedules/{saved['id']}", headers=headers).json()["result"] == "schedule morning deleted"
    )
    assert client.get("/api/schedules").json()["schedules"] == []
    actions = [(e.actor, e.action, e.outcome.split(":")[0]) for e in accounts.audit_log()]
    for entry in (("op", "schedule", "ok"), ("op", "schedule-switch", "ok"), ("op", "schedule-delete", "ok")):
        assert entry in actions
    assert ("obs", "schedule", "refused") in actions
    assert not station.started_wall  # saving a schedule flies nothing


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"grids": ["99"]}, 404, "no grid '99'; the grids are"),
        ({"drones": ["drone-9"]}, 404, "no drone 'drone-9'; the drones are drone-1, drone-2"),
        ({"pattern": "spiral"}, 422, "no pattern 'spiral'; use one of"),
        ({"sortie": 5}, 422, "no sortie 5: drone-1 has 1; choose a sortie they all have"),
        ({"times": ["7pm"]}, 422, "write it as HH:MM"),
        ({"name": "x" * 65}, 422, "name"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_a_bad_schedule_is_answered_in_words_and_not_saved(
    setup: tuple[Any, Accounts, TestClient], change: dict[str, Any], status: int | None, words: str | None
) -> None:
    _, _, client = setup
    headers = api_login(client, "op", BASE)
    r = client.post("/api/schedules", json=MORNING | change, headers=headers)
    if status is None:
        assert r.status_code == 200, r.text
        client.delete(f"/api/schedules/{r.json()['id']}", headers=headers)
        return
    assert r.status_code == status and words is not None and words in r.text, r.text
    assert client.get("/api/schedules").json()["schedules"] == []


def test_unknown_schedules_and_zones_are_named(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    headers = api_login(client, "op", BASE)
    r = client.delete("/api/schedules/nope", headers=headers)
    assert r.status_code == 404 and "no schedule 'nope'" in r.text
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        ConsoleConfig(timezone="Mars/Olympus")
