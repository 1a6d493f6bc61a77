"""What the ``gridpatrol serve``, ``admin`` and ``grids`` commands share: the ``[api]`` settings, the database
sessions and the audit log's name for the command line. (Their logs never reach standard output, where a secret or
a list is printed: :func:`gridpatrol.logs.setup_logging` writes every command's log to standard error.)
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

from api.config import ApiConfig
from gridpatrol.cli.core import state

if TYPE_CHECKING:  # SQLAlchemy loads when a command opens the database, not for every command
    from sqlalchemy.orm import Session, sessionmaker


def api_config() -> ApiConfig:
    """The ``[api]`` section of the settings the root options chose."""
    return state.settings.api


def actor() -> str:
    """How the command line is named in the audit log."""
    try:
        return f"cli {getpass.getuser()}"
    except Exception:  # no user name in this environment (containers)
        return "cli"


def sessions(config: ApiConfig) -> sessionmaker[Session]:
    """Sessions on the incident log's database, created and migrated to the newest schema first."""
    from api.db import make_engine, migrate, session_factory

    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.sqlalchemy_url())
    migrate(engine)
    return session_factory(engine)
