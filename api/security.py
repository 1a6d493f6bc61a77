"""Passwords (argon2 via pwdlib), login tokens and station keys (stored as SHA-256), login rate limiting.

Secrets are never logged: tokens and keys appear in logs only as their first 6 hash characters.

Example:
    >>> key = new_secret("gps_")
    >>> key.startswith("gps_") and len(sha256_hex(key)) == 64
    True
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque

from pwdlib import PasswordHash

password_hash = PasswordHash.recommended()
STATION_PREFIX = "gps_"
TOKEN_PREFIX = "gpu_"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for the users table."""
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches ``hashed`` (constant time inside pwdlib)."""
    return password_hash.verify(password, hashed)


def new_secret(prefix: str) -> str:
    """A 256-bit random secret with a readable prefix telling what it is (``gps_`` station, ``gpu_`` user)."""
    return prefix + secrets.token_urlsafe(32)


def sha256_hex(secret: str) -> str:
    """What is stored for a token or key (high-entropy secrets need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class LoginLimiter:
    """Counts failed logins per (username, client address) in a sliding window; thread-safe.

    Example:
        >>> lim = LoginLimiter(max_failures=2, window_s=60)
        >>> lim.fail("ann", "1.2.3.4"); lim.fail("ann", "1.2.3.4")
        >>> lim.retry_after("ann", "1.2.3.4") > 0
        True
    """

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until this user may try again from this address (0 when allowed now)."""
        now = time.monotonic()
        with self._lock:
            q = self._trim((username, client), now)
            if len(q) < self.max_failures:
                return 0.0
            return max(0.0, q[0] + self.window_s - now)

    def fail(self, username: str, client: str) -> None:
        """Record a failed attempt."""
        with self._lock:
            self._fails[(username, client)].append(time.monotonic())

    def reset(self, username: str, client: str) -> None:
        """Forget failures after a successful login."""
        with self._lock:
            self._fails.pop((username, client), None)
