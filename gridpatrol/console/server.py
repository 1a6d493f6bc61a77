"""Serve the console beside a running station (``gridpatrol run`` and ``demo``), in a thread of the station's
process: the console reads the station's live objects, so it cannot run elsewhere.

Closing or reloading the page never stops a flight: the page only reads and sends commands; the station runs
the flights whatever the browser does.

Example:
    >>> with serve_console(station, settings) as server:  # doctest: +SKIP
    ...     print(server.url)
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.config import ConsoleConfig

log = logging.getLogger(__name__)


def accounts_path(config: ConsoleConfig, state_dir: Path) -> Path:
    """The console's accounts file: ``[console] db``, else ``console.db`` in the state folder."""
    return Path(config.db) if config.db is not None else Path(state_dir) / "console.db"


class ConsoleServer:
    """The console app on uvicorn in a daemon thread, and the sampler that feeds it.

    Args:
        station: The running station.
        config: The ``[console]`` section (``port`` 0: any free port, for tests).
        accounts: The accounts file.
    """

    def __init__(self, station: Any, config: ConsoleConfig, accounts: Accounts) -> None:
        import uvicorn

        from gridpatrol.console.app import create_console_app

        self.config = config
        self.accounts = accounts
        self.app = create_console_app(station, config, accounts)
        uv = uvicorn.Config(self.app, host=config.host, port=config.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(uv)
        self.thread = threading.Thread(target=self._serve, name="console-http", daemon=True)
        self.url = config.url

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn exits when it cannot bind; start() reports it
            log.debug("console server thread ended: it could not start")

    def start(self, timeout_s: float = 15.0) -> ConsoleServer:
        """Start sampling and serving; returns once the server listens.

        Raises:
            RuntimeError: it did not start (the port is taken, for example).
        """
        self.app.state.watch.start()
        self.app.state.scheduler.start()
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.app.state.watch.stop()
                self.app.state.scheduler.stop()
                raise RuntimeError(
                    f"the console could not listen on {self.config.host}:{self.config.port}; "
                    "is the port taken? set [console] port"
                )
            time.sleep(0.02)
        servers = getattr(self.server, "servers", [])
        if servers and servers[0].sockets:
            port = servers[0].sockets[0].getsockname()[1]
            self.url = f"http://{self.config.host}:{port}/"
        return self

    def stop(self) -> None:
        """Stop serving (open streams end), sampling and taking video frames."""
        self.server.should_exit = True
        self.thread.join(5.0)
        self.app.state.watch.stop()
        self.app.state.scheduler.stop()
        self.app.state.video.stop()


@contextlib.contextmanager
def serve_console(
    station: Any, settings: Any, *, state_dir: Path | None = None, demo_operator: tuple[str, str] | None = None
) -> Iterator[ConsoleServer | None]:
    """Serve the console for ``station`` while the block runs; yields None when ``[console] enabled`` is off or it
    could not start (the patrol goes on; the reason is logged and noted to the operator).

    ``demo_operator``: (name, password) of an operator account to create if missing (``gridpatrol demo``).
    """
    config: ConsoleConfig = settings.console
    if not config.enabled:
        yield None
        return
    accounts = Accounts(accounts_path(config, Path(state_dir or settings.station.state_dir)))
    if demo_operator and demo_operator[0] not in {u for u, _, _ in accounts.users()}:
        accounts.add(demo_operator[0], demo_operator[1], "operator", check_policy=False, actor="demo")
    server: ConsoleServer | None = None
    try:
        server = ConsoleServer(station, config, accounts).start()
    except RuntimeError as exc:
        log.warning("%s", exc)
        station.note(f"console: {exc}")
    try:
        yield server
    finally:
        if server is not None:
            server.stop()
        accounts.close()
