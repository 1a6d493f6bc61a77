"""FastAPI dependencies: the database session, who is calling, and the service's shared parts.

``SessionDep`` is a session per request; ``CurrentUser`` a logged-in reviewer or admin; ``AdminUser`` an
admin; ``StationDep`` a station authenticated by its API key; ``Caller`` either of them (read access).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.clock import Clock
from api.config import ApiConfig
from api.events import EventHub
from api.geo import GridIndex
from api.models import AuthToken, StationKey, User
from api.security import STATION_PREFIX, TOKEN_PREFIX, LoginLimiter, sha256_hex
from api.store import SnapshotStore


@dataclass
class Services:
    """What every request may need, created once in :func:`api.main.create_app`."""

    config: ApiConfig
    sessions: sessionmaker[Session]
    store: SnapshotStore
    hub: EventHub
    limiter: LoginLimiter
    grids: GridIndex
    clock: Clock


def get_services(request: Request) -> Services:
    """The app's :class:`Services`."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A session for one request; routes commit their writes, anything uncommitted is rolled back."""
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
bearer = HTTPBearer(auto_error=False, description="A station API key (gps_...) or a login token (gpu_...).")
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a station (by name) or a user (by name, with a role), and the credential's SHA-256."""

    kind: str
    name: str
    role: str
    digest: str = ""
    expires_at: datetime | None = None

    @property
    def tags(self) -> frozenset[str]:
        """What a live stream of this caller is filed under, so revoking any of them can end it."""
        return frozenset({f"credential:{self.digest}", f"{self.kind}:{self.name}"})


def authenticate(session: Session, creds: HTTPAuthorizationCredentials | None, now: datetime) -> Principal:
    """Who the bearer credential belongs to at ``now``; HTTP 401 naming the problem when nobody.

    Every request looks the credential up again, so a revoked key, a disabled user or a logged-out token
    fails on its very next request.
    """
    if creds is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required", headers=UNAUTHORIZED)
    secret = creds.credentials
    digest = sha256_hex(secret)
    if secret.startswith(STATION_PREFIX):
        key = session.scalar(select(StationKey).where(StationKey.key_hash == digest, ~StationKey.revoked))
        if key is not None:
            return Principal("station", key.station, "station", digest)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked station key", headers=UNAUTHORIZED)
    if secret.startswith(TOKEN_PREFIX):
        tok = session.get(AuthToken, digest)
        if tok is not None and tok.expires_at > now:
            user = session.get(User, tok.user_id)
            if user is not None and not user.disabled:
                return Principal("user", user.username, user.role, digest, tok.expires_at)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "login token expired, unknown or of a disabled user; log in again",
            headers=UNAUTHORIZED,
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "bearer credential is neither a station key (gps_...) nor a login token (gpu_...)",
        headers=UNAUTHORIZED,
    )


def get_caller(session: SessionDep, creds: CredentialsDep, services: ServicesDep) -> Principal:
    """Any authenticated caller (read access)."""
    return authenticate(session, creds, services.clock.now())


def get_user(who: Annotated[Principal, Depends(get_caller)]) -> Principal:
    """A logged-in reviewer or admin."""
    if who.kind != "user":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs a reviewer or admin login, not a station key")
    return who


def get_admin(who: Annotated[Principal, Depends(get_user)]) -> Principal:
    """A logged-in admin."""
    if who.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs an admin login")
    return who


def get_station(who: Annotated[Principal, Depends(get_caller)]) -> Principal:
    """A station authenticated by its API key."""
    if who.kind != "station":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs a station API key (gps_...)")
    return who


Caller = Annotated[Principal, Depends(get_caller)]
CurrentUser = Annotated[Principal, Depends(get_user)]
AdminUser = Annotated[Principal, Depends(get_admin)]
StationDep = Annotated[Principal, Depends(get_station)]


ModelT = TypeVar("ModelT")


def get_or_404(session: Session, model: type[ModelT], key: str, what: str) -> ModelT:
    """The row of ``model`` with primary key ``key``, or a 404 that says ``no <what> with id '<key>'``."""
    row = session.get(model, key)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} with id {key!r}")
    return row
