"""Live updates as Server-Sent Events: ``incident``, ``review``, ``broadcast`` and ``position`` events.

A stream lives only as long as its credential: a logout, a revoked key or a disabled user ends it at once when
done through the API (:meth:`api.events.EventHub.close`), and within ``live_check_s`` when done by another
process (the ``gridpatrol admin`` commands), because the stream looks its credential up again that often.
A token's stream also ends when the token expires. The last event is ``end`` with the reason.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import CredentialsDep, Principal, ServicesDep, authenticate

router = APIRouter(tags=["live"])
KEEPALIVE_S = 15.0


def _end(reason: str) -> bytes:
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n".encode()


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream until logout."}},
)
async def live(request: Request, creds: CredentialsDep, services: ServicesDep) -> StreamingResponse:
    """Stream events as they happen (send the bearer token in the Authorization header).

    Authentication uses its own short session so that an open stream holds no database connection.
    """

    def check() -> Principal:
        with services.sessions() as session:
            return authenticate(session, creds, services.clock.now())

    who = await run_in_threadpool(check)
    sub = services.hub.subscribe(who.tags)
    interval = min(KEEPALIVE_S, services.config.live_check_s)

    async def still_valid() -> bool:
        try:
            await run_in_threadpool(check)
        except HTTPException:
            return False
        return True

    async def stream() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        checked = loop.time()
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                chunk: bytes | None
                try:
                    event = await asyncio.wait_for(sub.queue.get(), interval)
                    chunk = None if event is None else event.encode()
                except TimeoutError:
                    chunk = b": keep-alive\n\n"
                if chunk is None:
                    yield _end("logged out or revoked")
                    return
                if loop.time() - checked >= interval:
                    checked = loop.time()
                    if not await still_valid():
                        yield _end("credential expired, revoked or disabled")
                        return
                yield chunk
        finally:
            services.hub.unsubscribe(sub)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
