"""The station outbox: incidents, snapshots and broadcasts are written to a local SQLite file first.

Nothing a station reports goes straight to the incident log. It is committed to ``outbox.db`` (SQLite in WAL
mode, ``synchronous=FULL``) and a :class:`gridpatrol.deliverer.Deliverer` sends it later, with the id the station
chose, so a resend after a crash is recognised by the API and never stored twice. A station killed with
``kill -9`` loses nothing that :meth:`Outbox.put_incident` (and friends) returned from.

Each row is one item: ``kind`` (incident, snapshot or broadcast), the client id the API knows it by (incident and
broadcast id; a lone snapshot's SHA-256), the JSON body, an optional blob (the snapshot JPEG), the number of
delivery attempts, when to try next, and its state: ``pending`` (waiting), ``sent`` (the API has it) or ``dead``
(the API refused it with a 4xx; its error text is kept for an operator, see ``gridpatrol outbox status``).

Snapshots: the API links a snapshot to an incident only when the incident is created (``snapshot_sha``), so a
snapshot given for an incident that is still pending is attached to it (sent in the same request, or uploaded
just before it). A snapshot for an incident that was already sent is uploaded on its own (content-addressed, so
idempotent); the API has no call to link it afterwards.

Example:
    >>> import tempfile, pathlib
    >>> box = Outbox(pathlib.Path(tempfile.mkdtemp()) / "outbox.db")
    >>> box.put_incident({"id": "inc-1", "ts": "2026-11-20T08:30:00Z", "type": "no_mask"})
    True
    >>> box.put_incident({"id": "inc-1", "ts": "2026-11-20T08:30:00Z", "type": "no_mask"})  # same id: kept once
    False
    >>> box.counts()
    {'pending': 1, 'sent': 0, 'dead': 0}
    >>> box.close()
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from api.schemas import BroadcastCreate, IncidentCreate
from incidents import Incident

Kind = Literal["incident", "snapshot", "broadcast"]
State = Literal["pending", "sent", "dead"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('incident', 'snapshot', 'broadcast')),
    client_id  TEXT NOT NULL,
    ref_id     TEXT,
    payload    TEXT NOT NULL,
    blob       BLOB,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_try   REAL NOT NULL,
    created    REAL NOT NULL,
    sent_at    REAL,
    last_error TEXT,
    UNIQUE (kind, client_id)
);
CREATE INDEX IF NOT EXISTS items_pending ON items (state, seq);
"""


@dataclass(frozen=True)
class Item:
    """One outbox row.

    Attributes:
        seq: delivery order (insertion order).
        kind: incident, snapshot or broadcast.
        client_id: the id the API stores it under (a lone snapshot's SHA-256).
        ref_id: the incident a snapshot or broadcast belongs to, if any.
        payload: the JSON body sent to the API.
        blob: the snapshot image (an incident's attached snapshot, or a lone snapshot).
        state: pending, sent or dead.
        attempts: failed delivery attempts so far.
        next_try: when (Unix time) the deliverer may try it again.
        created: when it was put (Unix time).
        last_error: the last delivery error, or the API's refusal for a dead item.
    """

    seq: int
    kind: Kind
    client_id: str
    ref_id: str | None
    payload: dict[str, Any]
    blob: bytes | None
    state: State
    attempts: int
    next_try: float
    created: float
    last_error: str | None


@dataclass(frozen=True)
class OutboxStatus:
    """What ``gridpatrol outbox status`` shows.

    Attributes:
        counts: items per state.
        oldest_pending: creation time (Unix) of the oldest pending item, or None.
        last_error: the most recent delivery error (seq, kind, client id, text), or None.
    """

    counts: dict[str, int]
    oldest_pending: float | None
    last_error: tuple[int, str, str, str] | None


class OutboxError(ValueError):
    """An item that cannot be put in the outbox (bad content); the message names the field."""


