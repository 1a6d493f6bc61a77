"""Batch ingest: many incidents and their snapshots in one request and one transaction (station outboxes).

A station that was offline, or one that reports many incidents a second, sends them together: a multipart form
with ``incidents`` (a JSON array of incident objects) and the snapshot files they name by SHA-256. Each
incident gets its own result, so a retry of a half-seen batch is safe: stored ones come back as ``exists``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile, status
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import ServicesDep, SessionDep, StationDep
from api.models import Incident, Snapshot
from api.routes.incidents import new_incident, same_incident, unknown_snapshot
from api.schemas import BatchItemResult, BatchResult, IncidentCreate, IncidentPublic
from api.store import SnapshotError, StoredImage

router = APIRouter(prefix="/incidents", tags=["incidents"])
_ITEMS = TypeAdapter(list[IncidentCreate])


def _store_files(files: list[UploadFile], services: ServicesDep) -> list[StoredImage]:
    limit = services.config.max_snapshot_bytes
    stored: list[StoredImage] = []
    for i, upload in enumerate(files):
        data = upload.file.read(limit + 1)
        name = f"files[{i}] ({upload.filename or 'unnamed'})"
        if len(data) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{name} is larger than {limit} bytes")
        try:
            stored.append(services.store.put(data))
        except SnapshotError as exc:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"{name}: {exc}") from None
    return stored


@router.post("/batch", response_model=BatchResult)
def ingest_batch(
    session: SessionDep,
    station: StationDep,
    services: ServicesDep,
    incidents: Annotated[str, Form(description="JSON array of incidents (as for POST /incidents).")],
    files: Annotated[list[UploadFile] | None, File(description="Snapshots the incidents name.")] = None,
) -> BatchResult:
    """Store many incidents and snapshots at once; each incident is created, found (a retry) or refused."""
    try:
        items = _ITEMS.validate_json(incidents)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors) from None
    if not 0 < len(items) <= services.config.max_batch_items:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"send 1 to {services.config.max_batch_items} incidents per batch (got {len(items)})",
        )
    images = {img.sha256: img for img in _store_files(files or [], services)}
    known = set(session.scalars(select(Snapshot.sha256).where(Snapshot.sha256.in_(list(images)))))
    for sha, img in images.items():
        if sha not in known:
            session.add(
                Snapshot(
                    sha256=sha, media_type=img.media_type, size=img.size,
                    width=img.width, height=img.height, station=station.name,
                )
            )  # fmt: skip
    named = {i.snapshot_sha for i in items if i.snapshot_sha and i.snapshot_sha not in images}
    if named:
        known |= set(session.scalars(select(Snapshot.sha256).where(Snapshot.sha256.in_(list(named)))))
    existing = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_([b.id for b in items])))}
    results: list[BatchItemResult] = []
    created: list[Incident] = []
    for body in items:
        if body.id in existing:
            same = same_incident(existing[body.id], body, station.name)
            results.append(BatchItemResult(id=body.id, result="exists" if same else "conflict"))
        elif body.snapshot_sha and body.snapshot_sha not in images and body.snapshot_sha not in known:
            results.append(BatchItemResult(id=body.id, result="rejected", detail=unknown_snapshot(body.snapshot_sha)))
        else:
            incident = new_incident(session, body, station.name, services.grids)
            session.add(incident)
            existing[body.id] = incident
            created.append(incident)
            results.append(BatchItemResult(id=body.id, result="created"))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "another request stored some of these incidents meanwhile; send the batch again",
        ) from None
    for incident in created:
        services.hub.publish("incident", IncidentPublic.model_validate(incident).model_dump(mode="json"))
    return BatchResult(created=len(created), results=results)
