"""Issue #14, finding 1: every string a station, a vehicle or a user can set is text in the review UI.

A script payload goes into every such field through the API (grid names and ids as admin, drone names, the
telemetry mode, incident details, broadcast text and review notes), then an admin hovers the map, opens every
incident, switches language and watches live updates arrive. Nothing may run: no dialog, ``window.__pwned``
unset, no element built from a payload. The same walk runs once without any CSP (text must be text on its
own) and once under the strict CSP (the UI must work there: no violation reported).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from api_testkit import SECRETS, LiveServer, incident_body, stop_server
from browser_kit import STRICT_CSP, browser, serve  # noqa: F401  (browser is a fixture)
from playwright.sync_api import Browser, Dialog, Page, expect

from api.config import ApiConfig

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

IMG = "<img src=x onerror=\"window.__pwned='img';alert('img')\">"
SCRIPT = "<script>window.__pwned='script';alert('script')</script>"
SVG = "<svg onload=\"window.__pwned='svg';alert('svg')\"></svg>"
JS_URL = "javascript:window.__pwned='url';alert('url')"
ANY = f"{IMG}{SCRIPT}{SVG} {JS_URL}"
DRONE = f"{IMG} {SVG}"  # drone names: 128 characters at most
MODE = "<img src=x onerror=alert(1)>"  # telemetry mode: 32 characters at most
GRID_ID = '"><img src=x onerror=alert(2)>'  # grid ids are free text too

# Everything in the page that a payload could have turned into, had it been parsed as HTML.
INJECTED = """() => {
  const onAttr = [...document.querySelectorAll('*')]
    .filter((n) => [...n.attributes].some((a) => a.name.startsWith('on')));
  return {
    pwned: window.__pwned ?? null,
    imgX: [...document.images].filter((i) => /\\/x$/.test(i.src)).length,
    scripts: [...document.scripts].filter((s) => !s.src).length,
    onAttr: onAttr.map((n) => n.tagName),
    jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
  };
}"""
CLEAN: dict[str, object] = {"pwned": None, "imgX": 0, "scripts": 0, "onAttr": [], "jsLinks": 0}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def square(gid: str, name: str, x0: float) -> dict[str, object]:
    ring = [[x0, 39.90], [x0 + 0.01, 39.90], [x0 + 0.01, 39.91], [x0, 39.91], [x0, 39.90]]
    return {
        "type": "Feature",
        "properties": {"id": gid, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def seed_payloads(url: str) -> None:
    """Payloads in every field a station, a vehicle or a user sets, through the public API."""
    admin, station, rev = bearer(SECRETS.tokens["admin"]), bearer(SECRETS.keys["st-1"]), bearer(SECRETS.tokens["rev"])
    grids = {
        "type": "FeatureCollection",
        "features": [square(GRID_ID, f"{IMG} west", 116.39), square("g-east", f"{SVG}{SCRIPT}", 116.40)],
    }
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.put("/api/grids", json=grids, headers=admin).status_code == 200
        assert http.put("/api/drones/d1", json={"id": "d1", "name": DRONE}, headers=station).status_code == 200
        telemetry = {
            "drone_id": "d1",
            "ts": "2026-11-20T08:00:00Z",
            "lon": 116.399,  # away from the incident dots, so hovering a dot never hits the drone
            "lat": 39.908,
            "alt_m": 40.0,
            "mode": MODE,
        }
        assert http.post("/api/telemetry", json=telemetry, headers=station).status_code == 201
        for i, grid_x in enumerate((116.395, 116.405)):
            body = incident_body(
                id=f"inc-{i}", ts=f"2026-11-20T09:0{i}:00Z", lon=grid_x, lat=39.905, drone_id="d1",
                details={IMG: SCRIPT, "nested": {"svg": SVG, "url": JS_URL}, "list": [IMG]},
            )  # fmt: skip
            assert http.post("/api/incidents", json=body, headers=station).status_code == 201
        broadcast = {
            "id": "bc-1",
            "ts": "2026-11-20T09:00:02Z",
            "incident_id": "inc-0",
            "kind": "crowd",
            "language": "zh",
            "text": ANY,
        }
        assert http.post("/api/broadcasts", json=broadcast, headers=station).status_code == 201
        review = {"status": "confirmed", "note": ANY}
        assert http.patch("/api/incidents/inc-1", json=review, headers=rev).status_code == 200


@pytest.fixture(params=["off", "on"], ids=["no-csp", "strict-csp"])
def payload_server(request: pytest.FixtureRequest, config: ApiConfig) -> Iterator[tuple[LiveServer, str]]:
    live = serve(config, str(request.param))
    yield live, str(request.param)
    stop_server(live)
    live.app.state.engine.dispose()


def login_admin(chromium: Browser, url: str) -> tuple[Page, list[str], list[str], list[str]]:
    page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    dialogs: list[str] = []
    errors: list[str] = []
    console: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    page.fill("#login-form [name=username]", "admin")
    page.fill("#login-form [name=password]", "admin-pass-1")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#incidents tbody tr")).to_have_count(2)
    return page, dialogs, errors, console


def walk_the_ui(page: Page) -> None:
    """Hover every grid, dot and drone; open every incident; read the charts and the grid filter."""
    expect(page.locator(".grid-label")).to_have_count(2)
    for grid in page.locator("path.grid-area").all():
        grid.hover(force=True)
    for dot in page.locator("path.incident-dot").all():
        dot.hover(force=True)
        expect(page.locator(".leaflet-tooltip:not(.grid-label)", has_text="2026").last).to_be_visible()
    page.locator(".drone-icon").hover()
    expect(page.locator(".leaflet-tooltip", has_text="onerror=alert(1)")).to_be_visible()
    for row in page.locator("#incidents tbody tr").all():
        row.click()
        expect(page.locator("#detail")).to_be_visible()
        expect(page.locator("#detail-extra")).to_contain_text(SCRIPT)
    page.locator("#incidents tbody tr[data-id=inc-0]").click()
    expect(page.locator("#detail-broadcasts")).to_contain_text(IMG)
    page.locator("#incidents tbody tr[data-id=inc-1]").click()
    expect(page.locator("#detail-history")).to_contain_text(SCRIPT)
    page.click("#lang")
    expect(page.locator("header h1")).to_have_text("Incident log")


def test_payloads_stay_text(browser: Browser, payload_server: tuple[LiveServer, str]) -> None:  # noqa: F811
    live, csp = payload_server
    policy = httpx.get(live.url + "/").headers.get("content-security-policy")
    assert (policy is not None) == (csp == "on")
    if policy is not None:  # the app's own policy, once it sends one, must be at least as strict as the test's
        for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in policy, (directive, policy, STRICT_CSP)
    seed_payloads(live.url)
    page, dialogs, errors, console = login_admin(browser, live.url)

    # The payloads are on screen, as the characters that were sent.
    expect(page.locator(".grid-label", has_text=f"{IMG} west")).to_be_visible()
    expect(page.locator("#filters [name=grid_id] option", has_text=SCRIPT)).to_have_count(1)
    expect(page.locator("#incidents tbody tr").first.locator("td").nth(4)).to_have_text(DRONE)
    expect(page.locator("#chart-grid title", has_text=IMG).first).to_be_attached()
    walk_the_ui(page)

    # Live updates carry payloads too: a position with the mode and a new incident with details.
    station = bearer(SECRETS.keys["st-1"])
    ts = datetime.now(UTC).isoformat()
    telemetry = {
        "drone_id": "d1",
        "ts": ts,
        "lon": 116.396,
        "lat": 39.906,
        "alt_m": 40.0,
        "mode": MODE,
        "battery_pct": 50,
    }
    assert httpx.post(live.url + "/api/telemetry", json=telemetry, headers=station).status_code == 201
    body = incident_body(
        id="inc-live", ts="2026-11-20T10:00:00Z", lon=116.396, lat=39.906, drone_id="d1", details={"x": IMG}
    )
    assert httpx.post(live.url + "/api/incidents", json=body, headers=station).status_code == 201
    fresh = page.locator("#incidents tbody tr.fresh")
    expect(fresh).to_have_count(1)
    fresh.click()
    expect(page.locator("#detail-fields")).to_contain_text("116.396000")
    expect(page.locator("#detail-extra")).to_contain_text(IMG)
    page.keyboard.press("Escape")  # the detail panel lies over the map
    expect(page.locator("#detail")).to_be_hidden()
    page.locator(".drone-icon").hover()
    expect(page.locator(".leaflet-tooltip", has_text="50%")).to_contain_text(MODE)

    assert page.evaluate(INJECTED) == CLEAN
    assert dialogs == []
    assert errors == []
    violations = [m for m in console if "Content Security Policy" in m]
    assert violations == []
