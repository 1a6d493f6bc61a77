"""A byte relay between a simulator's TCP port and another transport, like mavlink-router or a radio pair.

It lets the tests drive the link forms the simulator does not offer itself (``udpin:``, ``tcpin:``, a serial
device) with real sockets and a real pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import tty
from types import TracebackType


class Relay:
    """Copies bytes both ways between the simulator (TCP client) and one peer until :meth:`close`."""

    def __init__(self, sim_endpoint: str, peer: str) -> None:
        host, port = sim_endpoint.removeprefix("tcp:").rsplit(":", 1)
        self.sim = socket.create_connection((host, int(port)))
        self.peer_kind = peer
        self._stop = threading.Event()
        #: While set, bytes are read and dropped both ways: a radio out of range (the vehicle side keeps running).
        self.blocked = threading.Event()
        self.udp_target: tuple[str, int] | None = None
        self.tcp_target: tuple[str, int] | None = None
        self.master_fd: int | None = None
        self.device: str | None = None
        if peer == "pty":
            self.master_fd, slave_fd = os.openpty()
            tty.setraw(slave_fd)  # no echo, no newline translation: MAVLink is binary
            self.device = os.ttyname(slave_fd)
            self._slave_fd = slave_fd
        self._thread: threading.Thread | None = None

    def to_udp(self, port: int) -> Relay:
        """Send the vehicle's bytes as datagrams to 127.0.0.1:port (our ``udpin:``)."""
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp_target = ("127.0.0.1", port)
        return self._start()

    def to_tcp(self, port: int) -> Relay:
        """Connect to 127.0.0.1:port (our ``tcpin:``) and relay over it."""
        self.tcp = socket.create_connection(("127.0.0.1", port))
        self.tcp_target = ("127.0.0.1", port)
        return self._start()

    def to_pty(self) -> Relay:
        """Relay over a pseudo-terminal; open :attr:`device` as a serial port."""
        return self._start()

    def _peer(self) -> int | socket.socket:
        if self.udp_target is not None:
            return self.udp
        if self.tcp_target is not None:
            return self.tcp
        assert self.master_fd is not None
        return self.master_fd

    def _start(self) -> Relay:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        peer = self._peer()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.sim, peer], [], [], 0.05)
            except (OSError, ValueError):
                return
            for r in ready:
                try:
                    if r is self.sim:
                        data = self.sim.recv(65536)
                        if not data:
                            return
                        if not self.blocked.is_set():
                            self._to_peer(data)
                    else:
                        data = os.read(peer, 65536) if isinstance(peer, int) else peer.recv(65536)
                        if not data and not isinstance(peer, int):
                            return
                        if not self.blocked.is_set():
                            self.sim.sendall(data)
                except OSError:
                    return

    def _to_peer(self, data: bytes) -> None:
        if self.udp_target is not None:
            self.udp.sendto(data, self.udp_target)
        elif self.tcp_target is not None:
            self.tcp.sendall(data)
        else:
            assert self.master_fd is not None
            os.write(self.master_fd, data)

    def close(self) -> None:
        """Stop relaying and close everything."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for sock in (self.sim, getattr(self, "udp", None), getattr(self, "tcp", None)):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        for fd in (self.master_fd, getattr(self, "_slave_fd", None)):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
