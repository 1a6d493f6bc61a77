"""Console logging: per-request HTTP lines are hidden unless --verbose."""

from __future__ import annotations

import logging

from gridpatrol.config import LoggingConfig
from gridpatrol.logs import setup_logging


def test_http_request_lines_only_with_verbose() -> None:
    try:
        setup_logging(LoggingConfig())
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("gridpatrol").isEnabledFor(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.NOTSET)  # as a fresh process starts
        setup_logging(LoggingConfig(), verbose=True)
        assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)  # verbose shows every request
    finally:
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.basicConfig(force=True)
