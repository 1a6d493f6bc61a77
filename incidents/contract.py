"""The incident contract (see :mod:`incidents`): field names, types and limits, declared once."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

#: What can happen: a person without a mask, a crowd, or something a reviewer or another tool reports.
IncidentType = Literal["no_mask", "crowd", "other"]
INCIDENT_TYPES: tuple[str, ...] = get_args(IncidentType)

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"),
    Field(description="Letters, digits, '_', '.', ':' or '-'; 1-64 characters, client-chosen (e.g. a UUID)."),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), Field(description="Lower-case SHA-256.")]
Lon = Annotated[float, Field(ge=-180, le=180, description="Longitude, degrees (WGS 84).")]
Lat = Annotated[float, Field(ge=-90, le=90, description="Latitude, degrees (WGS 84).")]


def new_id() -> str:
    """A fresh incident id (a UUID): chosen where the incident is found, so a resend is never a duplicate."""
    return str(uuid.uuid4())


class Incident(BaseModel):
    """Something a drone saw, as it travels from the camera to the review UI.

    ``details`` holds what only some incidents have (``track_ids``: the tracker's ids of the people involved,
    unique per station; a crowd's radius and density; a face's verdict); the snapshot image travels beside the
    incident, named by ``snapshot_sha``.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: Id = Field(default_factory=new_id)
    ts: AwareDatetime = Field(description="When the frame was taken (timezone-aware).")
    type: IncidentType
    people: int = Field(1, ge=1, le=10_000, description="People involved (crowd size).")
    confidence: float | None = Field(None, ge=0, le=1)
    lon: Lon | None = None
    lat: Lat | None = None
    grid_id: Id | None = Field(None, description="Grid it happened in; found from lon/lat when left out.")
    drone_id: Id | None = None
    mission_id: Id | None = None
    snapshot_sha: Sha256 | None = Field(None, description="SHA-256 of the snapshot image sent with it.")
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def track_ids(self) -> tuple[int | str, ...]:
        """The tracked people involved (``details["track_ids"]``), for the loudspeaker's per-person cooldowns."""
        ids = self.details.get("track_ids") or ()
        return tuple(ids) if isinstance(ids, list | tuple) else ()

    def wire(self) -> dict[str, Any]:
        """The JSON body a station sends (``POST /api/incidents``) and its outbox stores: unset fields left out."""
        return self.model_dump(mode="json", exclude_none=True)
