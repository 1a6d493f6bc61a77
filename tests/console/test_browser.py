"""The console in Debian's Chromium against a real station flying two drones on the built-in simulator.

An operator logs in, sees the drones move on the map, pauses a drone (the simulated vehicle brakes and stays
put over simulated seconds) and resumes it (AUTO, moving again), is refused a go-to into a no-fly zone with the
reason, sends a drone to a point (GUIDED) and speaks through its loudspeaker (the WAV reaches the file sink). An
observer gets no buttons and a 403 from the API. Script payloads in every district name and in a vehicle's
STATUSTEXT stay text. A radio dropout shows the drone's stalled banner, which goes when the link is back.

Waits are on conditions and simulated time; their limits only stop a hang.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from console_kit import GRIDS, PASSWORDS, XSS, accounts_with_users, patrol, xss_district
from playwright.sync_api import Browser, Page, ViewportSize, expect

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.server import ConsoleServer
from gridpatrol.station.demo import free_port
from mission_planner.district_io import load_district

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
HANG_MS = 90_000  # only stops a hang

CHROMIUM = "/usr/bin/chromium"


@dataclass
class Flying:
    """The flying patrol and its console."""

    station: Any
    sims: list[Any]
    server: ConsoleServer
    accounts: Accounts
    district: Path
    out: Path


def _wait(predicate: Any, what: str, limit_s: float = HANG_MS / 1000) -> None:
    import time

    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"hung waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def flying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flying]:
    out = tmp_path_factory.mktemp("console-fly")
    district = xss_district(out)
    with patrol(out, fly=True, speedup=2.0, district=district) as (station, sims):
        accounts = accounts_with_users(out / "console.db")
        station.start(grids=list(GRIDS))
        server = ConsoleServer(station, ConsoleConfig(port=free_port()), accounts).start()
        try:

            def on_mission() -> bool:
                rigs = station.rigs.values()
                return all(r.flight.status.phase == "mission" and r.flight.vehicle is not None for r in rigs)

            _wait(on_mission, "both drones on their missions", 240)
            yield Flying(station, sims, server, accounts, district, out)
        finally:
            server.stop()
            accounts.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@dataclass
class Watched:
    page: Page
    errors: list[str]
    dialogs: list[str]


def open_console(browser: Browser, flying: Flying, user: str, size: ViewportSize | None = None) -> Watched:
    """A logged-in console page (through the login form), its errors and dialogs watched."""
    page = browser.new_context(viewport=size or {"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(HANG_MS)
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refused requests (401 before login, 422 for a refused go-to ...) are logged by Chromium as failed loads; each
    # test checks its answers itself, so only script errors and CSP violations count here.
    expected = "Failed to load resource"

    def on_console(msg: Any) -> None:
        if msg.type == "error" and expected not in msg.text:
            errors.append(msg.text)

    page.on("console", on_console)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(flying.server.url)
    page.fill("#login-form [name=username]", user)
    page.fill("#login-form [name=password]", PASSWORDS[user])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator(".drone")).to_have_count(2)
    return Watched(page, errors, dialogs)


@pytest.fixture(scope="module")
def operator(browser: Browser, flying: Flying) -> Iterator[Watched]:
    watched = open_console(browser, flying, "op")
    yield watched
    watched.page.context.close()


def marker(page: Page, drone: str) -> Any:
    return page.locator(f".drone-icon[data-drone='{drone}']")


def card(page: Page, drone: str) -> Any:
    return page.locator(f"section.drone[data-drone='{drone}']")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians(a[0])
    return math.hypot((a[0] - b[0]) * 111_320.0, (a[1] - b[1]) * 111_320.0 * math.cos(lat))


def sim_latlon(flying: Flying, i: int) -> tuple[float, float]:
    lat, lon, *_ = flying.sims[i].vehicle(0).position
    return float(lat), float(lon)


def test_operator_sees_district_and_drones_moving(operator: Watched, flying: Flying) -> None:
    page = operator.page
    assert page.locator("#map path.leaflet-interactive").count() >= 4  # fence, grids, no-fly zones
    expect(marker(page, "drone-1")).to_have_count(1)
    before = marker(page, "drone-1").get_attribute("data-lat"), marker(page, "drone-1").get_attribute("data-lon")
    flying.sims[0].wait_sim_time(6.0, timeout=HANG_MS / 1000)
    page.wait_for_function(
        """([lat, lon]) => {
             const m = document.querySelector(".drone-icon[data-drone='drone-1']");
             return m && (m.dataset.lat !== lat || m.dataset.lon !== lon);
           }""",
        arg=list(before),
    )
    expect(card(page, "drone-1").locator("[data-field=mode]")).to_contain_text("AUTO")
    grids = len(load_district(flying.district).grids)
    expect(page.locator("#map path[data-colour=white]")).to_have_count(grids)  # no incidents: every grid white
    assert not operator.errors, operator.errors


def test_pause_and_resume_act_on_the_simulated_vehicle(operator: Watched, flying: Flying) -> None:
    page, vehicle = operator.page, flying.sims[0].vehicle(0)
    card(page, "drone-1").locator("button[data-action=pause]").click()
    expect(page.locator("#status")).to_contain_text("drone-1 paused")
    assert vehicle.mode == "BRAKE"
    held = sim_latlon(flying, 0)
    flying.sims[0].wait_sim_time(5.0, timeout=HANG_MS / 1000)
    assert metres(held, sim_latlon(flying, 0)) < 1.5
    expect(card(page, "drone-1").locator("[data-field=mode]")).to_contain_text("BRAKE")
    audit = flying.accounts.audit_log()
    assert audit[0].actor == "op" and audit[0].action == "pause" and audit[0].outcome.startswith("ok")

    card(page, "drone-1").locator("button[data-action=resume]").click()
    expect(page.locator("#status")).to_contain_text("drone-1 resumed")
    assert vehicle.mode == "AUTO"
    flying.sims[0].wait_sim_time(5.0, timeout=HANG_MS / 1000)
    assert metres(held, sim_latlon(flying, 0)) > 3.0


def test_goto_into_a_no_fly_zone_is_refused_with_the_reason(operator: Watched, flying: Flying) -> None:
    page = operator.page
    page.locator("#map").click(position={"x": 300, "y": 300})  # a click on the map picks the point
    assert page.input_value("#goto-form [name=lat]") and page.input_value("#goto-form [name=lon]")
    zone = load_district(flying.district).nofly[0]
    inside = zone.geometry.representative_point()
    page.select_option("#drone-select", "drone-1")
    page.fill("#goto-form [name=lat]", f"{inside.y:.7f}")
    page.fill("#goto-form [name=lon]", f"{inside.x:.7f}")
    page.click("#goto-form button[type=submit]")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("Fly drone-1 to")
    page.click("#confirm-yes")
    expect(page.locator("#error")).to_contain_text("go-to refused: the point is inside the no-fly zone")
    assert flying.sims[0].vehicle(0).mode == "AUTO"
    refusal = flying.accounts.audit_log()[0]
    assert refusal.action == "goto" and refusal.outcome.startswith("refused: go-to refused")


def test_goto_a_point_flies_guided_then_resumes(operator: Watched, flying: Flying) -> None:
    page, vehicle = operator.page, flying.sims[1].vehicle(0)
    lat, lon = sim_latlon(flying, 1)
    page.select_option("#drone-select", "drone-2")
    page.fill("#goto-form [name=lat]", f"{lat:.7f}")
    page.fill("#goto-form [name=lon]", f"{lon:.7f}")
    page.fill("#goto-form [name=alt_m]", "30")
    page.click("#goto-form button[type=submit]")
    page.click("#confirm-yes")
    expect(page.locator("#status")).to_contain_text("drone-2 flying to")
    _wait(lambda: vehicle.mode == "GUIDED", "GUIDED on the vehicle")
    card(page, "drone-2").locator("button[data-action=resume]").click()
    expect(page.locator("#status")).to_contain_text("drone-2 resumed")
    assert vehicle.mode == "AUTO"


def test_phrase_and_free_text_reach_the_loudspeaker(operator: Watched, flying: Flying) -> None:
    page = operator.page
    page.select_option("#drone-select", "drone-1")
    page.click("#phrases button[data-phrase=thanks]")
    expect(page.locator("#status")).to_contain_text("drone-1 will say")
    page.fill("#speak-form [name=text]", "Please keep two metres apart")
    page.select_option("#speak-form [name=lang]", "en")
    page.click("#speak-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("drone-1 will say: Please keep two metres apart")

    def played() -> list[Any]:
        return [b for b in flying.station.broadcasts if b.kind == "operator" and b.drone_id == "drone-1"]

    _wait(lambda: len(played()) >= 2, "two operator broadcasts played or cut")
    assert "Please keep two metres apart" in [b.text for b in played()]
    assert list((flying.out / "audio" / "drone-1").rglob("*.wav")), "no WAV at drone-1's file sink"
    too_long = "x" * 201
    page.fill("#speak-form [name=text]", too_long)  # the field stops at 200; the server checks too
    assert len(page.input_value("#speak-form [name=text]")) == 200


def test_keyboard_shortcuts_pause_and_resume_the_chosen_drone(operator: Watched, flying: Flying) -> None:
    page, vehicle = operator.page, flying.sims[1].vehicle(0)
    page.select_option("#drone-select", "drone-2")
    page.locator("#map").focus()
    page.keyboard.press("p")
    expect(page.locator("#status")).to_contain_text("drone-2 paused")
    assert vehicle.mode == "BRAKE"
    page.keyboard.press("h")  # return home asks first; Escape cancels and nothing is sent
    expect(page.locator("#confirm")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#status")).to_have_text("cancelled")
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("drone-2 resumed")
    assert vehicle.mode == "AUTO"


def test_observer_has_no_buttons_and_the_api_refuses(browser: Browser, flying: Flying) -> None:
    watched = open_console(browser, flying, "obs")
    page = watched.page
    try:
        assert page.locator("button[data-action]").count() == 0
        assert page.locator("#controls").count() == 0
        answer = page.evaluate(
            """async () => {
                 const r = await fetch('/api/drones/drone-1/pause', {method: 'POST',
                   headers: {'Content-Type': 'application/json', 'X-CSRF-Token': GP.me.csrf}, body: '{}'});
                 return [r.status, (await r.json()).detail];
               }"""
        )
        assert answer[0] == 403 and "observers watch only" in answer[1]
        assert flying.sims[0].vehicle(0).mode == "AUTO"
    finally:
        page.context.close()


def test_disabling_an_account_ends_its_open_page(browser: Browser, flying: Flying) -> None:
    watched = open_console(browser, flying, "obs")
    page = watched.page
    try:
        flying.accounts.set_disabled("obs", True, actor="test")
        expect(page.locator("#login")).to_be_visible()  # the live stream ends with 'end'; the page asks to log in
        expect(page.locator("#login-error")).to_contain_text("disabled")
        assert page.evaluate("fetch('/api/drones').then((r) => r.status)") == 401
    finally:
        flying.accounts.set_disabled("obs", False, actor="test")
        page.context.close()


def test_fits_a_tablet_held_upright(browser: Browser, flying: Flying) -> None:
    watched = open_console(browser, flying, "op", size={"width": 768, "height": 1024})
    page = watched.page
    try:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
        box = page.locator("#map").bounding_box()
        assert box is not None and box["width"] >= 700 and box["height"] >= 400
        pause = card(page, "drone-1").locator("button[data-action=pause]")
        pause.scroll_into_view_if_needed()
        expect(pause).to_be_visible()
        assert not watched.errors, watched.errors
    finally:
        page.context.close()


def test_a_silent_station_is_said_over_the_whole_page(browser: Browser, flying: Flying) -> None:
    watched = open_console(browser, flying, "obs")
    page = watched.page
    try:
        silent = page.locator("#station-silent")
        expect(page.locator("#link-state")).to_have_text("live")
        expect(silent).to_be_hidden()
        watch = flying.server.app.state.watch
        watch.stop()  # the station's sampler stops: the open stream has no news to send
        try:
            expect(silent).to_be_visible()
            expect(page.locator("#link-state")).to_have_text("silent")
        finally:
            watch.start()
        expect(silent).to_be_hidden()
        expect(page.locator("#link-state")).to_have_text("live")
    finally:
        page.context.close()


def test_an_incident_arrives_in_the_side_list_with_its_snapshot(operator: Watched, flying: Flying) -> None:
    """A crowd incident as the station's events thread records it: listed live with its snapshot, its grid green."""
    from datetime import UTC, datetime

    import numpy as np

    from gridpatrol.station.rig import IncidentRecord
    from vision.incidents import Sighting, encode_jpeg

    page = operator.page
    jpeg = encode_jpeg(np.full((48, 64, 3), 200, dtype=np.uint8))
    crowd = Sighting(type="crowd", ts=datetime.now(UTC), confidence=0.9, people=7, grid_id="1", snapshot=jpeg)
    flying.station.incidents.append(IncidentRecord(crowd, "drone-1"))
    try:
        item = page.locator(f"#incidents li[data-incident='{crowd.id}']")
        expect(item).to_contain_text("crowd ×7 · grid 1 · drone-1")
        expect(item).to_contain_text(re.compile(r"^\d\d:\d\d:\d\d crowd"))  # its ts, in local time
        page.wait_for_function(
            "id => { const i = document.querySelector(`#incidents li[data-incident='${id}'] img.thumb`);"
            " return i && i.complete && i.naturalWidth === 64; }",
            arg=crowd.id,
        )
        expect(page.locator("#map path[data-colour=green]")).to_have_count(1)
    finally:
        flying.station.incidents.remove(next(r for r in flying.station.incidents if r.incident is crowd))


