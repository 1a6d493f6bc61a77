"""Plan and launch from the console, without a browser (FastAPI's TestClient) against a real station that has not
taken off: the choices, a preview with the planner's real routes, and every bad input refused with a message while
nothing flies. The launch itself, with drones that take off, is in test_browser_launch.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from console_browser import api_login
from console_kit import accounts_with_users, patrol
from fastapi.testclient import TestClient

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.app import create_console_app
from gridpatrol.console.config import ConsoleConfig

BASE = "http://testserver"
PLAN = {"grids": ["1", "4"], "drones": ["drone-1", "drone-2"], "pattern": "perimeter", "alt_m": 40}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Accounts, TestClient]]:
    out = tmp_path_factory.mktemp("console-launch")
    with patrol(out, fly=False) as (station, _):
        accounts = accounts_with_users(out / "console.db")
        yield station, accounts, TestClient(create_console_app(station, ConsoleConfig(), accounts), base_url=BASE)
        accounts.close()


def login(client: TestClient, user: str) -> dict[str, str]:
    return api_login(client, user, BASE)


def test_choices_list_the_districts_grids_and_the_stations_drones(setup: tuple[Any, Accounts, TestClient]) -> None:
    _, _, client = setup
    login(client, "obs")
    c = client.get("/api/launch").json()
    assert c["launched"] is False
    assert {"1", "4"} <= {g["id"] for g in c["grids"]}
    assert c["drones"] == ["drone-1", "drone-2"]
    assert c["patterns"] == ["coverage", "streets", "hotspots", "perimeter"]
    assert c["selected"] == {"grids": ["1", "4"], "drones": ["drone-1", "drone-2"]}


def test_preview_shows_each_drones_route_length_time_and_battery(setup: tuple[Any, Accounts, TestClient]) -> None:
    station, _, client = setup
    headers = login(client, "op")
    r = client.post("/api/plan", json=PLAN, headers=headers)
    assert r.status_code == 200, r.text
    p = r.json()
    routes = p["routes"]["features"]
    assert {f["properties"]["drone"] for f in routes} == {"drone-1", "drone-2"}
    assert all(f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) > 3 for f in routes)
    assert [d["drone"] for d in p["drones"]] == ["drone-1", "drone-2"]
    for d in p["drones"]:
        s = d["sorties"][0]
        assert s["length_m"] > 100 and s["duration_min"] > 0 and 0 < s["energy_pct"] <= 100, d
    assert p["length_m"] == pytest.approx(sum(s["length_m"] for d in p["drones"] for s in d["sorties"]), abs=2)
    assert p["alt_m"] == 40 and set(p["coverage_pct"]) == {"1", "4"}
    one = client.post("/api/plan", json={**PLAN, "drones": ["drone-2"]}, headers=headers).json()
    assert [d["drone"] for d in one["drones"]] == ["drone-2"]
    assert not station.started_wall and list(station.rigs) == ["drone-1", "drone-2"], "a preview flies nothing"


def test_bad_plans_are_refused_with_the_fix_and_nothing_flies(setup: tuple[Any, Accounts, TestClient]) -> None:
    station, accounts, client = setup
    obs = login(client, "obs")
    assert client.post("/api/plan", json=PLAN, headers=obs).status_code == 403
    assert client.post("/api/launch", json={**PLAN, "confirm": True}, headers=obs).status_code == 403
    headers = login(client, "op")
    assert client.post("/api/launch", json={**PLAN, "confirm": True}, headers={"Origin": BASE}).status_code == 403
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/api/plan", {**PLAN, "grids": ["99"]}, 404, "no grid '99'; the grids are"),
        ("/api/plan", {**PLAN, "drones": ["drone-9"]}, 404, "no drone 'drone-9'; the drones are drone-1, drone-2"),
        ("/api/plan", {**PLAN, "pattern": "zigzag"}, 422, "no pattern 'zigzag'; use one of coverage"),
        ("/api/plan", {**PLAN, "alt_m": 500}, 422, "alt_m"),
        ("/api/plan", {**PLAN, "alt_m": float("nan")}, 422, ""),
        ("/api/plan", {**PLAN, "grids": []}, 422, "grids"),
        ("/api/plan", {**PLAN, "colour": "red"}, 422, "colour"),
        ("/api/launch", PLAN, 428, "launching needs confirmation"),
        ("/api/launch", {**PLAN, "grids": ["<script>"], "confirm": True}, 404, "no grid '<script>'"),
    ]
    for path, body, code, words in cases:
        r = client.post(path, content=_json(body), headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == code, (path, body, r.text)
        assert words in str(r.json()["detail"]), (words, r.json())
    assert not station.started_wall and list(station.rigs) == ["drone-1", "drone-2"]
    refused = [e for e in accounts.audit_log() if e.action == "launch" and e.outcome.startswith("refused")]
    assert len(refused) >= 3  # the observer's, the unconfirmed one, the unknown grid


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body)  # NaN goes out as the bare token a hostile client could send
