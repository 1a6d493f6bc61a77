"""The pre-flight checklist on the drone cards, in Debian's Chromium (issue 15: "the pre-flight checks show as a list
with readable failures"): two simulated drones launch; drone-2 stands with a part-charged battery. Its card lists
every check, the passed ones ticked and the battery check failed with the station's reason; drone-1's checks all
pass and its list goes away once it flies.

Waits are on conditions; their limits only stop a hang.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from console_browser import chromium, console_page
from console_kit import accounts_with_users, patrol
from playwright.sync_api import expect

from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.server import ConsoleServer
from gridpatrol.station.demo import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
HANG_S = 300.0


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    out = tmp_path_factory.mktemp("console-checks")
    with patrol(out, fly=True, speedup=3.0) as (station, sims):
        sims[1].vehicle(0).sag_battery(40)  # drone-2: 60 %, below the 90 % a take-off needs
        accounts = accounts_with_users(out / "console.db")
        server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
        try:
            station.start(grids=None)
            deadline = time.monotonic() + HANG_S
            rigs = station.rigs
            while not (rigs["drone-1"].flight.status.phase == "mission" and rigs["drone-2"].flight.status.done):
                assert time.monotonic() < deadline, {d: r.flight.status.phase for d, r in rigs.items()}
                time.sleep(0.2)
            yield station, server.url
        finally:
            server.stop()
            accounts.close()


def test_a_failed_check_is_listed_with_its_reason_and_a_flying_drone_shows_none(launched: tuple[Any, str]) -> None:
    station, url = launched
    errors: list[str] = []
    with chromium() as browser:
        page = console_page(browser, url, "obs", errors)
        failed = page.locator('section.drone[data-drone="drone-2"] ol.checks')
        expect(failed).to_be_visible()
        expect(failed.locator("li")).to_have_count(7)
        for key in ("link", "gps", "start", "fence", "mission"):
            expect(failed.locator(f'li[data-check="{key}"]')).to_have_attribute("data-state", "passed")
        battery = failed.locator('li[data-check="battery"]')
        expect(battery).to_have_attribute("data-state", "failed")
        expect(battery).to_contain_text("Battery charged for take-off")
        expect(battery).to_contain_text("below the 90 % needed to take off")
        expect(failed.locator('li[data-check="arm"]')).to_have_attribute("data-state", "waiting")
        expect(page.locator('section.drone[data-drone="drone-1"] ol.checks')).to_be_hidden()
        assert station.rigs["drone-1"].flight.status.checks.passed
        assert not errors, errors
