"""Snapshots: upload (stations), download and thumbnails (anyone authenticated). Content-addressed on disk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy.exc import IntegrityError

from api.deps import Caller, ServicesDep, SessionDep, StationDep
from api.models import Snapshot
from api.schemas import SnapshotPublic
from api.store import SnapshotError

router = APIRouter(prefix="/snapshots", tags=["snapshots"])
ShaPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the image (lower-case hex).")]


@router.post(
    "",
    response_model=SnapshotPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same image was stored before."}, 413: {"description": "Too large."}},
)
def upload_snapshot(
    file: UploadFile, session: SessionDep, station: StationDep, services: ServicesDep, response: Response
) -> Snapshot:
    """Store a JPEG, PNG or WebP image under its SHA-256 and make a thumbnail; the same bytes store once."""
    limit = services.config.max_snapshot_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"snapshot is larger than {limit} bytes; send a smaller JPEG"
        )
    try:
        info = services.store.put(data)
    except SnapshotError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    existing = session.get(Snapshot, info.sha256)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return existing
    row = Snapshot(
        sha256=info.sha256, media_type=info.media_type, size=info.size,
        width=info.width, height=info.height, station=station.name,
    )  # fmt: skip
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same image arrived concurrently
        session.rollback()
        response.status_code = status.HTTP_200_OK
        return session.get_one(Snapshot, info.sha256)
    return row


def _row(session: SessionDep, sha: str) -> Snapshot:
    row = session.get(Snapshot, sha)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no snapshot {sha}")
    return row


@router.get("/{sha}", response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}}}})
def get_snapshot(sha: ShaPath, session: SessionDep, services: ServicesDep, _: Caller) -> FileResponse:
    """The image as uploaded."""
    row = _row(session, sha)
    path = services.store.image_path(row.sha256, row.media_type)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"snapshot {sha} is in the log but missing on disk")
    return FileResponse(path, media_type=row.media_type, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/{sha}/thumbnail", response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}}}})
def get_thumbnail(sha: ShaPath, session: SessionDep, services: ServicesDep, _: Caller) -> FileResponse:
    """A small JPEG of the image for lists and map pop-ups."""
    row = _row(session, sha)
    try:
        path = services.store.thumbnail(row.sha256, row.media_type)
    except FileNotFoundError:
        detail = f"snapshot {sha} is in the log but missing on disk"
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail) from None
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
