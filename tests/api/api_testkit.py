"""Helpers shared by the API tests (data builders, a typed client, a live uvicorn server)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.db import make_engine, migrate, session_factory
from api.models import AuthToken, StationKey, User, utcnow
from api.security import STATION_PREFIX, TOKEN_PREFIX, hash_password, sha256_hex
from gridpatrol.station.demo import free_port

PASSWORDS = {"admin": "admin-pass-1", "rev": "reviewer-pass-1"}


@dataclass
class Secrets:
    """Credentials seeded into every template database."""

    tokens: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


# conftest is loaded by pytest and imported by the test modules (two module objects); both derive the same
# secrets from one random seed kept in the environment of this test run.
_SEED = os.environ.setdefault("GRIDPATROL_TEST_SECRET_SEED", uuid.uuid4().hex)


def _secret(prefix: str, name: str) -> str:
    return prefix + sha256_hex(f"{_SEED}:{name}")


SECRETS = Secrets(
    tokens={"admin": _secret(TOKEN_PREFIX, "admin"), "rev": _secret(TOKEN_PREFIX, "rev")},
    keys={"st-1": _secret(STATION_PREFIX, "st-1"), "st-2": _secret(STATION_PREFIX, "st-2")},
)


def seed(url: str) -> None:
    """Migrate the database at ``url`` and add the users, tokens and station keys of :data:`SECRETS`."""
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as s:
        for name, role in (("admin", "admin"), ("rev", "reviewer")):
            user = User(username=name, password_hash=hash_password(PASSWORDS[name]), role=role)
            s.add(user)
            s.flush()
            s.add(
                AuthToken(
                    token_hash=sha256_hex(SECRETS.tokens[name]),
                    user_id=user.id,
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
        for station, key in SECRETS.keys.items():
            s.add(StationKey(station=station, key_hash=sha256_hex(key)))
        s.commit()
    engine.dispose()


# --- PostgreSQL


@dataclass
class Api:
    """A test client with the seeded credentials as ready-made headers."""

    client: TestClient
    app: FastAPI

    @staticmethod
    def auth(who: str) -> dict[str, str]:
        secret = SECRETS.tokens.get(who) or SECRETS.keys[who]
        return {"Authorization": f"Bearer {secret}"}

    @property
    def station(self) -> dict[str, str]:
        return self.auth("st-1")

    @property
    def admin(self) -> dict[str, str]:
        return self.auth("admin")

    @property
    def reviewer(self) -> dict[str, str]:
        return self.auth("rev")

    def incident(self, **fields: object) -> dict[str, object]:
        """POST an incident (defaults filled in) as station st-1 and return the stored one."""
        body = incident_body(**fields)
        resp = self.client.post("/api/incidents", json=body, headers=self.station)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def put_grids(self) -> None:
        """Store the two test grids."""
        resp = self.client.put("/api/grids", json=grids_geojson(), headers=self.admin)
        assert resp.status_code == 200, resp.text


def incident_body(**fields: object) -> dict[str, object]:
    """An incident request body with sensible defaults, overridden by ``fields``."""
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "ts": "2026-11-20T08:30:00Z",
        "type": "no_mask",
        "drone_id": "d1",
        "mission_id": "m1",
        "lon": 116.3975,
        "lat": 39.9087,
        "people": 1,
        "confidence": 0.8,
    }
    body.update(fields)
    return body


def grids_geojson() -> dict[str, object]:
    """Two adjacent 0.01-degree grids: g-west (116.39-116.40) and g-east (116.40-116.41), lat 39.90-39.91."""

    def square(gid: str, name: str, x0: float) -> dict[str, object]:
        ring = [[x0, 39.90], [x0 + 0.01, 39.90], [x0 + 0.01, 39.91], [x0, 39.91], [x0, 39.90]]
        return {
            "type": "Feature",
            "properties": {"id": gid, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    return {
        "type": "FeatureCollection",
        "features": [square("g-west", "西网格", 116.39), square("g-east", "东网格", 116.40)],
    }


def jpeg(width: int = 640, height: int = 480, seed: int = 0, quality: int = 85) -> bytes:
    """A real JPEG with noise so sizes are realistic (and each seed gives different bytes)."""
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@dataclass
class LiveServer:
    """A uvicorn server on 127.0.0.1 in a background thread."""

    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread


def start_server(app: FastAPI) -> LiveServer:
    """Serve ``app`` with uvicorn on a free port and wait until it answers."""
    port = free_port()
    # An open live stream (a browser's EventSource) holds a graceful shutdown for ever, as it would `gridpatrol
    # serve`'s, which cancels it after 3 s: the test server cancels it after 1 s, so a teardown never waits out the
    # 10 s join below.
    cfg = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(cfg)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # bounds a hang only
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return LiveServer(url, app, server, thread)
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("test server did not start")


def stop_server(live: LiveServer) -> None:
    """Stop the server and wait for its thread."""
    live.server.should_exit = True
    live.thread.join(10)
