"""Findings of the hostile test (issue 14), each kept from coming back: bad input, old bad rows, least
privilege, headers and secret output. Accounts, keys, logins and live streams are in test_accounts.py."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from api_testkit import Api, LiveServer, incident_body
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from api.config import ApiConfig
from api.db import alembic_config, make_engine
from api.geo import district_grids
from api.main import create_app
from api.models import AuthToken, User
from api.security import sha256_hex
from gridpatrol.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = ROOT / "examples" / "district.geojson"


def post_raw(api: Api, path: str, body: object, headers: dict[str, str], method: str = "POST") -> Any:
    """Send ``body`` as Python's json writes it: NaN and Infinity as bare words, lone surrogates escaped."""
    raw = json.dumps(body).encode()
    return api.client.request(method, path, content=raw, headers={**headers, "Content-Type": "application/json"})


def deep(levels: int) -> dict[str, Any]:
    """``{"a": {"a": ... 1}}`` nested ``levels`` deep."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return dict(value)


def assert_422_naming(resp: Any, field: str) -> None:
    assert resp.status_code == 422, (field, resp.status_code, resp.text)
    assert field in json.dumps(resp.json()["detail"]), resp.json()


def incident_count(api: Api) -> int:
    return len(api.client.get("/api/incidents", headers=api.reviewer).json()["items"])


def test_non_finite_numbers_are_refused_naming_the_field(api: Api) -> None:
    for field in ("lon", "lat", "confidence", "people"):
        for value in (float("nan"), float("inf"), float("-inf")):
            assert_422_naming(post_raw(api, "/api/incidents", incident_body(**{field: value}), api.station), field)
    assert_422_naming(
        post_raw(api, "/api/incidents", incident_body(details={"x": float("nan")}), api.station), "details"
    )
    point = {"drone_id": "d1", "ts": "2026-11-20T08:00:00Z", "lon": 116.39, "lat": 39.9, "alt_m": 40.0}
    for field in ("lon", "alt_m", "heading_deg", "battery_pct"):
        assert_422_naming(post_raw(api, "/api/telemetry", {**point, field: float("inf")}, api.station), field)
    assert incident_count(api) == 0
    assert api.client.get("/api/drones", headers=api.reviewer).json() == []


def test_lone_surrogates_are_refused_everywhere(api: Api) -> None:
    assert_422_naming(post_raw(api, "/api/incidents", incident_body(details={"k": "\ud800"}), api.station), "details")
    assert_422_naming(post_raw(api, "/api/incidents", incident_body(details={"\udfff": 1}), api.station), "details")
    cast = {"id": "b1", "ts": "2026-11-20T08:00:00Z", "kind": "crowd", "language": "en", "text": "hi \ud800"}
    assert_422_naming(post_raw(api, "/api/broadcasts", cast, api.station), "text")
    name = post_raw(api, "/api/drones/d1", {"id": "d1", "name": "\ud83d"}, api.station, method="PUT")
    assert_422_naming(name, "name")
    login = post_raw(api, "/api/auth/login", {"username": "rev", "password": "\ud800" * 12}, {})
    assert_422_naming(login, "password")
    assert incident_count(api) == 0


def test_deep_details_are_refused_and_nothing_is_stored(api: Api) -> None:
    body = incident_body(id="deep-1", details=deep(260))
    assert_422_naming(post_raw(api, "/api/incidents", body, api.station), "details")
    assert incident_count(api) == 0
    assert api.client.get("/api/incidents/deep-1", headers=api.reviewer).status_code == 404
    ok = api.client.post("/api/incidents", json=incident_body(details=deep(6)), headers=api.station)
    assert ok.status_code == 201


def test_timestamps_must_lie_in_a_sane_window(api: Api) -> None:
    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    for ts in (
        "9999-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        ahead,
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
    ):
        assert_422_naming(api.client.post("/api/incidents", json=incident_body(ts=ts), headers=api.station), "ts")
        point = {"drone_id": "d1", "ts": ts, "lon": 116.39, "lat": 39.9, "alt_m": 40.0}
        assert_422_naming(api.client.post("/api/telemetry", json=point, headers=api.station), "ts")
    assert incident_count(api) == 0
    now = datetime.now(UTC).isoformat()
    assert api.client.post("/api/incidents", json=incident_body(ts=now), headers=api.station).status_code == 201
    overflow = {"since": "9999-12-31T23:59:59-05:00"}
    for path in ("/api/incidents", "/api/stats", "/api/exports/incidents.csv"):
        assert api.client.get(path, params=overflow, headers=api.reviewer).status_code == 422, path


def _old_database(tmp_path: Path) -> tuple[str, str]:
    """A SQLite database as version 0001 left it, with rows that version let in; and an admin token."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    deep_text = '{"a": ' * 260 + "1" + "}" * 260
    rows = [
        ("deep", deep_text, 116.39, 0.5),
        ("surrogate", '{"who": "\\ud800 bad", "\\udfff": 2}', 116.39, 0.5),
        ("nan-json", '{"x": NaN, "y": [Infinity]}', 116.39, 0.5),
        ("inf-number", "{}", float("inf"), float("-inf")),
        ("fine", '{"label": "ok"}', 116.39, 0.9),
    ]
    with engine.begin() as conn:
        for i, (iid, details, lon, confidence) in enumerate(rows):
            conn.execute(
                text(
                    "INSERT INTO incidents (id, ts, type, status, station, lon, lat, people, confidence, details, "
                    "created_at) VALUES (:id, :ts, 'no_mask', 'new', 'st-1', :lon, 39.9, 1, :c, :d, :ts)"
                ),
                {"id": iid, "ts": f"2026-11-20 08:0{i}:00.000000", "lon": lon, "c": confidence, "d": details},
            )
    engine.dispose()
    return url, "gpu_" + "t" * 40


