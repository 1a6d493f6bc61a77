"""``gridpatrol grids push DISTRICT``: upload the grids of a district file to a running incident log.

A district file (see docs/planner.md) holds the fence, no-fly zones, streets and launch sites besides the grids;
only the ``kind: grid`` features are sent. Grids are changed by admins, so the command logs in as one (the
password is asked for, or read from standard input), replaces the grids with ``PUT /api/grids`` and logs out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpatrol.cli.api_common import api_config
from gridpatrol.cli.core import fail

grids_app = typer.Typer(help="The incident log's district grids.", no_args_is_help=True)


def read_district(path: Path) -> dict[str, Any]:
    """The ``kind: grid`` features of a district file (.geojson, .json or .kml) as a FeatureCollection."""
    from api.geo import district_grids

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".kml":
        from mission_planner.kml import kml_to_geojson

        data: Any = kml_to_geojson(text, source=str(path))
    else:
        data = json.loads(text)
    return district_grids(data)


@grids_app.command("push")
def push(
    district: Annotated[Path, typer.Argument(help="District file (.geojson, .json or .kml).", exists=True)],
    user: Annotated[str, typer.Option(help="An admin's login name.")],
    url: Annotated[str | None, typer.Option(help="The incident log (default: http://[api] host:port).")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Replace the incident log's grids with the grids of a district file (admins only)."""
    import httpx

    from api.geo import GridGeoJSONError

    try:
        collection = read_district(district)
    except (ValueError, GridGeoJSONError) as exc:
        fail(f"{district}: {exc}")
        return
    if not collection["features"]:
        fail(f"{district} has no features with kind 'grid'")
    config = api_config()
    base = (url or f"http://{config.host}:{config.port}").rstrip("/")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("password", hide_input=True)
    with httpx.Client(base_url=base + "/api", timeout=30) as client:
        try:
            login = client.post("/auth/login", json={"username": user, "password": password})
            if login.status_code != 200:
                fail(f"login as {user} failed ({login.status_code}): {login.json().get('detail')}")
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            resp = client.put("/grids", json=collection, headers=headers)
            client.post("/auth/logout", headers=headers)
        except httpx.TransportError as exc:
            fail(f"cannot reach the incident log at {base}: {exc}")
            return
    if resp.status_code != 200:
        fail(f"the incident log refused the grids ({resp.status_code}): {resp.json().get('detail')}")
    typer.echo(f"stored {resp.json()['grids']} grids from {district}")
