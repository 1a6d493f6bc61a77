"""Render text to a WAV file with the Debian ``espeak-ng`` binary."""

import shutil
import subprocess
from pathlib import Path

VOICES: dict[str, str] = {"zh": "cmn", "en": "en"}


def render_wav(text: str, lang: str, out: Path, rate: int = 160) -> Path:
    """Synthesise ``text`` in ``lang`` ("zh" or "en") into the WAV file ``out``.

    Example:
        >>> render_wav("Please wear a mask", "en", Path("/tmp/mask.wav"))  # doctest: +SKIP
    """
    if lang not in VOICES:
        raise ValueError(f"lang={lang!r} is not supported; use one of {sorted(VOICES)}")
    if not text.strip():
        raise ValueError("text is empty; give the phrase to speak")
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise RuntimeError("espeak-ng is not installed; install the Debian package espeak-ng")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([binary, "-v", VOICES[lang], "-s", str(rate), "-w", str(out), text], check=True, timeout=30)
    return out
