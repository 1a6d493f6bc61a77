"""Live events for the UI (new incidents, reviews, drone positions): an in-process publish/subscribe hub.

Routes run in worker threads, subscribers in the event loop, so publishing hops into each subscriber's loop
with ``call_soon_threadsafe``. A slow subscriber loses its oldest events instead of blocking the publisher.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """One server-sent event: a name (``incident``, ``review``, ``position``) and JSON data."""

    name: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        """The event in Server-Sent Events wire format."""
        return f"event: {self.name}\ndata: {json.dumps(self.data, default=str)}\n\n".encode()


class Subscription:
    """A subscriber's queue, bound to the event loop it reads from; ``None`` in the queue means "stop".

    ``tags`` say whose stream it is (``credential:<sha256>``, ``user:<name>``, ``station:<name>``), so that a
    logout, a disabled user or a revoked key can end it with :meth:`EventHub.close`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int, tags: frozenset[str]) -> None:
        self.loop = loop
        self.tags = tags
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(size)

    def _put(self, event: Event | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class EventHub:
    """Fan-out of events to every live subscriber."""

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, tags: frozenset[str] = frozenset()) -> Subscription:
        """A new subscription on the running loop, filed under ``tags``; call :meth:`unsubscribe` when done."""
        sub = Subscription(asyncio.get_running_loop(), self.queue_size, tags)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub``."""
        with self._lock:
            self._subs.discard(sub)

    def publish(self, name: str, data: dict[str, Any]) -> None:
        """Send an event to every subscriber (from any thread)."""
        event = Event(name, data)
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub._put, event)
            except RuntimeError:  # the subscriber's loop is closed
                self.unsubscribe(sub)

    def close(self, tag: str) -> int:
        """End every subscription filed under ``tag`` (from any thread); returns how many."""
        with self._lock:
            subs = [sub for sub in self._subs if tag in sub.tags]
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub._put, None)
            except RuntimeError:
                self.unsubscribe(sub)
        return len(subs)

    @property
    def subscribers(self) -> int:
        """How many subscribers are connected."""
        with self._lock:
            return len(self._subs)
