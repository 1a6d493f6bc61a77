"""The ``gridpatrol`` command line: the root app (:mod:`gridpatrol.cli.core`) and one command module per package.

The libraries (``mission_planner``, ``flight``, ``vision``, ``speaker``, ``api``, ``sim``) hold no command line
and never import ``gridpatrol``; their commands live here and hand them settings and paths as arguments
(see docs/architecture.md). ``app``, ``console``, ``fail``, ``state`` and ``main`` stay importable from here.
"""

from __future__ import annotations

import importlib
import sys

from gridpatrol.cli.core import State, app, console, err_console, fail, state

__all__ = ["COMMAND_MODULES", "State", "app", "console", "err_console", "fail", "main", "state"]

# Modules that add commands; each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "gridpatrol.cli.planner",
    "gridpatrol.cli.api",
    "gridpatrol.cli.sim",
    "gridpatrol.cli.sitl",
    "gridpatrol.cli.speaker",
    "gridpatrol.cli.flight",
    "gridpatrol.cli.vision",
    "gridpatrol.cli.models",
    "gridpatrol.outbox_cli",
    "gridpatrol.station.cli",
    "gridpatrol.cli.console_accounts",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point of the ``gridpatrol`` script."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
