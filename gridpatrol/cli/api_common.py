"""What the ``gridpatrol serve``, ``admin`` and ``grids`` commands share: the ``[api]`` settings, the database
sessions, the audit log's name for the command line, and quiet standard output for commands that print a secret.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.config import ApiConfig
from gridpatrol.cli.core import state


def api_config() -> ApiConfig:
    """The ``[api]`` section of the settings the root options chose."""
    return state.settings.api


def actor() -> str:
    """How the command line is named in the audit log."""
    try:
        return f"cli {getpass.getuser()}"
    except Exception:  # no user name in this environment (containers)
        return "cli"


@contextmanager
def logs_to_stderr() -> Iterator[None]:
    """Send every log handler that writes to standard output to standard error meanwhile (secret commands)."""
    from rich.console import Console
    from rich.logging import RichHandler

    moved: list[tuple[logging.Handler, Any]] = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RichHandler) and not handler.console.stderr:
            moved.append((handler, handler.console))
            handler.console = Console(stderr=True)
        elif isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            moved.append((handler, handler.stream))
            handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler, old in moved:
            if isinstance(handler, RichHandler):
                handler.console = old
            elif isinstance(handler, logging.StreamHandler):
                handler.setStream(old)


def sessions(config: ApiConfig) -> sessionmaker[Session]:
    """Sessions on the incident log's database, created and migrated to the newest schema first."""
    from api.db import make_engine, migrate, session_factory

    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.sqlalchemy_url())
    migrate(engine)
    return session_factory(engine)
