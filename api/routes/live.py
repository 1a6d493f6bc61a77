"""Live updates as Server-Sent Events: ``incident``, ``review``, ``broadcast`` and ``position`` events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import CredentialsDep, ServicesDep, authenticate

router = APIRouter(tags=["live"])
KEEPALIVE_S = 15.0


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An endless event stream."}},
)
async def live(request: Request, creds: CredentialsDep, services: ServicesDep) -> StreamingResponse:
    """Stream events as they happen (send the bearer token in the Authorization header).

    Authentication uses its own short session so that an open stream holds no database connection.
    """

    def check() -> None:
        with services.sessions() as session:
            authenticate(session, creds)

    await run_in_threadpool(check)
    sub = services.hub.subscribe()

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield event.encode()
        finally:
            services.hub.unsubscribe(sub)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
