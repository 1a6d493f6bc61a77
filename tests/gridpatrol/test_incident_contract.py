"""One incident from the camera to the browser: the contract (``incidents.Incident``) end to end.

Vision builds a :class:`vision.incidents.Sighting` (the loudspeaker reads the same one: tests/speaker), the
station's outbox stores its JSON once, the deliverer sends it to a real incident log, and a reviewer reads it back
with the same names and values. Bodies in the format stations sent before the contract still validate, and the
allowed types are one list (the API's filter and the review UI offer the same).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from outbox_kit import REVIEWER, STATION_KEY, IncidentLog, jpeg
from pydantic import ValidationError

from api.client import ApiClient
from api.schemas import IncidentCreate, IncidentType
from gridpatrol.deliverer import Deliverer
from gridpatrol.outbox import Outbox
from incidents import INCIDENT_TYPES, Incident
from vision.incidents import Sighting

REPO = Path(__file__).resolve().parents[2]
TS = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def crowd(**fields: object) -> Sighting:
    """A crowd as vision builds it (see ``vision.pipeline``), with a snapshot."""
    base: dict[str, object] = {
        "type": "crowd",
        "ts": TS,
        "confidence": 0.81234567,
        "people": 6,
        "lat": 39.9087,
        "lon": 116.3975,
        "grid_id": "5",
        "drone_id": "drone-1",
        "mission_id": "drone-1-s1",
        "snapshot": b"\xff\xd8 not really a jpeg",
        "details": {"track_ids": [3, 4, 9, 11, 12, 15], "radius_m": 1.4},
    }
    return Sighting.model_validate({**base, **fields})


def test_vision_builds_the_contract_with_its_snapshot_beside_it() -> None:
    inc = crowd(lat=float("nan"), confidence=1.0000001)
    assert isinstance(inc, Incident)
    assert inc.lat is None and inc.confidence == 1.0  # a detector's rounding never fails the build
    assert inc.snapshot_sha == hashlib.sha256(b"\xff\xd8 not really a jpeg").hexdigest()
    assert "snapshot" not in inc.wire() and inc.incident().wire() == inc.wire()
    assert inc.track_ids == (3, 4, 9, 11, 12, 15)
    with pytest.raises(ValidationError, match="people"):
        crowd(people=0)
    with pytest.raises(ValidationError, match="count"):
        crowd(count=6)  # the old name is gone from Python: one name, people


def test_a_sighting_reaches_the_reviewer_with_the_same_names_and_values(tmp_path: Path) -> None:
    inc = crowd(snapshot=jpeg(1))
    log = IncidentLog(tmp_path / "api")
    log.start()
    try:
        with Outbox(tmp_path / "outbox.db") as box:
            assert box.put_incident(inc, inc.snapshot)
            (item,) = box.items("pending")
            assert item.payload == inc.wire() and item.blob == inc.snapshot  # stored once, as the contract's JSON
            client = ApiClient(log.url, STATION_KEY, timeout_s=5)
            assert Deliverer(box, client, backoff_initial_s=0.1, backoff_max_s=0.4).flush(20)
            assert box.counts()["sent"] == 1
        stored = httpx.get(f"{log.url}/api/incidents/{inc.id}", headers=REVIEWER, timeout=10).json()
    finally:
        log.stop()
    sent = inc.wire()
    assert {k: stored[k] for k in sent if k != "ts"} == {k: v for k, v in sent.items() if k != "ts"}
    assert datetime.fromisoformat(stored["ts"].replace("Z", "+00:00")) == inc.ts


def test_bodies_in_the_format_deployed_stations_send_still_validate() -> None:
    # what vision.incidents.Incident.to_api() sent before the contract: isoformat with +00:00, people, track ids
    # inside details, unset fields left out
    old = {
        "id": "0b9f8f6e-3c44-4d0a-9a55-1f0cfb0f2a10",
        "ts": "2026-11-20T08:30:00+00:00",
        "type": "no_mask",
        "people": 1,
        "confidence": 0.9123,
        "details": {"track_ids": [7], "label": "without_mask", "face_px": 31.0, "error_m": 1.2},
        "lat": 39.9087,
        "lon": 116.3975,
        "grid_id": "5",
        "drone_id": "drone-1",
        "mission_id": "drone-1-s1",
    }
    body = IncidentCreate.model_validate(old)
    assert Incident.model_validate(old).wire() == body.wire()
    assert body.ts == TS and body.track_ids == (7,)


def test_the_types_are_listed_once() -> None:
    from typing import get_args

    assert get_args(IncidentType) == INCIDENT_TYPES == ("no_mask", "crowd", "other")
    html = (REPO / "api" / "ui" / "index.html").read_text(encoding="utf-8")
    select = re.search(r'<select name="type".*?</select>', html, re.S)
    assert select is not None
    assert tuple(v for v in re.findall(r'value="([^"]*)"', select.group(0)) if v) == INCIDENT_TYPES
    with pytest.raises(ValidationError):
        IncidentCreate.model_validate({"id": "x", "ts": "2026-11-20T08:30:00Z", "type": "fight"})
