"""Accounts and keys (issue 14): revoke and rotate keys, disable and reset users, the audit log, deleting and
redacting incidents, token expiry, login limits, trusted proxies, and live streams that end with their login."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testkit import SECRETS, Api, LiveServer, jpeg, start_server, stop_server
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import accounts
from api.clock import ManualClock
from api.config import ApiConfig
from api.main import create_app
from gridpatrol.cli import app as cli_app

STRONG = "violet-harbour-lantern-42"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def key_id(api: Api, station: str) -> int:
    keys = api.client.get("/api/station-keys", headers=api.admin).json()
    return int(next(k["id"] for k in keys if k["station"] == station and not k["revoked"]))


def audit_actions(api: Api) -> list[str]:
    return [e["action"] for e in api.client.get("/api/audit", headers=api.admin).json()]


def test_admin_lists_revokes_and_rotates_station_keys(api: Api) -> None:
    assert api.client.get("/api/station-keys", headers=api.reviewer).status_code == 403
    assert api.client.get("/api/station-keys", headers=api.station).status_code == 403
    listed = api.client.get("/api/station-keys", headers=api.admin).json()
    assert {k["station"] for k in listed} >= {"st-1", "st-2"} and all("api_key" not in k for k in listed)
    revoked = api.client.post(f"/api/station-keys/{key_id(api, 'st-1')}/revoke", headers=api.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert api.client.get("/api/incidents", headers=api.station).status_code == 401
    old = key_id(api, "st-2")
    rotated = api.client.post(f"/api/station-keys/{old}/rotate", headers=api.admin)
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    new_key = rotated.json()["api_key"]
    assert api.client.get("/api/incidents", headers=api.auth("st-2")).status_code == 401
    drone = api.client.put("/api/drones/d2", json={"id": "d2", "name": "two"}, headers=bearer(new_key))
    assert drone.status_code == 200 and drone.json()["station"] == "st-2"
    assert api.client.post(f"/api/station-keys/{old}/rotate", headers=api.admin).status_code == 409
    assert api.client.post("/api/station-keys/9999/revoke", headers=api.admin).status_code == 404
    assert audit_actions(api)[:2] == ["rotate-station-key", "revoke-station-key"]


def test_admin_lists_disables_and_resets_users(api: Api) -> None:
    users = api.client.get("/api/users", headers=api.admin).json()
    assert {(u["username"], u["role"], u["disabled"]) for u in users} == {
        ("admin", "admin", False),
        ("rev", "reviewer", False),
    }
    assert api.client.get("/api/users", headers=api.reviewer).status_code == 403
    assert api.client.get("/api/audit", headers=api.reviewer).status_code == 403
    assert api.client.post("/api/users/rev/disable", headers=api.admin).json()["disabled"] is True
    assert api.client.get("/api/incidents", headers=api.reviewer).status_code == 401
    login = api.client.post("/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"})
    assert login.status_code == 403 and "disabled" in login.json()["detail"]
    assert api.client.post("/api/users/admin/disable", headers=api.admin).status_code == 409
    assert api.client.post("/api/users/rev/enable", headers=api.admin).status_code == 200
    weak = api.client.post("/api/users/rev/password", json={"password": "password"}, headers=api.admin)
    assert weak.status_code == 422 and "12 characters" in json.dumps(weak.json())
    assert api.client.post("/api/users/rev/password", json={"password": STRONG}, headers=api.admin).status_code == 200
    assert (
        api.client.post("/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"}).status_code == 401
    )
    assert api.client.post("/api/auth/login", json={"username": "rev", "password": STRONG}).status_code == 200
    assert api.client.post("/api/users/nobody/disable", headers=api.admin).status_code == 404
    events = api.client.get("/api/audit", headers=api.admin).json()
    assert [e["action"] for e in events] == ["reset-password", "enable-user", "disable-user"]
    assert {e["actor"] for e in events} == {"admin admin"} and events[0]["target"] == "rev"


def test_password_policy_gives_a_reason(api: Api) -> None:
    for password, reason in (("password", "at least 12 characters"), ("aaaaaaaaaaaaaaaa", "too easy to guess")):
        user = {"username": "dan", "password": password, "role": "reviewer"}
        resp = api.client.post("/api/users", json=user, headers=api.admin)
        assert resp.status_code == 422 and reason in json.dumps(resp.json()), resp.json()
    made = api.client.post("/api/users", json={"username": "dan", "password": STRONG}, headers=api.admin)
    assert made.status_code == 201 and audit_actions(api) == ["create-user"]


def test_admin_deletes_and_redacts_incidents(api: Api, config: ApiConfig) -> None:
    image = api.client.post("/api/snapshots", files={"file": ("a.jpg", jpeg(64, 48, seed=1))}, headers=api.station)
    sha = image.json()["sha256"]
    api.incident(id="bystander", snapshot_sha=sha, details={"label": "face"})
    api.incident(id="gone")
    redact = {"remove": ["snapshot", "details"], "reason": "a bystander asked"}
    assert api.client.post("/api/incidents/bystander/redact", json=redact, headers=api.reviewer).status_code == 403
    done = api.client.post("/api/incidents/bystander/redact", json=redact, headers=api.admin)
    assert done.status_code == 200 and done.json()["snapshot_sha"] is None and done.json()["details"] == {}
    assert api.client.get(f"/api/snapshots/{sha}", headers=api.reviewer).status_code == 404
    assert not list((config.data_dir / "snapshots").rglob(f"{sha}*"))
    assert api.client.delete("/api/incidents/gone", headers=api.station).status_code == 403
    assert api.client.delete("/api/incidents/gone", headers=api.admin).status_code == 204
    assert api.client.get("/api/incidents/gone", headers=api.reviewer).status_code == 404
    events = api.client.get("/api/audit", headers=api.admin).json()
    assert [e["action"] for e in events] == ["delete-incident", "redact-incident"]
    assert "a bystander asked" in events[1]["detail"]


@pytest.fixture
def clocked(config: ApiConfig) -> Iterator[tuple[FastAPI, ManualClock]]:
    """The app on a manual clock, trusting one proxy (10.0.0.9)."""
    clock = ManualClock()
    app = create_app(config.model_copy(update={"trusted_proxies": ["10.0.0.9"]}), clock=clock)
    yield app, clock
    app.state.engine.dispose()


def client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def login(client: TestClient, user: str, password: str, **headers: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"username": user, "password": password}, headers=headers)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_tokens_expire(clocked: tuple[FastAPI, ManualClock], config: ApiConfig) -> None:
    app, clock = clocked
    client = client_at(app, "10.1.1.1")
    token = login(client, "rev", "reviewer-pass-1").json()["access_token"]
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(config.token_ttl_min * 60 + 1)
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_login_delays_grow_per_user_and_address_and_spare_the_owner(clocked: tuple[FastAPI, ManualClock]) -> None:
    app, clock = clocked
    attacker, owner = client_at(app, "10.6.6.6"), client_at(app, "10.2.2.2")
    for _ in range(3):  # config.login_max_failures
        assert login(attacker, "rev", "guess-guess").status_code == 401
    blocked = login(attacker, "rev", "reviewer-pass-1")
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "2"  # 1 s, rounded up
    assert login(owner, "rev", "reviewer-pass-1").status_code == 200
    clock.advance(1.1)
    assert login(attacker, "rev", "guess-again").status_code == 401
    assert login(attacker, "rev", "guess-more").headers["retry-after"] == "3"  # now 2 s
    clock.advance(2.1)
    assert login(attacker, "rev", "reviewer-pass-1").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_one_address_trying_many_names_is_limited(clocked: tuple[FastAPI, ManualClock]) -> None:
    app, _ = clocked
    sprayer = client_at(app, "10.7.7.7")
    codes = [login(sprayer, f"user{i}", "Password123!").status_code for i in range(30)]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    assert login(client_at(app, "10.3.3.3"), "rev", "reviewer-pass-1").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_forwarded_for_is_believed_only_from_trusted_proxies(clocked: tuple[FastAPI, ManualClock]) -> None:
    app, _ = clocked
    direct = client_at(app, "10.8.8.8")
    for i in range(3):
        login(direct, "rev", "wrong-wrong", **{"X-Forwarded-For": f"192.0.2.{i}"})
    assert login(direct, "rev", "reviewer-pass-1", **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429
    proxy = client_at(app, "10.0.0.9")
    for _ in range(3):
        login(proxy, "rev", "wrong-wrong", **{"X-Forwarded-For": "198.51.100.1"})
    assert login(proxy, "rev", "reviewer-pass-1", **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    spoofed = {"X-Forwarded-For": "198.51.100.1, 198.51.100.2"}  # the proxy appended the real client last
    assert login(proxy, "rev", "reviewer-pass-1", **spoofed).status_code == 200


def read_until_end(url: str, secret: str, out: list[str], ready: threading.Event) -> None:
    """Read /api/live until the server ends the stream; collect event names."""
    with httpx.stream("GET", url + "/api/live", headers=bearer(secret), timeout=30) as resp:
        for line in resp.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                out.append(line[7:])


def open_stream(url: str, secret: str) -> tuple[threading.Thread, list[str]]:
    events: list[str] = []
    ready = threading.Event()
    reader = threading.Thread(target=read_until_end, args=(url, secret, events, ready), daemon=True)
    reader.start()
    assert ready.wait(15)
    return reader, events


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_live_streams_end_on_logout_revocation_and_disabling(live_server: LiveServer) -> None:
    url = live_server.url
    token = httpx.post(url + "/api/auth/login", json={"username": "rev", "password": "reviewer-pass-1"}).json()
    reader, events = open_stream(url, token["access_token"])
    assert httpx.post(url + "/api/auth/logout", headers=bearer(token["access_token"])).status_code == 204
    reader.join(15)
    assert not reader.is_alive() and events == ["end"]
    station_reader, station_events = open_stream(url, SECRETS.keys["st-1"])
    admin = bearer(SECRETS.tokens["admin"])
    keys = httpx.get(url + "/api/station-keys", headers=admin).json()
    st1 = next(k["id"] for k in keys if k["station"] == "st-1")
    assert httpx.post(f"{url}/api/station-keys/{st1}/revoke", headers=admin).status_code == 200
    station_reader.join(15)
    assert not station_reader.is_alive() and station_events == ["end"]
    rev_reader, rev_events = open_stream(url, SECRETS.tokens["rev"])
    assert httpx.post(url + "/api/users/rev/disable", headers=admin).status_code == 200
    rev_reader.join(15)
    assert not rev_reader.is_alive() and rev_events == ["end"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_revocation_from_another_process_ends_the_stream_too(config: ApiConfig) -> None:
    live = start_server(create_app(config.model_copy(update={"live_check_s": 0.2})))
    try:
        reader, events = open_stream(live.url, SECRETS.keys["st-2"])
        with live.app.state.services.sessions() as s:  # as `gridpatrol admin revoke-key` does: no hub
            key = next(k for k in accounts.list_station_keys(s) if k.station == "st-2")
            accounts.revoke_station_key(s, key.id, "cli test")
        reader.join(15)
        assert not reader.is_alive() and events == ["end"]
    finally:
        stop_server(live)
        live.app.state.engine.dispose()


def test_list_keys_prints_only_its_rows_while_another_thread_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standard output is the command's answer, standard error its log. In a loaded test run a link left from an
    earlier test logged "nothing received for 10 s; reopening the connection" into the middle of ``list-keys``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDPATROL_API__DATA_DIR", str(tmp_path / "db"))
    runner = CliRunner()
    assert runner.invoke(cli_app, ["admin", "create-station-key", "s1"]).exit_code == 0
    stop = threading.Event()

    def chatter() -> None:  # as flight.link's receive thread does when its vehicle falls silent
        while not stop.is_set():
            logging.getLogger("flight.link").warning("tcp:127.0.0.1:9: nothing received for 10 s; reopening")
            time.sleep(0.001)

    thread = threading.Thread(target=chatter, daemon=True)
    thread.start()
    try:
        listed = runner.invoke(cli_app, ["admin", "list-keys"])
    finally:
        stop.set()
        thread.join()
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["id", "station"], ["1", "s1"]], lines
    assert "nothing received" in listed.stderr  # the log still went somewhere: the terminal's standard error


def test_admin_commands_for_keys_and_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDPATROL_API__DATA_DIR", str(tmp_path / "db"))
    runner = CliRunner()
    assert (
        runner.invoke(cli_app, ["admin", "create-user", "ann", "--password-stdin"], input=STRONG + "\n").exit_code == 0
    )
    first = runner.invoke(cli_app, ["admin", "create-station-key", "s1"]).stdout.strip()
    listed = runner.invoke(cli_app, ["admin", "list-keys"])
    assert listed.exit_code == 0 and "1\ts1\t" in listed.stdout and first not in listed.stdout
    assert runner.invoke(cli_app, ["admin", "revoke-key", "1"]).exit_code == 0
    row = runner.invoke(cli_app, ["admin", "list-keys"]).stdout.splitlines()[1].split("\t")
    assert row[:2] == ["1", "s1"] and row[3] != "-"
    assert runner.invoke(cli_app, ["admin", "rotate-key", "1"]).exit_code == 2  # revoked keys are not rotated
    assert runner.invoke(cli_app, ["admin", "revoke-key", "7"]).exit_code == 2
    assert runner.invoke(cli_app, ["admin", "disable-user", "ann"]).exit_code == 0
    assert "ann\treviewer\tyes" in runner.invoke(cli_app, ["admin", "list-users"]).stdout
    weak = runner.invoke(cli_app, ["admin", "reset-password", "ann", "--password-stdin"], input="password\n")
    assert weak.exit_code == 2 and "12 characters" in weak.output
    reset = runner.invoke(cli_app, ["admin", "reset-password", "ann", "--password-stdin"], input=STRONG + "x\n")
    assert reset.exit_code == 0
    from gridpatrol.cli.api_common import api_config, sessions

    with sessions(api_config())() as s:
        actions = [e.action for e in accounts.list_audit(s)]
    assert actions == ["reset-password", "disable-user", "revoke-station-key", "create-station-key", "create-user"]
