"""Incidents: idempotent create, filters, cursor paging, grid lookup, review, bulk review (both backends)."""

from __future__ import annotations

import threading

from api_testkit import Api, incident_body


def test_create_is_idempotent_and_conflicts_on_different_content(api: Api) -> None:
    body = incident_body(id="inc-1", type="crowd", people=7)
    first = api.client.post("/api/incidents", json=body, headers=api.station)
    assert first.status_code == 201
    again = api.client.post("/api/incidents", json=body, headers=api.station)
    assert again.status_code == 200
    assert again.json() == first.json()
    listed = api.client.get("/api/incidents", headers=api.reviewer).json()["items"]
    assert [i["id"] for i in listed] == ["inc-1"]
    changed = api.client.post("/api/incidents", json={**body, "people": 8}, headers=api.station)
    assert changed.status_code == 409
    assert "inc-1" in changed.json()["detail"]
    other_station = api.client.post("/api/incidents", json=body, headers=api.auth("st-2"))
    assert other_station.status_code == 409


def test_concurrent_retries_store_one_incident(api: Api) -> None:
    body = incident_body(id="race-1")
    codes: list[int] = []

    def post() -> None:
        codes.append(api.client.post("/api/incidents", json=body, headers=api.station).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes).count(201) == 1 and set(codes) <= {200, 201}
    assert len(api.client.get("/api/incidents", headers=api.reviewer).json()["items"]) == 1


def test_writes_need_a_station_key(api: Api) -> None:
    body = incident_body()
    assert api.client.post("/api/incidents", json=body).status_code == 401
    assert api.client.post("/api/incidents", json=body, headers=api.reviewer).status_code == 403
    bad = {"Authorization": "Bearer gps_not-a-real-key"}
    assert api.client.post("/api/incidents", json=body, headers=bad).status_code == 401
    assert api.client.get("/api/incidents").status_code == 401


def test_filters_and_cursor_paging(api: Api) -> None:
    for i in range(12):
        api.incident(
            id=f"f-{i:02d}",
            ts=f"2026-11-20T{8 + i:02d}:00:00Z",
            type="crowd" if i % 3 == 0 else "no_mask",
            drone_id="d2" if i % 2 else "d1",
            mission_id="m2" if i >= 6 else "m1",
            lon=116.395 if i < 4 else 116.405,
        )

    def ids(**params: object) -> list[str]:
        resp = api.client.get("/api/incidents", params=params, headers=api.reviewer)
        assert resp.status_code == 200, resp.text
        return [i["id"] for i in resp.json()["items"]]

    assert ids(type="crowd") == ["f-09", "f-06", "f-03", "f-00"]
    assert ids(drone_id="d2", mission_id="m1") == ["f-05", "f-03", "f-01"]
    assert ids(since="2026-11-20T17:00:00Z") == ["f-11", "f-10", "f-09"]
    assert ids(until="2026-11-20T10:00:00Z") == ["f-01", "f-00"]
    assert ids(bbox="116.39,39.90,116.40,39.91") == ["f-03", "f-02", "f-01", "f-00"]
    assert ids(type=["crowd", "no_mask"], status="new", limit=100) == [f"f-{i:02d}" for i in range(11, -1, -1)]
    assert ids(status="confirmed") == []

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 5, "drone_id": "d1"}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get("/api/incidents", params=params, headers=api.reviewer).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == [f"f-{i:02d}" for i in range(10, -1, -2)]


def test_paging_is_stable_for_equal_timestamps(api: Api) -> None:
    for i in range(7):
        api.incident(id=f"same-{i}", ts="2026-11-20T08:00:00Z")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.client.get("/api/incidents", params=params, headers=api.reviewer).json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [f"same-{i}" for i in range(6, -1, -1)]
    oldest: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "order": "oldest"} | ({"cursor": cursor} if cursor else {})
        page = api.client.get("/api/incidents", params=params, headers=api.reviewer).json()
        oldest += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert oldest == [f"same-{i}" for i in range(7)]


def test_grid_is_found_from_position(api: Api) -> None:
    api.put_grids()
    west = api.incident(lon=116.395, lat=39.905)
    east = api.incident(lon=116.405, lat=39.905)
    outside = api.incident(lon=116.5, lat=39.905)
    given = api.incident(lon=116.405, lat=39.905, grid_id="g-west")
    assert (west["grid_id"], east["grid_id"], outside["grid_id"], given["grid_id"]) == (
        "g-west",
        "g-east",
        None,
        "g-west",
    )
    page = api.client.get("/api/incidents", params={"grid_id": "g-east"}, headers=api.reviewer).json()
    assert [i["id"] for i in page["items"]] == [east["id"]]


