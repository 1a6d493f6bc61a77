"""The console's API without a browser (FastAPI's TestClient) against a real station that has not taken off:
logins and roles, the cookie, CSRF and origin checks, and bad input that is refused with a message and changes
nothing. The flying station is in test_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_browser import api_login
from console_kit import PASSWORDS, accounts_with_users, patrol
from fastapi.testclient import TestClient

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.app import COOKIE, create_console_app
from gridpatrol.console.config import ConsoleConfig
from mission_planner.district_io import load_district

BASE = "http://testserver"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Accounts, TestClient]]:
    out = tmp_path_factory.mktemp("console-api")
    with patrol(out, fly=False) as (station, _):
        accounts = accounts_with_users(out / "console.db")
        app = create_console_app(station, ConsoleConfig(max_text_chars=50), accounts)
        yield station, accounts, TestClient(app, base_url=BASE)
        accounts.close()


def login(client: TestClient, user: str) -> dict[str, str]:
    """Log ``user`` in on ``client``; returns the headers a state-changing request of the page carries."""
    return api_login(client, user, BASE)


def test_nothing_without_login(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    client.cookies.clear()
    for path in ("/api/me", "/api/district", "/api/drones", "/api/incidents", "/api/events", "/api/audit"):
        assert client.get(path).status_code == 401, path
    r = client.post("/api/drones/drone-1/pause", json={}, headers={"Origin": BASE})
    assert r.status_code == 401
    assert client.get("/api/health").json() == {"status": "ok"}


def test_login_cookie_is_httponly_samesite_and_wrong_password_fails(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    client.cookies.clear()
    bad = client.post("/api/login", json={"username": "op", "password": "not it at all 123"})
    assert bad.status_code == 401 and "wrong user name or password" in bad.json()["detail"]
    nobody = client.post("/api/login", json={"username": "nobody", "password": "not it at all 123"})
    assert nobody.status_code == 401 and nobody.json()["detail"] == bad.json()["detail"]
    r = client.post("/api/login", json={"username": "op", "password": PASSWORDS["op"]})
    assert r.status_code == 200 and r.json()["role"] == "operator"
    cookie = r.headers["set-cookie"].lower()
    assert f"{COOKIE}=gpc_" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert r.json()["csrf"] not in r.headers["set-cookie"]
    me = client.get("/api/me").json()
    assert me["username"] == "op" and me["can_command"] is True


def test_page_and_api_carry_a_strict_csp(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in page.text and " on" not in page.text.split("<body>")[1].replace(" only", "")
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/api/health").headers["cache-control"] == "no-store"


def test_state_changes_need_the_csrf_token_and_our_origin(setup: tuple[Any, Accounts, TestClient]) -> None:
    station, _, client = setup
    headers = login(client, "op")
    no_token = client.post("/api/drones/drone-1/speak", json={"text": "hello"}, headers={"Origin": BASE})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    wrong = client.post("/api/drones/drone-1/speak", json={"text": "hello"}, headers={**headers, "X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    other_site = {**headers, "Origin": "http://127.0.0.1:8321"}  # the incident log: same site, other origin
    assert client.post("/api/drones/drone-1/speak", json={"text": "hi"}, headers=other_site).status_code == 403
    login_from_elsewhere = client.post(
        "/api/login", json={"username": "op", "password": PASSWORDS["op"]}, headers={"Origin": "http://evil.example"}
    )
    assert login_from_elsewhere.status_code == 403
    assert client.get("/api/drones/drone-1/pause").status_code == 405  # no state change on GET
    assert not station.broadcasts


def test_observer_sees_but_cannot_command(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, accounts, client = setup
    headers = login(client, "obs")
    assert client.get("/api/me").json()["can_command"] is False
    drones = client.get("/api/drones").json()["drones"]
    assert [d["id"] for d in drones] == ["drone-1", "drone-2"]
    for action, body in (("pause", {}), ("speak", {"text": "hello"}), ("return-home", {"confirm": True})):
        r = client.post(f"/api/drones/drone-1/{action}", json=body, headers=headers)
        assert r.status_code == 403 and "observer" in r.json()["detail"], (action, r.text)
    assert client.get("/api/audit").status_code == 403
    assert any(e.actor == "obs" and e.outcome.startswith("refused") for e in accounts.audit_log())


def test_bad_input_is_refused_with_a_message_and_changes_nothing(setup: tuple[Any, Accounts, TestClient]) -> None:
    station, accounts, client = setup
    headers = login(client, "op")
    district = load_district(station.run.district)
    zone = district.nofly[0]
    inside = zone.geometry.representative_point()
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("drone-9", "pause", {}, 404, "no drone 'drone-9'; the drones are drone-1, drone-2"),
        ("drone-1", "skip-grid", {"grid": "99", "confirm": True}, 404, "no grid '99'"),
        ("drone-1", "speak", {"text": "x" * 51}, 422, "the text has 51 characters; at most 50"),
        ("drone-1", "speak", {"text": "   "}, 422, "nothing to say"),
        ("drone-1", "speak", {"phrase": "sing"}, 404, "no phrase 'sing'"),
        ("drone-1", "speak", {"text": "hi", "lang": "fr"}, 422, "no voice for language 'fr'"),
        ("drone-1", "goto", {"lat": 0.0, "lon": 0.0, "confirm": True}, 422, "outside the fence"),
        ("drone-1", "goto", {"lat": inside.y, "lon": inside.x, "confirm": True}, 422, "inside the no-fly zone"),
        ("drone-1", "goto", {"lat": 91.0, "lon": 0.0, "confirm": True}, 422, "latitude and a longitude"),
        ("drone-1", "goto", {"lat": inside.y, "lon": inside.x}, 428, "needs confirmation"),
        ("drone-1", "return-home", {}, 428, "needs confirmation"),
        ("drone-1", "pause", {}, 409, "not connected yet"),
        ("drone-1", "land", {"confirm": True}, 409, "not connected yet"),
        ("drone-1", "land", {}, 428, "needs confirmation"),
        ("drone-1", "investigate", {"incident": "nope", "confirm": True}, 404, "no incident 'nope'"),
        ("drone-1", "dance", {}, 404, "no action 'dance'"),
    ]
    for drone, action, body, code, words in cases:
        r = client.post(f"/api/drones/{drone}/{action}", json=body, headers=headers)
        assert r.status_code == code, (action, body, r.text)
        assert words in r.json()["detail"], (action, r.json())
    assert client.post("/api/drones/drone-1/speak", json={"volume": 11}, headers=headers).status_code == 422
    huge = client.post("/api/drones/drone-1/speak", json={"text": "x" * 20_000}, headers=headers)
    assert huge.status_code == 413, huge.text
    assert not station.broadcasts
    assert all(not rig.skips.skipped for rig in station.rigs.values())
    assert all(rig.flight.status.phase == station.rigs["drone-2"].flight.status.phase for rig in station.rigs.values())
    refusals = [e for e in accounts.audit_log() if e.actor == "op" and e.outcome.startswith("refused")]
    assert len(refusals) >= len(cases) - 1  # every case but 'dance' names a known action; all are logged
    assert {"goto", "skip-grid", "speak", "pause"} <= {e.action for e in refusals}


def test_disabled_account_and_logout_fail_at_once(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, accounts, client = setup
    headers = login(client, "op")
    assert client.get("/api/me").status_code == 200
    accounts.set_disabled("op", True, actor="test")
    assert client.get("/api/me").status_code == 401
    refused = client.post("/api/login", json={"username": "op", "password": PASSWORDS["op"]})
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    accounts.set_disabled("op", False, actor="test")
    headers = login(client, "op")
    assert client.post("/api/logout", json={}, headers=headers).status_code == 200
    assert client.get("/api/me").status_code == 401


def test_district_lists_fence_grids_zones_and_launch_sites(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    login(client, "obs")
    kinds = {f["properties"]["kind"] for f in client.get("/api/district").json()["features"]}
    assert kinds == {"fence", "grid", "nofly", "launch"}


def test_accounts_refuse_weak_passwords_and_bad_roles(tmp_path: Path) -> None:
    from gridpatrol.console.accounts import AccountError

    accounts = Accounts(tmp_path / "c.db")
    with pytest.raises(AccountError, match="at least 12 characters"):
        accounts.add("ann", "short", "operator")
    with pytest.raises(AccountError, match="operator or observer"):
        accounts.add("ann", PASSWORDS["op"], "admin", check_policy=False)
    with pytest.raises(AccountError, match="user name"):
        accounts.add("<b>", PASSWORDS["op"], "operator", check_policy=False)
    accounts.add("ann", PASSWORDS["op"], "operator", check_policy=False)
    with pytest.raises(AccountError, match="already exists"):
        accounts.add("ann", PASSWORDS["op"], "observer", check_policy=False)
    stored = accounts._db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORDS["op"] not in stored
    accounts.close()


def test_a_silent_video_analysis_is_said_per_drone(setup: tuple[Any, Accounts, TestClient]) -> None:
    """The events thread keeps ``stream_state`` and ``frame_walls`` of each rig; a drone whose analysis stopped
    delivering frames is reported with how long it has been silent, the other one not."""
    import time

    station, _, client = setup
    login(client, "obs")
    rig = station.rigs["drone-2"]
    state, walls = rig.stream_state, list(rig.frame_walls)
    try:
        rig.stream_state = "analysing"
        rig.frame_walls.append(time.time() - 30.0)
        client.app.state.watch.sample()  # type: ignore[attr-defined]
        views = {d["id"]: d for d in client.get("/api/drones").json()["drones"]}
        assert views["drone-2"]["video_problem"].startswith("no analysed frame for 3")
        assert views["drone-1"]["video_problem"] is None
    finally:
        rig.stream_state = state
        rig.frame_walls.clear()
        rig.frame_walls.extend(walls)


def test_incidents_list_their_snapshots_and_colour_their_grids(setup: tuple[Any, Accounts, TestClient]) -> None:
    """Incidents as the station keeps them (what its events thread appends): listed newest first with a snapshot
    link, the image served as JPEG, and the grid coloured by its count at ``[api] grid_colour_thresholds``."""
    from datetime import UTC, datetime

    from gridpatrol.station.rig import IncidentRecord
    from vision.incidents import Sighting, encode_jpeg

    station, _, client = setup
    login(client, "obs")
    import numpy as np

    jpeg = encode_jpeg(np.zeros((48, 64, 3), dtype=np.uint8))
    found = [
        Sighting(type="crowd", ts=datetime.now(UTC), confidence=0.9, people=6, grid_id="1", snapshot=jpeg),
        Sighting(type="no_mask", ts=datetime.now(UTC), confidence=0.8, people=1, grid_id="1"),
        Sighting(type="no_mask", ts=datetime.now(UTC), confidence=0.8, people=1, grid_id="1"),
    ]
    try:
        station.incidents.extend(IncidentRecord(s, "drone-1") for s in found)
        listed = client.get("/api/incidents").json()["incidents"]
        assert [i["id"] for i in listed] == [s.id for s in reversed(found)]
        assert [i["snapshot"] for i in listed] == [False, False, True] and listed[2]["people"] == 6
        assert (listed[2]["grid_id"], listed[2]["ts"]) == ("1", found[0].wire()["ts"])  # the contract's names
        image = client.get(f"/api/incidents/{found[0].id}/snapshot")
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.content == jpeg
        assert client.get(f"/api/incidents/{found[1].id}/snapshot").status_code == 404
        client.app.state.watch.sample()  # type: ignore[attr-defined]
        assert client.get("/api/drones").json()["grids"] == {"1": {"count": 3, "colour": "yellow"}}
    finally:
        del station.incidents[-len(found) :]
    client.cookies.clear()
    assert client.get(f"/api/incidents/{found[0].id}/snapshot").status_code == 401


def test_push_to_talk_refuses_what_cannot_be_played_and_plays_nothing(setup: tuple[Any, Accounts, TestClient]) -> None:
    import io
    import wave

    station, accounts, client = setup

    def wav(seconds: float, level: int = 3000) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(
                b"".join(
                    (level * (1 - 2 * (i // 20 % 2))).to_bytes(2, "little", signed=True)
                    for i in range(int(16000 * seconds))
                )
            )
        return buf.getvalue()

    def talk(drone: str, body: bytes, headers: dict[str, str], kind: str = "audio/wav", q: str = "") -> Any:
        return client.post(f"/api/talk/{drone}{q}", content=body, headers={**headers, "Content-Type": kind})

    obs = login(client, "obs")
    assert talk("drone-1", wav(1.0), obs).status_code == 403
    headers = login(client, "op")
    assert talk("drone-1", wav(1.0), {"Origin": BASE}).status_code == 403  # no CSRF token
    cases: list[tuple[str, bytes, str, str, int, str]] = [
        ("drone-9", wav(1.0), "audio/wav", "", 404, "no drone 'drone-9'"),
        ("drone-1", b"<script>alert(1)</script>", "audio/wav", "", 422, "not a WAV file"),
        ("drone-1", wav(1.0, level=0), "audio/wav", "", 422, "silent"),
        ("drone-1", wav(0.1), "audio/wav", "", 422, "hold the talk button"),
        ("drone-1", wav(1.0), "audio/wav", "?lang=fr", 422, "no language 'fr'"),
        ("drone-1", wav(1.0), "text/plain", "", 415, "audio/wav"),
        ("drone-1", b"\0" * 6_000_000, "audio/wav", "", 413, "larger than"),
    ]
    for drone, body, kind, q, code, words in cases:
        r = talk(drone, body, headers, kind, q)
        assert r.status_code == code, (drone, words, r.text)
        assert words in r.json()["detail"], (words, r.json())
    assert not station.broadcasts and not any(r.speaker.pending() for r in station.rigs.values())
    refused = [e for e in accounts.audit_log() if e.action == "talk" and e.outcome.startswith("refused")]
    assert len(refused) >= 5


def test_answers_come_in_the_language_the_page_asks_for(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    headers = {**login(client, "op"), "X-Console-Lang": "zh"}
    r = client.post("/api/drones/drone-9/pause", json={}, headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == "没有无人机 'drone-9'；现有无人机：drone-1, drone-2"
    r = client.post("/api/drones/drone-1/goto", json={"lat": 0.0, "lon": 0.0, "confirm": True}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"].startswith("飞往被拒绝：该点（0.000000, 0.000000）在电子围栏外")
    r = client.post("/api/drones/drone-1/land", json={}, headers=headers)
    assert r.status_code == 428 and r.json()["detail"] == "drone-1 的 land 操作需要确认"
    r = client.post("/api/drones/drone-1/speak", json={"text": "请戴口罩"}, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "drone-1 将喊话：请戴口罩"
    assert int(r.headers["content-length"]) == len(r.content)
    english = client.post("/api/drones/drone-9/pause", json={}, headers={**headers, "X-Console-Lang": "en"})
    assert english.json()["detail"].startswith("no drone 'drone-9'")
