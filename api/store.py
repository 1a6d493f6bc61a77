"""Content-addressed snapshot store: ``<root>/<sha[:2]>/<sha>.<ext>``, and a JPEG thumbnail made on demand.

Only names that are a 64-character lower-case hex SHA-256 ever reach the file system, so no request can name a
path of its own. Images are checked with Pillow (JPEG, PNG or WebP only) before they are stored.

Example:
    >>> import io, tempfile
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (64, 48), "red").save(buf, "JPEG")
    >>> store = SnapshotStore(Path(tempfile.mkdtemp()), thumbnail_px=32)
    >>> info = store.put(buf.getvalue())
    >>> (info.width, info.height, info.media_type)
    (64, 48, 'image/jpeg')
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
EXT_TYPES = {ext: media for media, ext in FORMATS.values()}
MAX_PIXELS = 40_000_000


class SnapshotError(ValueError):
    """The upload is not an image we accept; the message says why."""


@dataclass(frozen=True)
class StoredImage:
    """What was stored."""

    sha256: str
    media_type: str
    size: int
    width: int
    height: int


class SnapshotStore:
    """Images on disk under their SHA-256, written atomically (temp file + rename)."""

    def __init__(self, root: Path, thumbnail_px: int = 320) -> None:
        self.root = root.resolve()
        self.thumbnail_px = thumbnail_px
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> StoredImage:
        """Check ``data`` is a JPEG/PNG/WebP image, store it and its thumbnail; the same bytes store once."""
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                probe.verify()
        except Exception as exc:  # any decoder failure (plugins such as ultralytics' HEIF hook raise their own)
            raise SnapshotError("snapshot is not a readable JPEG, PNG or WebP image") from exc
        if fmt not in FORMATS:
            raise SnapshotError(f"snapshot format {fmt or 'unknown'} is not accepted; send JPEG, PNG or WebP")
        if width * height > MAX_PIXELS:
            raise SnapshotError(f"snapshot is {width}x{height}; at most {MAX_PIXELS} pixels are accepted")
        media_type, ext = FORMATS[fmt]
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha, ext)
        if not path.exists():
            self._write(path, data)
        return StoredImage(sha, media_type, len(data), width, height)

    def _thumbnail(self, data: bytes) -> bytes:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (self.thumbnail_px, self.thumbnail_px))
            rgb = img.convert("RGB")
            rgb.thumbnail((self.thumbnail_px, self.thumbnail_px))
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=80)
            return out.getvalue()

    def _path(self, sha: str, ext: str) -> Path:
        if not SHA_RE.fullmatch(sha):
            raise SnapshotError("snapshot name must be a 64-character lower-case hex SHA-256")
        path = (self.root / sha[:2] / f"{sha}.{ext}").resolve()
        if path.parent.parent != self.root:
            raise SnapshotError("snapshot path escapes the store")
        return path

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def image_path(self, sha: str, media_type: str) -> Path:
        """Where the image with this SHA-256 and media type lives (it may not exist)."""
        ext = {m: e for m, e in FORMATS.values()}[media_type]
        return self._path(sha, ext)

    def delete(self, sha: str, media_type: str) -> None:
        """Remove an image and its thumbnail from disk (a redacted bystander's photo); missing files are fine."""
        self.image_path(sha, media_type).unlink(missing_ok=True)
        self._path(sha, "thumb.jpg").unlink(missing_ok=True)

    def thumbnail(self, sha: str, media_type: str) -> Path:
        """The thumbnail of a stored image, made on first request (uploads stay fast) and kept beside it.

        Raises:
            FileNotFoundError: the image itself is not in the store.
        """
        thumb = self._path(sha, "thumb.jpg")
        if not thumb.exists():
            self._write(thumb, self._thumbnail(self.image_path(sha, media_type).read_bytes()))
        return thumb
