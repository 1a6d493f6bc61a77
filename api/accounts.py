"""Users, station keys and the audit log: the operations behind the admin routes and ``gridpatrol admin``.

The routes and the command line call the same functions, so both keep the same rules and both write the same
audit entries. Every function commits its change together with its audit entry (all or nothing). Errors are
``LookupError`` (no such user or key) and ``ValueError`` (refused, with the reason).

Example:
    >>> from api.db import make_engine, migrate, session_factory
    >>> engine = make_engine("sqlite://"); migrate(engine)
    >>> with session_factory(engine)() as s:
    ...     key = add_station_key(s, "st-1", actor="cli")
    ...     [(k.station, k.revoked) for k in list_station_keys(s)], [e.action for e in list_audit(s)]
    ([('st-1', False)], ['create-station-key'])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import AuditEvent, AuthToken, StationKey, User, utcnow
from api.security import STATION_PREFIX, hash_password, new_secret, password_problem, sha256_hex


def audit(session: Session, actor: str, action: str, target: str, detail: str | None = None) -> None:
    """Add an audit entry to the session (committed with the change it records)."""
    session.add(AuditEvent(at=utcnow(), actor=actor[:80], action=action, target=target[:128], detail=detail))


def list_audit(session: Session, limit: int = 200) -> Sequence[AuditEvent]:
    """The newest audit entries first."""
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()


# --- users


def add_user(session: Session, username: str, password: str, role: str, actor: str | None = None) -> User:
    """Create a user with an argon2 password hash; ValueError when the name is taken.

    The password policy is checked where passwords come from people (:class:`api.schemas.UserCreate`);
    the demo and benchmarks make their fixed users here directly.
    """
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    if actor:
        audit(session, actor, "create-user", username, f"role {role}")
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValueError(f"user {username!r} already exists; pick another name") from None
    return user


def list_users(session: Session) -> Sequence[User]:
    """Every user, by name."""
    return session.scalars(select(User).order_by(User.username)).all()


def get_user(session: Session, username: str) -> User:
    """The user called ``username``; LookupError when there is none."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"no user {username!r}")
    return user


def set_disabled(session: Session, username: str, disabled: bool, actor: str) -> User:
    """Disable (or enable again) a user; disabling also ends all the user's logins."""
    user = get_user(session, username)
    user.disabled = disabled
    if disabled:
        session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    audit(session, actor, "disable-user" if disabled else "enable-user", username)
    session.commit()
    return user


def reset_password(session: Session, username: str, password: str, actor: str) -> User:
    """Give a user a new password (checked against the policy) and end all the user's logins."""
    user = get_user(session, username)
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(password)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    audit(session, actor, "reset-password", username)
    session.commit()
    return user


# --- station keys


def issue_station_key(session: Session, station: str, actor: str | None = None) -> tuple[StationKey, str]:
    """Create and store (hashed) a new API key for ``station``; returns its row and the key (shown once)."""
    key = new_secret(STATION_PREFIX)
    row = StationKey(station=station, key_hash=sha256_hex(key))
    session.add(row)
    session.flush()
    if actor:
        audit(session, actor, "create-station-key", f"key {row.id}", f"station {station}")
    session.commit()
    return row, key


def add_station_key(session: Session, station: str, actor: str | None = None) -> str:
    """Like :func:`issue_station_key`, returning only the key."""
    return issue_station_key(session, station, actor)[1]


def list_station_keys(session: Session) -> Sequence[StationKey]:
    """Every station key (revoked ones too), oldest first."""
    return session.scalars(select(StationKey).order_by(StationKey.id)).all()


def _key(session: Session, key_id: int) -> StationKey:
    key = session.get(StationKey, key_id)
    if key is None:
        raise LookupError(f"no station key with id {key_id}")
    return key


def revoke_station_key(session: Session, key_id: int, actor: str, now: datetime | None = None) -> StationKey:
    """Revoke a key: it fails from its next request on. Revoking a revoked key changes nothing."""
    key = _key(session, key_id)
    if not key.revoked:
        key.revoked, key.revoked_at = True, now or utcnow()
        audit(session, actor, "revoke-station-key", f"key {key.id}", f"station {key.station}")
        session.commit()
    return key


def rotate_station_key(session: Session, key_id: int, actor: str) -> tuple[StationKey, StationKey, str]:
    """Revoke a key and issue its station a new one in one transaction; returns old row, new row, new key."""
    old = _key(session, key_id)
    if old.revoked:
        raise ValueError(f"station key {key_id} is revoked; issue a new one with create-station-key")
    secret = new_secret(STATION_PREFIX)
    new = StationKey(station=old.station, key_hash=sha256_hex(secret))
    old.revoked, old.revoked_at = True, utcnow()
    session.add(new)
    session.flush()
    audit(session, actor, "rotate-station-key", f"key {old.id}", f"station {old.station}; new key {new.id}")
    session.commit()
    return old, new, secret
