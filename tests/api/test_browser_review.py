"""Issue #14, review UI: what a new reviewer found at 1366x768 and 1024x1366, in zh and en, each as behaviour.

Every test runs the real server (with the strict CSP) and Debian's Chromium, waits for conditions (never for
time) and checks what a reviewer sees or can do, not pixels.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testkit import SECRETS, LiveServer, incident_body, jpeg
from browser_kit import browser, open_ui, set_lang, ui_server  # noqa: F401  (fixtures)
from playwright.sync_api import Browser, Page, ViewportSize, expect

from api.client import ApiClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 1024, "height": 1366}
STATION = {"Authorization": f"Bearer {SECRETS.keys['st-1']}"}
REVIEWER = {"Authorization": f"Bearer {SECRETS.tokens['rev']}"}


# --- seeding ---------------------------------------------------------------------------------------------------


def square(gid: str, name: str, x0: float, y0: float) -> dict[str, object]:
    ring = [[x0, y0], [x0 + 0.01, y0], [x0 + 0.01, y0 + 0.01], [x0, y0 + 0.01], [x0, y0]]
    return {
        "type": "Feature",
        "properties": {"id": gid, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def grid_origin(i: int) -> tuple[float, float]:
    """Grid i of a 4 x 3 block of 0.01-degree squares."""
    return 116.39 + (i % 4) * 0.01, 39.90 + (i // 4) * 0.01


def seed_district(url: str, *, grids: int = 2, per_grid: list[int] | None = None) -> list[str]:
    """``grids`` grids with long Chinese names and ``per_grid[i]`` new incidents in grid i, a drone and one
    incident with a snapshot, a broadcast and a review. Returns the incident ids, newest first."""
    per_grid = per_grid or [60, 2]
    features = [square(f"g{i:02d}", f"第{i + 1}网格·朝阳门内大街北段", *grid_origin(i)) for i in range(grids)]
    ids: list[str] = []
    with httpx.Client(base_url=url, timeout=10) as http:
        admin = {"Authorization": f"Bearer {SECRETS.tokens['admin']}"}
        assert http.put(
            "/api/grids", json={"type": "FeatureCollection", "features": features}, headers=admin
        ).is_success
        n = 0
        for g, count in enumerate(per_grid):
            x0, y0 = grid_origin(g)
            for k in range(count):
                inc = incident_body(
                    id=f"inc-{n:03d}", ts=f"2026-11-20T{(n // 60) % 24:02d}:{n % 60:02d}:00Z",
                    type="crowd" if n % 2 else "no_mask", drone_id="d1",
                    lon=x0 + 0.001 + (k % 8) * 0.001, lat=y0 + 0.001 + (k // 8 % 8) * 0.001,
                )  # fmt: skip
                assert http.post("/api/incidents", json=inc, headers=STATION).status_code == 201
                ids.append(str(inc["id"]))
                n += 1
    with ApiClient(url, SECRETS.keys["st-1"]) as client:
        sha = client.upload_snapshot(jpeg(480, 270, seed=3))
        x0, y0 = grid_origin(0)
        client.post_incident(
            incident_body(id="crowd-1", type="crowd", people=9, lon=x0 + 0.005, lat=y0 + 0.0095, snapshot_sha=sha,
                          ts="2026-11-19T09:00:00Z")
        )  # fmt: skip
        client.post_broadcast(
            {"id": "bc-1", "ts": "2026-11-19T09:00:02Z", "incident_id": "crowd-1", "kind": "crowd",
             "language": "zh", "text": "请不要聚集，保持距离"}
        )  # fmt: skip
    review = {"status": "confirmed", "note": "现场核实"}
    assert httpx.patch(f"{url}/api/incidents/crowd-1", json=review, headers=REVIEWER).status_code == 200
    return [*ids[::-1], "crowd-1"]


def api_status(url: str, incident_id: str) -> str:
    return str(httpx.get(f"{url}/api/incidents/{incident_id}", headers=REVIEWER).json()["status"])


def rows(page: Page) -> list[str]:
    return page.eval_on_selector_all("#incidents tbody tr", "trs => trs.map(tr => tr.dataset.id)")


def settled(page: Page) -> None:
    """Wait until the list's latest load has finished."""
    expect(page.locator("#incidents")).to_have_attribute("aria-busy", "false")


