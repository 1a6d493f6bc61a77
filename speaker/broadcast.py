"""The record of one loudspeaker broadcast, as logged and as sent to the incident log API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Broadcast(BaseModel):
    """One warning or announcement for the loudspeaker: what, when, where, for which incident, and how it went.

    :meth:`speaker.speaker.Speaker.warn` returns it with ``outcome="queued"``; when the clip has been played
    (or cut off, or failed) the speaker passes a copy with ``outcome``, ``started_at`` and ``cached`` filled in
    to its ``on_broadcast`` callback. :meth:`to_api` is the body of ``POST /broadcasts``.

    Example:
        >>> b = Broadcast(kind="crowd", text="请勿聚集，保持一米以上距离", lang="zh", grid="B7", incident_id="inc-1")
        >>> sorted(b.to_api())
        ['drone_id', 'grid_id', 'id', 'incident_id', 'kind', 'language', 'text', 'ts']
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, title="Id", description="Unique id (for the API).")
    kind: str = Field(title="Kind", description="Incident type, `operator` or `information`.")
    text: str = Field(title="Text", description="The words spoken.")
    lang: str = Field(title="Language", description="Language code of the voice.")
    at: datetime = Field(default_factory=now_utc, title="Queued at", description="When it was queued (UTC).")
    grid: str | None = Field(None, title="Grid", description="Grid cell the warning was for.")
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
            "id": self.id,
            "ts": (self.started_at or self.at).isoformat(),
            "drone_id": self.drone_id,
            "incident_id": self.incident_id,
            "grid_id": self.grid,
            "kind": self.kind,
            "language": self.lang,
            "text": self.text,
        }