class Outbox:
    """A durable queue of reports for the incident log, in one SQLite file.

    Safe to use from several threads (one connection behind a lock); several processes may open the same file
    (SQLite locking), though one deliverer per file is intended.

    Args:
        path: the SQLite file; its folder is created.
        clock: the time source (Unix seconds), for tests of backoff.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._listeners: list[Callable[[], None]] = []

    def close(self) -> None:
        """Close the file (items already put stay in it)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def on_put(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every successful put (a deliverer wakes up on it)."""
        self._listeners.append(callback)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()

    # --- putting items

    def put_incident(self, incident: Incident | dict[str, Any], snapshot: bytes | None = None) -> bool:
        """Queue an incident (and its snapshot JPEG, if any); False if one with this id is already queued.

        An :class:`incidents.Incident` (what vision builds) was validated when it was built and is stored as its
        JSON (:meth:`~incidents.Incident.wire`) once; a plain dict is checked as the API will check it.

        Raises:
            OutboxError: the incident does not validate (the message names the field).
        """
        body = incident.wire() if isinstance(incident, Incident) else _validate(IncidentCreate, incident, "incident")
        if snapshot is not None:
            body["snapshot_sha"] = hashlib.sha256(snapshot).hexdigest()
        return self._insert("incident", body["id"], None, body, snapshot)

    def put_snapshot(self, incident_id: str, jpeg: bytes) -> bool:
        """Queue the snapshot of an incident: attached to it while it is pending, else uploaded on its own.

        Returns False when this snapshot is already queued (attached or alone).

        Raises:
            OutboxError: the image is empty, or the incident already has a different snapshot attached.
        """
        if not jpeg:
            raise OutboxError("snapshot is empty; pass the JPEG bytes of the frame")
        sha = hashlib.sha256(jpeg).hexdigest()
        with self._tx() as db:
            row = db.execute(
                "SELECT seq, payload, state FROM items WHERE kind='incident' AND client_id=?", (incident_id,)
            ).fetchone()
            if row is not None and row[2] == "pending":
                body = json.loads(row[1])
                if body.get("snapshot_sha") == sha:  # named already: keep the bytes unless they are there
                    cur = db.execute("UPDATE items SET blob=? WHERE seq=? AND blob IS NULL", (jpeg, row[0]))
                    return cur.rowcount == 1
                if body.get("snapshot_sha"):
                    raise OutboxError(
                        f"incident {incident_id} already has snapshot {body['snapshot_sha']}; one snapshot each"
                    )
                body["snapshot_sha"] = sha
                db.execute("UPDATE items SET payload=?, blob=? WHERE seq=?", (json.dumps(body), jpeg, row[0]))
                added = True
            else:
                added = self._insert_row(db, "snapshot", sha, incident_id, {"incident_id": incident_id}, jpeg)
        if added:
            self._notify()
        return added

    def put_broadcast(self, broadcast: BroadcastCreate | dict[str, Any]) -> bool:
        """Queue a played loudspeaker warning; False if one with this id is already queued.

        Raises:
            OutboxError: the broadcast does not validate (the message names the field).
        """
        body = _validate(BroadcastCreate, broadcast, "broadcast")
        return self._insert("broadcast", body["id"], body.get("incident_id"), body, None)

    def _insert(self, kind: Kind, client_id: str, ref: str | None, body: dict[str, Any], blob: bytes | None) -> bool:
        with self._tx() as db:
            added = self._insert_row(db, kind, client_id, ref, body, blob)
        if added:
            self._notify()
        return added

    def _insert_row(
        self, db: sqlite3.Connection, kind: Kind, client_id: str, ref: str | None, body: dict[str, Any], blob: Any
    ) -> bool:
        now = self._clock()
        cur = db.execute(
            "INSERT OR IGNORE INTO items (kind, client_id, ref_id, payload, blob, next_try, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, client_id, ref, json.dumps(body), blob, now, now),
        )
        return cur.rowcount == 1

    # --- for the deliverer

    def due(self, limit: int = 100) -> list[Item]:
        """The oldest pending items, in order, up to the first one that is not due yet (order is kept)."""
        now = self._clock()
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE state='pending' ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        items = [_item(r) for r in rows]
        for i, item in enumerate(items):
            if item.next_try > now:
                return items[:i]
        return items

    def next_due(self) -> float | None:
        """When the first pending item may be tried (Unix time), or None when nothing is pending."""
        with self._lock:
            row = self._db.execute("SELECT next_try FROM items WHERE state='pending' ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else float(row[0])

    def mark_sent(self, seqs: list[int]) -> None:
        """Record that the API has these items."""
        now = self._clock()
        with self._tx() as db:
            db.executemany("UPDATE items SET state='sent', sent_at=?, blob=NULL WHERE seq=?", [(now, s) for s in seqs])

    def mark_dead(self, seq: int, error: str) -> None:
        """Record that the API refused this item for good (kept with the error for an operator)."""
        with self._tx() as db:
            db.execute(
                "UPDATE items SET state='dead', attempts=attempts+1, last_error=? WHERE seq=?", (error[:2000], seq)
            )

    def mark_retry(self, seqs: list[int], error: str, delay_s: float) -> None:
        """Record a failed attempt (API unreachable) and when to try again."""
        when = self._clock() + delay_s
        with self._tx() as db:
            db.executemany(
                "UPDATE items SET attempts=attempts+1, next_try=?, last_error=? WHERE seq=?",
                [(when, error[:2000], s) for s in seqs],
            )

    def reset_backoff(self) -> int:
        """Make every pending item due now (the link is known to be back); returns how many."""
        with self._tx() as db:
            n = db.execute("UPDATE items SET next_try=? WHERE state='pending'", (self._clock(),)).rowcount
        return int(n)

    # --- for operators

    def items(self, state: State | None = None) -> list[Item]:
        """All items (or those in ``state``), in order."""
        where, args = ("WHERE state=?", (state,)) if state else ("", ())
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM items {where} ORDER BY seq", args).fetchall()
        return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Number of items per state."""
        counts = {"pending": 0, "sent": 0, "dead": 0}
        with self._lock:
            for state, n in self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state"):
                counts[state] = int(n)
        return counts

    def status(self) -> OutboxStatus:
        """Counts, the oldest pending item and the last error."""
        with self._lock:
            oldest = self._db.execute("SELECT MIN(created) FROM items WHERE state='pending'").fetchone()[0]
            err = self._db.execute(
                "SELECT seq, kind, client_id, last_error FROM items WHERE last_error IS NOT NULL "
                "ORDER BY (state='dead') DESC, seq DESC LIMIT 1"
            ).fetchone()
        return OutboxStatus(self.counts(), oldest, tuple(err) if err else None)

    def retry_dead(self) -> int:
        """Put dead items back in the queue (after an operator fixed the cause); returns how many."""
        with self._tx() as db:
            n = db.execute("UPDATE items SET state='pending', next_try=? WHERE state='dead'", (self._clock(),)).rowcount
        if n:
            self._notify()
        return int(n)

    def purge_sent(self, older_than_s: float) -> int:
        """Forget sent items older than this (their ids then no longer dedupe a re-put); returns how many."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM items WHERE state='sent' AND sent_at < ?", (self._clock() - older_than_s,))
        return int(cur.rowcount)


_COLUMNS = "seq, kind, client_id, ref_id, payload, blob, state, attempts, next_try, created, last_error"


def _item(row: tuple[Any, ...]) -> Item:
    seq, kind, cid, ref, payload, blob, state, attempts, next_try, created, err = row
    return Item(seq, kind, cid, ref, json.loads(payload), blob, state, attempts, next_try, created, err)


def _validate(model: type[IncidentCreate] | type[BroadcastCreate], value: Any, what: str) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        body: dict[str, Any] = model.model_validate(value).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(map(str, e['loc'])) or what}: {e['msg']}" for e in exc.errors())
        raise OutboxError(f"invalid {what}: {errs}") from None
    return body