@pytest.fixture
def district(ui_server: LiveServer) -> Iterator[LiveServer]:  # noqa: F811
    seed_district(ui_server.url)
    yield ui_server


# --- detail ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["1366x768", "1024x1366"])
def test_detail_opens_in_view_with_snapshot_broadcast_history(
    browser: Browser,  # noqa: F811
    district: LiveServer,
    size: ViewportSize,
) -> None:
    page, watch = open_ui(browser, district, size=size)
    page.click("#more")  # a long list: the last row is far below the first screen
    settled(page)
    last = page.locator("#incidents tbody tr[data-id=crowd-1]")
    last.scroll_into_view_if_needed()
    last.click()
    detail = page.locator("#detail")
    expect(detail).to_have_attribute("data-id", "crowd-1")
    expect(detail).to_be_in_viewport(ratio=0.95)
    expect(page.locator("#detail-snapshot")).to_be_visible()
    assert page.eval_on_selector("#detail-snapshot", "img => img.naturalWidth") == 480
    expect(page.locator("#detail-broadcasts")).to_contain_text("请不要聚集，保持距离")
    expect(page.locator("#detail-history")).to_contain_text("rev")
    expect(page.locator("#detail-history")).to_contain_text("现场核实")
    expect(page.locator("#detail-title")).to_have_text("人群聚集 · 已确认")

    # Switching language redraws the open detail too.
    set_lang(page, "en")
    expect(page.locator("#detail-title")).to_have_text("Crowd · Confirmed")
    expect(page.locator("#detail-history")).to_contain_text("New → Confirmed")
    set_lang(page, "zh")
    expect(page.locator("#detail-title")).to_have_text("人群聚集 · 已确认")

    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    assert watch.errors == [] and watch.csp_violations() == []


# --- layout ----------------------------------------------------------------------------------------------------

FITS = """() => {
  const panel = document.querySelector('#list-panel');
  const table = document.querySelector('#incidents');
  const limit = Math.min(panel.getBoundingClientRect().right, document.documentElement.clientWidth);
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.getBoundingClientRect().right);
  const page = document.documentElement;
  return { overflow: Math.max(0, table.scrollWidth - panel.clientWidth),
           pageOverflow: Math.max(0, page.scrollWidth - page.clientWidth),
           beyond: heads.filter((r) => r > limit + 0.5).length };
}"""


#: The first row's cell under the header ``column``, scrolled into view, lies wholly inside the window and is what
#: the page shows at its centre (nothing clips or covers it). One function, retried as a whole: the list may
#: redraw its rows at any moment (a live incident, the language switch), and a row found in one step and scrolled
#: in the next was sometimes gone by then ("Element is not attached to the DOM" in a loaded run).
CELL_SHOWN = """(column) => {
  const heads = [...document.querySelectorAll('#incidents thead th')].map((th) => th.innerText.trim());
  const row = document.querySelector('#incidents tbody tr');
  const cell = row && heads.indexOf(column) >= 0 ? row.querySelectorAll('td')[heads.indexOf(column)] : null;
  if (!cell) return false;
  cell.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const r = cell.getBoundingClientRect();
  if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
  const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  return hit !== null && cell.contains(hit);
}"""


def test_every_column_fits_laptop_and_tablet_in_both_languages(browser: Browser, district: LiveServer) -> None:  # noqa: F811
    page, watch = open_ui(browser, district, size=TABLET)
    for size in (TABLET, LAPTOP):
        page.set_viewport_size(size)
        for lang, drone, status in (("zh", "无人机", "状态"), ("en", "Drone", "Status")):
            set_lang(page, lang)
            expect(page.locator("#incidents thead th", has_text=status)).to_be_visible()
            assert page.evaluate(FITS) == {"overflow": 0, "pageOverflow": 0, "beyond": 0}, (size, lang)
            for column in (drone, status):
                page.wait_for_function(CELL_SHOWN, arg=column)
    assert watch.errors == [] and watch.csp_violations() == []


# --- list toolbar: total, export, select all, review, undo ---------------------------------------------------


