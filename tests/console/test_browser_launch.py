"""Plan and launch from the console in Debian's Chromium (issue 15, "Plan and launch without a config file"): a
station with two drones on the built-in simulator serves the console and waits (as ``gridpatrol run
--launch-from-console``); the operator picks grids, drones, pattern and height, previews the routes on the map
with their length, time and battery, is told in words what is wrong with a bad choice, launches after
confirming, and both simulated vehicles take off and fly their missions. An observer gets no planning panel.

Waits are on conditions and simulated time; their limits only stop a hang.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from console_browser import console_page
from console_kit import accounts_with_users, patrol
from playwright.sync_api import Browser, Page, expect

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.server import ConsoleServer
from gridpatrol.station.demo import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass
class Waiting:
    """A station that has not launched, its simulators and its console."""

    station: Any
    sims: list[Any]
    accounts: Accounts
    url: str
    out: Path


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Waiting]:
    out = tmp_path_factory.mktemp("console-launch-browser")
    with patrol(out, fly=True, speedup=3.0) as (station, sims):
        accounts = accounts_with_users(out / "console.db")
        server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
        try:
            yield Waiting(station, sims, accounts, server.url, out)
        finally:
            server.stop()
            accounts.close()


def logged_in(browser: Browser, url: str, user: str, errors: list[str]) -> Page:
    return cast(Page, console_page(browser, url, user, errors, height=900))


def test_an_observer_gets_no_planning_panel(browser: Browser, waiting: Waiting) -> None:
    errors: list[str] = []
    page = logged_in(browser, waiting.url, "obs", errors)
    expect(page.locator(".drone")).to_have_count(2)
    expect(page.locator("#plan-panel")).to_have_count(0)
    assert not errors, errors
    page.context.close()


def test_plan_preview_then_launch_flies_both_drones(browser: Browser, waiting: Waiting) -> None:
    errors: list[str] = []
    page = logged_in(browser, waiting.url, "op", errors)
    panel = page.locator("#plan-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("input[name=grid][value='1']")).to_be_checked()
    expect(panel.locator("input[name=grid][value='4']")).to_be_checked()
    expect(panel.locator("#plan-launch")).to_be_disabled()  # nothing to launch before a preview

    # a bad choice is said in words and nothing is drawn
    for grid in ("1", "4"):
        panel.locator(f"input[name=grid][value='{grid}']").uncheck()
    panel.locator("button[type=submit]").click()
    expect(page.locator("#error")).to_contain_text("grids")
    assert page.locator("path.plan-route").count() == 0

    panel.locator("input[name=grid][value='1']").check()
    panel.locator("input[name=grid][value='4']").check()
    page.select_option("#plan-form [name=pattern]", "perimeter")
    page.fill("#plan-form [name=alt_m]", "40")
    panel.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_contain_text("Planned")
    expect(page.locator("path.plan-route")).to_have_count(2)
    summary = page.locator("#plan-summary li")
    expect(summary.first).to_contain_text("km in all")
    expect(page.locator("#plan-summary")).to_contain_text("drone-1 sortie 1")
    expect(page.locator("#plan-summary")).to_contain_text("drone-2 sortie 1")
    assert not waiting.station.started_wall, "a preview must not launch"

    panel.locator("#plan-launch").click()
    expect(page.locator("#confirm")).to_be_visible()
    page.locator("#confirm-no").click()
    expect(page.locator("#status")).to_contain_text("cancelled")
    assert not waiting.station.started_wall

    panel.locator("#plan-launch").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("#status")).to_contain_text("launched drone-1, drone-2 over grid(s) 1, 4")
    expect(panel.locator("#plan-launch")).to_be_disabled()  # the panel stays (later launches); preview first

    def on_mission() -> bool:
        rigs = waiting.station.rigs.values()
        return all(r.flight.status.phase == "mission" and r.flight.vehicle is not None for r in rigs)

    deadline = time.monotonic() + 240
    while not on_mission():
        assert time.monotonic() < deadline, "the launched drones never reached their missions"
        time.sleep(0.2)
    for i, sim in enumerate(waiting.sims):
        assert sim.vehicle(0).armed, f"drone-{i + 1} is not flying"
    expect(page.locator(".drone [data-field=mode]").first).to_contain_text("AUTO")
    entries = [e for e in waiting.accounts.audit_log() if e.action == "launch"]
    assert entries and entries[0].actor == "op" and entries[0].outcome.startswith("ok")
    assert sorted(p.name for p in (waiting.out / "plans").glob("drone-*.plan")) == [
        "drone-1-s1.plan",
        "drone-2-s1.plan",
    ]
    assert not errors, errors
    page.context.close()
