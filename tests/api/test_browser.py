"""The review UI in Chromium (Playwright): log in, filter, open, confirm, see a live incident arrive."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from api_testkit import SECRETS, LiveServer, grids_geojson, incident_body, jpeg
from browser_kit import browser  # noqa: F401 - the shared Chromium fixture

from api.client import ApiClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


def seed_district(live: LiveServer) -> None:
    """Grids, a drone track, incidents (one with a snapshot and a broadcast) through the station client."""
    with ApiClient(live.url, SECRETS.tokens["admin"]) as admin:
        admin.put_grids(grids_geojson())  # grids are an admin's to change (issue #14)
    with ApiClient(live.url, SECRETS.keys["st-1"]) as client:
        for i in range(5):
            ts = datetime(2026, 11, 20, 8, i, tzinfo=UTC)
            client.post_telemetry("d1", ts, 116.392 + i * 0.003, 39.904 + i * 0.001, 40.0, battery_pct=90 - i)
        sha = client.upload_snapshot(jpeg(480, 270, seed=3))
        client.post_incident(
            incident_body(id="crowd-1", type="crowd", people=9, lon=116.395, lat=39.905, snapshot_sha=sha,
                          ts="2026-11-20T09:00:00Z")
        )  # fmt: skip
        client.post_broadcast(
            {"id": "bc-1", "ts": "2026-11-20T09:00:02Z", "incident_id": "crowd-1", "kind": "crowd",
             "language": "zh", "text": "请不要聚集，保持距离"}
        )  # fmt: skip
        for i in range(4):
            client.post_incident(
                incident_body(id=f"mask-{i}", lon=116.402 + i * 0.001, lat=39.906, ts=f"2026-11-20T0{8}:1{i}:00Z")
            )


def test_review_flow_in_chromium(browser: object, live_server: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    seed_district(live_server)
    page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url)

    page.fill("#login-form [name=username]", "rev")
    page.fill("#login-form [name=password]", "wrong-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).not_to_be_empty()
    page.fill("#login-form [name=password]", "reviewer-pass-1")
    page.click("#login-form button[type=submit]")
    rows = page.locator("#incidents tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#live-state.on")).to_be_visible()
    # two grids, one drone track, five incident markers
    expect(page.locator("path.leaflet-interactive")).to_have_count(2 + 1 + 5)

    page.select_option("#filters [name=type]", "crowd")
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-broadcasts")).to_contain_text("请不要聚集")
    expect(page.locator("#detail-snapshot")).to_be_visible()
    assert page.eval_on_selector("#detail-snapshot", "img => img.naturalWidth") == 480

    page.keyboard.press("c")
    expect(page.locator("#detail-history")).to_contain_text("rev")
    auth = {"Authorization": f"Bearer {SECRETS.tokens['rev']}"}
    stored = httpx.get(live_server.url + "/api/incidents/crowd-1", headers=auth).json()
    assert stored["status"] == "confirmed" and stored["history"][0]["reviewer"] == "rev"

    page.select_option("#filters [name=type]", "")
    expect(rows).to_have_count(5)
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_contain_text("2")
    page.keyboard.press("d")
    expect(page.locator("#incidents tbody tr.status-dismissed")).to_have_count(2)

    with ApiClient(live_server.url, SECRETS.keys["st-1"]) as client:
        client.post_incident(incident_body(id="live-new", type="crowd", people=12, lon=116.397, lat=39.907))
    expect(page.locator("#incidents tbody tr.fresh")).to_have_count(1)
    expect(page.locator("#incidents tbody tr.fresh")).to_have_attribute("data-id", "live-new")

    page.click("#lang")
    expect(page.locator("header h1")).to_have_text("Incident log")
    page.click("#lang")
    expect(page.locator("header h1")).to_have_text("事件记录")
    shot = tmp_path / "ui-laptop.png"
    page.screenshot(path=str(shot))

    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.screenshot(path=str(tmp_path / "ui-tablet.png"), full_page=True)
    keep = os.environ.get("GRIDPATROL_UI_SCREENSHOTS")
    if keep:
        for png in tmp_path.glob("ui-*.png"):
            shutil.copy(png, Path(keep) / png.name)
    assert errors == []