def test_total_export_select_all_resolve_and_undo(browser: Browser, district: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    page, watch = open_ui(browser, district, size=LAPTOP, locale="en-GB", accept_downloads=True)
    set_lang(page, "en")
    expect(page.locator("#total")).to_have_text("Showing 50 of 63 incidents")
    page.select_option("#filters [name=status]", "confirmed")
    settled(page)
    expect(page.locator("#total")).to_have_text("1 incidents")
    page.select_option("#filters [name=status]", "")
    settled(page)

    # Export what the filters select, as CSV and as GeoJSON.
    page.select_option("#filters [name=type]", "crowd")
    settled(page)
    expect(page.locator("#total")).to_have_text("32 incidents")
    with page.expect_download() as csv_dl:
        page.click("#export-csv")
    table = list(csv.DictReader(io.StringIO(Path(csv_dl.value.path()).read_text("utf-8-sig"))))
    assert len(table) == 32 and {r["type"] for r in table} == {"crowd"}
    with page.expect_download() as geo_dl:
        page.click("#export-geojson")
    features = json.loads(Path(geo_dl.value.path()).read_text("utf-8"))["features"]
    assert len(features) == 32 and csv_dl.value.suggested_filename == "incidents.csv"
    page.select_option("#filters [name=type]", "")
    settled(page)

    # Select all selects every loaded row; the bulk button says which status it sets, and sets it.
    page.check("#select-all")
    expect(page.locator("#selected-count")).to_have_text("50 selected")
    page.uncheck("#select-all")
    expect(page.locator("#selected-count")).to_have_text("0 selected")
    page.locator("#incidents tbody tr[data-id=inc-061] input[type=checkbox]").check()
    page.locator("#incidents tbody tr[data-id=inc-060] input[type=checkbox]").check()
    expect(page.locator("#bulk-resolve")).to_have_text("Mark selected resolved")
    page.click("#bulk-resolve")
    expect(page.locator("#incidents tbody tr.status-resolved")).to_have_count(2)
    assert api_status(district.url, "inc-061") == "resolved"

    # Undo puts a review back: here confirmed -> dismissed -> undo -> confirmed.
    page.select_option("#filters [name=status]", "confirmed")
    settled(page)
    page.locator("#incidents tbody tr[data-id=crowd-1]").click()
    # the detail must show crowd-1 before its review button is clicked: under load the click landed on the
    # detail being replaced, and nothing was marked (a clean-clone run failed here)
    expect(page.locator("#detail")).to_have_attribute("data-id", "crowd-1")
    expect(page.locator("#detail-title")).to_have_text("Crowd · Confirmed")
    page.click("#detail [data-review=dismissed]")
    expect(page.locator("#undo-bar")).to_be_visible()
    expect(page.locator("#undo-text")).to_have_text("1 marked “Dismissed”")
    expect(page.locator("#detail-title")).to_have_text("Crowd · Dismissed")
    page.click("#undo")
    expect(page.locator("#undo-text")).to_have_text("Undone")
    expect(page.locator("#detail-title")).to_have_text("Crowd · Confirmed")
    assert api_status(district.url, "crowd-1") == "confirmed"
    assert watch.errors == [] and watch.csp_violations() == []


def test_undo_of_a_new_incidents_review(browser: Browser, district: LiveServer) -> None:  # noqa: F811
    page, _ = open_ui(browser, district, size=LAPTOP)
    page.locator("#incidents tbody tr[data-id=inc-061]").click()
    page.keyboard.press("c")
    expect(page.locator("#incidents tbody tr[data-id=inc-061]")).to_have_class("status-confirmed current")
    page.click("#undo")
    expect(page.locator("#incidents tbody tr[data-id=inc-061].status-new")).to_have_count(1)
    assert api_status(district.url, "inc-061") == "new"


# --- keyboard --------------------------------------------------------------------------------------------------


def test_rows_reachable_with_tab_and_enter_opens(browser: Browser, district: LiveServer) -> None:  # noqa: F811
    page, _ = open_ui(browser, district, size=LAPTOP)
    page.focus("#select-all")
    focused = None
    for _ in range(6):  # the first row's checkbox, then the row itself
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('tbody tr')?.dataset.id ?? null")
        if focused and page.evaluate("document.activeElement.tagName") == "TR":
            break
    assert focused == "inc-061"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_have_attribute("data-id", "inc-060")
    expect(page.locator("#detail")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.id") == "inc-060"


# --- loads ------------------------------------------------------------------------------------------------------


def test_quick_filter_changes_never_mix_results(browser: Browser, district: LiveServer) -> None:  # noqa: F811
    page, _ = open_ui(browser, district, size=LAPTOP)
    # Two changes in one task: the first load is still in flight when the second starts.
    page.evaluate("""() => {
      const type = document.querySelector('#filters [name=type]');
      type.value = 'crowd'; type.dispatchEvent(new Event('change', { bubbles: true }));
      type.value = ''; type.dispatchEvent(new Event('change', { bubbles: true }));
    }""")
    settled(page)
    first = rows(page)
    assert len(first) == 50 and len(set(first)) == 50
    page.click("#more")
    settled(page)
    expect(page.locator("#incidents tbody tr")).to_have_count(63)
    page.evaluate("""() => {
      const status = document.querySelector('#filters [name=status]');
      status.value = 'confirmed'; status.dispatchEvent(new Event('change', { bubbles: true }));
      status.value = 'new'; status.dispatchEvent(new Event('change', { bubbles: true }));
    }""")
    settled(page)
    page.click("#more")
    settled(page)
    shown = rows(page)
    assert len(shown) == 62 and len(set(shown)) == 62 and "crowd-1" not in shown


def test_live_incidents_honour_the_date_filter(browser: Browser, district: LiveServer) -> None:  # noqa: F811
    page, _ = open_ui(browser, district, size=LAPTOP)  # Asia/Shanghai: the filter reads 08:00 as 00:00Z
    page.fill("#filters [name=since]", "2026-11-21T08:00")
    page.fill("#filters [name=until]", "2026-11-22T08:00")
    page.dispatch_event("#filters [name=until]", "change")
    settled(page)
    expect(page.locator("#incidents tbody tr")).to_have_count(0)
    with httpx.Client(base_url=district.url, headers=STATION) as http:
        for inc_id, ts in (("too-early", "2026-11-20T23:59:00Z"), ("too-late", "2026-11-22T00:00:00Z")):
            assert http.post("/api/incidents", json=incident_body(id=inc_id, ts=ts)).status_code == 201
        assert http.post("/api/incidents", json=incident_body(id="in-range", ts="2026-11-21T12:00:00Z")).is_success
    # Events arrive in order: once the last one is shown, the two before it have been handled.
    expect(page.locator("#incidents tbody tr.fresh")).to_have_count(1)
    assert rows(page) == ["in-range"]
    expect(page.locator("#total")).to_have_text("共 1 条")


# --- time zone ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "zone", "hour", "clock"),
    [("Asia/Shanghai", "UTC+08:00", "17", "17:02:00"), ("Europe/Berlin", "UTC", "09", "09:02:00")],
)
def test_hour_chart_and_list_share_one_zone_and_show_it(
    browser: Browser,  # noqa: F811
    ui_server: LiveServer,  # noqa: F811
    timezone: str,
    zone: str,
    hour: str,
    clock: str,
) -> None:
    with httpx.Client(base_url=ui_server.url, headers=STATION) as http:
        for i in range(3):
            body = incident_body(id=f"z{i}", ts=f"2026-11-20T09:0{i}:00Z")
            assert http.post("/api/incidents", json=body).status_code == 201
    page, _ = open_ui(browser, ui_server, size=LAPTOP, timezone=timezone)
    expect(page.locator("#incidents thead th", has_text="时间")).to_contain_text(f"({zone})")
    expect(page.locator("#charts figcaption").first).to_contain_text(f"({zone})")
    expect(page.locator("#incidents tbody tr").first.locator("td.time")).to_contain_text(clock)
    expect(page.locator("#chart-hour rect title", has_text=f"{hour}: 3")).to_have_count(1)


# --- map and charts ---------------------------------------------------------------------------------------------


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


DOTS_ON_TOP = """() => {
  const map = document.querySelector('#map').getBoundingClientRect();
  const centre = (d) => { const r = d.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; };
  const inView = [...document.querySelectorAll('path.incident-dot')].filter((d) => {
    const [x, y] = centre(d);
    return x > map.left && x < map.right && y > map.top && y < map.bottom;
  });
  const covered = inView.filter((d) => !document.elementFromPoint(...centre(d))?.classList.contains('incident-dot'));
  return { inView: inView.length > 0, covered: covered.length };
}"""

OVERLAPS = """(sel) => {
  const boxes = [...document.querySelectorAll(sel)].map((t) => t.getBoundingClientRect());
  let n = 0;
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) n += 1;
  }));
  return { labels: boxes.length, overlaps: n };
}"""


def test_map_labels_dots_and_chart_labels(browser: Browser, ui_server: LiveServer) -> None:  # noqa: F811
    seed_district(ui_server.url, grids=12, per_grid=[60] + [1] * 11)
    page, watch = open_ui(browser, ui_server, size=LAPTOP)

    # Grid names are on the map without hovering, with the open count that gives the colour.
    labels = page.locator(".grid-label")
    expect(labels).to_have_count(12)
    expect(labels.filter(has_text="第1网格·朝阳门内大街北段")).to_contain_text("未处理 61")
    expect(page.locator("path.grid-red")).to_have_count(1)
    assert page.evaluate(OVERLAPS, ".grid-label") == {"labels": 12, "overlaps": 0}

    # The map draws every incident the filters select (not just the 50 rows loaded) and says so.
    expect(page.locator("#incidents tbody tr")).to_have_count(50)
    expect(page.locator("path.incident-dot")).to_have_count(72)
    expect(page.locator("#map-note")).to_contain_text("72")

    # Dots on a red grid stay visible: an outline in high contrast with every grid colour, on a white halo.
    strokes = set(page.eval_on_selector_all("path.incident-dot", "ps => ps.map(p => p.getAttribute('stroke'))"))
    fills = page.evaluate("Object.values(GRID_FILL)")
    assert len(strokes) == 1
    stroke = strokes.pop()
    assert min(contrast(stroke, fill) for fill in fills) >= 3
    expect(page.locator("path.dot-halo")).to_have_count(72)

    # Per-grid chart: one label per grid, none over another, in both languages. Each switch also reloads the
    # grids, which must stay under the dots: the topmost element at a dot's centre is a dot.
    for lang in ("zh", "en"):
        set_lang(page, lang)
        assert page.evaluate(DOTS_ON_TOP) == {"inView": True, "covered": 0}
        assert page.evaluate(OVERLAPS, "#chart-grid text.label") == {"labels": 12, "overlaps": 0}
        assert page.evaluate(OVERLAPS, "#chart-hour text.label")["overlaps"] == 0
    assert watch.errors == [] and watch.csp_violations() == []


# --- screenshots for docs/api.md -------------------------------------------------------------------------------


def test_screenshots_at_both_sizes(browser: Browser, ui_server: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    """The review UI, then with a detail open, at 1366x768 (zh) and 1024x1366 (en). Set GRIDPATROL_UI_SCREENSHOTS to a
    folder (docs/img) to keep them; the test itself checks only that each shot shows the detail in view."""
    import os
    import shutil

    seed_district(ui_server.url, grids=12, per_grid=[14, 6, 3, 1, 0, 2, 8, 1, 0, 4, 1, 2])
    for name, size, lang in (("review-1366x768", LAPTOP, "zh"), ("review-1024x1366", TABLET, "en")):
        page, watch = open_ui(browser, ui_server, size=size)
        set_lang(page, lang)
        expect(page.locator(".grid-label")).to_have_count(12)
        page.screenshot(path=str(tmp_path / f"{name}-overview.png"))
        page.locator("#incidents tbody tr[data-id=crowd-1]").click()
        expect(page.locator("#detail-snapshot")).to_be_visible()
        expect(page.locator("#detail")).to_be_in_viewport(ratio=0.95)
        expect(page.locator("#detail-history")).not_to_be_empty()
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        assert watch.errors == [] and watch.csp_violations() == []
        page.context.close()
    keep = os.environ.get("GRIDPATROL_UI_SCREENSHOTS")
    if keep:
        for png in tmp_path.glob("review-*.png"):
            shutil.copy(png, Path(keep) / png.name)
