"""The console's web app: the page, its JSON API and the live event stream, served by the station.

Security, as in the incident log (docs/console.md):

- a login is an HttpOnly, SameSite=Strict cookie holding a random token (only its hash is stored); every request
  looks it up again, so a disabled account or a logout fails at once and an open stream ends within a second;
- no state changes on GET; every POST must carry the login's CSRF token in ``X-CSRF-Token`` and, when the
  browser sends an ``Origin``, come from the console's own origin (the incident log on another port of the same
  host is the same *site*, so SameSite alone would not keep it out);
- a strict Content-Security-Policy (:mod:`api.headers`): scripts and styles from the console only, no inline
  script; the page builds every string from a vehicle or a district file as text.

No ``from __future__ import annotations`` here: the routes' dependency types are local to
:func:`create_console_app`, and FastAPI must see them as objects, not names.

Example:
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> client = TestClient(create_console_app(station, ConsoleConfig(), accounts))  # doctest: +SKIP
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.clock import Clock
from api.headers import SecurityHeaders, validation_error
from api.main import BodyLimit, mount_page
from api.security import LoginLimiter
from gridpatrol.console.accounts import AccountError, Accounts, Session
from gridpatrol.console.actions import ActionError, Actions
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.launch import Launcher, launch_router
from gridpatrol.console.proposals import proposals_router
from gridpatrol.console.replies import Replies
from gridpatrol.console.schedule_routes import schedules_router
from gridpatrol.console.schedules import Scheduler, ScheduleStore
from gridpatrol.console.video import VideoHub
from gridpatrol.console.video_routes import add_video_routes
from gridpatrol.console.view import Watch, district_geojson, incident_view
from mission_planner.district_io import load_district
from speaker.recording import max_bytes

log = logging.getLogger(__name__)
UI_DIR = Path(__file__).resolve().parent / "ui"
COOKIE = "gp_console"
#: How often an open event stream looks its login up again (s).
RECHECK_S = 1.0
#: How often the stream sends the drones (s): the page calls the station silent after 2 s without news.
PUSH_S = 0.25
#: Largest request body (bytes): a login or an action is a few hundred; bigger ones are refused before reading.
MAX_BODY = 16_384


class LoginBody(BaseModel):
    """A login attempt."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ActionBody(BaseModel):
    """What an action needs; each action reads its own fields."""

    model_config = ConfigDict(extra="forbid")
    confirm: bool = False
    grid: str | None = Field(None, max_length=64)
    text: str | None = Field(None, max_length=2000)
    phrase: str | None = Field(None, max_length=64)
    incident: str | None = Field(None, max_length=64)
    lang: str | None = Field(None, max_length=16)
    lat: float | None = None
    lon: float | None = None
    alt_m: float | None = None


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def create_console_app(station: Any, config: ConsoleConfig, accounts: Accounts) -> FastAPI:
    """The console for ``station``, with accounts and audit log in ``accounts``.

    The caller starts and stops ``app.state.watch`` (the drone sampler) and ``app.state.scheduler`` (recurring
    patrols); :class:`~.server.ConsoleServer` does.

    Raises:
        ScheduleFileError: The station's ``schedules.json`` does not read (the message names the field).
    """
    district_path = Path(station.run.district)
    district = load_district(district_path)
    geojson = district_geojson(district_path)
    watch = Watch(station, config.stall_s)
    actions = Actions(station, accounts, district, config.max_text_chars)
    limiter = LoginLimiter(Clock(), max_failures=5, window_s=900.0, address_max_failures=50)
    app = FastAPI(title="gridpatrol operator console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.watch = watch
    app.state.accounts = accounts

    def session(request: Request) -> Session:
        who = accounts.session(request.cookies.get(COOKIE))
        if who is None:
            raise HTTPException(401, "log in first (the login ended, expired or its account was disabled)")
        return who

    def same_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin is not None and origin != own:
            raise HTTPException(403, "this request came from another site's page; use the console itself")

    def changing(request: Request, who: Annotated[Session, Depends(session)]) -> Session:
        same_origin(request)
        if not accounts.csrf_ok(who, request.headers.get("x-csrf-token")):
            raise HTTPException(403, "missing or wrong CSRF token; reload the console")
        return who

    Who = Annotated[Session, Depends(session)]
    Changing = Annotated[Session, Depends(changing)]

    @app.get("/api/health")
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok"}

    @app.post("/api/login")
    def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
        """Log in with a console account: sets the login cookie, returns the role and the CSRF token."""
        same_origin(request)
        client = request.client.host if request.client else "unknown"
        wait = limiter.retry_after(body.username, client)
        if wait > 0:
            raise HTTPException(429, f"too many failed logins; try again in {int(wait) + 1} s")
        try:
            done = accounts.login(body.username, body.password, config.session_ttl_min * 60.0)
        except AccountError as exc:
            limiter.fail(body.username, client)
            raise HTTPException(401, str(exc)) from None
        limiter.reset(body.username, client)
        response.set_cookie(
            COOKIE,
            done.token,
            max_age=config.session_ttl_min * 60,
            httponly=True,
            samesite="strict",
            secure=config.cookie_secure,
            path="/",
        )
        accounts.audit(done.username, "login", "console", f"from {client}", "ok")
        return {"username": done.username, "role": done.role, "csrf": done.csrf}

    @app.post("/api/logout")
    def logout(who: Changing, response: Response) -> dict[str, str]:
        """End this login."""
        accounts.logout(who)
        response.delete_cookie(COOKIE, path="/")
        return {"status": "logged out"}

    @app.get("/api/me")
    def me(who: Who) -> dict[str, Any]:
        """Who is logged in, what they may do, and the CSRF token for their requests."""
        return {"username": who.username, "role": who.role, "csrf": who.csrf, "can_command": who.can_command}

    @app.get("/api/district")
    def get_district(who: Who) -> dict[str, Any]:
        """The fence, grids, no-fly zones and launch sites (GeoJSON)."""
        return geojson

    @app.get("/api/drones")
    def drones(who: Who) -> dict[str, Any]:
        """Every drone's latest state with the track it flew."""
        return {"drones": watch.drones(tracks=True), "grids": watch.grids(), "stall_s": config.stall_s}

    @app.get("/api/incidents")
    def incidents(who: Who) -> dict[str, Any]:
        """The incidents this station has seen, newest first."""
        return {"incidents": [incident_view(r) for r in reversed(list(station.incidents))]}

    @app.get("/api/incidents/{incident_id}/snapshot")
    def snapshot(incident_id: str, who: Who) -> Response:
        """The incident's snapshot (JPEG, with the boxes drawn), as the station kept it."""
        for record in list(station.incidents):
            if record.incident.id == incident_id:
                image = getattr(record.incident, "snapshot", None)
                if image:
                    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})
        raise HTTPException(404, f"no snapshot for incident {incident_id!r}")

    @app.get("/api/phrases")
    def phrases(who: Who) -> dict[str, Any]:
        """The phrase buttons (the speaker's announcements) and the languages there are voices for."""
        sp = station.settings.speaker
        return {
            "lang": sp.lang,
            "langs": list(sp.voices),
            "phrases": [{"name": n, "texts": t} for n, t in sp.announcements.items()],
            "max_text_chars": config.max_text_chars,
        }

    @app.get("/api/audit")
    def audit(who: Who) -> dict[str, Any]:
        """The newest audit entries (operators only)."""
        if not who.can_command:
            raise HTTPException(403, "the audit log is for operators")
        return {"entries": [e.__dict__ for e in accounts.audit_log()]}

    @app.post("/api/drones/{drone_id}/{action}")
    def act(drone_id: str, action: str, body: ActionBody, who: Changing) -> dict[str, str]:
        """Pause, resume, return-home, land, skip-grid, speak, goto or investigate; refused with a message and
        nothing changed."""
        args = body.model_dump(exclude={"confirm"}, exclude_none=True)
        try:
            done = actions.do(who, drone_id, action, args, body.confirm)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from None
        return {"result": done}

    @app.post("/api/talk/{drone_id}")
    async def talk(drone_id: str, request: Request, who: Changing, lang: str | None = None) -> dict[str, str]:
        """Push-to-talk: play the WAV in the body (the operator's voice, 16-bit PCM, at most 30 s) through the
        drone's loudspeaker; refused with a message and nothing played."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "audio/wav":
            raise HTTPException(415, "send the recording as audio/wav")
        wav = await request.body()
        try:
            done = await run_in_threadpool(actions.talk, who, drone_id, wav, lang)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from None
        return {"result": done}

    @app.get("/api/events")
    async def events(request: Request, who: Who) -> StreamingResponse:
        """Live: ``drones`` four times a second, each new ``incident``, and ``end`` when the login ends."""
        token = request.cookies.get(COOKIE)

        async def stream() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            checked, sent_version = loop.time(), -1
            seen = len(station.incidents)
            yield b"retry: 1000\n\n"
            yield _event("drones", {"drones": watch.drones(tracks=True), "full": True, "grids": watch.grids()})
            while not await request.is_disconnected():
                await asyncio.sleep(PUSH_S)
                if loop.time() - checked >= RECHECK_S:
                    checked = loop.time()
                    if await run_in_threadpool(accounts.session, token) is None:
                        yield _event("end", {"reason": "the login ended or its account was disabled"})
                        return
                if watch.version != sent_version:
                    sent_version = watch.version
                    yield _event("drones", {"drones": watch.drones(), "grids": watch.grids()})
                records = list(station.incidents)
                for record in records[seen:]:
                    yield _event("incident", incident_view(record))
                seen = len(records)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    app.state.video = VideoHub(station, config.stall_s)
    add_video_routes(app, app.state.video, Who, accounts, COOKIE)
    app.include_router(proposals_router(station, accounts, session, changing))
    launcher = Launcher(station, district)
    app.include_router(launch_router(launcher, accounts, session, changing))
    store = ScheduleStore(Path(station.out_dir) / "schedules.json")
    app.state.scheduler = Scheduler(store, launcher, accounts.audit, station.note, config.zone())
    app.include_router(schedules_router(app.state.scheduler, accounts, session, changing))
    _mount_page(app)
    app.add_exception_handler(RequestValidationError, validation_error)  # a NaN in a body is answered, not a 500
    app.add_middleware(
        BodyLimit, max_body=MAX_BODY, max_upload=max_bytes(), max_batch=MAX_BODY, upload_paths=("/api/talk/",)
    )
    app.add_middleware(Replies)  # answers to the page in its operator's language (replies.py)
    app.add_middleware(SecurityHeaders, tile_url=config.tile_url)
    return app


def _mount_page(app: FastAPI) -> None:
    mount_page(app, UI_DIR)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """No icon (and no 404 in the browser's console)."""
        return Response(status_code=204)
