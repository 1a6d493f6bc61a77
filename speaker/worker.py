"""A separate synthesis process, so a crash in the TTS engine never takes the station down."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from multiprocessing.connection import Connection
from pathlib import Path

from speaker.cache import PhraseCache
from speaker.config import VoiceConfig
from speaker.synth import SynthesisError


def _serve(conn: Connection, cache_dir: str) -> None:
    cache = PhraseCache(Path(cache_dir))
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


class SynthesisWorker:
    """Renders in a child process and restarts it when it dies.

    Example:
        >>> w = SynthesisWorker(Path("/tmp/cache")); w.start()  # doctest: +SKIP
        >>> w.render("Please wear a mask.", VoiceConfig(voice="en"))  # doctest: +SKIP
    """

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.process: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start the child process."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, str(self.cache_dir)), daemon=True)
        self.process.start()
        child.close()
        self._conn = parent

    def render(self, text: str, voice: VoiceConfig) -> tuple[Path, bool]:
        """The WAV for ``text`` and whether it came from the cache; restarts a dead worker and retries once."""
        for _ in range(2):
            if self.process is None or not self.process.is_alive() or self._conn is None:
                if self.process is not None:
                    self.restarts += 1
                self.stop()
                self.start()
            assert self._conn is not None
            try:
                self._conn.send((text, voice.model_dump_json()))
                status, value, hit = self._conn.recv()
            except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                self.stop()
                continue
            if status != "ok":
                raise SynthesisError(value)
            return Path(value), bool(hit)
        raise SynthesisError("synthesis worker died twice in a row; check espeak-ng with `gridpatrol say`")

    def stop(self) -> None:
        """Stop the child process."""
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
