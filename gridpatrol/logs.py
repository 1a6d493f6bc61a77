"""Logging set-up for the station: rich console output, optional daily-rotated file."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from gridpatrol.config import LoggingConfig

#: Libraries that log every request at INFO: shown only with --verbose (or at WARNING and above).
NOISY_LOGGERS = ("httpx", "httpcore")


def setup_logging(config: LoggingConfig, *, verbose: bool = False) -> None:
    """Route every logger to the terminal's standard error (and a file when configured) at the configured level."""
    level = logging.DEBUG if verbose else getattr(logging, config.level)
    # to standard error: standard output carries what a command answers (tables, JSON, tab-separated lists), and
    # a log line from any thread (a link reconnecting) once landed in the middle of `gridpatrol admin list-keys`
    console = Console(stderr=True)
    handlers: list[logging.Handler] = [
        RichHandler(console=console, show_path=False, rich_tracebacks=False, markup=False)
    ]
    if config.file is not None:
        Path(config.file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.TimedRotatingFileHandler(config.file, when="midnight", backupCount=14)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(file_handler)
    logging.basicConfig(level=level, handlers=handlers, format="%(message)s", force=True)
    if not verbose:  # one INFO line per HTTP request (the outbox's deliveries, the demo's reads) drowns the rest
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(max(level, logging.WARNING))
