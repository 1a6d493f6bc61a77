"""A throwaway PostgreSQL cluster from Debian's binaries, for tests and benchmarks (never for production).

Runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` in a temporary directory, listening on
127.0.0.1 only, as the ``postgres`` user when we are root (PostgreSQL refuses to run as root).

Example:
    >>> bins = find_bindir()  # None when PostgreSQL is not installed
    >>> bins is None or (bins / "initdb").exists()
    True
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb``, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster, yield its SQLAlchemy URL (database ``postgres``), stop and delete it afterwards.

    Raises:
        FileNotFoundError: no PostgreSQL binaries; install Debian's ``postgresql`` package.
    """
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="gp-pg-"))
    as_pg: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    try:
        subprocess.run(
            [*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            [
                *as_pg,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if data.exists():
            subprocess.run(
                [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` (optionally copied from ``template``) and return its SQLAlchemy URL."""
    import psycopg

    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name {name!r} must be letters, digits and '_'")
    sql = f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
    with psycopg.connect(admin_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(sql.encode())
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name``, disconnecting its sessions."""
    import psycopg

    with psycopg.connect(admin_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
