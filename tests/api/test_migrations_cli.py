"""Alembic migrations match the models; the ``gridpatrol admin`` commands work end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from api.db import make_engine, migrate
from api.models import Base
from gridpatrol.cli import app


def test_migrations_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)  # already at head: a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_uses_wal(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_admin_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDPATROL_API__DATA_DIR", str(tmp_path / "db"))
    runner = CliRunner()
    made = runner.invoke(
        app, ["admin", "create-user", "ann", "--role", "admin", "--password-stdin"], "pass-word-1-long\n"
    )
    assert made.exit_code == 0, made.output
    assert "created admin ann" in made.output
    dup = runner.invoke(app, ["admin", "create-user", "ann", "--password-stdin"], input="pass-word-1-long\n")
    assert dup.exit_code == 2 and "already exists" in dup.output
    short = runner.invoke(app, ["admin", "create-user", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "password" in short.output
    key = runner.invoke(app, ["admin", "create-station-key", "st-1"])
    assert key.exit_code == 0 and key.stdout.strip().splitlines()[-1].startswith("gps_")
    bad = runner.invoke(app, ["admin", "create-station-key", "../x"])
    assert bad.exit_code == 2
    assert (tmp_path / "db" / "incidents.db").is_file()


def test_serve_starts_a_fresh_service(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import httpx
    from api_testkit import free_port

    port = free_port()
    env = {
        **os.environ,
        "GRIDPATROL_API__DATA_DIR": str(tmp_path / "db"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # bounds a hang only: a loaded machine may take long to start it
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gridpatrol serve never answered (exit code {proc.poll()})")
        assert httpx.get(f"http://127.0.0.1:{port}/api/incidents", timeout=30).status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "create the first admin" in output
    assert (tmp_path / "db" / "incidents.db").is_file()
