"""A small typed client for stations (issue 7): incidents, snapshots, broadcasts and telemetry.

Every call raises :class:`ApiUnavailable` when the service cannot be reached (the station's outbox then keeps
the item and retries later) and :class:`ApiError` when the service refused the request (with its reason).
Retrying a create with the same id is safe: the service returns the stored item instead of a duplicate.

Incidents and broadcasts are validated once on the station's side, where they are made (an
:class:`incidents.Incident` when vision builds it, a dict when the outbox queues it), and once by the service
(:class:`api.schemas.IncidentCreate`, :class:`api.schemas.BroadcastCreate`). The client sends them as they are: a
body the service refuses comes back as :class:`ApiError` (HTTP 422) with its reason, so an outbox marks it dead
instead of retrying it.

Example:
    >>> client = ApiClient("http://127.0.0.1:1", api_key="gps_example", timeout_s=0.2)
    >>> try:
    ...     client.health()
    ... except ApiUnavailable as exc:
    ...     print("down")
    down
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from api.schemas import TelemetryCreate
from incidents import Incident


def wire_body(item: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of ``item`` as sent, without validating it again.

    A model (an :class:`incidents.Incident`, a ``BroadcastCreate``) was validated when it was made: its JSON with
    unset fields left out. A mapping is taken to be that JSON already (as the outbox stores it), copied.

    Example:
        >>> wire_body({"id": "bc-1", "language": "zh"})
        {'id': 'bc-1', 'language': 'zh'}
    """
    if isinstance(item, Incident):
        return item.wire()
    if isinstance(item, BaseModel):
        return item.model_dump(mode="json", exclude_none=True)
    return dict(item)


class ApiUnavailable(ConnectionError):
    """The API could not be reached (down, refused, timed out); retry later."""


class ApiError(RuntimeError):
    """The API refused the request; ``status`` and ``detail`` say why. Retrying it unchanged will not help.

    Attributes:
        status: HTTP status code.
        detail: the service's explanation.
    """

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"API refused the request (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


class ApiClient:
    """Talks to the incident log with a station API key.

    Args:
        base_url: where the service runs, e.g. ``http://127.0.0.1:8321``.
        api_key: the station's key from ``gridpatrol admin create-station-key``.
        timeout_s: per-request timeout.
        transport: an httpx transport (e.g. ``httpx.ASGITransport(app)`` to call an app in-process).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"incident log at {self._http.base_url} is unreachable: {exc}") from exc
        if resp.status_code >= 500:
            raise ApiUnavailable(f"incident log answered HTTP {resp.status_code}; retry later")
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = resp.text[:500]
            raise ApiError(resp.status_code, detail)
        return resp.json() if resp.content else None

    def health(self) -> bool:
        """True when the service answers."""
        return bool(self._call("GET", "/health")["status"] == "ok")

    def post_incident(self, incident: Incident | Mapping[str, Any]) -> dict[str, Any]:
        """Store an incident (idempotent by its id); returns the stored incident. The service validates it."""
        body = wire_body(incident)
        result: dict[str, Any] = self._call("POST", "/incidents", json=body)
        return result

    def post_incident_batch(
        self, items: list[tuple[Incident | Mapping[str, Any], bytes | None]]
    ) -> list[dict[str, Any]]:
        """Send many incidents with their snapshots in one request (an outbox catching up).

        Each item is ``(incident, snapshot bytes or None)``; the snapshot's SHA-256 is filled in. Returns one
        result per incident: ``{"id", "result": created | exists | conflict | rejected, "detail"}``.
        """
        bodies: list[dict[str, Any]] = []
        files: list[tuple[str, tuple[str, bytes, str]]] = []
        for incident, image in items:
            body = wire_body(incident)
            if image is not None:
                body["snapshot_sha"] = hashlib.sha256(image).hexdigest()
                files.append(("files", (f"{body['id']}.jpg", image, "application/octet-stream")))
            bodies.append(body)
        data = {"incidents": json.dumps(bodies)}
        result = self._call("POST", "/incidents/batch", data=data, files=files or None)
        return list(result["results"])

    def upload_snapshot(self, image: bytes, filename: str = "snapshot.jpg") -> str:
        """Upload a JPEG/PNG/WebP image; returns its SHA-256 to put in ``snapshot_sha`` of an incident."""
        files = {"file": (filename, image, "application/octet-stream")}
        result = self._call("POST", "/snapshots", files=files)
        sha = str(result["sha256"])
        if sha != hashlib.sha256(image).hexdigest():
            raise ApiError(200, "service stored a different image than was sent")
        return sha

    def post_broadcast(self, broadcast: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
        """Log a loudspeaker warning (idempotent by its id): ``Broadcast.to_api()`` or a ``BroadcastCreate``."""
        body = wire_body(broadcast)
        result: dict[str, Any] = self._call("POST", "/broadcasts", json=body)
        return result

    def post_telemetry(
        self,
        drone_id: str,
        ts: datetime,
        lon: float,
        lat: float,
        alt_m: float,
        *,
        mission_id: str | None = None,
        heading_deg: float | None = None,
        battery_pct: float | None = None,
        mode: str | None = None,
    ) -> dict[str, Any]:
        """Report a drone position (shown live on the map)."""
        body = TelemetryCreate(
            drone_id=drone_id, ts=ts, lon=lon, lat=lat, alt_m=alt_m, mission_id=mission_id,
            heading_deg=heading_deg, battery_pct=battery_pct, mode=mode,
        ).model_dump(mode="json", exclude_none=True)  # fmt: skip
        result: dict[str, Any] = self._call("POST", "/telemetry", json=body)
        return result

    def put_grids(self, collection: dict[str, Any]) -> int:
        """Replace the district's grids with a GeoJSON FeatureCollection; returns how many were stored."""
        return int(self._call("PUT", "/grids", json=collection)["grids"])

    def post_mission(
        self,
        mission_id: str,
        name: str,
        plan: dict[str, Any],
        drone_id: str | None = None,
        status: Literal["planned", "uploaded", "flying"] = "planned",
    ) -> dict[str, Any]:
        """Store a planned mission (idempotent by its id)."""
        body = {"id": mission_id, "name": name, "plan": plan, "status": status}
        if drone_id:
            body["drone_id"] = drone_id
        result: dict[str, Any] = self._call("POST", "/missions", json=body)
        return result
