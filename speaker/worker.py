"""A separate synthesis process, so a crash or a hang in the TTS engine never takes the station down.

Each request has a deadline (``timeout_s``), counted from when the worker is ready (a fresh worker says so
once it has loaded its engine). A worker that dies, or does not answer in time (pyttsx3's ``runAndWait``
can hang), is killed and restarted, and the request is tried once more on the fresh one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from speaker.cache import PhraseCache
from speaker.config import VoiceConfig
from speaker.synth import Engine, SynthesisError, pyttsx3_engine

log = logging.getLogger(__name__)
STARTUP_TIMEOUT_S = 60.0
"""How long a fresh worker may take to import and load its engine (not counted in ``timeout_s``)."""


def _serve(conn: Connection, cache_dir: str, engine: Engine, timeout_s: float) -> None:
    cache = PhraseCache(Path(cache_dir), engine, timeout_s)
    problem = None
    if engine == "pyttsx3":
        try:
            pyttsx3_engine()  # load libespeak-ng now, so the first request does not pay for it
        except SynthesisError as exc:
            problem = str(exc)
    conn.send(("ready", problem, False))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        text, voice_json = request
        try:
            path, hit = cache.get(text, VoiceConfig.model_validate_json(voice_json))
            conn.send(("ok", str(path), hit))
        except SynthesisError as exc:
            conn.send(("error", str(exc), False))
        except Exception as exc:  # an engine bug must reach the caller as an error, not kill the worker
            conn.send(("error", f"{engine} failed: {type(exc).__name__}: {exc}", False))


class SynthesisWorker:
    """Renders into the phrase cache in a child process; restarts it when it dies or hangs.

    Args:
        cache_dir: The phrase cache folder.
        engine: ``pyttsx3`` or ``espeak-ng`` (see :mod:`speaker.synth`).
        timeout_s: Seconds one rendering may take before the child is killed.

    Example:
        >>> w = SynthesisWorker(Path("/tmp/cache"), "pyttsx3"); w.start()  # doctest: +SKIP
        >>> w.render("Please wear a mask.", VoiceConfig(voice="en"))  # doctest: +SKIP
        (PosixPath('/tmp/cache/....wav'), False)
    """

    def __init__(self, cache_dir: Path, engine: Engine = "pyttsx3", timeout_s: float = 10.0) -> None:
        self.cache_dir = cache_dir
        self.engine: Engine = engine
        self.timeout_s = timeout_s
        self.cache = PhraseCache(cache_dir, engine, timeout_s)
        self.process: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._lock = threading.Lock()
        self.restarts = 0
        """Child processes replaced after dying or hanging."""
        self.hangs = 0
        """Requests that ran past ``timeout_s``."""

    def start(self) -> None:
        """Start the child process."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        args = (child, str(self.cache_dir), self.engine, self.timeout_s)
        self.process = ctx.Process(target=_serve, args=args, daemon=True, name="speaker-synth")
        self.process.start()
        child.close()
        self._conn = parent
        self._ready = False

    def _wait_ready(self, conn: Connection) -> bool:
        """Wait for a fresh worker's ready message; ``False`` if it did not come in time."""
        if self._ready:
            return True
        if not conn.poll(STARTUP_TIMEOUT_S):
            return False
        _, problem, _ = conn.recv()
        if problem is not None:
            self._kill()
            raise SynthesisError(problem)
        self._ready = True
        return True

    def render(self, text: str, voice: VoiceConfig) -> tuple[Path, bool]:
        """The WAV for ``text`` and whether it came from the cache; restarts a dead or hung worker and retries once.

        Raises:
            SynthesisError: The engine refused the text or voice, or the worker failed twice in a row.
        """
        with self._lock:
            failure = "died"
            for _ in range(2):
                if self.process is None or not self.process.is_alive() or self._conn is None:
                    if self.process is not None:
                        self.restarts += 1
                    self._stop()
                    self.start()
                assert self._conn is not None
                try:
                    if not self._wait_ready(self._conn):
                        failure = f"did not start within {STARTUP_TIMEOUT_S:g} s"
                        self._kill()
                        continue
                    self._conn.send((text, voice.model_dump_json()))
                    if not self._conn.poll(self.timeout_s):
                        self.hangs += 1
                        failure = f"hung for over {self.timeout_s:g} s"
                        log.error("synthesis worker hung on %r; killing and restarting it", text[:60])
                        self._kill()
                        continue
                    status, value, hit = self._conn.recv()
                except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                    failure = "died"
                    log.error("synthesis worker died on %r; restarting it", text[:60])
                    self._kill()
                    continue
                if status != "ok":
                    raise SynthesisError(value)
                return Path(value), bool(hit)
        raise SynthesisError(
            f"synthesis worker ({self.engine}) {failure} twice in a row on {text[:40]!r}; "
            'check the engine with `gridpatrol say`, or set [speaker] engine = "espeak-ng"'
        )

    def _kill(self) -> None:
        self.restarts += 1
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._conn.close()
            self._conn = None
        if self.process is not None:
            self.process.join(timeout=2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None

    def stop(self) -> None:
        """Stop the child process."""
        with self._lock:
            self._stop()
