"""Login (reviewers and admins), logout, who am I, and admin-only user and station-key creation."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api.deps import AdminUser, CredentialsDep, CurrentUser, ServicesDep, SessionDep
from api.models import AuthToken, StationKey, User, utcnow
from api.schemas import LoginRequest, StationKeyCreate, StationKeyPublic, TokenPublic, UserCreate, UserPublic
from api.security import (
    STATION_PREFIX,
    TOKEN_PREFIX,
    hash_password,
    new_secret,
    password_hash,
    sha256_hex,
    verify_password,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])
_DUMMY_HASH = password_hash.hash("timing-equaliser")


@router.post("/auth/login", response_model=TokenPublic, responses={401: {}, 429: {}})
def login(body: LoginRequest, request: Request, session: SessionDep, services: ServicesDep) -> TokenPublic:
    """Exchange a username and password for a bearer token; failures are rate limited per user and address."""
    client = request.client.host if request.client else "unknown"
    wait = services.limiter.retry_after(body.username, client)
    if wait > 0:
        log.warning("login rate limit hit for user %r from %s", body.username, client)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins; try again in {int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = session.scalar(select(User).where(User.username == body.username))
    ok = verify_password(body.password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok:
        services.limiter.fail(body.username, client)
        log.info("failed login for user %r from %s", body.username, client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    services.limiter.reset(body.username, client)
    token = new_secret(TOKEN_PREFIX)
    expires = utcnow() + timedelta(minutes=services.config.token_ttl_min)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at < utcnow()))
    session.add(AuthToken(token_hash=sha256_hex(token), user_id=user.id, expires_at=expires))
    session.commit()
    log.info("user %r logged in (token %s...)", user.username, sha256_hex(token)[:6])
    return TokenPublic(access_token=token, expires_at=expires, role=user.role, username=user.username)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, _: CurrentUser, creds: CredentialsDep) -> None:
    """Revoke the token used for this request."""
    assert creds is not None  # CurrentUser has checked it
    session.execute(delete(AuthToken).where(AuthToken.token_hash == sha256_hex(creds.credentials)))
    session.commit()


@router.get("/auth/me", response_model=UserPublic)
def me(session: SessionDep, user: CurrentUser) -> User:
    """The logged-in user."""
    return session.scalars(select(User).where(User.username == user.name)).one()


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user_route(body: UserCreate, session: SessionDep, admin: AdminUser) -> User:
    """Add a reviewer or admin (admins only)."""
    try:
        user = add_user(session, body.username, body.password, body.role)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    log.info("admin %r created %s %r", admin.name, body.role, body.username)
    return user


@router.post("/station-keys", response_model=StationKeyPublic, status_code=status.HTTP_201_CREATED)
def create_station_key_route(body: StationKeyCreate, session: SessionDep, admin: AdminUser) -> StationKeyPublic:
    """Issue an API key for a station (admins only); the key is shown once."""
    key = add_station_key(session, body.station)
    log.info("admin %r issued a key for station %r", admin.name, body.station)
    return StationKeyPublic(station=body.station, api_key=key)


def add_user(session: SessionDep, username: str, password: str, role: str) -> User:
    """Create a user with an argon2 password hash; ValueError when the name is taken."""
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValueError(f"user {username!r} already exists; pick another name") from None
    return user


def add_station_key(session: SessionDep, station: str) -> str:
    """Create and store (hashed) a new API key for ``station``; returns the key itself."""
    key = new_secret(STATION_PREFIX)
    session.add(StationKey(station=station, key_hash=sha256_hex(key)))
    session.commit()
    return key
