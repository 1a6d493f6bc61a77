"""The record of one loudspeaker broadcast, as logged and as sent to the incident log API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


#: The fields sent as they are, under the same names, in ``POST /broadcasts`` (``ts`` is added).
WIRE_FIELDS: set[str] = {"id", "drone_id", "incident_id", "grid_id", "kind", "language", "text"}


class Broadcast(BaseModel):
    """One warning or announcement for the loudspeaker: what, when, where, for which incident, and how it went.

    :meth:`speaker.speaker.Speaker.warn` returns it with ``outcome="queued"``; when the clip has been played
    (or cut off, or failed) the speaker passes a copy with ``outcome``, ``started_at`` and ``cached`` filled in
    to its ``on_broadcast`` callback. :meth:`to_api` is the body of ``POST /broadcasts``.

    The fields it shares with the API keep the API's names (``api.schemas.BroadcastCreate`` and the
    ``broadcasts`` table): ``grid_id`` as in the incident contract (:class:`incidents.Incident`) and ``language``,
    so the record goes onto the wire without renaming. ``ts`` on the wire is when the audio started (or, never
    played, when it was queued).

    Example:
        >>> b = Broadcast(kind="crowd", text="请勿聚集", language="zh", grid_id="B7", incident_id="inc-1")
        >>> sorted(b.to_api())
        ['drone_id', 'grid_id', 'id', 'incident_id', 'kind', 'language', 'text', 'ts']
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, title="Id", description="Unique id (for the API).")
    kind: str = Field(title="Kind", description="Incident type, `operator` or `information`.")
    text: str = Field(title="Text", description="The words spoken.")
    language: str = Field(title="Language", description="Language code of the voice (`zh`, `en`).")
    at: datetime = Field(default_factory=now_utc, title="Queued at", description="When it was queued (UTC).")
    grid_id: str | None = Field(None, title="Grid", description="Grid cell the warning was for (the incident's).")
    lat: float | None = Field(None, title="Latitude", description="Where the incident was, WGS 84 degrees.")
    lon: float | None = Field(None, title="Longitude", description="Where the incident was, WGS 84 degrees.")
    incident_id: str | None = Field(None, title="Incident id", description="The incident that caused it.")
    track_ids: list[str] = Field(default_factory=list, title="Tracks", description="Tracked people it was for.")
    drone_id: str | None = Field(None, title="Drone", description="Drone whose loudspeaker played it.")
    repeat: int = Field(1, ge=1, title="Repeat", description="How many times this place heard this warning.")
    outcome: Literal["queued", "played", "interrupted", "failed"] = Field(
        "queued", title="Outcome", description="`interrupted`: cut off by an operator message."
    )
    started_at: datetime | None = Field(None, title="Started", description="When the audio reached the sink.")
    cached: bool | None = Field(None, title="Cached", description="Played from pre-rendered audio, no synthesis.")
    error: str | None = Field(None, title="Error", description="Why it failed, when it did.")

    def to_api(self) -> dict[str, Any]:
        """The JSON body for the API's ``POST /broadcasts`` (``api.schemas.BroadcastCreate``)."""
        return {
            "ts": (self.started_at or self.at).isoformat(),
            **self.model_dump(include=WIRE_FIELDS),
        }
