"""Render text to a WAV file with espeak-ng.

The ``espeak-ng`` binary is called directly: pyttsx3's espeak driver renders to a file through the
``libespeak-ng`` callback and has proved unreliable when run in a worker without a sound card, while
``espeak-ng -w`` writes a complete RIFF/WAVE file and exits with a clear status.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from speaker.config import SpeakerConfig, VoiceConfig


class SynthesisError(RuntimeError):
    """The text could not be rendered; the message says why and what to do."""


def voice_for(config: SpeakerConfig, lang: str) -> VoiceConfig:
    """The configured voice for ``lang``.

    Raises:
        SynthesisError: ``lang`` has no entry under ``[speaker.voices]``.
    """
    try:
        return config.voices[lang]
    except KeyError:
        known = ", ".join(sorted(config.voices)) or "none"
        raise SynthesisError(
            f"no voice for language {lang!r} (known: {known}); add [speaker.voices.{lang}] to the settings"
        ) from None


def render(text: str, voice: VoiceConfig, out: Path, timeout_s: float = 30.0) -> Path:
    """Speak ``text`` with ``voice`` into the WAV file ``out`` and return ``out``.

    Example:
        >>> render("Please wear a mask.", VoiceConfig(voice="en"), Path("/tmp/mask.wav"))  # doctest: +SKIP
    """
    if not text.strip():
        raise SynthesisError("text to speak is empty; give some words")
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SynthesisError("espeak-ng is not installed; install the Debian package `espeak-ng`")
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [binary, "-v", voice.voice, "-s", str(voice.rate), "-a", str(voice.volume), "-p", str(voice.pitch)]
    cmd += ["-w", str(out), "--", text]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0 or not out.exists() or out.stat().st_size <= 44:
        raise SynthesisError(f"espeak-ng failed for voice {voice.voice!r}: {proc.stderr.strip() or 'no audio'}")
    return out
