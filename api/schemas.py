"""Request and response models, one family per resource (``XCreate``, ``XUpdate``, ``XPublic``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"),
    Field(description="Letters, digits, '_', '.', ':' or '-'; 1-64 characters, client-chosen (e.g. a UUID)."),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), Field(description="Lower-case SHA-256.")]
Lon = Annotated[float, Field(ge=-180, le=180, description="Longitude, degrees (WGS 84).")]
Lat = Annotated[float, Field(ge=-90, le=90, description="Latitude, degrees (WGS 84).")]
IncidentType = Literal["no_mask", "crowd", "other"]
Status = Literal["new", "confirmed", "dismissed", "resolved"]
ReviewStatus = Literal["confirmed", "dismissed", "resolved"]
Role = Literal["reviewer", "admin"]


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(repr(value)) > 8000:
        raise ValueError("details is larger than 8000 characters; keep only a few fields")
    return value


class Strict(BaseModel):
    """Request bodies: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Responses, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


# --- incidents ---


class IncidentBase(Strict):
    """Fields an incident is made of, as a station reports it."""

    ts: AwareDatetime = Field(description="When the frame was taken (timezone-aware, e.g. ...Z).")
    type: IncidentType
    grid_id: Id | None = Field(None, description="Grid it happened in; found from lon/lat when left out.")
    drone_id: Id | None = None
    mission_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    people: int = Field(1, ge=1, le=10_000, description="People involved (crowd size).")
    confidence: float | None = Field(None, ge=0, le=1)
    snapshot_sha: Sha256 | None = Field(None, description="SHA-256 of a snapshot uploaded before.")
    details: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(default_factory=dict)


class IncidentCreate(IncidentBase):
    """What a station sends. ``id`` is chosen by the station so a retry returns the same incident."""

    id: Id


class IncidentUpdate(Strict):
    """A review decision."""

    status: ReviewStatus
    note: str | None = Field(None, max_length=2000)


class BulkReview(Strict):
    """The same review decision for many incidents at once (all or nothing)."""

    ids: list[Id] = Field(min_length=1, max_length=500)
    status: ReviewStatus
    note: str | None = Field(None, max_length=2000)


class IncidentPublic(Public):
    """An incident as stored, with its review state."""

    id: str
    ts: datetime
    type: str
    status: str
    station: str
    grid_id: str | None
    drone_id: str | None
    mission_id: str | None
    lon: float | None
    lat: float | None
    people: int
    confidence: float | None
    snapshot_sha: str | None
    details: dict[str, Any]
    note: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime


class ReviewEventPublic(Public):
    """One review decision in an incident's history."""

    at: datetime
    reviewer: str
    from_status: str
    to_status: str
    note: str | None


class BroadcastPublic(Public):
    """A logged loudspeaker warning."""

    id: str
    ts: datetime
    station: str
    drone_id: str | None
    incident_id: str | None
    grid_id: str | None
    kind: str
    language: str
    text: str


class IncidentDetail(IncidentPublic):
    """An incident with its review history and the broadcasts played for it."""

    history: list[ReviewEventPublic]
    broadcasts: list[BroadcastPublic]


class IncidentsPage(BaseModel):
    """One page of incidents and the cursor of the next."""

    items: list[IncidentPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class BulkReviewResult(BaseModel):
    """How many incidents a bulk review changed."""

    updated: int


class BatchItemResult(BaseModel):
    """What happened to one incident of a batch."""

    id: str
    result: Literal["created", "exists", "conflict", "rejected"] = Field(
        description="created: stored now; exists: stored before (a retry); conflict: the id is taken by "
        "other content; rejected: see detail (e.g. unknown snapshot)."
    )
    detail: str | None = None


class BatchResult(BaseModel):
    """What happened to every incident of a batch."""

    created: int
    results: list[BatchItemResult]


# --- snapshots ---


class SnapshotPublic(Public):
    """A stored snapshot (fetch the image at /api/snapshots/{sha256})."""

    sha256: str
    media_type: str
    size: int
    width: int
    height: int


# --- broadcasts ---


class BroadcastCreate(Strict):
    """A loudspeaker warning that a station played (idempotent by id)."""

    id: Id
    ts: AwareDatetime
    drone_id: Id | None = None
    incident_id: Id | None = None
    grid_id: Id | None = None
    kind: Literal["no_mask", "crowd", "operator", "information"]
    language: Literal["zh", "en"]
    text: str = Field(min_length=1, max_length=2000)


# --- drones and telemetry ---


class DroneCreate(Strict):
    """A drone to add to the registry."""

    id: Id
    name: str = Field(min_length=1, max_length=128)


class DronePublic(Public):
    """A drone with its last known position."""

    id: str
    name: str
    station: str
    last_ts: datetime | None
    last_lon: float | None
    last_lat: float | None
    last_alt_m: float | None
    battery_pct: float | None
    mode: str | None
    mission_id: str | None


class TelemetryCreate(Strict):
    """One position report of a drone."""

    drone_id: Id
    ts: AwareDatetime
    lon: Lon
    lat: Lat
    alt_m: float = Field(ge=-500, le=10_000)
    mission_id: Id | None = None
    heading_deg: float | None = Field(None, ge=0, le=360)
    battery_pct: float | None = Field(None, ge=0, le=100)
    mode: str | None = Field(None, max_length=32)


class TelemetryPublic(Public):
    """One point of a drone's track."""

    ts: datetime
    lon: float
    lat: float
    alt_m: float
    heading_deg: float | None
    battery_pct: float | None


# --- missions ---

MissionStatus = Literal["planned", "uploaded", "flying", "paused", "returning", "done", "aborted"]


class MissionCreate(Strict):
    """A planned mission (idempotent by id)."""

    id: Id
    name: str = Field(min_length=1, max_length=128)
    drone_id: Id | None = None
    status: MissionStatus = "planned"
    plan: dict[str, Any] = Field(
        default_factory=dict, description="The planned route as a GeoJSON FeatureCollection (lon/lat)."
    )


class MissionUpdate(Strict):
    """A mission's new status."""

    status: MissionStatus


class MissionPublic(Public):
    """A mission as stored."""

    id: str
    name: str
    station: str
    drone_id: str | None
    status: str
    plan: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# --- users and auth ---


class LoginRequest(Strict):
    """A reviewer's or admin's credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenPublic(BaseModel):
    """A login token and when it expires."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: str
    username: str


class UserCreate(Strict):
    """A new reviewer or admin."""

    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    password: str = Field(min_length=8, max_length=256)
    role: Role = "reviewer"


class UserPublic(Public):
    """A user, without the password hash."""

    id: int
    username: str
    role: str


class StationKeyCreate(Strict):
    """The station a new API key is for."""

    station: Id


class StationKeyPublic(BaseModel):
    """A new station API key (shown once)."""

    station: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


# --- statistics ---


class CountBy(BaseModel):
    """A count under a key (type, status, grid or hour)."""

    key: str
    count: int


class StatsPublic(BaseModel):
    """Incident counts for the charts."""

    total: int
    by_type: list[CountBy]
    by_status: list[CountBy]
    by_grid: list[CountBy]
    by_hour: list[CountBy] = Field(description="Hour of day (00-23, UTC) and count.")
