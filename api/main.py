"""The FastAPI application: routers under ``/api``, the browser UI at ``/``, limits and security headers
(:mod:`api.headers`).

Example:
    >>> import tempfile
    >>> from api.clock import Clock
    >>> from api.config import ApiConfig
    >>> app = create_app(ApiConfig(data_dir=Path(tempfile.mkdtemp())))
    >>> app.title
    'gridpatrol incident log'
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.clock import Clock
from api.config import ApiConfig
from api.db import make_engine, migrate, session_factory
from api.deps import Services
from api.events import EventHub
from api.geo import GridIndex
from api.headers import SecurityHeaders, docs_page, validation_error
from api.routes import (
    audit,
    auth,
    broadcasts,
    drones,
    exports,
    grids,
    incidents,
    ingest,
    live,
    missions,
    snapshots,
    station_keys,
    stats,
    users,
)
from api.security import LoginLimiter
from api.store import SnapshotStore

log = logging.getLogger(__name__)
UI_DIR = Path(__file__).resolve().parent / "ui"
LEAFLET_DIR = UI_DIR / "node_modules" / "leaflet" / "dist"


class BodyLimit:
    """Refuses request bodies over the limit with 413 before they are read (snapshots get their own limit).

    Bodies without a Content-Length (chunked) are refused with 411 so the limit cannot be side-stepped.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body: int,
        max_upload: int,
        max_batch: int,
        upload_paths: tuple[str, ...] = ("/api/snapshots",),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_batch = max_batch
        self.upload_paths = upload_paths

    def limit(self, path: str) -> int:
        """The body limit for a request path (uploads: the paths starting with one of ``upload_paths``)."""
        if path.startswith(self.upload_paths):
            return self.max_upload + 65536
        if path.startswith("/api/incidents/batch"):
            return self.max_batch
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.limit(scope["path"])
        length = headers.get(b"content-length")
        if length is None and b"chunked" in headers.get(b"transfer-encoding", b""):
            await _reply(send, 411, "send a Content-Length header; chunked request bodies are not accepted")
            return
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _reply(send, 413, f"request body is larger than {limit} bytes")
            return
        await self.app(scope, receive, send)


async def _reply(send: Send, code: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": code,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


def create_app(config: ApiConfig | None = None, *, run_migrations: bool = True, clock: Clock | None = None) -> FastAPI:
    """Build the service for ``config``: open (and migrate) the database, the snapshot store and the UI.

    ``clock`` (real time by default) is what token expiry and login delays read; tests pass a manual one.
    """
    config = config or ApiConfig()
    clock = clock or Clock()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.sqlalchemy_url())
    if run_migrations:
        migrate(engine)
    services = Services(
        config=config,
        sessions=session_factory(engine),
        store=SnapshotStore(config.data_dir / "snapshots", config.thumbnail_px),
        hub=EventHub(),
        limiter=LoginLimiter(
            clock,
            config.login_max_failures,
            config.login_window_s,
            config.login_address_max_failures,
            config.login_max_delay_s,
        ),
        grids=GridIndex(),
        clock=clock,
    )
    app = FastAPI(
        title="gridpatrol incident log",
        version="0.1.0",
        description="Incidents, snapshots, missions, drones, grids and broadcasts of gridpatrol stations.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.engine = engine
    api = APIRouter(prefix="/api")
    for module in (
        auth,
        users,
        station_keys,
        audit,
        ingest,
        incidents,
        snapshots,
        missions,
        drones,
        grids,
        broadcasts,
        stats,
        exports,
        live,
    ):
        api.include_router(module.router)

    @api.get("/ui-config", tags=["ui"])
    def ui_config() -> dict[str, Any]:
        """What the browser UI needs before login: tile URL (or null) and grid colour thresholds."""
        return {"tile_url": config.tile_url, "grid_colour_thresholds": config.grid_colour_thresholds}

    @api.get("/health", tags=["ui"])
    def health() -> dict[str, str]:
        """Liveness check for stations and monitors."""
        return {"status": "ok"}

    app.include_router(api)
    app.add_api_route("/api/docs", docs_page, include_in_schema=False)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    _mount_ui(app)
    app.add_middleware(
        BodyLimit,
        max_body=config.max_body_bytes,
        max_upload=config.max_snapshot_bytes,
        max_batch=config.max_batch_bytes,
    )
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(SecurityHeaders, tile_url=config.tile_url)
    return app


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (PostgreSQL refuses NUL characters): the client's fault, so 422."""
    log.warning("refused a value the database cannot store on %s %s", request.method, request.url.path)
    detail = "a value cannot be stored: text must not contain NUL characters and numbers must fit their field"
    return JSONResponse({"detail": detail}, status_code=422)


def _mount_ui(app: FastAPI) -> None:
    mount_page(app, UI_DIR)


def mount_page(app: FastAPI, ui_dir: Path) -> None:
    """Serve a browser page: ``ui_dir/index.html`` at ``/``, ``ui_dir/static`` at ``/static`` and Leaflet (installed
    from npm under ``api/ui``, never a CDN) at ``/static/vendor/leaflet``; the review UI and the operator console
    both use it, so both pages load the same map library the same way.
    """
    if LEAFLET_DIR.is_dir():
        app.mount("/static/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    else:
        log.warning("Leaflet is not installed (%s); run `make setup` (npm ci in api/ui) for the map", LEAFLET_DIR)
    app.mount("/static", StaticFiles(directory=ui_dir / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        """The page."""
        return FileResponse(ui_dir / "index.html", headers={"Cache-Control": "no-cache"})
