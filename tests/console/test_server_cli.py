"""Serving the console beside a station (what ``gridpatrol run`` and ``demo`` do) and the ``gridpatrol console``
account commands, on a real station that has not taken off and a real accounts file."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_kit import patrol
from typer.testing import CliRunner

from gridpatrol.config import Settings
from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.console.server import accounts_path, serve_console
from gridpatrol.station.demo import free_port


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with patrol(tmp_path_factory.mktemp("console-serve"), fly=False) as (st, _):
        yield st


def settings_for(port: int, **console: Any) -> Settings:
    return Settings().model_copy(update={"console": ConsoleConfig(port=port, **console)})


def test_served_beside_the_station_with_the_demo_operator(station: Any, tmp_path: Path) -> None:
    port = free_port()
    with serve_console(station, settings_for(port), state_dir=tmp_path, demo_operator=("demo", "demo-pw-12345")) as web:
        assert web is not None and web.url == f"http://127.0.0.1:{port}/"
        with httpx.Client(base_url=web.url) as http:
            assert http.get("/api/health").json() == {"status": "ok"}
            r = http.post("/api/login", json={"username": "demo", "password": "demo-pw-12345"})
            assert r.status_code == 200 and r.json()["role"] == "operator"
            assert [d["id"] for d in http.get("/api/drones").json()["drones"]] == ["drone-1", "drone-2"]
    assert (tmp_path / "console.db").is_file()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)


def test_a_taken_port_or_disabled_console_leaves_the_patrol_alone(station: Any, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with serve_console(station, settings_for(port), state_dir=tmp_path) as web:
            assert web is None
        assert any("console: the console could not listen" in m and "[console] port" in m for m in station.messages)
    with serve_console(station, settings_for(free_port(), enabled=False), state_dir=tmp_path) as web:
        assert web is None


def test_console_commands_manage_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridpatrol.cli import app, state

    db = tmp_path / "accounts.db"
    monkeypatch.setenv("GRIDPATROL_CONSOLE__DB", str(db))
    state._settings = None
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(app, ["console", *args], input=stdin)

    assert accounts_path(Settings().console, tmp_path / "state") == db
    r = run("add-user", "ann", "--role", "operator", "--password-stdin", stdin="correct horse battery 42\n")
    assert r.exit_code == 0, r.output
    weak = run("add-user", "bob", "--password-stdin", stdin="password\n")
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    bad_role = run("add-user", "cy", "--role", "admin", "--password-stdin", stdin="correct horse battery 42\n")
    assert bad_role.exit_code == 2 and "operator or observer" in bad_role.output
    listed = run("list-users")
    assert listed.exit_code == 0 and "ann\toperator\t-" in listed.output
    assert run("disable-user", "ann").exit_code == 0
    assert "ann\toperator\tyes" in run("list-users").output
    assert run("disable-user", "nobody").exit_code == 2
    accounts = Accounts(db)
    assert [(u, r, d) for u, r, d in accounts.users()] == [("ann", "operator", True)]
    accounts.close()
    audit = run("audit")
    assert audit.exit_code == 0 and "cli\tdisable-user\tann" in audit.output
    state._settings = None


def test_the_command_module_leaves_the_cli_console_alone() -> None:
    """A command module called ``console`` once replaced the Rich console that every command prints with."""
    from rich.console import Console

    import gridpatrol.cli

    assert isinstance(gridpatrol.cli.console, Console)
    assert "gridpatrol.cli.console_accounts" in gridpatrol.cli.COMMAND_MODULES
