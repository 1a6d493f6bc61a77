"""Schedules and later launches in Debian's Chromium (issue 15, "Schedule"): a station with two drones on the
built-in simulator serves the console and waits. The operator saves a recurring patrol in the page (a bad time is
refused in words), an observer sees it without a way to change it, the scheduler is given the schedule's time and
the patrol flies, and the page shows the task's state until it is done. Once the crew has swapped the batteries, the
landed drones are launched again from the page (a later flight of the same vehicles).

The scheduler's own clock is stopped: the test gives it the schedule's time (``tick``). Waits are on conditions;
their limits only stop a hang.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from console_browser import console_page
from console_kit import accounts_with_users, patrol
from playwright.sync_api import Browser, Page, expect

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.schedules import Scheduler, next_time
from gridpatrol.console.server import ConsoleServer
from gridpatrol.station.demo import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
HANG_S = 240.0


@dataclass
class Served:
    station: Any
    sims: list[Any]
    accounts: Accounts
    url: str
    scheduler: Scheduler


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    out = tmp_path_factory.mktemp("console-schedules-browser")
    with patrol(out, fly=True, speedup=20.0) as (station, sims):
        accounts = accounts_with_users(out / "console.db")
        config = ConsoleConfig(port=free_port(), timezone="Asia/Shanghai")
        server = ConsoleServer(station, config, accounts).start()
        scheduler = server.app.state.scheduler
        scheduler.stop()  # the test gives it its times
        try:
            yield Served(station, sims, accounts, server.url, scheduler)
        finally:
            server.stop()
            accounts.close()


def logged_in(browser: Browser, url: str, user: str, errors: list[str]) -> Page:
    return cast(Page, console_page(browser, url, user, errors, height=900))


def test_a_schedule_saved_in_the_page_flies_at_its_time(browser: Browser, served: Served) -> None:
    errors: list[str] = []
    page = logged_in(browser, served.url, "op", errors)
    form = page.locator("#schedule-form")
    expect(form).to_be_visible()
    expect(page.locator("#schedules-hint")).to_contain_text("Asia/Shanghai")
    page.select_option("#plan-form [name=pattern]", "perimeter")
    form.locator("[name=name]").fill("rounds")
    form.locator("[name=times]").fill("7pm")
    form.locator("button[type=submit]").click()
    expect(page.locator("#error")).to_contain_text("write it as HH:MM")
    expect(page.locator("#schedules li")).to_have_count(0)

    form.locator("[name=times]").fill("15:00, 9:00")
    form.locator("input[name=day][value=sun]").uncheck()
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_contain_text("Saved schedule rounds.")
    item = page.locator("#schedules li.schedule")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("09:00, 15:00")
    expect(item).not_to_contain_text("sun")
    expect(item.locator(".next")).to_contain_text("next 20")

    observer = logged_in(browser, served.url, "obs", errors)
    expect(observer.locator("#schedules li.schedule")).to_have_count(1)
    expect(observer.locator("#schedule-form")).to_have_count(0)
    assert observer.locator("#schedules button").count() == 0
    observer.context.close()

    [schedule] = served.scheduler.store.all()
    assert (schedule.grids, schedule.drones, schedule.pattern) == (["1", "4"], ["drone-1", "drone-2"], "perimeter")
    due = next_time(schedule, served.scheduler.now())
    assert due is not None
    [task] = served.scheduler.tick(due + timedelta(minutes=1))
    row = page.locator(f"#tasks li[data-task='{task.id}']")
    expect(row).to_contain_text("rounds")
    expect(row).to_have_attribute("data-state", "done", timeout=HANG_S * 1000)
    expect(row.locator(".detail")).to_contain_text("drone-1: landed")

    item.locator("button[data-action=toggle]").click()
    expect(item.locator(".next")).to_have_text("off")
    item.locator("button[data-action=delete]").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("#status")).to_contain_text("schedule rounds deleted")
    expect(page.locator("#schedules li")).to_have_count(0)
    expect(page.locator("#schedules-empty")).to_be_visible()
    expect(row).to_have_attribute("data-state", "done")  # its tasks stay listed
    actions = {(e.actor, e.action) for e in served.accounts.audit_log()}
    assert {("op", "schedule"), ("schedule rounds", "launch"), ("schedule rounds", "patrol")} <= actions
    assert not errors, errors
    page.context.close()


def test_landed_drones_launch_again_from_the_page(browser: Browser, served: Served) -> None:
    if not served.station.started_wall or not served.station.flights_done():
        pytest.skip("needs the scheduled patrol of the test before to have flown and landed")
    for sim in served.sims:
        sim.vehicle(0).swap_battery()
    errors: list[str] = []
    page = logged_in(browser, served.url, "op", errors)
    panel = page.locator("#plan-panel")
    expect(panel).to_be_visible()  # still there after the first launch
    page.select_option("#plan-form [name=pattern]", "perimeter")
    panel.locator("button[type=submit]").click()
    expect(page.locator("#plan-summary")).to_contain_text("drone-2 sortie 1")
    before = {d: rig.flight for d, rig in served.station.rigs.items()}
    panel.locator("#plan-launch").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("#status")).to_contain_text("launched drone-1, drone-2 over grid(s) 1, 4")
    deadline = time.monotonic() + HANG_S
    while not all(rig.flight.status.reached for rig in served.station.rigs.values()):
        assert time.monotonic() < deadline, "the drones did not fly again"
        time.sleep(0.1)
    assert all(served.station.rigs[d].flight is not flight for d, flight in before.items())
    assert not errors, errors
    page.context.close()
