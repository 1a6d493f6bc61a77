"""Request and response models, one family per resource (``XCreate``, ``XUpdate``, ``XPublic``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from api.validation import ReadFloat, ReadJson, ReadText, Timestamp, check_json_fields, json_problem
from incidents import INCIDENT_TYPES as INCIDENT_TYPES
from incidents import Id, Incident, Lat, Lon
from incidents import IncidentType as IncidentType

# Ids, hashes, positions and incident types are the incident contract's (one declaration for vision, the
# loudspeaker, the station's outbox and this API, re-exported here); other resources use them too.
Status = Literal["new", "confirmed", "dismissed", "resolved"]
# Every status a review may set. ``new`` puts an incident back in the queue (a reviewer undoing a review);
# like every review it is kept in the incident's history.
ReviewStatus = Literal["new", "confirmed", "dismissed", "resolved"]
Role = Literal["reviewer", "admin"]


DETAILS_MAX_DEPTH = 8
DETAILS_MAX_CHARS = 8000


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    """``details`` stays small and flat enough for lists, exports and the UI."""
    import json

    problem = json_problem(value, DETAILS_MAX_DEPTH)
    if problem:
        raise ValueError(f"details: {problem}")
    if len(json.dumps(value, ensure_ascii=False)) > DETAILS_MAX_CHARS:
        raise ValueError(f"details is larger than {DETAILS_MAX_CHARS} characters; keep only a few fields")
    return value


class Strict(BaseModel):
    """Request bodies: unknown fields are errors, and every value must come back out as JSON text.

    Numbers must be finite; text must be valid Unicode; nested values at most 16 levels deep. A bad value is
    a 422 whose ``loc`` names the field, before anything is stored.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _round_trips_as_json(cls, value: Any) -> Any:
        return check_json_fields(value)


class Public(BaseModel):
    """Responses, built from ORM rows (rows stored by older versions are read with ``Read*`` types)."""

    model_config = ConfigDict(from_attributes=True)


# --- incidents ---


class IncidentCreate(Strict, Incident):
    """What a station sends: the shared incident contract (:class:`incidents.Incident`, one set of names and
    limits from the camera to here), with the API's request hardening on top: every value must round-trip as
    JSON, ``details`` stays small and shallow, and ``ts`` lies between 2000 and a day from now.

    ``id`` is required here (chosen by the station, so a retry returns the same incident).
    """

    id: Id
    ts: Timestamp = Field(description="When the frame was taken (timezone-aware, e.g. ...Z; 2000 to now + 1 day).")
    details: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(default_factory=dict)


class IncidentUpdate(Strict):
    """A review decision, or ``new`` to undo one (the incident goes back to the review queue)."""

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
    lon: ReadFloat
    lat: ReadFloat
    people: int
    confidence: ReadFloat
    snapshot_sha: str | None
    details: ReadJson
    note: ReadText | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime


class ReviewEventPublic(Public):
    """One review decision in an incident's history."""

    at: datetime
    reviewer: str
    from_status: str
    to_status: str
    note: ReadText | None


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
    ts: Timestamp
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
    ts: Timestamp
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
    plan: ReadJson
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


Username = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$"),
    Field(title="User name", description="1-64 letters, digits, '_', '.' or '-'."),
]


def _policy(password: str, username: str) -> str:
    from api.security import password_problem

    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    return password


class UserCreate(Strict):
    """A new reviewer or admin."""

    username: Username
    password: str = Field(
        min_length=1,
        max_length=256,
        title="Password",
        description="At least 12 characters and not easy to guess (zxcvbn score 3 or more).",
    )
    role: Role = "reviewer"

    @field_validator("password")
    @classmethod
    def _strong(cls, password: str, info: ValidationInfo) -> str:
        return _policy(password, str(info.data.get("username", "")))


class PasswordReset(Strict):
    """A user's new password (set by an admin); every login of the user ends."""

    password: str = Field(
        min_length=1, max_length=256, title="New password", description="The same policy as for new users."
    )


class UserPublic(Public):
    """A user, without the password hash."""

    id: int
    username: str
    role: str
    disabled: bool = Field(description="A disabled user cannot log in; the user's tokens were ended.")
    created_at: datetime


class StationKeyCreate(Strict):
    """The station a new API key is for."""

    station: Id


class StationKeyPublic(BaseModel):
    """A new station API key (shown once)."""

    id: int = Field(description="The key's id, for revoking or rotating it.")
    station: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


class StationKeyInfo(Public):
    """A station key as listed: never the key itself."""

    id: int
    station: str
    created_at: datetime
    revoked: bool
    revoked_at: datetime | None


class AuditEventPublic(Public):
    """One admin action."""

    id: int
    at: datetime
    actor: str = Field(description="`admin NAME` (API) or `cli USER` (gridpatrol admin).")
    action: str
    target: str
    detail: ReadText | None


class Redaction(Strict):
    """What to remove from an incident, and why (kept in the audit log)."""

    remove: list[Literal["snapshot", "details", "note"]] = Field(
        min_length=1,
        title="Parts to remove",
        description="snapshot: the image (deleted from disk when no other incident uses it); details; note.",
    )
    reason: str = Field(min_length=1, max_length=500, title="Reason", description="Why, for the audit log.")


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
