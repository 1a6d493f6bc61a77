"""Console accounts, logins and the audit log: one small SQLite file at the station.

Two roles: ``operator`` (watch, fly and speak) and ``observer`` (watch only). Passwords are argon2id hashes
(:func:`api.security.hash_password`, the incident log's own hashing and zxcvbn policy); a login is a 256-bit
random token of which only the SHA-256 is stored, with its own CSRF token. Every request looks its login up
again, so a disabled account or a logged-out token fails on its very next request, and an open live stream
within a second.

Why a file of its own and not the incident log's users: the operator stands near the drones while the incident
log may run elsewhere (or be down); flying must not depend on reaching it, and a reviewer of the log is not by
that an operator of the drones.

Example:
    >>> import tempfile
    >>> accounts = Accounts(Path(tempfile.mkdtemp()) / "console.db")
    >>> accounts.add("ann", "a long enough pass phrase 7", "operator", check_policy=False)
    >>> login = accounts.login("ann", "a long enough pass phrase 7", ttl_s=60)
    >>> accounts.session(login.token).role
    'operator'
"""

from __future__ import annotations

import hmac
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from api.security import hash_password, new_secret, password_hash, password_problem, sha256_hex, verify_password

Role = Literal["operator", "observer"]
ROLES: tuple[Role, ...] = ("operator", "observer")
TOKEN_PREFIX = "gpc_"
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
_DUMMY_HASH = password_hash.hash("timing-equaliser")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'observer')),
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logins (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL
);
"""


class AccountError(ValueError):
    """A refused account change or login, with the reason for a person."""


@dataclass(frozen=True)
class Login:
    """A fresh login: the token for the cookie (shown once) and the CSRF token the page sends back."""

    token: str
    csrf: str
    username: str
    role: Role
    expires_at: float


@dataclass(frozen=True)
class Session:
    """Who a request comes from, as the accounts file says now."""

    username: str
    role: Role
    csrf: str
    token_hash: str

    @property
    def can_command(self) -> bool:
        """Whether this login may fly and speak (operators only)."""
        return self.role == "operator"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which drone, when, and what came of it."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str
    outcome: str


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Accounts:
    """The accounts file (created on first use); thread-safe, one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    # --- accounts ---------------------------------------------------------------------------------------------

    def add(self, username: str, password: str, role: str, *, check_policy: bool = True, actor: str = "cli") -> None:
        """Create an account.

        Raises:
            AccountError: a bad name or role, a weak password (``check_policy``), or the name is taken.
        """
        if not re.match(USERNAME_PATTERN, username):
            raise AccountError("a user name is 1-64 letters, digits, '_', '.' or '-'")
        if role not in ROLES:
            raise AccountError(f"role must be operator or observer, not {role!r}")
        if check_policy:
            problem = password_problem(password, username)
            if problem:
                raise AccountError(problem)
        hashed = hash_password(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                    (username, hashed, role, _now_iso()),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"console user {username!r} already exists; pick another name") from None
            self._audit(actor, "create-user", username, f"role {role}", "ok")

    def users(self) -> list[tuple[str, str, bool]]:
        """Every account: (name, role, disabled), by name."""
        with self._lock:
            rows = self._db.execute("SELECT username, role, disabled FROM users ORDER BY username").fetchall()
        return [(u, r, bool(d)) for u, r, d in rows]

    def set_disabled(self, username: str, disabled: bool, actor: str = "cli") -> None:
        """Disable an account (its logins end at once) or enable it again.

        Raises:
            AccountError: no such account.
        """
        with self._lock:
            cur = self._db.execute("UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username))
            if cur.rowcount == 0:
                raise AccountError(f"no console user {username!r}")
            if disabled:
                self._db.execute("DELETE FROM logins WHERE username = ?", (username,))
            self._audit(actor, "disable-user" if disabled else "enable-user", username, "", "ok")

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        """Give an account a new password (policy checked); its logins end.

        Raises:
            AccountError: no such account or a weak password.
        """
        problem = password_problem(password, username)
        if problem:
            raise AccountError(problem)
        hashed = hash_password(password)
        with self._lock:
            cur = self._db.execute("UPDATE users SET password_hash = ? WHERE username = ?", (hashed, username))
            if cur.rowcount == 0:
                raise AccountError(f"no console user {username!r}")
            self._db.execute("DELETE FROM logins WHERE username = ?", (username,))
            self._audit(actor, "reset-password", username, "", "ok")

    # --- logins -----------------------------------------------------------------------------------------------

    def login(self, username: str, password: str, ttl_s: float) -> Login:
        """Check a password and open a login.

        Raises:
            AccountError: wrong name or password, or a disabled account (the same time either way).
        """
        with self._lock:
            row = self._db.execute(
                "SELECT password_hash, role, disabled FROM users WHERE username = ?", (username,)
            ).fetchone()
        ok = verify_password(password, row[0] if row else _DUMMY_HASH)
        if row is None or not ok:
            raise AccountError("wrong user name or password")
        if row[2]:
            raise AccountError("this console account is disabled; ask the station's administrator")
        token, csrf = new_secret(TOKEN_PREFIX), new_secret("")
        expires = time.time() + ttl_s
        with self._lock:
            self._db.execute("DELETE FROM logins WHERE expires_at < ?", (time.time(),))
            self._db.execute(
                "INSERT INTO logins (token_hash, username, csrf, expires_at) VALUES (?, ?, ?, ?)",
                (sha256_hex(token), username, csrf, expires),
            )
        return Login(token, csrf, username, row[1], expires)

    def session(self, token: str | None) -> Session | None:
        """The live login of ``token``: known, not expired, its account enabled; else None."""
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        digest = sha256_hex(token)
        with self._lock:
            row = self._db.execute(
                "SELECT u.username, u.role, l.csrf FROM logins l JOIN users u ON u.username = l.username "
                "WHERE l.token_hash = ? AND l.expires_at > ? AND u.disabled = 0",
                (digest, time.time()),
            ).fetchone()
        return None if row is None else Session(row[0], row[1], row[2], digest)

    def logout(self, session: Session) -> None:
        """End one login."""
        with self._lock:
            self._db.execute("DELETE FROM logins WHERE token_hash = ?", (session.token_hash,))

    @staticmethod
    def csrf_ok(session: Session, sent: str | None) -> bool:
        """Whether the page sent this login's CSRF token (constant-time comparison)."""
        return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())

    # --- audit ------------------------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, target: str, detail: str, outcome: str) -> None:
        """Record an operator action and what came of it (``ok`` or the refusal)."""
        with self._lock:
            self._audit(actor, action, target, detail, outcome)

    def _audit(self, actor: str, action: str, target: str, detail: str, outcome: str) -> None:
        self._db.execute(
            "INSERT INTO audit (at, actor, action, target, detail, outcome) VALUES (?, ?, ?, ?, ?, ?)",
            (_now_iso(), actor[:80], action[:40], target[:128], detail[:500], outcome[:500]),
        )

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, actor, action, target, detail, outcome FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEntry(*r) for r in rows]
