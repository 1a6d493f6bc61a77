"""Passwords (argon2 via pwdlib, zxcvbn policy), tokens and station keys (SHA-256), client addresses, login limits.

Secrets are never logged: tokens and keys appear in logs only as their first 6 hash characters.

Example:
    >>> key = new_secret("gps_")
    >>> key.startswith("gps_") and len(sha256_hex(key)) == 64
    True
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from pwdlib import PasswordHash

from api.clock import Clock

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MIN_PASSWORD = 12
MIN_SCORE = 3

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


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused, or None: at least 12 characters and a zxcvbn strength score of 3 or more.

    zxcvbn estimates how many guesses a password takes (dictionaries, names, keyboard patterns, dates); the
    user name and the product name count as known words.

    Example:
        >>> password_problem("password")
        'password must have at least 12 characters (it has 8)'
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters (it has {len(password)})"
    result = zxcvbn(password[:100], user_inputs=[username, "gridpatrol", "patrol"])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    why = " ".join([feedback.get("warning") or "it would be guessed quickly.", *feedback.get("suggestions", [])])
    return f"password is too easy to guess: {why.strip()}"


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The address a request came from: the peer, or, when the peer is a trusted proxy, the nearest address in
    ``X-Forwarded-For`` that is not a trusted proxy (proxies append, so the right end is the one to believe).

    Example:
        >>> nets = [ipaddress.ip_network("10.0.0.1")]
        >>> client_address("10.0.0.1", "6.6.6.6, 1.2.3.4", nets), client_address("9.9.9.9", "1.2.3.4", nets)
        ('1.2.3.4', '9.9.9.9')
    """
    if not forwarded_for or not _within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _within(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


@dataclass
class _Failures:
    count: int
    last: float


class LoginLimiter:
    """Failed logins: growing delays per (username, client address), and a cap per address across accounts.

    After ``max_failures`` failures of one user from one address, each further try must wait twice as long as
    the last (1 s, 2 s, 4 s ... up to ``max_delay_s``); the same user from another address is not affected, so
    nobody can lock an owner out from afar. One address may fail ``address_max_failures`` times per
    ``window_s`` over all user names together (guessing many names). Times come from ``clock``; thread-safe.

    Example:
        >>> from api.clock import ManualClock
        >>> clock = ManualClock()
        >>> lim = LoginLimiter(clock, max_failures=2, window_s=60, address_max_failures=10)
        >>> lim.fail("ann", "1.2.3.4"); lim.fail("ann", "1.2.3.4")
        >>> lim.retry_after("ann", "1.2.3.4"), lim.retry_after("ann", "5.6.7.8")
        (1.0, 0.0)
    """

    MAX_ENTRIES = 100_000

    def __init__(
        self,
        clock: Clock,
        max_failures: int,
        window_s: float,
        address_max_failures: int,
        max_delay_s: float = 900.0,
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window_s = window_s
        self.address_max_failures = address_max_failures
        self.max_delay_s = max_delay_s
        self._users: dict[tuple[str, str], _Failures] = {}
        self._addresses: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _delay(self, failures: int) -> float:
        """How long to wait after ``failures`` failures: none below the limit, then 1 s, 2 s, 4 s ..."""
        extra = failures - self.max_failures
        return 0.0 if extra < 0 else min(self.max_delay_s, 2.0 ** min(extra, 30))

    def _user(self, key: tuple[str, str], now: float) -> _Failures | None:
        rec = self._users.get(key)
        if rec is not None and now - rec.last > self.window_s + self._delay(rec.count):
            del self._users[key]
            return None
        return rec

    def _address(self, client: str, now: float) -> deque[float]:
        q = self._addresses[client]
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until this user may try again from this address (0 when allowed now)."""
        now = self.clock.monotonic()
        with self._lock:
            wait = 0.0
            rec = self._user((username, client), now)
            if rec is not None and rec.count >= self.max_failures:
                wait = rec.last + self._delay(rec.count) - now
            q = self._address(client, now)
            if len(q) >= self.address_max_failures:
                wait = max(wait, q[0] + self.window_s - now)
            return max(0.0, wait)

    def fail(self, username: str, client: str) -> None:
        """Record a failed attempt."""
        now = self.clock.monotonic()
        with self._lock:
            self._prune(now)
            rec = self._user((username, client), now)
            if rec is None:
                self._users[(username, client)] = _Failures(1, now)
            else:
                rec.count += 1
                rec.last = now
            self._address(client, now).append(now)

    def reset(self, username: str, client: str) -> None:
        """Forget this user's failures from this address after a successful login."""
        with self._lock:
            self._users.pop((username, client), None)

    def _prune(self, now: float) -> None:
        """Keep memory bounded when many names or addresses are tried: drop stale entries, then the oldest."""
        if len(self._users) + len(self._addresses) < self.MAX_ENTRIES:
            return
        for key in list(self._users):
            self._user(key, now)
        for client in list(self._addresses):
            if not self._address(client, now):
                del self._addresses[client]
        while len(self._users) > self.MAX_ENTRIES // 2:
            del self._users[next(iter(self._users))]