def test_an_old_database_with_bad_rows_still_lists_and_exports(tmp_path: Path) -> None:
    url, token = _old_database(tmp_path)
    app = create_app(ApiConfig(data_dir=tmp_path / "data", database_url=url))
    with app.state.services.sessions() as s:
        user = User(username="ann", password_hash="x", role="admin")
        s.add(user)
        s.flush()
        s.add(
            AuthToken(token_hash=sha256_hex(token), user_id=user.id, expires_at=datetime.now(UTC) + timedelta(days=1))
        )
        s.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        listed = client.get("/api/incidents", headers=headers)
        assert listed.status_code == 200, listed.text
        items = {i["id"]: i for i in listed.json()["items"]}
        assert set(items) == {"deep", "surrogate", "nan-json", "inf-number", "fine"}
        assert items["surrogate"]["details"]["who"] == "\ufffd bad"
        assert items["nan-json"]["details"] == {"x": None, "y": [None]}
        assert items["inf-number"]["lon"] is None and items["inf-number"]["confidence"] is None
        assert items["fine"]["details"] == {"label": "ok"}
        for iid in items:
            assert client.get(f"/api/incidents/{iid}", headers=headers).status_code == 200, iid
        table = client.get("/api/exports/incidents.csv", headers=headers)
        assert table.status_code == 200
        assert len(list(csv.reader(io.StringIO(table.text.lstrip("\ufeff"))))) == 1 + 5
        geo = client.get("/api/exports/incidents.geojson", headers=headers)
        assert len(json.loads(geo.text)["features"]) == 4  # inf-number has no usable position
    app.state.engine.dispose()


def test_broadcasts_only_for_known_incidents_of_the_station(api: Api) -> None:
    api.incident(id="own-1")
    cast = {"id": "c1", "ts": "2026-11-20T08:00:00Z", "kind": "crowd", "language": "en", "text": "keep apart"}
    unknown = api.client.post("/api/broadcasts", json={**cast, "incident_id": "nobody"}, headers=api.station)
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
    other = api.client.post("/api/broadcasts", json={**cast, "incident_id": "own-1"}, headers=api.auth("st-2"))
    assert other.status_code == 403
    assert (
        api.client.post("/api/broadcasts", json={**cast, "incident_id": "own-1"}, headers=api.station).status_code
        == 201
    )
    api.client.put("/api/drones/d7", json={"id": "d7", "name": "seven"}, headers=api.station)
    foreign_drone = {**cast, "id": "c2", "drone_id": "d7"}
    assert api.client.post("/api/broadcasts", json=foreign_drone, headers=api.auth("st-2")).status_code == 403
    assert len(api.client.get("/api/broadcasts", headers=api.reviewer).json()) == 1


def test_grids_are_changed_by_admins_only_and_rings_must_close(api: Api) -> None:
    grids = district_grids(json.loads(DISTRICT.read_text(encoding="utf-8")))
    assert api.client.put("/api/grids", json=grids, headers=api.admin).json() == {"grids": 12}
    wipe = {"type": "FeatureCollection", "features": grids["features"][:1]}
    assert api.client.put("/api/grids", json=wipe, headers=api.auth("st-2")).status_code == 403
    open_ring = json.loads(json.dumps(grids["features"][1]))
    open_ring["geometry"]["coordinates"][0].pop()
    resp = api.client.put("/api/grids", json={"type": "FeatureCollection", "features": [open_ring]}, headers=api.admin)
    gid = open_ring["properties"]["id"]
    assert (
        resp.status_code == 422 and f"grid {gid!r}" in resp.json()["detail"] and "not closed" in resp.json()["detail"]
    )
    assert len(api.client.get("/api/grids", headers=api.reviewer).json()["features"]) == 12


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_grids_push_uploads_the_grids_of_a_district_file(live_server: LiveServer) -> None:
    args = ["grids", "push", str(DISTRICT), "--user", "admin", "--url", live_server.url, "--password-stdin"]
    result = CliRunner().invoke(cli_app, args, input="admin-pass-1\n")
    assert result.exit_code == 0, result.output
    assert "stored 12 grids" in result.output
    denied = CliRunner().invoke(cli_app, [*args[:4], "rev", *args[5:]], input="reviewer-pass-1\n")
    assert denied.exit_code == 2 and "403" in denied.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_content_security_policy_and_no_store(api: Api) -> None:
    for path in ("/", "/api/health", "/api/incidents", "/static/app.js"):
        csp = api.client.get(path, headers=api.reviewer).headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
    login = api.client.post("/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"})
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    key = api.client.post("/api/station-keys", json={"station": "st-5"}, headers=api.admin)
    assert key.headers["cache-control"] == "no-store"
    docs = api.client.get("/api/docs").headers["content-security-policy"]
    assert "'sha256-" in docs and "unsafe-inline" not in docs


def test_secret_commands_print_only_the_secret(tmp_path: Path) -> None:
    env = {**os.environ, "GRIDPATROL_API__DATA_DIR": str(tmp_path / "db"), "PYTHONPATH": str(ROOT)}

    def gridpatrol(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "gridpatrol", "admin", *args]
        return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)

    created = gridpatrol("create-station-key", "s1")
    assert created.stdout.startswith("gps_") and created.stdout.count("\n") == 1, created.stdout
    rotated = gridpatrol("rotate-key", "1")
    assert rotated.stdout.startswith("gps_") and rotated.stdout.count("\n") == 1, rotated.stdout
    assert rotated.stdout != created.stdout and "revoked key 1" in rotated.stderr
