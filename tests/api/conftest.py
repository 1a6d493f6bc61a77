"""Fixtures for the API tests: a throwaway PostgreSQL cluster, seeded template databases, apps and clients.

Every API test runs on SQLite and on PostgreSQL (``backend`` is parametrized). Each test gets a fresh database
copied from a template that was migrated and seeded once (users, tokens, station keys), so tests stay fast.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

# The test modules import helpers from api_testkit beside this file: put this folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_testkit import (
    Api,
    LiveServer,
    seed,
    start_server,
    stop_server,
)
from browser_kit import CHROMIUM, HANG_MS

from api.config import ApiConfig
from api.main import create_app
from api.pgcluster import create_database, drop_database, find_bindir, throwaway_cluster


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: ``GRIDPATROL_TEST_PG_URL`` or a throwaway cluster from Debian's binaries."""
    env = os.environ.get("GRIDPATROL_TEST_PG_URL")
    if env:
        yield env
        return
    if find_bindir() is None:
        pytest.skip("no PostgreSQL binaries (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """Name of a migrated, seeded PostgreSQL database to copy per test."""
    name = f"gp_tpl_{uuid.uuid4().hex[:8]}"
    seed(create_database(pg_admin_url, name))
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file to copy per test."""
    path = tmp_path_factory.mktemp("tpl") / "incidents.db"
    seed(f"sqlite:///{path}")
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL ``postgres``, so that ``-m "not postgres"`` leaves them out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


# --- per-test databases and apps


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, seeded database on ``backend``."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "incidents.db")
        yield f"sqlite:///{tmp_path / 'incidents.db'}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    tpl: str = request.getfixturevalue("pg_template")
    name = f"gp_{uuid.uuid4().hex[:12]}"
    yield create_database(admin_url, name, template=tpl)
    drop_database(admin_url, name)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> ApiConfig:
    """Settings for a test app: the fresh database, snapshots in ``tmp_path``, small limits."""
    return ApiConfig(
        data_dir=tmp_path / "data",
        database_url=database_url,
        max_snapshot_bytes=300_000,
        max_body_bytes=100_000,
        login_max_failures=3,
        thumbnail_px=64,
    )


@pytest.fixture
def api(config: ApiConfig) -> Iterator[Api]:
    """The app on a fresh database, called in-process."""
    app = create_app(config)
    with TestClient(app) as client:
        yield Api(client, app)
    app.state.engine.dispose()


# --- a real server for the live, client and browser tests


@pytest.fixture
def live_server(config: ApiConfig) -> Iterator[LiveServer]:
    """A real HTTP server on the fresh database."""
    live = start_server(create_app(config))
    yield live
    stop_server(live)
    live.app.state.engine.dispose()


# --- Chromium for the browser tests


@pytest.fixture(scope="module")
def shared_chromium() -> Iterator[Any]:
    """Headless Debian Chromium, launched once per test module (a launch takes seconds); tests take it through
    browser_kit's ``browser``. Skipped with a reason when Chromium is not installed."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=HANG_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
