"""Byte transports under a MAVLink link: TCP client/server, UDP in/out and serial ports, from a URL.

URLs follow MAVProxy / ``mavutil``: ``tcp:HOST:PORT`` (connect; reopened automatically when it drops),
``tcpin:HOST:PORT`` (listen; every client gets everything), ``udpin:HOST:PORT`` (bind; answer every peer heard
from), ``udpout:HOST:PORT`` (send to; the vehicle answers the sender), ``serial:DEVICE[:BAUD]`` or a bare device
path (``/dev/ttyUSB0:57600``, ``COM3``). Each transport is used by one receive thread (:meth:`recv`) and any
number of senders (:meth:`send`, thread-safe).

Example:
    >>> parse_url("tcp:127.0.0.1:5760").name
    'tcp:127.0.0.1:5760'
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between attempts to reopen a TCP connection.
RECONNECT_S = 1.0
#: A UDP peer not heard from for this long stops getting our messages.
UDP_PEER_TTL_S = 30.0
URL_FORMS = "tcp:HOST:PORT, tcpin:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT, serial:DEVICE[:BAUD]"


class Transport:
    """Base of the transports: raw bytes in and out, no MAVLink knowledge."""

    name = "transport"
    #: How often the transport was (re)opened after the first time.
    reconnects = 0

    def recv(self, timeout: float) -> bytes:
        """Bytes that arrived within ``timeout`` seconds (``b""`` when none)."""
        raise NotImplementedError

    def send(self, data: bytes) -> bool:
        """Send ``data``; False when it could not go out (not connected)."""
        raise NotImplementedError

    def reopen(self) -> None:
        """Drop and reopen the connection (only meaningful for TCP clients)."""

    def close(self) -> None:
        """Release the transport (idempotent)."""
        raise NotImplementedError


def _host_port(url: str, rest: str) -> tuple[str, int]:
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"link url {url!r}: expected HOST:PORT after the scheme; forms: {URL_FORMS}")
    return host or "127.0.0.1", int(port)


def _wait_readable(socks: list[Any], timeout: float) -> list[Any]:
    if not socks:
        time.sleep(timeout)
        return []
    try:
        ready, _, _ = select.select(socks, [], [], timeout)
    except (OSError, ValueError):
        return []
    return ready


class TcpClient(Transport):
    """``tcp:HOST:PORT``: connects, and reconnects every :data:`RECONNECT_S` while the peer is away."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.name = f"tcp:{host}:{port}"
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._next_try = 0.0
        self._opened_once = False
        self._closed = False
        self._connect()

    def _connect(self) -> None:
        self._next_try = time.monotonic() + RECONNECT_S
        try:
            sock = socket.create_connection((self.host, self.port), timeout=1.0)
        except OSError as exc:
            log.debug("%s: connect failed: %s", self.name, exc)
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        with self._lock:
            if self._closed:
                sock.close()
                return
            self._sock = sock
        if self._opened_once:
            self.reconnects += 1
            log.info("%s: reconnected", self.name)
        self._opened_once = True

    def _drop(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def recv(self, timeout: float) -> bytes:
        sock = self._sock
        if sock is None:
            if self._closed:
                time.sleep(timeout)
                return b""
            if time.monotonic() >= self._next_try:
                self._connect()
            else:
                time.sleep(min(timeout, max(0.0, self._next_try - time.monotonic())))
            return b""
        if not _wait_readable([sock], timeout):
            return b""
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            log.info("%s: connection closed by the peer; reconnecting", self.name)
            self._drop()
        return data

    def send(self, data: bytes) -> bool:
        with self._lock:
            sock = self._sock
            if sock is None:
                return False
            try:
                sock.sendall(data)
                return True
            except OSError:
                pass
        self._drop()
        return False

    def reopen(self) -> None:
        self._drop()
        self._next_try = 0.0

    def close(self) -> None:
        self._closed = True
        self._drop()


class TcpServer(Transport):
    """``tcpin:HOST:PORT``: listens; reads every client, sends to every client."""

    def __init__(self, host: str, port: int) -> None:
        self.name = f"tcpin:{host}:{port}"
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
        except OSError as exc:
            self.listener.close()
            raise OSError(f"{self.name}: cannot listen ({exc.strerror}); is the port in use?") from None
        self.listener.listen(8)
        self.port = int(self.listener.getsockname()[1])
        self.clients: list[socket.socket] = []
        self._lock = threading.Lock()

    def recv(self, timeout: float) -> bytes:
        with self._lock:
            socks = [self.listener, *self.clients]
        out = b""
        for sock in _wait_readable(socks, timeout):
            if sock is self.listener:
                with contextlib.suppress(OSError):
                    client, _addr = self.listener.accept()
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    with self._lock:
                        self.clients.append(client)
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._forget(sock)
            out += data
        return out

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            if sock in self.clients:
                self.clients.remove(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def send(self, data: bytes) -> bool:
        with self._lock:
            clients = list(self.clients)
        sent = False
        for sock in clients:
            try:
                sock.sendall(data)
                sent = True
            except OSError:
                self._forget(sock)
        return sent

    def close(self) -> None:
        with self._lock:
            clients, self.clients = self.clients, []
        for sock in [*clients, self.listener]:
            with contextlib.suppress(OSError):
                sock.close()


class UdpTransport(Transport):
    """``udpin:`` (bind and answer whoever sends) or ``udpout:`` (send to a fixed address)."""

    def __init__(self, host: str, port: int, listen: bool) -> None:
        self.name = f"{'udpin' if listen else 'udpout'}:{host}:{port}"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listen = listen
        self.peers: dict[tuple[str, int], float] = {}
        if listen:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.sock.bind((host, port))
            except OSError as exc:
                self.sock.close()
                raise OSError(f"{self.name}: cannot bind ({exc.strerror}); is the port in use?") from None
        else:
            self.target = (host, port)
        self.port = int(self.sock.getsockname()[1]) if listen else port
        self._lock = threading.Lock()

    def recv(self, timeout: float) -> bytes:
        if not _wait_readable([self.sock], timeout):
            return b""
        out = b""
        while True:
            try:
                data, addr = self.sock.recvfrom(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, OSError):
                break
            if self.listen:
                with self._lock:
                    self.peers[addr] = time.monotonic()
            out += data
        return out

    def send(self, data: bytes) -> bool:
        if not self.listen:
            with contextlib.suppress(OSError):
                self.sock.sendto(data, self.target)
                return True
            return False
        now = time.monotonic()
        with self._lock:
            for addr, seen in list(self.peers.items()):
                if now - seen > UDP_PEER_TTL_S:
                    del self.peers[addr]
            peers = list(self.peers)
        for addr in peers:
            with contextlib.suppress(OSError):
                self.sock.sendto(data, addr)
        return bool(peers)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class SerialTransport(Transport):
    """``serial:DEVICE[:BAUD]`` through pyserial (a telemetry radio or a USB autopilot)."""

    def __init__(self, device: str, baud: int) -> None:
        import serial  # pyserial, installed with MAVProxy/pymavlink's serial support

        self.name = f"serial:{device}:{baud}"
        try:
            self.port = serial.Serial(device, baud, timeout=0, write_timeout=1.0)
        except (serial.SerialException, OSError) as exc:
            raise OSError(
                f"{self.name}: cannot open the serial port ({exc}); check the device and permissions"
            ) from None
        self._lock = threading.Lock()

    def recv(self, timeout: float) -> bytes:
        try:
            fileno = self.port.fileno()
        except Exception:  # no fileno (Windows): poll
            fileno = None
        if fileno is not None and not _wait_readable([fileno], timeout):
            return b""
        try:
            data = bytes(self.port.read(self.port.in_waiting or 1))
        except Exception as exc:
            log.warning("%s: read failed: %s", self.name, exc)
            time.sleep(timeout)
            return b""
        if not data and fileno is None:
            time.sleep(min(timeout, 0.01))
        return data

    def send(self, data: bytes) -> bool:
        with self._lock:
            try:
                self.port.write(data)
                return True
            except Exception as exc:
                log.warning("%s: write failed: %s", self.name, exc)
                return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.port.close()


def parse_url(url: str) -> Transport:
    """Open the transport a link URL names (see the module docs for the forms).

    Raises:
        ValueError: the URL matches no form; the message lists them.
        OSError: the port cannot be opened (in use, no such device); the message says which.
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme == "tcp":
        return TcpClient(*_host_port(url, rest))
    if sep and scheme == "tcpin":
        return TcpServer(*_host_port(url, rest))
    if sep and scheme in ("udpin", "udp"):
        return UdpTransport(*_host_port(url, rest), listen=True)
    if sep and scheme == "udpout":
        return UdpTransport(*_host_port(url, rest), listen=False)
    device = rest if scheme == "serial" and sep else url
    if device.startswith("/dev/") or device.upper().startswith("COM") or scheme == "serial":
        path, colon, baud = device.rpartition(":")
        if colon and baud.isdigit():
            return SerialTransport(path, int(baud))
        return SerialTransport(device, 57600)
    raise ValueError(f"link url {url!r}: unknown form; use one of {URL_FORMS}")
