"""Logins, tokens, roles, rate limiting, CORS and secrets kept out of logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from api_testkit import SECRETS, Api
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.config import ApiConfig
from api.main import create_app
from api.models import AuthToken, utcnow


def test_login_me_logout(api: Api) -> None:
    resp = api.client.post("/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"})
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    assert token.startswith("gpu_") and resp.json()["role"] == "reviewer"
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/auth/me", headers=headers).json()["username"] == "rev"
    assert api.client.post("/api/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/api/auth/me", headers=headers).status_code == 401


def test_wrong_password_and_rate_limit(api: Api) -> None:
    for _ in range(3):
        bad = api.client.post("/api/auth/login", json={"username": "rev", "password": "nope"})
        assert bad.status_code == 401
    limited = api.client.post("/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    other = api.client.post("/api/auth/login", json={"username": "admin", "password": "admin-pass-1"})
    assert other.status_code == 200


def test_expired_token_is_refused(api: Api) -> None:
    with api.app.state.services.sessions() as s:
        s.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    resp = api.client.get("/api/incidents", headers=api.reviewer)
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]
    assert resp.headers["www-authenticate"] == "Bearer"
    garbage = api.client.get("/api/incidents", headers={"Authorization": "Bearer hello"})
    assert garbage.status_code == 401


def test_roles(api: Api) -> None:
    user = {"username": "carol", "password": "carol-pass-1", "role": "reviewer"}
    assert api.client.post("/api/users", json=user, headers=api.reviewer).status_code == 403
    assert api.client.post("/api/users", json=user, headers=api.station).status_code == 403
    assert api.client.post("/api/users", json=user, headers=api.admin).status_code == 201
    assert api.client.post("/api/users", json=user, headers=api.admin).status_code == 409
    login = api.client.post("/api/auth/login", json={"username": "carol", "password": "carol-pass-1"})
    assert login.status_code == 200
    key = api.client.post("/api/station-keys", json={"station": "st-9"}, headers=api.admin).json()["api_key"]
    drone = api.client.put(
        "/api/drones/d9", json={"id": "d9", "name": "nine"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert drone.status_code == 200 and drone.json()["station"] == "st-9"


def test_secrets_never_in_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    login = api.client.post("/api/auth/login", json={"username": "admin", "password": "admin-pass-1"})
    token = login.json()["access_token"]
    api.client.post("/api/auth/login", json={"username": "admin", "password": "wrong-secret-pw"})
    key = api.client.post(
        "/api/station-keys", json={"station": "st-x"}, headers={"Authorization": f"Bearer {token}"}
    ).json()["api_key"]
    api.client.get("/api/incidents", headers={"Authorization": f"Bearer {key}"})
    text = caplog.text
    assert "logged in" in text and "failed login" in text
    for secret in (token, key, "admin-pass-1", "wrong-secret-pw", *SECRETS.tokens.values()):
        assert secret not in text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cors_closed_by_default_and_open_when_configured(api: Api, config: ApiConfig) -> None:
    pre = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    resp = api.client.options("/api/incidents", headers=pre)
    assert "access-control-allow-origin" not in resp.headers
    got = api.client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in got.headers
    open_cfg = config.model_copy(update={"cors_origins": ["https://ops.example"]})
    app = create_app(open_cfg)
    with TestClient(app) as client:
        ok = client.get("/api/health", headers={"Origin": "https://ops.example"})
        assert ok.headers["access-control-allow-origin"] == "https://ops.example"
        other = client.get("/api/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    app.state.engine.dispose()