def test_payloads_in_names_and_vehicle_text_stay_text(operator: Watched, flying: Flying) -> None:
    page = operator.page
    flying.sims[1].vehicle(0).text(6, XSS)  # a STATUSTEXT with a script payload
    expect(card(page, "drone-2").locator("[data-field=message]")).to_have_text(XSS)
    shapes = page.locator("#map path.leaflet-interactive")
    for i in range(shapes.count()):  # each shape's tooltip shows its (payload) name
        shapes.nth(i).dispatch_event("mouseover")
    expect(page.locator(".leaflet-tooltip").filter(has_text=XSS).first).to_be_attached()
    found = page.evaluate(
        """() => ({
             pwned: window.__pwned ?? null,
             imgX: [...document.images].filter((i) => /\\/x$/.test(i.src)).length,
             inline: [...document.scripts].filter((s) => !s.src).length,
             onAttr: [...document.querySelectorAll('*')].filter((n) =>
               [...n.attributes].some((a) => a.name.startsWith('on'))).length,
           })"""
    )
    assert found == {"pwned": None, "imgX": 0, "inline": 0, "onAttr": 0}
    assert not operator.dialogs
    assert not [e for e in operator.errors if "Content Security Policy" in e], operator.errors


def test_the_page_switches_between_english_and_chinese(operator: Watched) -> None:
    page = operator.page
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("巡逻操作台")
    expect(card(page, "drone-1").locator("button[data-action=pause]")).to_have_text("暂停")
    expect(card(page, "drone-1").locator("dt").first).to_have_text("模式")
    expect(page.locator("#link-state")).to_have_text("在线")
    assert page.evaluate("document.documentElement.lang") == "zh"
    page.select_option("#drone-select", "drone-1")
    page.fill("#speak-form [name=text]", "请保持距离")
    page.click("#speak-form button[type=submit]")
    expect(page.locator("#status")).to_have_text("drone-1 将喊话：请保持距离")  # the station's answer, in Chinese
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Operator console")
    expect(card(page, "drone-1").locator("button[data-action=pause]")).to_have_text("Pause")


