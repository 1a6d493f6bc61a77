"""Helpers for the console's Chromium tests: Debian's Chromium, a logged-in page, a station on the ground with
drone-1's loudspeaker started, and the API login of a TestClient."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_kit import PASSWORDS, accounts_with_users, patrol

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")
FAKE_MICROPHONE = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
HANG_MS = 90_000  # only stops a hang


@contextlib.contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """Headless Debian Chromium (skips the test where it is not installed)."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def console_page(
    browser: Any, url: str, user: str, errors: list[str], *, height: int = 768, microphone: bool = False
) -> Any:
    """A console page logged in as ``user`` through the login form; script errors go to ``errors``.

    The page asks ``/api/me`` before the login (a 401 Chromium logs as a failed load): only script errors count.
    """
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": height})
    if microphone:
        context.grant_permissions(["microphone"], origin=url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(HANG_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "Failed to load" not in msg.text else None,
    )
    page.goto(url)
    page.fill("#login-form [name=username]", user)
    page.fill("#login-form [name=password]", PASSWORDS[user])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    return page


@contextlib.contextmanager
def station_on_the_ground(out: Path) -> Iterator[tuple[Any, Any, Any]]:
    """A real station (two drones, not flying) with drone-1's loudspeaker started (file sink under
    ``out/audio/drone-1``) and its console served; yields the station, the accounts and the server."""
    from gridpatrol.console.config import ConsoleConfig
    from gridpatrol.console.server import ConsoleServer
    from gridpatrol.station.demo import free_port

    with patrol(out, fly=False) as (station, _):
        accounts = accounts_with_users(out / "console.db")
        station.rigs["drone-1"].speaker.start(prerender=False)
        server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
        try:
            yield station, accounts, server
        finally:
            server.stop()
            station.rigs["drone-1"].speaker.stop()
            accounts.close()


def api_login(client: Any, user: str, base: str) -> dict[str, str]:
    """Log ``user`` in on a TestClient; the headers a state-changing request of the page carries."""
    client.cookies.clear()
    r = client.post("/api/login", json={"username": user, "password": PASSWORDS[user]})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf"], "Origin": base}
