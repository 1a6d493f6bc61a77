"""The root of the ``gridpatrol`` command line: the app, its root options, and what every command shares.

``console``, ``fail`` and ``state`` live here, apart from ``gridpatrol.cli`` (which registers the commands), so a
command module can import them at its top without importing itself back through the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from gridpatrol import __version__
from gridpatrol.config import ConfigError, Settings, load_settings
from gridpatrol.logs import setup_logging

console = Console()
err_console = Console(stderr=True)


def _literal_help(command: Any) -> None:
    """Escape Rich markup in the help texts of ``command`` and everything under it, in place.

    Typer reads help texts as Rich markup, so "default: [fly] connect" showed as "default:  connect". Our help
    texts are plain words that name settings sections in brackets; none uses markup for styling.
    """
    if getattr(command, "rich_markup_mode", None) == "rich":
        for attr in ("help", "short_help", "epilog"):
            text = getattr(command, attr, None)
            if text:
                setattr(command, attr, escape(text))
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                param.help = escape(text)
    for sub in getattr(command, "commands", {}).values():  # a group: its commands and sub-groups
        _literal_help(sub)


class LiteralHelpGroup(TyperGroup):
    """The root command group: help texts of every command print literally, brackets included."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _literal_help(self)


app = typer.Typer(
    cls=LiteralHelpGroup,
    name="gridpatrol",
    help="Ground station for drone street patrols: plan, fly, detect, warn, log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    """What the root options decided, for the subcommands."""

    config_path: Path | None = None
    verbose: bool = False
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


state = State()


@app.callback()
def root(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Settings file (station.toml).", show_default=False)
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug messages.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Ground station for drone street patrols."""
    if version:
        console.print(f"gridpatrol {__version__}")
        raise typer.Exit()
    state.config_path = config
    state.verbose = verbose
    state._settings = None
    try:
        setup_logging(state.settings.logging, verbose=verbose)
    except ConfigError as exc:
        fail(str(exc))


def fail(message: str, code: int = 2) -> None:
    """Print an error for a person (no traceback) and exit.

    ``message`` prints literally: it often names a settings section such as ``[vision.detector]``, which Rich
    markup would swallow. Do not escape it.
    """
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)