def test_a_radio_dropout_shows_the_stalled_banner_until_the_link_is_back(operator: Watched, flying: Flying) -> None:
    page = operator.page
    banner = card(page, "drone-2").locator(".stalled")
    expect(banner).to_be_hidden()
    flying.sims[1].vehicle(0).cut_link(15.0)  # simulated seconds: shorter than the vehicle's GCS failsafe (30 s)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Telemetry stopped")
    expect(card(page, "drone-1").locator(".stalled")).to_be_hidden()
    expect(banner).to_be_hidden()


def test_reloading_the_page_keeps_the_login_and_never_stops_a_flight(operator: Watched, flying: Flying) -> None:
    page = operator.page
    page.reload()
    expect(page.locator("#app")).to_be_visible()  # the login cookie survives a reload
    expect(page.locator("#login")).to_be_hidden()
    expect(page.locator(".drone")).to_have_count(2)
    page.context.new_page().close()  # another tab opened and closed: nothing happens to the drones either
    assert all(r.flight.status.phase == "mission" for r in flying.station.rigs.values())
    assert {flying.sims[i].vehicle(0).mode for i in (0, 1)} == {"AUTO"}


def test_land_asks_first_then_lands_where_it_is(operator: Watched, flying: Flying) -> None:
    page, vehicle = operator.page, flying.sims[0].vehicle(0)
    card(page, "drone-1").locator("button[data-action=land]").click()
    expect(page.locator("#confirm-text")).to_contain_text("Land drone-1 where it is now")
    page.click("#confirm-no")
    expect(page.locator("#status")).to_have_text("cancelled")
    assert vehicle.mode == "AUTO"
    card(page, "drone-1").locator("button[data-action=land]").click()
    page.click("#confirm-yes")
    expect(page.locator("#status")).to_contain_text("drone-1 landing where it is")
    assert vehicle.mode == "LAND"
    assert not operator.errors, operator.errors
