"""Live events over SSE on a real server, and the station client (ApiClient) against it."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime

import httpx
import pytest
from api_testkit import SECRETS, LiveServer, free_port, incident_body, jpeg

from api.client import ApiClient, ApiError, ApiUnavailable
from incidents import Incident


def read_events(url: str, token: str, wanted: int, out: list[tuple[str, dict[str, object]]]) -> None:
    """Collect ``wanted`` SSE events from ``url`` into ``out``."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", url + "/api/live", headers=headers, timeout=20) as resp:
        name = ""
        for line in resp.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
                if len(out) >= wanted:
                    return


def test_live_events_for_incidents_reviews_and_positions(live_server: LiveServer) -> None:
    hub = live_server.app.state.services.hub
    events: list[tuple[str, dict[str, object]]] = []
    reader = threading.Thread(target=read_events, args=(live_server.url, SECRETS.tokens["rev"], 3, events), daemon=True)
    reader.start()
    deadline = 0
    while hub.subscribers == 0 and deadline < 200:
        threading.Event().wait(0.05)
        deadline += 1
    with ApiClient(live_server.url, SECRETS.keys["st-1"]) as client:
        client.post_incident(incident_body(id="live-1", type="crowd"))
        client.post_telemetry("d1", datetime.now(UTC), 116.39, 39.9, 40.0, battery_pct=77)
    httpx.patch(
        live_server.url + "/api/incidents/live-1",
        json={"status": "confirmed"},
        headers={"Authorization": f"Bearer {SECRETS.tokens['rev']}"},
    )
    reader.join(20)
    assert [name for name, _ in events] == ["incident", "position", "review"]
    assert events[0][1]["id"] == "live-1" and events[1][1]["battery_pct"] == 77
    assert httpx.get(live_server.url + "/api/live", timeout=5).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_client_calls_and_errors(live_server: LiveServer) -> None:
    with ApiClient(live_server.url, SECRETS.keys["st-1"]) as client:
        assert client.health()
        image = jpeg(200, 100, seed=5)
        sha = client.upload_snapshot(image)
        assert sha == hashlib.sha256(image).hexdigest()
        body = incident_body(id="cl-1", snapshot_sha=sha)
        first = client.post_incident(body)
        assert client.post_incident(body) == first
        cast = client.post_broadcast(
            {"id": "cb-1", "ts": "2026-11-20T08:00:00Z", "incident_id": "cl-1", "kind": "no_mask",
             "language": "en", "text": "Please wear a mask"}
        )  # fmt: skip
        assert cast["station"] == "st-1"
        assert client.post_telemetry("d1", datetime.now(UTC), 116.39, 39.9, 40.0)["id"] == "d1"
        with pytest.raises(ApiError) as err:
            client.post_incident({**body, "people": 99})
        assert err.value.status == 409 and "cl-1" in str(err.value)
        # the client sends what it is given; the service validates it (once) and says why it refuses
        with pytest.raises(ApiError) as invalid:
            client.post_incident(incident_body(id="cl-bad", people=0))
        assert invalid.value.status == 422 and "people" in str(invalid.value)
        contract = Incident(id="cl-2", ts=datetime(2026, 11, 20, 8, 31, tzinfo=UTC), type="crowd", people=5)
        assert client.post_incident(contract)["people"] == 5  # the contract itself, sent as its wire()
        batch = client.post_incident_batch(
            [
                (incident_body(id="cl-b1"), jpeg(40, 30, seed=6)),
                (incident_body(id="cl-b2"), None),
                (body, None),
                ({**body, "people": 99}, None),
            ]
        )
        assert [r["result"] for r in batch] == ["created", "created", "exists", "conflict"]
        with pytest.raises(ApiError) as bad_image:
            client.upload_snapshot(b"hello")
        assert bad_image.value.status == 415
    with ApiClient(live_server.url, "gps_wrong") as client, pytest.raises(ApiError) as denied:
        client.post_telemetry("d1", datetime.now(UTC), 116.39, 39.9, 40.0)
    assert denied.value.status == 401


def test_client_reports_an_api_that_is_down() -> None:
    with ApiClient(f"http://127.0.0.1:{free_port()}", "gps_x", timeout_s=2) as client:
        with pytest.raises(ApiUnavailable, match="unreachable"):
            client.post_incident(incident_body())
        with pytest.raises(ApiUnavailable):
            client.upload_snapshot(jpeg(16, 16))
