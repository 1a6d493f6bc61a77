"""Issue #14, the admin screens of the review UI and the end of a session, in Chromium under the strict CSP.

An admin revokes, rotates and issues station keys (a new key is shown once, with a copy button), disables,
enables and gives users a new password, and reads the audit log; the effects are checked through the API and
in the affected user's open page (its live stream ends and it returns to the login form). A reviewer sees no
admin screens. Names, stations and audit entries with script payloads stay text. The screens fit 1366x768 and
1024x1366 in zh and en. Also: the page handles the live stream's ``end`` event, and at most one hover tooltip
is open on the map. Every wait is on a condition, never on time.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from api_testkit import PASSWORDS, SECRETS, LiveServer, incident_body, stop_server
from browser_kit import browser, open_ui, serve, set_lang, ui_server  # noqa: F401  (fixtures)
from playwright.sync_api import Browser, Page, ViewportSize, expect
from test_browser_xss import CLEAN, IMG, INJECTED, SCRIPT, SVG

from api import accounts
from api.config import ApiConfig

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 1024, "height": 1366}
STRONG = "violet-harbour-57-lantern"
CLIPBOARD = ["clipboard-read", "clipboard-write"]


def post_incident(url: str, key: str) -> int:
    """Status of a station's POST /api/incidents with ``key``."""
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{url}/api/incidents", json=incident_body(), headers=headers, timeout=10).status_code


def show_tab(page: Page, tab: str) -> None:
    """Open an admin tab and wait for its fresh rows: until they load, the pane shows the last ones (aria-busy),
    and a click on one of those lands on a row about to be replaced (a loaded run lost an armed button so)."""
    page.click(f"#admin-tabs [data-tab={tab}]")
    expect(page.locator(f"#admin [data-pane={tab}]")).not_to_have_attribute("aria-busy", "true")


def twice(page: Page, selector: str) -> None:
    """A destructive admin action: the first click arms the button, the second runs it."""
    button = page.locator(selector)
    button.click()
    expect(button).to_have_attribute("data-armed", "yes")
    button.click()


def live_on(page: Page) -> None:
    expect(page.locator("#live-state")).to_have_class("live on")


def secret_shown(page: Page) -> str:
    expect(page.locator("#admin-secret")).to_be_visible()
    key = page.input_value("#secret-value")
    assert key.startswith("gps_")
    return key


def secret_gone(page: Page, key: str) -> None:
    """The key box is closed and the key is nowhere in the page (nor in its storage)."""
    expect(page.locator("#admin-secret")).to_be_hidden()
    assert page.input_value("#secret-value") == ""
    kept = page.evaluate(
        "() => document.documentElement.outerHTML + JSON.stringify(adminState) + JSON.stringify(sessionStorage)"
        " + JSON.stringify(localStorage) + [...document.querySelectorAll('input')].map((i) => i.value).join()"
    )
    assert key not in kept


