"""The console's video routes: which drones send live video, and each one's MJPEG stream (:mod:`.video`).

Same rules as the rest of the console: a login is needed (observers may watch), GET changes nothing, and an open
stream looks its login up again once a second, so a logout or a disabled account ends it.

No ``from __future__ import annotations`` here: FastAPI must see the dependency type as an object.
"""

import time
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.video import BOUNDARY, VideoHub

#: How often an open video stream looks its login up again (s).
RECHECK_S = 1.0


def add_video_routes(app: FastAPI, hub: VideoHub, who: Any, accounts: Accounts, cookie: str) -> None:
    """Serve ``GET /api/video`` and ``GET /api/video/{drone}.mjpg`` for logged-in users.

    Args:
        app: The console app.
        hub: The newest frames.
        who: The login dependency (``Annotated[Session, Depends(...)]``).
        accounts: To look an open stream's login up again.
        cookie: The login cookie's name.
    """

    @app.get("/api/video")
    def video(user: who) -> dict[str, Any]:
        """The drones with live video, the newest frame of each and whether its video or analysis stalled."""
        hub.start()
        run = hub.station.run
        return {"drones": hub.status(), "stall_s": hub.stall_s, "video_fps": run.video_fps, "analysis_fps": run.fps}

    @app.get("/api/video/{drone_id}.mjpg")
    async def stream(drone_id: str, request: Request, user: who) -> StreamingResponse:
        """The drone's live video: multipart JPEG frames, each with its number, capture time and overlay."""
        drones = hub.drones()
        if drone_id not in drones:
            raise HTTPException(404, f"no live video from drone {drone_id!r}; video comes from: {drones or 'none'}")
        token = request.cookies.get(cookie)
        checked = [time.monotonic()]

        async def alive() -> bool:
            if await request.is_disconnected():
                return False
            if time.monotonic() - checked[0] >= RECHECK_S:
                checked[0] = time.monotonic()
                return await run_in_threadpool(accounts.session, token) is not None
            return True

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            hub.frames(drone_id, alive), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}", headers=headers
        )
