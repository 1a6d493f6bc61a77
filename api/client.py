"""A small typed client for stations (issue 7): incidents, snapshots, broadcasts and telemetry.

Every call raises :class:`ApiUnavailable` when the service cannot be reached (the station's outbox then keeps
the item and retries later) and :class:`ApiError` when the service refused the request (with its reason).
Retrying a create with the same id is safe: the service returns the stored item instead of a duplicate.

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
from datetime import datetime
from typing import Any, Literal

import httpx

from api.schemas import BroadcastCreate, IncidentCreate, TelemetryCreate


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

    def post_incident(self, incident: IncidentCreate | dict[str, Any]) -> dict[str, Any]:
        """Store an incident (idempotent by its id); returns the stored incident."""
        body = IncidentCreate.model_validate(incident).model_dump(mode="json", exclude_none=True)
        result: dict[str, Any] = self._call("POST", "/incidents", json=body)
        return result

    def post_incident_batch(
        self, items: list[tuple[IncidentCreate | dict[str, Any], bytes | None]]
    ) -> list[dict[str, Any]]:
        """Send many incidents with their snapshots in one request (an outbox catching up).

        Each item is ``(incident, snapshot bytes or None)``; the snapshot's SHA-256 is filled in. Returns one
        result per incident: ``{"id", "result": created | exists | conflict | rejected, "detail"}``.
        """
        bodies: list[dict[str, Any]] = []
        files: list[tuple[str, tuple[str, bytes, str]]] = []
        for incident, image in items:
            body = IncidentCreate.model_validate(incident).model_dump(mode="json", exclude_none=True)
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

    def post_broadcast(self, broadcast: BroadcastCreate | dict[str, Any]) -> dict[str, Any]:
        """Log a loudspeaker warning (idempotent by its id)."""
        body = BroadcastCreate.model_validate(broadcast).model_dump(mode="json", exclude_none=True)
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