def test_admin_revokes_rotates_issues_keys_and_manages_users(browser: Browser, ui_server: LiveServer) -> None:  # noqa: F811
    url = ui_server.url
    rev, rev_watch = open_ui(browser, ui_server, size=LAPTOP, user="rev", locale="zh-CN")
    live_on(rev)
    page, watch = open_ui(browser, ui_server, size=LAPTOP, user="admin", locale="en-GB", permissions=CLIPBOARD)
    set_lang(page, "en")
    page.click("#admin-open")
    expect(page.locator("#admin")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    keys = page.locator("#key-table tbody tr")
    expect(keys).to_have_count(2)

    # Revoke st-1: the station's next POST gets 401; st-2 still writes.
    assert post_incident(url, SECRETS.keys["st-1"]) == 201
    twice(page, "#key-table tr[data-station=st-1] [data-action=revoke]")
    expect(page.locator("#admin-status")).to_have_text("Key 1 (station st-1) revoked")
    expect(page.locator("#key-table tr[data-station=st-1]")).to_contain_text("revoked")
    expect(page.locator("#key-table tr[data-station=st-1] [data-action]")).to_have_count(0)
    assert post_incident(url, SECRETS.keys["st-1"]) == 401
    assert post_incident(url, SECRETS.keys["st-2"]) == 201

    # Rotate st-2: the new key is shown once, copies to the clipboard, works; the old one fails.
    twice(page, "#key-table tr[data-id='2'] [data-action=rotate]")
    rotated = secret_shown(page)
    expect(page.locator("#secret-text")).to_contain_text("station st-2 (id 3)")
    page.click("#secret-copy")
    expect(page.locator("#secret-copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == rotated
    assert post_incident(url, rotated) == 201
    assert post_incident(url, SECRETS.keys["st-2"]) == 401
    page.click("#secret-done")
    secret_gone(page, rotated)

    # Issue a key for a new station: shown once; leaving the tab wipes it too.
    page.fill("#key-form [name=station]", "st-9")
    page.click("#key-form button[type=submit]")
    issued = secret_shown(page)
    assert post_incident(url, issued) == 201
    expect(page.locator("#key-table tr[data-station=st-9]")).to_have_count(1)
    show_tab(page, "users")
    secret_gone(page, issued)

    # Disable the reviewer: their open page hears the stream's end and returns to the login form.
    users = page.locator("#user-table tbody tr[data-user]")
    expect(users).to_have_count(2)
    expect(page.locator("#user-table tr[data-user=admin] [data-action=disable]")).to_have_count(0)  # not oneself
    twice(page, "#user-table tr[data-user=rev] [data-action=disable]")
    expect(page.locator("#admin-status")).to_have_text("rev disabled; their logins ended")
    expect(page.locator("#user-table tr[data-user=rev]")).to_contain_text("disabled")
    expect(rev.locator("#login")).to_be_visible()
    expect(rev.locator("#login-error")).to_have_text("会话已结束（在别处退出、账号被停用或登录已过期），请重新登录。")
    expect(rev.locator("#live-state")).to_have_class("live off")
    assert rev.evaluate("sessionStorage.getItem('gridpatrol.token')") is None
    login = {"username": "rev", "password": PASSWORDS["rev"]}
    assert httpx.post(f"{url}/api/auth/login", json=login).status_code == 403

    # Enable again; a weak new password is refused with the policy's reason, a strong one is set.
    page.click("#user-table tr[data-user=rev] [data-action=enable]")
    expect(page.locator("#admin-status")).to_have_text("rev enabled")
    page.click("#user-table tr[data-user=rev] [data-action=password]")
    page.fill("#user-table .password-row input", "password1234")
    page.click("#user-table .password-row button[type=submit]")
    expect(page.locator("#admin-error")).to_contain_text("Failed:")
    page.fill("#user-table .password-row input", STRONG)
    page.click("#user-table .password-row button[type=submit]")
    expect(page.locator("#admin-status")).to_have_text("New password set for rev; their logins ended")
    assert httpx.post(f"{url}/api/auth/login", json={"username": "rev", "password": STRONG}).status_code == 200

    # Create a user; then the audit log lists every change, newest first.
    page.fill("#user-form [name=username]", "carol")
    page.fill("#user-form [name=password]", STRONG)
    page.click("#user-form button[type=submit]")
    expect(page.locator("#admin-status")).to_have_text("User carol created")
    expect(page.locator("#user-table tr[data-user=carol]")).to_contain_text("reviewer")
    show_tab(page, "audit")
    actions = page.locator("#audit-table tbody tr td:nth-child(3)")
    expect(actions).to_have_text(
        ["user created", "password reset", "user enabled", "user disabled", "station key issued",
         "station key rotated", "station key revoked"]
    )  # fmt: skip
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("admin admin")

    # Back to review: the map and the list are there again.
    page.click("#admin-close")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#admin")).to_be_hidden()
    for p, w in ((page, watch), (rev, rev_watch)):
        assert w.errors == [] and w.csp_violations() == [] and w.dialogs == [], p.url


def test_reviewer_sees_no_admin_screens(browser: Browser, ui_server: LiveServer) -> None:  # noqa: F811
    page, watch = open_ui(browser, ui_server, size=LAPTOP, user="rev")
    live_on(page)
    expect(page.locator("#admin-open")).to_be_hidden()
    page.evaluate("openAdmin('users')")  # even if a reviewer calls it, nothing opens
    expect(page.locator("#admin")).to_be_hidden()
    expect(page.locator("#app")).to_be_visible()
    for path in ("/api/users", "/api/station-keys", "/api/audit"):
        assert (
            httpx.get(ui_server.url + path, headers={"Authorization": f"Bearer {SECRETS.tokens['rev']}"}).status_code
            == 403
        )
    # An admin's page shows the button; after logging out and in as a reviewer in the same tab it is gone.
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_be_empty()  # a logout here is not "ended elsewhere"
    for user, shown in (("admin", True), ("rev", False)):
        page.fill("#login-form [name=username]", user)
        page.fill("#login-form [name=password]", PASSWORDS[user])
        page.click("#login-form button[type=submit]")
        expect(page.locator("#who")).to_have_text(user)
        if not shown:
            expect(page.locator("#admin-open")).to_be_hidden()
        else:
            expect(page.locator("#admin-open")).to_be_visible()
            page.click("#logout")
            expect(page.locator("#login")).to_be_visible()
    assert watch.errors == [] and watch.csp_violations() == []


def test_stream_end_returns_to_login_and_a_new_login_works(browser: Browser, ui_server: LiveServer) -> None:  # noqa: F811
    page, watch = open_ui(browser, ui_server, size=LAPTOP, user="rev", locale="en-GB")
    set_lang(page, "en")
    live_on(page)
    token = page.evaluate("sessionStorage.getItem('gridpatrol.token')")
    # The same token logged out from elsewhere: the server ends the stream with `event: end`.
    assert (
        httpx.post(ui_server.url + "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    )
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("Your session has ended")
    expect(page.locator("#app")).to_be_hidden()
    page.fill("#login-form [name=username]", "rev")
    page.fill("#login-form [name=password]", PASSWORDS["rev"])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#login-error")).to_be_empty()
    live_on(page)
    # The new stream delivers (one stream: the row arrives once).
    station = {"Authorization": f"Bearer {SECRETS.keys['st-1']}"}
    body = incident_body(id="after-relogin")
    assert httpx.post(ui_server.url + "/api/incidents", json=body, headers=station).status_code == 201
    expect(page.locator("#incidents tbody tr[data-id=after-relogin]")).to_have_count(1)
    assert watch.errors == [] and watch.csp_violations() == []


# --- payloads ---------------------------------------------------------------------------------------------------


@pytest.fixture(params=["off", "on"], ids=["no-csp", "strict-csp"])
def payload_admin_server(request: pytest.FixtureRequest, config: ApiConfig) -> Iterator[LiveServer]:
    """A server whose users, station keys and audit log hold script payloads.

    The API refuses such user names and station ids, but an older database, or rows written by
    ``gridpatrol admin`` (whose audit actor is the OS user), may hold any text: they are written here directly.
    """
    live = serve(config, str(request.param))
    with live.app.state.services.sessions() as s:
        accounts.add_user(s, f"{IMG}ann", STRONG, "reviewer", actor=f"cli {SVG}")
        accounts.issue_station_key(s, f"{SCRIPT}st", actor=f"cli {IMG}")
        accounts.audit(s, f"cli {SCRIPT}", f"{IMG}-action", f"{SVG} target", f"{IMG}{SCRIPT}")
        s.commit()
    inc = incident_body(id="redact-me")
    httpx.post(live.url + "/api/incidents", json=inc, headers={"Authorization": f"Bearer {SECRETS.keys['st-1']}"})
    redact = {"remove": ["details"], "reason": f"{IMG} bystander {SCRIPT}"}
    admin = {"Authorization": f"Bearer {SECRETS.tokens['admin']}"}
    assert httpx.post(live.url + "/api/incidents/redact-me/redact", json=redact, headers=admin).status_code == 200
    yield live
    stop_server(live)
    live.app.state.engine.dispose()


def test_payloads_in_names_keys_and_audit_stay_text(browser: Browser, payload_admin_server: LiveServer) -> None:  # noqa: F811
    page, watch = open_ui(browser, payload_admin_server, size=LAPTOP, user="admin")
    page.click("#admin-open")
    expect(page.locator("#key-table")).to_contain_text(f"{SCRIPT}st")
    twice(page, "#key-table tbody tr:last-child [data-action=rotate]")  # the message names the station
    expect(page.locator("#secret-text")).to_contain_text(f"{SCRIPT}st")
    show_tab(page, "users")
    expect(page.locator("#user-table")).to_contain_text(f"{IMG}ann")
    show_tab(page, "audit")
    expect(page.locator("#audit-table")).to_contain_text(f"{IMG} bystander {SCRIPT}")
    expect(page.locator("#audit-table")).to_contain_text(f"cli {SCRIPT}")
    expect(page.locator("#audit-table")).to_contain_text(f"{SVG} target")
    page.click("#lang")  # drawn again in the other language
    expect(page.locator("#audit-table")).to_contain_text(f"{IMG}-action")
    assert page.evaluate(INJECTED) == CLEAN
    assert watch.dialogs == [] and watch.errors == [] and watch.csp_violations() == []


# --- layout -----------------------------------------------------------------------------------------------------

# Whether anything in the admin screens sticks out of the viewport sideways.
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('#admin button, #admin input, #admin select, #admin td, #admin th')]
    .filter((n) => n.getClientRects().length && (n.getBoundingClientRect().right > width + 0.5
      || n.getBoundingClientRect().left < -0.5))
    .map((n) => n.id || n.dataset.action || n.textContent.slice(0, 20));
  return { scroll: document.documentElement.scrollWidth > width, out };
}"""


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["1366x768", "1024x1366"])
def test_admin_screens_fit_laptop_and_tablet_in_both_languages(
    browser: Browser,  # noqa: F811
    ui_server: LiveServer,  # noqa: F811
    size: ViewportSize,
) -> None:
    long = "station-" + "x" * 56
    admin = {"Authorization": f"Bearer {SECRETS.tokens['admin']}"}
    assert httpx.post(ui_server.url + "/api/station-keys", json={"station": long}, headers=admin).status_code == 201
    inc = incident_body(id="long-reason")
    httpx.post(ui_server.url + "/api/incidents", json=inc, headers={"Authorization": f"Bearer {SECRETS.keys['st-1']}"})
    redact = {"remove": ["note"], "reason": "一位路人的照片，" * 30}
    assert httpx.post(ui_server.url + "/api/incidents/long-reason/redact", json=redact, headers=admin).is_success
    page, watch = open_ui(browser, ui_server, size=size, user="admin")
    page.click("#admin-open")
    for lang in ("zh", "en"):
        set_lang(page, lang)
        for tab, rows in (("keys", 3), ("users", 2), ("audit", 2)):
            show_tab(page, tab)
            expect(page.locator(f"#admin [data-pane={tab}] tbody tr")).to_have_count(rows)
            if tab == "users":
                page.click("#user-table tr[data-user=rev] [data-action=password]")
                expect(page.locator("#user-table .password-row")).to_be_visible()
            assert page.evaluate(OUTSIDE) == {"scroll": False, "out": []}, (lang, tab)
    show_tab(page, "keys")
    twice(page, "#key-table tbody tr:last-child [data-action=rotate]")
    expect(page.locator("#admin-secret")).to_be_visible()
    assert page.evaluate(OUTSIDE) == {"scroll": False, "out": []}
    expect(page.locator("#secret-copy")).to_be_in_viewport()
    assert watch.errors == [] and watch.csp_violations() == []


# --- map tooltips -----------------------------------------------------------------------------------------------


def test_one_dot_tooltip_at_a_time(browser: Browser, ui_server: LiveServer) -> None:  # noqa: F811
    station = {"Authorization": f"Bearer {SECRETS.keys['st-1']}"}
    for i in range(3):
        body = incident_body(id=f"dot-{i}", lon=116.395 + i * 0.004, lat=39.905)
        assert httpx.post(ui_server.url + "/api/incidents", json=body, headers=station).status_code == 201
    page, watch = open_ui(browser, ui_server, size=LAPTOP)
    dots = page.locator("path.incident-dot")
    expect(dots).to_have_count(3)
    tips = page.locator(".leaflet-tooltip:not(.grid-label)")
    # Real pointer moves from dot to dot.
    for i in (0, 2, 1):
        dots.nth(i).hover(force=True)
        expect(tips).to_have_count(1)
    # A mouseout that never comes (a tap on a tablet, dots drawn again under the pointer): each new tooltip
    # closes the one before. The pointer is moved off the map first, so that no real mouse event takes part.
    page.mouse.move(1300, 700)
    expect(tips).to_have_count(0)
    for event in ("mouseover", "click"):
        for i in range(3):
            dots.nth(i).dispatch_event(event)
            expect(tips).to_have_count(1)
            expect(tips).to_contain_text("2026")
            page.keyboard.press("Escape")  # a click also opens the detail: close it again
            expect(page.locator("#detail")).to_be_hidden()
    assert watch.errors == [] and watch.csp_violations() == []
