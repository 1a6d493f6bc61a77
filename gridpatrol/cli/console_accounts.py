"""``gridpatrol console``: the operator console's accounts and audit log (the console itself is served by
``gridpatrol run`` and ``demo``).

Named ``console_accounts``, not ``console``: ``gridpatrol.cli.console`` is the Rich console the other commands
print with, and a submodule of that name would shadow it.

Accounts live in the station's own file (``[console] db``, default ``console.db`` in the state folder), not in
the incident log: see docs/console.md.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gridpatrol.console.accounts import Accounts

console_app = typer.Typer(help="Operator console accounts (operator: fly and speak; observer: watch only).")


def _accounts() -> Accounts:
    from gridpatrol.cli import state
    from gridpatrol.console.accounts import Accounts
    from gridpatrol.console.server import accounts_path

    settings = state.settings
    return Accounts(accounts_path(settings.console, settings.station.state_dir))


def _fail(message: str) -> None:
    from gridpatrol.cli import fail

    fail(message)


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def add_user(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, _ . -).")],
    role: Annotated[str, typer.Option(help="operator (fly and speak) or observer (watch only).")] = "observer",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a console account (password: at least 12 characters, not easy to guess)."""
    from gridpatrol.console.accounts import AccountError

    password = _password(password_stdin)
    accounts = _accounts()
    try:
        accounts.add(username, password, role, actor="cli")
    except AccountError as exc:
        _fail(str(exc))
    finally:
        accounts.close()
    typer.echo(f"console user {username} created ({role}) in {accounts.path}", err=True)


def list_users() -> None:
    """List console accounts: name, role, and whether disabled."""
    accounts = _accounts()
    try:
        rows = accounts.users()
    finally:
        accounts.close()
    typer.echo("username\trole\tdisabled")
    for name, role, disabled in rows:
        typer.echo(f"{name}\t{role}\t{'yes' if disabled else '-'}")


def disable_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable a disabled account again instead.")] = False,
) -> None:
    """Disable an account: its logins and open console pages end within a second. --enable undoes it."""
    from gridpatrol.console.accounts import AccountError

    accounts = _accounts()
    try:
        accounts.set_disabled(username, not enable, actor="cli")
    except AccountError as exc:
        _fail(str(exc))
    finally:
        accounts.close()
    typer.echo(f"{'enabled' if enable else 'disabled'} console user {username}", err=True)


def reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[bool, typer.Option(help="Read the new password from standard input.")] = False,
) -> None:
    """Give an account a new password; its logins end."""
    from gridpatrol.console.accounts import AccountError

    password = _password(password_stdin)
    accounts = _accounts()
    try:
        accounts.set_password(username, password, actor="cli")
    except AccountError as exc:
        _fail(str(exc))
    finally:
        accounts.close()
    typer.echo(f"new password set for console user {username}; their logins ended", err=True)


def audit(limit: Annotated[int, typer.Option(min=1, max=10000, help="How many entries, newest first.")] = 50) -> None:
    """Print the audit log: when, who, what, on which drone, and what came of it (tab-separated)."""
    accounts = _accounts()
    try:
        entries = accounts.audit_log(limit)
    finally:
        accounts.close()
    typer.echo("at\tactor\taction\ttarget\tdetail\toutcome")
    for e in entries:
        typer.echo(f"{e.at}\t{e.actor}\t{e.action}\t{e.target}\t{e.detail}\t{e.outcome}")


def register(app: typer.Typer) -> None:
    """Add ``gridpatrol console ...`` to the command line."""
    for name, command in (
        ("add-user", add_user),
        ("list-users", list_users),
        ("disable-user", disable_user),
        ("reset-password", reset_password),
        ("audit", audit),
    ):
        console_app.command(name)(command)
    app.add_typer(console_app, name="console")
