"""Drones and telemetry, missions and tracks, grids and colours, broadcasts, statistics and exports."""

from __future__ import annotations

import csv
import io
import json

from api_testkit import Api


def test_telemetry_updates_drone_and_track(api: Api) -> None:
    for i in range(3):
        point = {
            "drone_id": "d1",
            "ts": f"2026-11-20T08:00:0{i}Z",
            "lon": 116.39 + i * 0.001,
            "lat": 39.90,
            "alt_m": 40.0,
            "mission_id": "m1",
            "battery_pct": 90 - i,
            "mode": "AUTO",
        }
        assert api.client.post("/api/telemetry", json=point, headers=api.station).status_code == 201
    late = {"drone_id": "d1", "ts": "2026-11-20T07:59:00Z", "lon": 116.0, "lat": 39.0, "alt_m": 10}
    api.client.post("/api/telemetry", json=late, headers=api.station)
    drones = api.client.get("/api/drones", headers=api.reviewer).json()
    assert [(d["id"], d["last_lon"], d["battery_pct"], d["mode"]) for d in drones] == [("d1", 116.392, 88.0, "AUTO")]
    track = api.client.get("/api/drones/d1/track", headers=api.reviewer).json()
    assert [p["lon"] for p in track] == [116.0, 116.39, 116.391, 116.392]
    assert api.client.get("/api/drones/zz/track", headers=api.reviewer).status_code == 404
    taken = {"drone_id": "d1", "ts": "2026-11-20T08:00:09Z", "lon": 116.0, "lat": 39.0, "alt_m": 10}
    assert api.client.post("/api/telemetry", json=taken, headers=api.auth("st-2")).status_code == 409


def test_missions_status_and_flown_track(api: Api) -> None:
    plan = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[116.39, 39.90], [116.40, 39.90]]},
            }
        ],
    }
    body = {"id": "m1", "name": "西网格巡逻", "drone_id": "d1", "plan": plan}
    assert api.client.post("/api/missions", json=body, headers=api.station).status_code == 201
    assert api.client.post("/api/missions", json=body, headers=api.station).status_code == 200
    bad = api.client.post("/api/missions", json={**body, "id": "m2", "plan": {"type": "Point"}}, headers=api.station)
    assert bad.status_code == 422 and "FeatureCollection" in bad.json()["detail"]
    patched = api.client.patch("/api/missions/m1", json={"status": "flying"}, headers=api.station)
    assert patched.json()["status"] == "flying"
    for i in range(2):
        point = {
            "drone_id": "d1",
            "mission_id": "m1",
            "ts": f"2026-11-20T08:00:0{i}Z",
            "lon": 116.39 + i / 100,
        }
        api.client.post("/api/telemetry", json={**point, "lat": 39.9, "alt_m": 40}, headers=api.station)
    track = api.client.get("/api/missions/m1/track", headers=api.reviewer).json()
    assert track["geometry"]["coordinates"] == [[116.39, 39.9, 40.0], [116.4, 39.9, 40.0]]
    assert [m["id"] for m in api.client.get("/api/missions", headers=api.reviewer).json()] == ["m1"]
    assert api.client.get("/api/missions/nope", headers=api.reviewer).status_code == 404


def test_grids_colour_by_open_incidents(api: Api) -> None:
    api.put_grids()
    for i in range(3):
        api.incident(id=f"w{i}", lon=116.395, lat=39.905)
    api.incident(id="e0", lon=116.405, lat=39.905)
    api.client.patch("/api/incidents/e0", json={"status": "dismissed"}, headers=api.reviewer)
    fc = api.client.get("/api/grids", headers=api.reviewer).json()
    props = {f["id"]: f["properties"] for f in fc["features"]}
    assert (props["g-west"]["open_incidents"], props["g-west"]["colour"]) == (3, "yellow")
    assert (props["g-east"]["open_incidents"], props["g-east"]["colour"]) == (0, "white")
    assert props["g-west"]["name"] == "西网格"
    # 0.01 x 0.01 degrees at 39.9 N is about 853 m x 1112 m
    assert 0.93e6 < props["g-west"]["area_m2"] < 0.97e6


def test_broadcast_log(api: Api) -> None:
    for i, lang in enumerate(("zh", "en")):
        cast = {"id": f"b{i}", "ts": f"2026-11-20T08:0{i}:00Z", "drone_id": "d1", "kind": "crowd"}
        assert (
            api.client.post(
                "/api/broadcasts", json={**cast, "language": lang, "text": "请散开"}, headers=api.station
            ).status_code
            == 201
        )
    listed = api.client.get("/api/broadcasts", params={"drone_id": "d1"}, headers=api.reviewer).json()
    assert [b["id"] for b in listed] == ["b1", "b0"]


def test_stats(api: Api) -> None:
    api.put_grids()
    api.incident(type="crowd", ts="2026-11-20T08:10:00Z", lon=116.395, lat=39.905)
    api.incident(type="no_mask", ts="2026-11-20T08:50:00Z", lon=116.395, lat=39.905)
    api.incident(type="no_mask", ts="2026-11-20T14:00:00Z", lon=116.405, lat=39.905)
    stats = api.client.get("/api/stats", headers=api.reviewer).json()
    assert stats["total"] == 3
    assert {c["key"]: c["count"] for c in stats["by_type"]} == {"no_mask": 2, "crowd": 1}
    assert {c["key"]: c["count"] for c in stats["by_grid"]} == {"g-west": 2, "g-east": 1}
    hours = {c["key"]: c["count"] for c in stats["by_hour"]}
    assert len(hours) == 24 and hours["08"] == 2 and hours["14"] == 1 and hours["09"] == 0
    only_crowd = api.client.get("/api/stats", params={"type": "crowd"}, headers=api.reviewer).json()
    assert only_crowd["total"] == 1


def test_exports_csv_and_geojson(api: Api) -> None:
    api.incident(id="x1")
    api.client.patch("/api/incidents/x1", json={"status": "confirmed", "note": "=1+1"}, headers=api.reviewer)
    api.incident(id="x2", lon=None, lat=None, type="crowd")
    resp = api.client.get("/api/exports/incidents.csv", headers=api.reviewer)
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == ["x1", "x2"]
    assert {r["id"]: r["note"] for r in rows} == {"x1": "'=1+1", "x2": ""}
    gj = api.client.get("/api/exports/incidents.geojson", params={"type": "no_mask"}, headers=api.reviewer)
    data = json.loads(gj.content)
    assert data["type"] == "FeatureCollection"
    assert [(f["id"], f["geometry"]["coordinates"]) for f in data["features"]] == [("x1", [116.3975, 39.9087])]