def test_review_keeps_history_and_needs_a_login(api: Api) -> None:
    inc = api.incident(id="rv-1")
    body = {"status": "confirmed", "note": "两人未戴口罩"}
    assert api.client.patch("/api/incidents/rv-1", json=body, headers=api.station).status_code == 403
    resp = api.client.patch("/api/incidents/rv-1", json=body, headers=api.reviewer)
    assert resp.status_code == 200
    assert resp.json()["status"] == "confirmed" and resp.json()["reviewed_by"] == "rev"
    api.client.patch("/api/incidents/rv-1", json={"status": "resolved"}, headers=api.admin)
    detail = api.client.get(f"/api/incidents/{inc['id']}", headers=api.reviewer).json()
    assert [(h["from_status"], h["to_status"], h["reviewer"]) for h in detail["history"]] == [
        ("new", "confirmed", "rev"),
        ("confirmed", "resolved", "admin"),
    ]
    assert detail["history"][0]["note"] == "两人未戴口罩"

    # Undo: back to new (issue #14). The incident is unreviewed again; the history says who reopened it.
    resp = api.client.patch("/api/incidents/rv-1", json={"status": "new"}, headers=api.reviewer)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["reviewed_by"], resp.json()["reviewed_at"]) == ("new", None, None)
    detail = api.client.get("/api/incidents/rv-1", headers=api.reviewer).json()
    assert [(h["from_status"], h["to_status"], h["reviewer"]) for h in detail["history"]][-1] == (
        "resolved",
        "new",
        "rev",
    )
    assert api.client.patch("/api/incidents/rv-1", json={"status": "open"}, headers=api.reviewer).status_code == 422
    page = api.client.get("/api/incidents", params={"status": "new"}, headers=api.reviewer).json()
    assert [i["id"] for i in page["items"]] == ["rv-1"]


def test_bulk_review_is_all_or_nothing(api: Api) -> None:
    for i in range(4):
        api.incident(id=f"b-{i}")
    bad = api.client.post(
        "/api/incidents/review",
        json={"ids": ["b-0", "b-1", "nope"], "status": "dismissed"},
        headers=api.reviewer,
    )
    assert bad.status_code == 404 and "nope" in bad.json()["detail"]
    statuses = {i["id"]: i["status"] for i in api.client.get("/api/incidents", headers=api.reviewer).json()["items"]}
    assert set(statuses.values()) == {"new"}
    ok = api.client.post(
        "/api/incidents/review",
        json={"ids": ["b-0", "b-1", "b-2"], "status": "dismissed"},
        headers=api.reviewer,
    )
    assert ok.json() == {"updated": 3}
    page = api.client.get("/api/incidents", params={"status": "dismissed"}, headers=api.reviewer).json()
    assert sorted(i["id"] for i in page["items"]) == ["b-0", "b-1", "b-2"]
    # Bulk undo: back to new, each kept in its history.
    undo = api.client.post("/api/incidents/review", json={"ids": ["b-0", "b-1"], "status": "new"}, headers=api.admin)
    assert undo.json() == {"updated": 2}
    history = api.client.get("/api/incidents/b-0", headers=api.reviewer).json()["history"]
    assert [(h["from_status"], h["to_status"], h["reviewer"]) for h in history] == [
        ("new", "dismissed", "rev"),
        ("dismissed", "new", "admin"),
    ]


def test_detail_shows_broadcasts_played(api: Api) -> None:
    api.incident(id="bc-inc")
    cast = {
        "id": "bc-1",
        "ts": "2026-11-20T08:30:02Z",
        "incident_id": "bc-inc",
        "drone_id": "d1",
        "kind": "no_mask",
        "language": "zh",
        "text": "请佩戴口罩",
    }
    assert api.client.post("/api/broadcasts", json=cast, headers=api.station).status_code == 201
    assert api.client.post("/api/broadcasts", json=cast, headers=api.station).status_code == 200
    detail = api.client.get("/api/incidents/bc-inc", headers=api.reviewer).json()
    assert [b["text"] for b in detail["broadcasts"]] == ["请佩戴口罩"]
    assert api.client.get("/api/incidents/missing", headers=api.reviewer).status_code == 404


def test_batch_ingest_with_snapshots(api: Api) -> None:
    import hashlib
    import json

    from api_testkit import jpeg

    images = [jpeg(64, 48, seed=s) for s in range(3)]
    items = [incident_body(id=f"bt-{i}", snapshot_sha=hashlib.sha256(img).hexdigest()) for i, img in enumerate(images)]
    items.append(incident_body(id="bt-plain"))
    files = [("files", (f"{i}.jpg", img, "image/jpeg")) for i, img in enumerate(images)]
    resp = api.client.post(
        "/api/incidents/batch", data={"incidents": json.dumps(items)}, files=files, headers=api.station
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 4
    again = api.client.post(
        "/api/incidents/batch",
        data={
            "incidents": json.dumps(
                [*items[:2], {**items[3], "people": 5}, incident_body(id="bt-x", snapshot_sha="c" * 64)]
            )
        },
        headers=api.station,
    )
    assert [(r["id"], r["result"]) for r in again.json()["results"]] == [
        ("bt-0", "exists"), ("bt-1", "exists"), ("bt-plain", "conflict"), ("bt-x", "rejected"),
    ]  # fmt: skip
    assert "upload it first" in again.json()["results"][3]["detail"]
    sha = hashlib.sha256(images[2]).hexdigest()
    assert api.client.get(f"/api/snapshots/{sha}", headers=api.reviewer).content == images[2]
    page = api.client.get("/api/incidents", params={"limit": 100}, headers=api.reviewer).json()
    assert sorted(i["id"] for i in page["items"]) == ["bt-0", "bt-1", "bt-2", "bt-plain"]
    bad = api.client.post("/api/incidents/batch", data={"incidents": json.dumps([{"id": "z"}])}, headers=api.station)
    assert bad.status_code == 422 and any(e["loc"][-1] == "ts" for e in bad.json()["detail"])
    not_image = api.client.post(
        "/api/incidents/batch",
        data={"incidents": json.dumps([incident_body()])},
        files=[("files", ("x.jpg", b"nope", "image/jpeg"))],
        headers=api.station,
    )
    assert not_image.status_code == 415 and "files[0]" in not_image.json()["detail"]
    assert api.client.post("/api/incidents/batch", data={"incidents": "[]"}, headers=api.station).status_code == 422
