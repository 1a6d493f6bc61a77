"""Snapshots: content-addressed upload, download, thumbnails, size/type limits and path traversal."""

from __future__ import annotations

import hashlib
import io

from api_testkit import Api, incident_body, jpeg
from PIL import Image


def test_upload_download_thumbnail_and_dedupe(api: Api) -> None:
    image = jpeg(320, 240, seed=1)
    up = api.client.post("/api/snapshots", files={"file": ("a.jpg", image)}, headers=api.station)
    assert up.status_code == 201, up.text
    sha = hashlib.sha256(image).hexdigest()
    assert up.json() == {
        "sha256": sha,
        "media_type": "image/jpeg",
        "size": len(image),
        "width": 320,
        "height": 240,
    }
    again = api.client.post("/api/snapshots", files={"file": ("b.jpg", image)}, headers=api.station)
    assert again.status_code == 200 and again.json()["sha256"] == sha
    down = api.client.get(f"/api/snapshots/{sha}", headers=api.reviewer)
    assert down.status_code == 200 and down.content == image
    assert down.headers["content-type"] == "image/jpeg"
    thumb = api.client.get(f"/api/snapshots/{sha}/thumbnail", headers=api.reviewer)
    with Image.open(io.BytesIO(thumb.content)) as img:
        assert img.format == "JPEG" and max(img.size) == 64
    stored = list((api.app.state.services.store.root).rglob(f"{sha}*"))
    assert sorted(p.name for p in stored) == [f"{sha}.jpg", f"{sha}.thumb.jpg"]
    inc = api.client.post("/api/incidents", json=incident_body(snapshot_sha=sha), headers=api.station)
    assert inc.status_code == 201 and inc.json()["snapshot_sha"] == sha


def test_png_is_accepted_and_text_is_refused(api: Api) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), "white").save(buf, "PNG")
    png = api.client.post("/api/snapshots", files={"file": ("x.png", buf.getvalue())}, headers=api.station)
    assert png.status_code == 201 and png.json()["media_type"] == "image/png"
    text = api.client.post("/api/snapshots", files={"file": ("x.jpg", b"not an image" * 10)}, headers=api.station)
    assert text.status_code == 415 and "JPEG" in text.json()["detail"]
    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, "GIF")
    refused = api.client.post("/api/snapshots", files={"file": ("x.gif", gif.getvalue())}, headers=api.station)
    assert refused.status_code == 415 and "GIF" in refused.json()["detail"]


def test_size_limit_and_auth(api: Api) -> None:
    big = jpeg(1600, 1200, seed=2, quality=95)
    assert len(big) > 300_000
    resp = api.client.post("/api/snapshots", files={"file": ("big.jpg", big)}, headers=api.station)
    assert resp.status_code == 413
    assert list(api.app.state.services.store.root.rglob("*.jpg")) == []
    small = jpeg(32, 32)
    assert api.client.post("/api/snapshots", files={"file": ("s.jpg", small)}).status_code == 401
    assert api.client.post("/api/snapshots", files={"file": ("s.jpg", small)}, headers=api.reviewer).status_code == 403


def test_unknown_snapshot_and_path_traversal(api: Api) -> None:
    unknown = "a" * 64
    assert api.client.get(f"/api/snapshots/{unknown}", headers=api.reviewer).status_code == 404
    for name in ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "%2e%2e%2fincidents.db", "A" * 64, "a" * 63):
        resp = api.client.get(f"/api/snapshots/{name}", headers=api.reviewer)
        assert resp.status_code in (404, 422), (name, resp.status_code)
        assert b"root:" not in resp.content
    ref = api.client.post("/api/incidents", json=incident_body(snapshot_sha="b" * 64), headers=api.station)
    assert ref.status_code == 422 and "upload it first" in ref.json()["detail"]


def test_junk_is_refused_with_415_even_with_ultralytics_pil_hook(api: Api) -> None:
    """ultralytics patches ``PIL.Image.open`` on import (a HEIF opener on the first unidentified file): whatever it
    raises for junk bytes must still be a 415 "not an image", never a 500."""
    import ultralytics.utils.patches  # noqa: F401  (the patch is applied on import, as in a station process)

    assert Image.open.__module__ == "ultralytics.utils.patches"
    junk = api.client.post("/api/snapshots", files={"file": ("x.jpg", b"\x00junk" * 40)}, headers=api.station)
    assert junk.status_code == 415 and "JPEG" in junk.json()["detail"], junk.text
