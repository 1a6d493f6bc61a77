"""Security headers on every response, the API docs page under its own policy, and JSON-safe 422 answers.

The Content-Security-Policy allows scripts, styles and connections only from the service itself: no inline
script, no ``eval``, no plugins, no framing. Even if a string that a station or a user sets (a grid name, a
drone name) were ever put into the page as HTML, the browser would not run script in it. API answers are
``Cache-Control: no-store`` unless a route says otherwise (snapshots may be cached privately).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import ClassVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.validation import readable_json

CSP_HEADER = b"content-security-policy"


def content_security_policy(tile_url: str | None = None) -> str:
    """The policy of the UI and the API; map tiles may also come from the origin of ``tile_url``.

    Example:
        >>> "script-src 'self';" in content_security_policy()
        True
        >>> "https://tiles.example" in content_security_policy("https://tiles.example/{z}/{x}/{y}.png")
        True
    """
    images = "'self' data: blob:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.hostname:
            host = tile_url.split("://", 1)[1].split("/", 1)[0]
            images += f" {parts.scheme}://{host.replace('{s}', '*')}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


class SecurityHeaders:
    """Adds the CSP and headers that keep browsers from sniffing types, framing the UI or leaking referrers;
    API answers without a Cache-Control of their own get ``no-store``."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]

    def __init__(self, app: ASGIApp, tile_url: str | None = None) -> None:
        self.app = app
        self.csp = content_security_policy(tile_url).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += self.HEADERS
                if CSP_HEADER not in names:
                    headers.append((CSP_HEADER, self.csp))
                if is_api and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


def docs_page() -> HTMLResponse:
    """The interactive API docs (Swagger UI from its CDN), allowed exactly its own inline start-up script."""
    page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="gridpatrol incident log - API docs")
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
        for code in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    cdn = "https://cdn.jsdelivr.net"
    policy = (
        f"default-src 'self'; script-src 'self' {cdn} {hashes}; style-src 'self' {cdn}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with FastAPI's usual ``detail`` list, with the offending input made JSON-safe.

    The default answer echoes the input; a NaN or a lone surrogate in it made the answer itself fail (500).
    """
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": readable_json(jsonable_encoder(exc.errors()))}, status_code=422)
