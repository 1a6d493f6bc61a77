"""``gridpatrol serve``, ``gridpatrol admin ...`` and ``gridpatrol grids push``: run the incident log, manage its
users and keys, upload a district's grids.

The admin commands work on the database directly (run them on the server); each change is kept in the audit log
as done by ``cli <os user>``. Commands that print a secret print only the secret on standard output (logs and
messages go to standard error), so ``KEY=$(gridpatrol admin create-station-key s1)`` captures just the key.

Example (shell)::

    gridpatrol admin create-user ann --role admin          # asks for the password twice
    KEY=$(gridpatrol admin create-station-key station-1)   # the key, once
    gridpatrol admin list-keys                             # id, station, issued, revoked
    gridpatrol admin rotate-key 3                          # revokes key 3, prints its replacement
    gridpatrol grids push examples/district.geojson --user ann
    gridpatrol serve --port 8321
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gridpatrol.cli.api_accounts import register_accounts
from gridpatrol.cli.api_common import actor, api_config, sessions
from gridpatrol.cli.api_grids import grids_app
from gridpatrol.cli.core import console, fail

admin_app = typer.Typer(help="Manage users and station keys of the incident log.", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default: [api] host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: [api] port).")] = None,
) -> None:
    """Start the incident log API and browser UI (creates and migrates the database first)."""
    import uvicorn
    from sqlalchemy import func, select

    from api.main import create_app
    from api.models import User

    config = api_config()
    try:
        app = create_app(config)
    except Exception as exc:  # database unreachable, data dir not writable
        fail(f"cannot start the API: {exc}")
    with app.state.services.sessions() as session:
        if session.scalar(select(func.count()).select_from(User)) == 0:
            console.print("no users yet: create the first admin with `gridpatrol admin create-user NAME --role admin`")
    console.print(f"incident log on http://{host or config.host}:{port or config.port}/", highlight=False, markup=False)
    uvicorn.run(
        app,
        host=host or config.host,
        port=port or config.port,
        log_level="info",
        access_log=True,
        timeout_graceful_shutdown=3,  # open live streams would otherwise hold Ctrl+C
    )


@admin_app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ -).")],
    role: Annotated[str, typer.Option(help="reviewer or admin.")] = "reviewer",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Add a reviewer or admin (the first admin is made this way)."""
    from pydantic import ValidationError

    from api.accounts import add_user
    from api.schemas import UserCreate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        body = UserCreate(username=username, password=password, role=role)
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid user: {errs}")
        return
    with sessions(api_config())() as session:
        try:
            add_user(session, body.username, body.password, body.role, actor=actor())
        except ValueError as exc:
            fail(str(exc))
    console.print(f"created {body.role} {body.username}", highlight=False)


@admin_app.command("create-station-key")
def create_station_key(
    station: Annotated[str, typer.Argument(help="Station name the key belongs to.")],
) -> None:
    """Issue an API key for a station; it is printed once and only its hash is stored."""
    from api.accounts import add_station_key
    from api.schemas import StationKeyCreate

    try:
        StationKeyCreate(station=station)
    except Exception:
        fail("station name must be 1-64 letters, digits, '_', '.', ':' or '-'")
    with sessions(api_config())() as session:
        key = add_station_key(session, station, actor=actor())
    typer.echo(key)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``admin`` and ``grids`` to the ``gridpatrol`` command line."""
    register_accounts(admin_app)
    app.command("serve")(serve)
    app.add_typer(admin_app, name="admin")
    app.add_typer(grids_app, name="grids")
