"""``gridpatrol admin`` commands that list, revoke and rotate station keys and list, disable and reset users.

They call :mod:`api.accounts`, as the admin routes do, so both keep the same rules and audit entries. A revoked
key or disabled user fails on its next request; open live streams notice within ``[api] live_check_s``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gridpatrol.cli.api_common import actor, api_config, sessions
from gridpatrol.cli.core import fail


def list_keys() -> None:
    """List station keys: id, station, when issued, and whether revoked (never the keys themselves)."""
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        rows = accounts.list_station_keys(session)
    typer.echo("id\tstation\tcreated\trevoked")
    for k in rows:
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else ("yes" if k.revoked else "-")
        typer.echo(f"{k.id}\t{k.station}\t{k.created_at.isoformat(timespec='seconds')}\t{revoked}")


def revoke_key(key_id: Annotated[int, typer.Argument(help="Key id from list-keys.")]) -> None:
    """Revoke a station key: the station's next request with it fails."""
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        try:
            key = accounts.revoke_station_key(session, key_id, actor())
        except LookupError as exc:
            fail(str(exc))
            return
    typer.echo(f"revoked key {key.id} of station {key.station}", err=True)


def rotate_key(key_id: Annotated[int, typer.Argument(help="Key id from list-keys.")]) -> None:
    """Revoke a station key and issue its station a new one; prints only the new key on standard output."""
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        try:
            old, new, secret = accounts.rotate_station_key(session, key_id, actor())
        except (LookupError, ValueError) as exc:
            fail(str(exc))
            return
    typer.echo(f"revoked key {old.id}; new key {new.id} for station {new.station}:", err=True)
    typer.echo(secret)


def list_users() -> None:
    """List users: name, role, and whether disabled."""
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        rows = accounts.list_users(session)
    typer.echo("username\trole\tdisabled")
    for u in rows:
        typer.echo(f"{u.username}\t{u.role}\t{'yes' if u.disabled else '-'}")


def disable_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable a disabled user again instead.")] = False,
) -> None:
    """Disable a user (their logins end and they cannot log in), or enable them again with --enable."""
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        try:
            accounts.set_disabled(session, username, not enable, actor())
        except LookupError as exc:
            fail(str(exc))
    typer.echo(f"{'enabled' if enable else 'disabled'} user {username}", err=True)


def reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[bool, typer.Option(help="Read the new password from standard input.")] = False,
) -> None:
    """Give a user a new password (at least 12 characters, not easy to guess); all their logins end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    from api import accounts  # here: SQLAlchemy loads for the commands that use it

    with sessions(api_config())() as session:
        try:
            accounts.reset_password(session, username, password, actor())
        except (LookupError, ValueError) as exc:
            fail(str(exc))
    typer.echo(f"new password set for {username}; their logins ended", err=True)


def register_accounts(admin_app: typer.Typer) -> None:
    """Add the key and user commands to ``gridpatrol admin``."""
    for name, command in (
        ("list-keys", list_keys),
        ("revoke-key", revoke_key),
        ("rotate-key", rotate_key),
        ("list-users", list_users),
        ("disable-user", disable_user),
        ("reset-password", reset_password),
    ):
        admin_app.command(name)(command)
