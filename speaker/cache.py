"""Pre-rendered phrases on disk, keyed by the text and every voice setting that changes the sound."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from speaker.config import VoiceConfig
from speaker.synth import render


def cache_key(text: str, voice: VoiceConfig) -> str:
    """A stable hex key for ``text`` spoken by ``voice`` (changing rate, pitch or volume changes the key)."""
    payload = f"{text}\x00{voice.model_dump_json()}".encode()
    return hashlib.sha256(payload).hexdigest()[:32]


class PhraseCache:
    """WAV files under ``root`` named by :func:`cache_key`; renders on a miss.

    Example:
        >>> cache = PhraseCache(Path("/tmp/gp-cache"))  # doctest: +SKIP
        >>> cache.get("请佩戴口罩", VoiceConfig(voice="cmn"))  # doctest: +SKIP
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, text: str, voice: VoiceConfig) -> Path:
        """Where the rendering of ``text`` by ``voice`` lives (it may not exist yet)."""
        return self.root / f"{cache_key(text, voice)}.wav"

    def get(self, text: str, voice: VoiceConfig) -> tuple[Path, bool]:
        """The WAV for ``text`` and whether it was already cached; renders atomically on a miss."""
        path = self.path_for(text, voice)
        if path.exists():
            return path, True
        tmp = path.with_suffix(f".{os.getpid()}.tmp.wav")
        render(text, voice, tmp)
        tmp.replace(path)
        return path, False
