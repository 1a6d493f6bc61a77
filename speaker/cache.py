"""Rendered phrases on disk, keyed by the engine, the text and every voice setting that changes the sound."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from speaker.config import VoiceConfig
from speaker.synth import Engine, render


def cache_key(text: str, voice: VoiceConfig, engine: Engine = "espeak-ng") -> str:
    """A stable hex key for ``text`` spoken by ``voice`` on ``engine`` (changing rate, pitch or volume changes it)."""
    payload = f"{engine}\x00{text}\x00{voice.model_dump_json()}".encode()
    return hashlib.sha256(payload).hexdigest()[:32]


class PhraseCache:
    """WAV files under ``root`` named by :func:`cache_key`; renders on a miss.

    Example:
        >>> cache = PhraseCache(Path("/tmp/gp-cache"))  # doctest: +SKIP
        >>> cache.get("请佩戴口罩", VoiceConfig(voice="cmn"))  # doctest: +SKIP
    """

    def __init__(self, root: Path, engine: Engine = "espeak-ng", timeout_s: float = 30.0) -> None:
        self.root = root
        self.engine: Engine = engine
        self.timeout_s = timeout_s

    def path_for(self, text: str, voice: VoiceConfig) -> Path:
        """Where the rendering of ``text`` by ``voice`` lives (it may not exist yet)."""
        return self.root / f"{cache_key(text, voice, self.engine)}.wav"

    def lookup(self, text: str, voice: VoiceConfig) -> Path | None:
        """The cached WAV, or ``None`` when it has not been rendered (no synthesis)."""
        path = self.path_for(text, voice)
        return path if path.exists() else None

    def get(self, text: str, voice: VoiceConfig) -> tuple[Path, bool]:
        """The WAV for ``text`` and whether it was already cached; renders atomically on a miss."""
        path = self.path_for(text, voice)
        if path.exists():
            return path, True
        tmp = path.with_suffix(f".{os.getpid()}.tmp.wav")
        try:
            render(text, voice, tmp, self.engine, self.timeout_s)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path, False
