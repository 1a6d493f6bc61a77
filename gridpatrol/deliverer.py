"""Sends what the outbox holds to the incident log, in order, once, whatever happens to the link.

The :class:`Deliverer` thread takes the oldest pending items and sends them with their client ids: an incident
(with its attached snapshot) before the broadcasts that follow it, because items go strictly in the order they
were put. Several pending incidents in a row go in one ``POST /incidents/batch`` request (a station catching up
after an outage); a single one goes as ``POST /snapshots`` + ``POST /incidents``.

- API unreachable (refused, timed out, HTTP 5xx): the item stays pending and the deliverer waits, doubling the
  wait from ``backoff_initial_s`` up to ``backoff_max_s`` (with +-20 % jitter so many stations do not retry in
  step); nothing behind it is sent meanwhile, so order holds.
- Station key refused (401/403), rate limited (429) or request timeout (408): as unreachable, the item waits
  (the error text shows in ``gridpatrol outbox status``); these say nothing about the item itself.
- API refuses the item (other HTTP 4xx, or ``conflict``/``rejected`` in a batch): it becomes ``dead`` with the API's
  error text and delivery goes on with the next item; ``gridpatrol outbox status`` shows it and
  ``gridpatrol outbox retry-dead`` queues it again.
- Crash (``kill -9``) after the API stored an item but before it was marked sent: the resend carries the same
  id, the API answers "exists", and the item is marked sent; the log holds it once.

Example:
    >>> import tempfile, pathlib
    >>> from api.client import ApiClient
    >>> box = Outbox(pathlib.Path(tempfile.mkdtemp()) / "outbox.db")
    >>> _ = box.put_incident({"id": "inc-1", "ts": "2026-11-20T08:30:00Z", "type": "crowd", "people": 6})
    >>> deliverer = Deliverer(box, ApiClient("http://127.0.0.1:1", "gps_x", timeout_s=0.2), backoff_initial_s=5)
    >>> deliverer.deliver_once()  # nothing listens on port 1: the item waits
    0
    >>> box.counts()["pending"], box.items()[0].attempts
    (1, 1)
    >>> box.close()
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import NoReturn

from api.client import ApiClient, ApiError, ApiUnavailable
from gridpatrol.config import OutboxConfig
from gridpatrol.outbox import Item, Outbox

log = logging.getLogger(__name__)

# Refusals that say nothing about the item itself (wrong or revoked station key, rate limit, request timeout):
# the item waits and is retried with backoff instead of going dead; the error shows in `gridpatrol outbox status`.
STATION_LEVEL = frozenset({401, 403, 408, 429})


class _Down(Exception):
    """The API is unreachable: stop this pass and back off."""


class Deliverer:
    """Delivers an outbox to the incident log from a background thread (or pass by pass with deliver_once).

    Args:
        outbox: the queue to drain.
        client: a station client of the incident log.
        backoff_initial_s: first wait after the API was unreachable.
        backoff_max_s: longest wait between attempts while it stays unreachable.
        batch_max: most incidents per batch request (keep at or below the API's ``max_batch_items``).
        batch_max_bytes: most snapshot bytes per batch request (below the API's ``max_batch_bytes``).
        idle_s: how often an idle deliverer looks at the outbox without being woken.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: ApiClient,
        *,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        batch_max: int = 100,
        batch_max_bytes: int = 20_000_000,
        idle_s: float = 5.0,
    ) -> None:
        if not 0 < backoff_initial_s <= backoff_max_s:
            raise ValueError(f"need 0 < backoff_initial_s <= backoff_max_s, got {backoff_initial_s}, {backoff_max_s}")
        if batch_max < 1:
            raise ValueError(f"batch_max must be at least 1, got {batch_max}")
        self.outbox = outbox
        self.client = client
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.batch_max = batch_max
        self.batch_max_bytes = batch_max_bytes
        self.idle_s = idle_s
        self.failures = 0
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()
        outbox.on_put(self._wake.set)

    @classmethod
    def from_config(cls, outbox: Outbox, config: OutboxConfig) -> Deliverer:
        """A deliverer for ``outbox`` with the ``[outbox]`` settings (URL, station key, timeouts, backoff).

        Raises:
            ValueError: no station key is configured (the message says where to get one).
        """
        if not config.station_key:
            raise ValueError(
                "[outbox] station_key is empty; create one with `gridpatrol admin create-station-key NAME` "
                "and set it as GRIDPATROL_OUTBOX__STATION_KEY"
            )
        client = ApiClient(config.api_url, config.station_key, timeout_s=config.timeout_s)
        return cls(
            outbox, client, backoff_initial_s=config.backoff_initial_s,
            backoff_max_s=max(config.backoff_max_s, config.backoff_initial_s), batch_max=config.batch_max,
        )  # fmt: skip

    # --- one pass

    def deliver_once(self) -> int:
        """Send what is due now, in order; returns how many items were settled (sent or dead)."""
        items = self.outbox.due(self.batch_max)
        settled = 0
        i = 0
        try:
            while i < len(items):
                run = _incident_run(items, i, self.batch_max, self.batch_max_bytes)
                if len(run) > 1:
                    settled += self._send_batch(run)
                    i += len(run)
                else:
                    settled += self._send_one(items[i])
                    i += 1
        except _Down:
            return settled
        if items:  # the API answered every request of this pass: the next outage starts its backoff afresh
            self.failures = 0
        return settled

    def _backoff(self, items: Sequence[Item], exc: Exception) -> NoReturn:
        delay = min(self.backoff_max_s, self.backoff_initial_s * 2.0**self.failures)
        delay *= self._rng.uniform(0.8, 1.2)
        self.failures += 1
        self.last_error = str(exc)
        log.warning("incident log did not take the items (%s); %d item(s) wait %.1f s", exc, len(items), delay)
        self.outbox.mark_retry([it.seq for it in items], str(exc), delay)
        raise _Down

    def _dead(self, item: Item, error: str) -> int:
        log.error("incident log refused %s %s: %s", item.kind, item.client_id, error)
        self.outbox.mark_dead(item.seq, error)
        return 1

    def _send_one(self, item: Item) -> int:
        try:
            if item.kind == "incident":
                if item.blob is not None:
                    self.client.upload_snapshot(item.blob, f"{item.client_id}.jpg")
                self.client.post_incident(item.payload)
            elif item.kind == "snapshot":
                self.client.upload_snapshot(item.blob or b"", f"{item.ref_id or 'snapshot'}.jpg")
            else:
                self.client.post_broadcast(item.payload)
        except ApiUnavailable as exc:
            self._backoff([item], exc)
        except ApiError as exc:
            if exc.status in STATION_LEVEL:
                self._backoff([item], exc)
            return self._dead(item, str(exc))
        self.outbox.mark_sent([item.seq])
        return 1

    def _send_batch(self, run: list[Item]) -> int:
        try:
            results = self.client.post_incident_batch([(it.payload, it.blob) for it in run])
        except ApiUnavailable as exc:
            self._backoff(run, exc)
        except ApiError as exc:  # the whole request was refused (one bad item, too large, a race): one by one
            if exc.status in STATION_LEVEL:
                self._backoff(run, exc)
            log.warning("batch of %d refused (%s); sending them one by one", len(run), exc)
            return sum(self._send_one(it) for it in run)
        by_id = {r["id"]: r for r in results}
        sent: list[int] = []
        settled = 0
        for it in run:
            res = by_id.get(it.client_id, {"result": "rejected", "detail": "missing from the batch result"})
            if res["result"] in ("created", "exists"):
                sent.append(it.seq)
            elif res["result"] == "conflict":
                settled += self._dead(it, f"conflict: incident {it.client_id} exists with different content")
            else:
                settled += self._dead(it, f"{res['result']}: {res.get('detail')}")
        self.outbox.mark_sent(sent)
        return settled + len(sent)

    # --- the thread

    def start(self) -> Deliverer:
        """Start delivering in a background thread (daemon); returns self."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="outbox-deliverer", daemon=True)
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the background thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.deliver_once():
                    continue
            except Exception:  # a bug or a broken file must not kill delivery silently: log, wait, retry
                log.exception("outbox delivery failed")
            nxt = self.outbox.next_due()
            wait = self.idle_s if nxt is None else min(self.idle_s, max(0.0, nxt - time.time()))
            if wait > 0:
                self._wake.wait(wait)
            self._wake.clear()

    def wake(self) -> None:
        """Look at the outbox now (e.g. the link came back), skipping the current backoff."""
        self.outbox.reset_backoff()
        self.failures = 0
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until nothing is pending (delivering in this thread if the background one is not running).

        Returns True when the outbox is empty of pending items, False when ``timeout`` seconds passed first
        (e.g. the API is still down; the items stay queued for the next start).
        """
        deadline = time.monotonic() + timeout
        while self.outbox.counts()["pending"]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.running:
                self._wake.set()
                time.sleep(min(0.05, left))
                continue
            if not self.deliver_once():
                nxt = self.outbox.next_due()
                time.sleep(max(0.0, min(left, (nxt or 0) - time.time(), 0.5)))
        return True

    def stop(self, flush_timeout: float = 0.0) -> bool:
        """Stop the thread, first flushing for up to ``flush_timeout`` s; returns whether all was delivered."""
        done = self.flush(flush_timeout) if flush_timeout > 0 else not self.outbox.counts()["pending"]
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        return done


def _incident_run(items: list[Item], start: int, most: int, most_bytes: int) -> list[Item]:
    """The incidents from ``start`` on that can go in one batch request, in order."""
    run: list[Item] = []
    size = 0
    for it in items[start:]:
        blob = len(it.blob or b"")
        if it.kind != "incident" or len(run) >= most or (run and size + blob > most_bytes):
            break
        run.append(it)
        size += blob
    return run
