"""Sockets a simulated vehicle listens on, and the faults its radio link can suffer.

Each vehicle listens like ArduPilot SITL's serial0: a TCP server on loopback (several ground stations may
connect at once) and, optionally, a UDP socket that answers whoever sent to it last (a ground station connects
with ``udpout:127.0.0.1:PORT``). Messages are framed and parsed by pymavlink's ArduPilot dialect, MAVLink 2.

:class:`LinkFaults` decides, per MAVLink message and per direction, whether it gets through: a seeded RNG
drops a percentage, and a cut drops everything until a wall-clock deadline (a link fault lives in the ground
station's time, not the simulation's).
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pymavlink.dialects.v20 import ardupilotmega as mavlink

log = logging.getLogger(__name__)

#: A TCP client that stops reading is dropped once this much output is queued for it.
MAX_TCP_BACKLOG = 4 * 1024 * 1024


class LinkFaults:
    """Packet loss and link cuts for one vehicle, both directions, reproducible from a seed.

    Cuts last in the vehicle's simulated time (``clock``), as every timer of the simulated autopilot does, so a
    cut means the same to the vehicle's GCS failsafe whatever the speed-up and however loaded the machine.

    Example:
        >>> faults = LinkFaults(seed=1)
        >>> faults.loss_pct = 100.0
        >>> faults.passes()
        False
    """

    def __init__(self, seed: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._clock = clock
        self.loss_pct = 0.0
        self.cut_until = -math.inf

    def cut(self, seconds: float) -> None:
        """Drop every message in both directions for ``seconds`` of the clock's (simulated) time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"cut_link seconds must be a finite number >= 0, got {seconds}")
        self.cut_until = self._clock() + seconds

    @property
    def is_cut(self) -> bool:
        """Whether the link is cut now."""
        return self._clock() < self.cut_until

    def passes(self) -> bool:
        """Whether the next message gets through."""
        if self.is_cut:
            return False
        if self.loss_pct <= 0.0:
            return True
        with self._lock:
            return self._rng.random() * 100.0 >= self.loss_pct


@dataclass(eq=False)
class Link:
    """One ground-station connection: a TCP client socket or a UDP peer address."""

    name: str
    sock: socket.socket
    peer: tuple[str, int] | None = None
    parser: mavlink.MAVLink = field(default_factory=lambda: _new_parser())
    backlog: bytearray = field(default_factory=bytearray)
    closed: bool = False
    #: The simulator thread and callers' threads (a test's STATUSTEXT, a fault) both send: one writer at a time,
    #: or the output buffer is resized during a send and the sender dies (``BufferError``).
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, data: bytes) -> None:
        """Queue or send ``data``; a UDP datagram that cannot be sent is dropped, like on a radio."""
        with self.lock:
            if self.closed:
                return
            if self.peer is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendto(data, self.peer)
                return
            self.backlog += data
            self._flush()

    def flush(self) -> None:
        """Write what the TCP socket accepts now; drop a client that stopped reading."""
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        if self.closed or self.peer is not None or not self.backlog:
            return
        try:
            sent = self.sock.send(self.backlog)
            del self.backlog[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._close()
            return
        if len(self.backlog) > MAX_TCP_BACKLOG:
            log.warning("%s: client is not reading; dropping the connection", self.name)
            self._close()

    def parse(self, data: bytes) -> list[mavlink.MAVLink_message]:
        """Messages completed by ``data`` (bad CRCs and garbage are skipped)."""
        try:
            msgs = self.parser.parse_buffer(data) or []
        except mavlink.MAVError as exc:
            log.debug("%s: unparseable data: %s", self.name, exc)
            return []
        return [m for m in msgs if m.get_type() != "BAD_DATA"]

    def close(self) -> None:
        """Close a TCP client (a UDP link only forgets its peer)."""
        with self.lock:
            self._close()

    def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.peer is None:
            with contextlib.suppress(OSError):
                self.sock.close()


def _new_parser() -> mavlink.MAVLink:
    parser = mavlink.MAVLink(None)
    parser.robust_parsing = True
    return parser


class VehiclePorts:
    """The TCP listener and optional UDP socket of one vehicle, with its connected links."""

    def __init__(self, host: str, tcp_port: int, udp: bool) -> None:
        self.host = host
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, tcp_port))
        except OSError as exc:
            self.listener.close()
            raise OSError(
                f"cannot listen on tcp:{host}:{tcp_port} ({exc.strerror}); is another simulator or SITL "
                "running? pick another base port (--port) or 0 for free ports"
            ) from None
        self.listener.listen(4)
        self.listener.setblocking(False)
        self.tcp_port = int(self.listener.getsockname()[1])
        self.udp_sock: socket.socket | None = None
        self.udp_port: int | None = None
        if udp:
            self.udp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.udp_sock.bind((host, self.tcp_port))
            except OSError:
                self.udp_sock.bind((host, 0))
            self.udp_sock.setblocking(False)
            self.udp_port = int(self.udp_sock.getsockname()[1])
        self.tcp_links: dict[socket.socket, Link] = {}
        self.udp_links: dict[tuple[str, int], Link] = {}

    @property
    def links(self) -> list[Link]:
        """Every live connection."""
        return [*self.tcp_links.values(), *self.udp_links.values()]

    def sockets(self) -> list[socket.socket]:
        """Sockets to watch for input."""
        socks = [self.listener, *self.tcp_links]
        if self.udp_sock is not None:
            socks.append(self.udp_sock)
        return socks

    def read(self, sock: socket.socket) -> list[tuple[Link, mavlink.MAVLink_message]]:
        """Handle input on ``sock``: accept a client, or parse what arrived."""
        out: list[tuple[Link, mavlink.MAVLink_message]] = []
        if sock is self.listener:
            try:
                client, addr = self.listener.accept()
            except OSError:
                return out
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.tcp_links[client] = Link(name=f"tcp:{addr[0]}:{addr[1]}", sock=client)
            log.info("ground station connected on tcp:%s:%d from %s", self.host, self.tcp_port, addr)
            return out
        if sock is self.udp_sock:
            while True:
                try:
                    data, addr = sock.recvfrom(65536)
                except (BlockingIOError, OSError):
                    break
                link = self.udp_links.get(addr)
                if link is None:
                    link = Link(name=f"udp:{addr[0]}:{addr[1]}", sock=sock, peer=addr)
                    self.udp_links[addr] = link
                out.extend((link, m) for m in link.parse(data))
            return out
        link = self.tcp_links[sock]
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return out
        except OSError:
            data = b""
        if not data:
            link.close()
            del self.tcp_links[sock]
            return out
        out.extend((link, m) for m in link.parse(data))
        return out

    def flush(self) -> None:
        """Push queued TCP output and forget closed clients."""
        for sock, link in list(self.tcp_links.items()):
            link.flush()
            if link.closed:
                del self.tcp_links[sock]

    def close(self) -> None:
        """Close every socket."""
        for link in self.links:
            link.close()
        self.tcp_links.clear()
        self.udp_links.clear()
        self.listener.close()
        if self.udp_sock is not None:
            self.udp_sock.close()
