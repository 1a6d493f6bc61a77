"""Login (reviewers and admins), logout and who am I.

Users and station keys are managed in :mod:`api.routes.users` and :mod:`api.routes.station_keys`;
``add_user`` and ``add_station_key`` are re-exported here for the demo and the benchmarks.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import delete, select

from api.accounts import add_station_key, add_user
from api.deps import CurrentUser, ServicesDep, SessionDep
from api.models import AuthToken, User
from api.schemas import LoginRequest, TokenPublic, UserPublic
from api.security import TOKEN_PREFIX, client_address, new_secret, password_hash, sha256_hex, verify_password

__all__ = ["add_station_key", "add_user", "router"]
log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])
_DUMMY_HASH = password_hash.hash("timing-equaliser")
NO_STORE = "no-store"


def request_address(request: Request, services: ServicesDep) -> str:
    """The client's address, believing ``X-Forwarded-For`` only from ``[api] trusted_proxies``."""
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.get("x-forwarded-for"), services.config.proxy_networks())


@router.post("/auth/login", response_model=TokenPublic, responses={401: {}, 403: {}, 429: {}})
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, services: ServicesDep
) -> TokenPublic:
    """Exchange a username and password for a bearer token.

    Failures slow down further tries of that user from that address (growing delays) and of that address
    over all user names; the same user from another address is not slowed, so nobody can lock an owner out.
    """
    client = request_address(request, services)
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
    if user.disabled:
        log.info("disabled user %r tried to log in from %s", user.username, client)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this account is disabled; ask an admin")
    services.limiter.reset(body.username, client)
    token = new_secret(TOKEN_PREFIX)
    now = services.clock.now()
    expires = now + timedelta(minutes=services.config.token_ttl_min)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at < now))
    session.add(AuthToken(token_hash=sha256_hex(token), user_id=user.id, expires_at=expires))
    session.commit()
    log.info("user %r logged in (token %s...)", user.username, sha256_hex(token)[:6])
    response.headers["Cache-Control"] = NO_STORE
    return TokenPublic(access_token=token, expires_at=expires, role=user.role, username=user.username)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, who: CurrentUser, services: ServicesDep) -> None:
    """Revoke the token used for this request; its open live streams end."""
    session.execute(delete(AuthToken).where(AuthToken.token_hash == who.digest))
    session.commit()
    services.hub.close(f"credential:{who.digest}")


@router.get("/auth/me", response_model=UserPublic)
def me(session: SessionDep, user: CurrentUser) -> User:
    """The logged-in user."""
    return session.scalars(select(User).where(User.username == user.name)).one()
