"""Users (admins only): create, list, disable or enable, and reset a password. Each change is audited."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api import accounts
from api.deps import AdminUser, Principal, ServicesDep, SessionDep
from api.models import User
from api.schemas import PasswordReset, UserCreate, UserPublic

log = logging.getLogger(__name__)
router = APIRouter(prefix="/users", tags=["users"])
UsernamePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="The user's login name.")]


def actor(admin: Principal) -> str:
    """How an admin acting through the API is named in the audit log."""
    return f"admin {admin.name}"


def _user_change(services: ServicesDep, user: User) -> User:
    """After a user lost their logins: end their live streams too."""
    services.hub.close(f"user:{user.username}")
    return user


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> User:
    """Add a reviewer or admin; the password must pass the policy (422 with the reason)."""
    try:
        user = accounts.add_user(session, body.username, body.password, body.role, actor=actor(admin))
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    log.info("admin %r created %s %r", admin.name, body.role, body.username)
    return user


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, _: AdminUser) -> Sequence[User]:
    """Every user with role and whether it is disabled."""
    return accounts.list_users(session)


@router.post("/{username}/disable", response_model=UserPublic)
def disable_user(username: UsernamePath, session: SessionDep, admin: AdminUser, services: ServicesDep) -> User:
    """Disable a user: their tokens and live streams end at once and they cannot log in."""
    if username == admin.name:
        raise HTTPException(status.HTTP_409_CONFLICT, "admins cannot disable themselves; ask another admin")
    try:
        user = accounts.set_disabled(session, username, True, actor(admin))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    log.info("admin %r disabled user %r", admin.name, username)
    return _user_change(services, user)


@router.post("/{username}/enable", response_model=UserPublic)
def enable_user(username: UsernamePath, session: SessionDep, admin: AdminUser) -> User:
    """Let a disabled user log in again."""
    try:
        return accounts.set_disabled(session, username, False, actor(admin))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.post("/{username}/password", response_model=UserPublic)
def reset_password(
    username: UsernamePath, body: PasswordReset, session: SessionDep, admin: AdminUser, services: ServicesDep
) -> User:
    """Set a new password for a user; all their logins and live streams end."""
    try:
        user = accounts.reset_password(session, username, body.password, actor(admin))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    log.info("admin %r reset the password of %r", admin.name, username)
    return _user_change(services, user)
