"""Helpers for the review-UI tests in Chromium: the browser, a server with or without the strict CSP, login.

The tests use Debian's Chromium (no browser download) and never load map tiles (``tile_url`` is unset).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from api_testkit import PASSWORDS, LiveServer, start_server, stop_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import ApiConfig
from api.main import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = "/usr/bin/chromium"
#: Playwright's wait for an expectation (its default is 5 s): only a hang may fail a test, never a slow or loaded
#: machine.
HANG_MS = 60_000
# The policy the review UI must work under (issue #14): no inline script or style, nothing from elsewhere.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class CspSwitch:
    """ASGI wrapper for tests: ``on`` adds the strict CSP where the app sent none (the app's own policy, once
    it has one, is kept); ``off`` removes any policy, to show that text stays text without its help."""

    def __init__(self, app: ASGIApp, mode: str) -> None:
        self.app = app
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                csp = b"content-security-policy"
                headers = [(k, v) for k, v in message.get("headers", []) if self.mode == "on" or k.lower() != csp]
                if self.mode == "on" and not any(k.lower() == csp for k, _ in headers):
                    headers.append((csp, STRICT_CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped if scope["type"] == "http" else send)


def serve(config: ApiConfig, csp: str = "on") -> LiveServer:
    """A real server for ``config`` with the CSP switched ``on`` or ``off``."""
    app = create_app(config)
    app.add_middleware(CspSwitch, mode=csp)
    return start_server(app)


@pytest.fixture
def browser(shared_chromium: Browser) -> Iterator[Browser]:
    """Headless Debian Chromium (the module's, tests/api/conftest.py); the contexts and pages a test opened are
    closed after it, so no cookie, storage or open page outlives the test."""
    yield shared_chromium
    for context in shared_chromium.contexts:
        context.close()


@pytest.fixture
def ui_server(config: ApiConfig) -> Iterator[LiveServer]:
    """A real server with the strict CSP (the app's own, or the test's until the app sends one)."""
    live = serve(config, "on")
    yield live
    stop_server(live)
    live.app.state.engine.dispose()


@dataclass
class PageWatch:
    """What a page reported: uncaught errors, console errors (CSP violations among them) and dialogs."""

    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


def open_ui(
    browser: Browser,
    live: LiveServer,
    *,
    size: ViewportSize | None = None,
    user: str = "rev",
    locale: str = "zh-CN",
    timezone: str = "Asia/Shanghai",
    **context: Any,
) -> tuple[Page, PageWatch]:
    """A logged-in page of the review UI (through the login form), with its errors and dialogs watched."""
    from playwright.sync_api import expect

    ctx = browser.new_context(
        viewport=size or {"width": 1366, "height": 768}, locale=locale, timezone_id=timezone, **context
    )
    page = ctx.new_page()
    watch = PageWatch()
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.on("console", lambda msg: watch.console.append(msg.text) if msg.type == "error" else None)

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(live.url)
    page.fill("#login-form [name=username]", user)
    page.fill("#login-form [name=password]", PASSWORDS[user])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#incidents")).to_have_attribute("aria-busy", "false")
    return page, watch


def set_lang(page: Page, lang: str) -> None:
    """Switch the review UI to ``lang`` ("zh" or "en") with its button, unless it shows that language already."""
    from playwright.sync_api import expect

    if page.evaluate("LANG") != lang:
        page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", lang)
