"""Stream audio to a ``gridpatrol speaker-agent`` on the loudspeaker's computer.

Protocol (TCP, one message per WAV): a JSON line ``{"size": N, "mac": HMAC-SHA256(key, wav)}`` then
``N`` bytes of WAV; the agent answers ``ok`` or ``denied <reason>`` on one line. The HMAC proves the
sender knows the shared key and that the audio was not changed in transit.

To cut off what the agent is playing (an operator message pre-empts it), the station sends
``{"cut": T, "mac": HMAC-SHA256(key, "cut:T")}`` with ``T`` its clock in seconds; the agent drops its queued
clips and stops its sink, and refuses a cut more than :data:`CUT_MAX_AGE_S` old (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import socket
import socketserver
import threading
import time
from collections import deque
from pathlib import Path

from speaker.sinks import Sink

log = logging.getLogger(__name__)
MAX_WAV_BYTES = 20 * 1024 * 1024
CUT_MAX_AGE_S = 30.0
_CUT = "cut"


class SinkError(RuntimeError):
    """A sink could not take the audio; the message says why."""


def sign(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key``, hex."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def parse_address(text: str) -> tuple[str, int]:
    """``"127.0.0.1:8765"`` to ``("127.0.0.1", 8765)``; a clear error otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise SinkError(f"address {text!r} is not HOST:PORT, e.g. 127.0.0.1:8765")
    return host, int(port)


def _exchange(address: tuple[str, int], message: bytes, timeout_s: float) -> None:
    try:
        with socket.create_connection(address, timeout=timeout_s) as sock:
            sock.sendall(message)
            answer = sock.makefile("rb").readline().decode().strip()
    except OSError as exc:
        raise SinkError(f"speaker agent at {address[0]}:{address[1]} unreachable: {exc}") from exc
    if answer != "ok":
        raise SinkError(f"speaker agent refused the audio: {answer or 'connection closed'}")


def send_wav(address: tuple[str, int], key: bytes, data: bytes, timeout_s: float = 5.0) -> None:
    """Send one WAV to the agent and wait for its answer.

    Raises:
        SinkError: Refused (wrong key), or the connection failed.
    """
    header = json.dumps({"size": len(data), "mac": sign(key, data)}).encode() + b"\n"
    _exchange(address, header + data, timeout_s)


def send_cut(address: tuple[str, int], key: bytes, timeout_s: float = 5.0, at: float | None = None) -> None:
    """Ask the agent to stop playing and drop its queue (signed, with a timestamp against replays).

    Raises:
        SinkError: Refused (wrong key, stale), or the connection failed.
    """
    stamp = time.time() if at is None else at
    header = json.dumps({"cut": stamp, "mac": sign(key, f"cut:{stamp!r}".encode())}).encode() + b"\n"
    _exchange(address, header, timeout_s)


class NetworkSink:
    """Queues WAVs (bounded; the oldest is dropped when full) and streams them to the agent in a thread.

    :meth:`stop` drops what is not sent yet and sends a signed cut ahead of anything queued after it.
    """

    def __init__(self, address: tuple[str, int], key: bytes, max_queue: int = 8) -> None:
        self.address = address
        self.key = key
        self.max_queue = max_queue
        self.sent = 0
        self.cuts = 0
        self.dropped = 0
        self.failed = 0
        self._items: deque[bytes | str | None] = deque()
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="speaker-net", daemon=True)
        self._thread.start()

    def play(self, wav: Path) -> None:
        """Queue ``wav`` for the agent; never blocks on the network."""
        data = wav.read_bytes()
        with self._cv:
            clips = [i for i, item in enumerate(self._items) if isinstance(item, bytes)]
            if len(clips) >= self.max_queue:
                del self._items[clips[0]]
                self.dropped += 1
                log.warning("speaker agent queue full; dropped the oldest clip")
            self._items.append(data)
            self._cv.notify()

    def stop(self) -> None:
        """Drop the clips not yet sent and tell the agent to cut off what it plays (sent from the thread)."""
        with self._cv:
            self.dropped += sum(1 for item in self._items if isinstance(item, bytes))
            self._items = deque(item for item in self._items if item is None)
            self._items.appendleft(_CUT)
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._items:
                    self._cv.wait()
                item = self._items.popleft()
            if item is None:
                return
            for attempt in (1, 2):
                try:
                    if isinstance(item, bytes):
                        send_wav(self.address, self.key, item)
                        self.sent += 1
                    else:
                        send_cut(self.address, self.key)
                        self.cuts += 1
                    break
                except SinkError as exc:
                    if attempt == 2 or "refused" in str(exc):
                        self.failed += 1
                        log.error("%s", exc)
                        break

    def close(self) -> None:
        """Stop the sender thread after what is queued."""
        with self._cv:
            self._items.append(None)
            self._cv.notify()
        self._thread.join(timeout=10)


class _Handler(socketserver.StreamRequestHandler):
    server: AgentServer

    def handle(self) -> None:
        try:
            header = json.loads(self.rfile.readline(4096))
            if "cut" in header:
                self.wfile.write(self.server.cut(float(header["cut"]), str(header["mac"])))
                return
            size, mac = int(header["size"]), str(header["mac"])
        except (ValueError, KeyError, TypeError):
            self.wfile.write(b"denied bad header\n")
            return
        if not 0 < size <= MAX_WAV_BYTES:
            self.wfile.write(b"denied size\n")
            return
        data = self.rfile.read(size)
        if len(data) != size:
            log.warning("speaker agent: connection dropped after %d of %d bytes", len(data), size)
            return
        if not hmac.compare_digest(mac, sign(self.server.key, data)):
            self.server.denied += 1
            self.wfile.write(b"denied wrong key\n")
            return
        try:
            self.server.clips.put_nowait(data)
        except queue.Full:
            self.wfile.write(b"denied busy\n")
            return
        self.wfile.write(b"ok\n")


class AgentServer(socketserver.ThreadingTCPServer):
    """The ``speaker-agent``: takes signed WAVs and plays them on ``sink`` in order (bounded queue)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], key: bytes, sink: Sink, spool: Path, max_queue: int = 16) -> None:
        super().__init__(address, _Handler)
        self.key = key
        self.sink = sink
        self.spool = spool
        self.denied = 0
        self.cuts = 0
        self.clips: queue.Queue[bytes | None] = queue.Queue(maxsize=max_queue)
        self._player = threading.Thread(target=self._play, name="speaker-agent-play", daemon=True)
        self._player.start()

    def _play(self) -> None:
        self.spool.mkdir(parents=True, exist_ok=True)
        path = self.spool / "incoming.wav"
        while (data := self.clips.get()) is not None:
            path.write_bytes(data)
            try:
                self.sink.play(path)
            except Exception:
                log.exception("speaker agent could not play a clip")

    def cut(self, stamp: float, mac: str) -> bytes:
        """Handle a signed cut: drop the queued clips and stop the sink; the answer line for the station."""
        if not hmac.compare_digest(mac, sign(self.key, f"cut:{stamp!r}".encode())):
            self.denied += 1
            return b"denied wrong key\n"
        if abs(time.time() - stamp) > CUT_MAX_AGE_S:
            self.denied += 1
            return b"denied stale cut\n"
        while True:
            try:
                self.clips.get_nowait()
            except queue.Empty:
                break
        self.sink.stop()
        self.cuts += 1
        return b"ok\n"

    def server_close(self) -> None:
        """Stop accepting and stop the player."""
        super().server_close()
        self.clips.put(None)
        self._player.join(timeout=10)
