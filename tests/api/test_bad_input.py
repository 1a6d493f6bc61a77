"""Bad input gets a clear 4xx that names the problem, and changes nothing."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from api_testkit import Api, LiveServer, incident_body


def test_wrong_types_name_the_field(api: Api) -> None:
    cases = {
        "ts": "yesterday",
        "type": "sneezing",
        "lon": "east",
        "lat": 123.0,
        "people": -1,
        "confidence": 2,
        "id": "../etc/passwd",
    }
    for fieldname, value in cases.items():
        resp = api.client.post("/api/incidents", json=incident_body(**{fieldname: value}), headers=api.station)
        assert resp.status_code == 422, fieldname
        assert any(fieldname in err["loc"] for err in resp.json()["detail"]), resp.json()
    naive = api.client.post("/api/incidents", json=incident_body(ts="2026-11-20T08:00:00"), headers=api.station)
    assert naive.status_code == 422
    extra = api.client.post("/api/incidents", json=incident_body(colour="red"), headers=api.station)
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"][-1] == "colour"
    not_json = api.client.post(
        "/api/incidents", content=b"{not json", headers={**api.station, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert api.client.get("/api/incidents", headers=api.reviewer).json()["items"] == []


def test_huge_payloads_are_refused(api: Api) -> None:
    huge = incident_body(details={"blob": "x" * 200_000})
    resp = api.client.post("/api/incidents", json=huge, headers=api.station)
    assert resp.status_code == 413 and "100000" in resp.json()["detail"]
    big_details = incident_body(details={"k": "x" * 9000})
    resp = api.client.post("/api/incidents", json=big_details, headers=api.station)
    assert resp.status_code == 422 and "details" in json.dumps(resp.json())
    many = {"ids": [f"i{i}" for i in range(501)], "status": "confirmed"}
    assert api.client.post("/api/incidents/review", json=many, headers=api.reviewer).status_code == 422


def test_chunked_body_without_length_is_refused(live_server: LiveServer) -> None:
    parts = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/api/incidents")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    conn.send(b"2\r\n{}\r\n0\r\n\r\n")
    resp = conn.getresponse()
    assert resp.status == 411
    conn.close()


def test_invalid_grid_geojson_names_the_feature(api: Api) -> None:
    bowtie = [[116.39, 39.90], [116.40, 39.91], [116.40, 39.90], [116.39, 39.91], [116.39, 39.90]]
    feature = {
        "type": "Feature",
        "properties": {"id": "g1"},
        "geometry": {"type": "Polygon", "coordinates": []},
    }
    cases = [
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no grids"),
        ({"type": "FeatureCollection", "features": [{**feature, "properties": {}}]}, "properties.id"),
        ({"type": "FeatureCollection", "features": [feature]}, "features[0]"),
        (
            {
                "type": "FeatureCollection",
                "features": [{**feature, "geometry": {"type": "Polygon", "coordinates": [bowtie]}}],
            },
            "not a valid polygon",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{**feature, "geometry": {"type": "Point", "coordinates": [116.39, 39.9]}}],
            },
            "Polygon or MultiPolygon",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        **feature,
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[500000, 4400000], [500100, 4400000], [500100, 4400100], [500000, 4400000]]
                            ],
                        },
                    }
                ],
            },
            "longitude/latitude",
        ),
    ]
    api.put_grids()
    for body, expected in cases:
        resp = api.client.put("/api/grids", json=body, headers=api.admin)
        assert resp.status_code == 422, body
        assert expected in resp.json()["detail"], resp.json()
    assert len(api.client.get("/api/grids", headers=api.reviewer).json()["features"]) == 2
    assert api.client.put("/api/grids", json=cases[0][0], headers=api.reviewer).status_code == 403


def test_unknown_ids_and_bad_query_values(api: Api) -> None:
    review = {"status": "confirmed"}
    assert api.client.patch("/api/incidents/none", json=review, headers=api.reviewer).status_code == 404
    assert api.client.patch("/api/missions/none", json={"status": "done"}, headers=api.station).status_code == 404
    assert api.client.get("/api/drones/none/track", headers=api.reviewer).status_code == 404
    for params in ({"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"bbox": "10,0,5,1"}, {"cursor": "garbage!"}):
        resp = api.client.get("/api/incidents", params=params, headers=api.reviewer)
        assert resp.status_code == 422, params
        assert isinstance(resp.json()["detail"], str)
    assert api.client.get("/api/incidents", params={"limit": 0}, headers=api.reviewer).status_code == 422
    assert api.client.get("/api/incidents", params={"type": "x"}, headers=api.reviewer).status_code == 422


def test_nul_characters_are_a_client_error(api: Api) -> None:
    assert api.client.get("/api/incidents/a%00b", headers=api.reviewer).status_code in (404, 422)
    resp = api.client.get("/api/incidents", params={"grid_id": "g\x00"}, headers=api.reviewer)
    assert resp.status_code in (200, 422)
    cast = {"id": "n1", "ts": "2026-11-20T08:00:00Z", "kind": "crowd", "language": "en", "text": "a\x00b"}
    assert api.client.post("/api/broadcasts", json=cast, headers=api.station).status_code in (201, 422)
