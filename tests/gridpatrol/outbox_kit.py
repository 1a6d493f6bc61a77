"""A real incident log for the outbox tests: seeded SQLite, uvicorn on a fixed free port, stop and restart."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from api_testkit import SECRETS, free_port, seed

from api.config import ApiConfig
from api.main import create_app

STATION_KEY = SECRETS.keys["st-1"]
REVIEWER = {"Authorization": f"Bearer {SECRETS.tokens['rev']}"}


class IncidentLog:
    """The incident log API on one port that can be stopped (the station's link goes down) and started again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{root / 'incidents.db'}"
        seed(self.db_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._app: Any = None

    def start(self) -> None:
        """Serve on the same port as before and wait until it answers."""
        config = ApiConfig(data_dir=self.root / "data", database_url=self.db_url, max_snapshot_bytes=300_000)
        self._app = create_app(config)
        cfg = uvicorn.Config(self._app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("incident log did not start")

    def stop(self) -> None:
        """Stop serving; connections are refused until :meth:`start`."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
            self._app.state.engine.dispose()
            self._server = None

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident stored, as a reviewer sees them."""
        resp = httpx.get(self.url + "/api/incidents", params={"limit": 5000}, headers=REVIEWER, timeout=10)
        resp.raise_for_status()
        return list(resp.json()["items"])

    def incident(self, incident_id: str) -> dict[str, Any]:
        """One incident with its broadcasts."""
        resp = httpx.get(self.url + f"/api/incidents/{incident_id}", headers=REVIEWER, timeout=10)
        resp.raise_for_status()
        return dict(resp.json())

    def broadcasts(self) -> list[dict[str, Any]]:
        """Every broadcast stored."""
        resp = httpx.get(self.url + "/api/broadcasts", params={"limit": 1000}, headers=REVIEWER, timeout=10)
        resp.raise_for_status()
        return list(resp.json())


def incident(i: int, **fields: Any) -> dict[str, Any]:
    """A valid incident with id ``inc-<i>``."""
    body: dict[str, Any] = {
        "id": f"inc-{i}", "ts": "2026-11-20T08:30:00Z", "type": "no_mask", "drone_id": "d1",
        "lon": 116.3975, "lat": 39.9087, "people": 1, "confidence": 0.8,
    }  # fmt: skip
    body.update(fields)
    return body


def broadcast(i: int, **fields: Any) -> dict[str, Any]:
    """A valid broadcast ``bc-<i>`` for incident ``inc-<i>``."""
    body: dict[str, Any] = {
        "id": f"bc-{i}", "ts": "2026-11-20T08:30:05Z", "incident_id": f"inc-{i}", "kind": "no_mask",
        "language": "zh", "text": "请佩戴口罩",
    }  # fmt: skip
    body.update(fields)
    return body


def jpeg(seed: int) -> bytes:
    """A real small JPEG, different per seed."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=80)
    return buf.getvalue()
