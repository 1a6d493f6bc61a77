"""Render text to a WAV file with espeak-ng, through pyttsx3 or the ``espeak-ng`` binary.

Two engines, chosen by ``[speaker] engine``:

- ``pyttsx3``: pyttsx3's espeak driver on ``libespeak-ng1`` (retrieval mode, so no sound card is needed),
  ``engine.save_to_file`` + ``runAndWait``. One engine is kept per process; because ``runAndWait`` is known to
  hang on repeated calls, it only ever runs inside :class:`speaker.worker.SynthesisWorker`'s child process,
  which is killed and restarted when a rendering exceeds its timeout.
- ``espeak-ng``: the ``espeak-ng -w`` binary, a fresh process per rendering (the fallback).

Both write 22 050 Hz 16-bit mono WAV, so fragments of either can be joined.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Any, Literal

from speaker.config import SpeakerConfig, VoiceConfig

Engine = Literal["pyttsx3", "espeak-ng"]


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


def _check_output(out: Path, what: str) -> Path:
    try:
        with wave.open(str(out)) as wav:
            frames = wav.getnframes()
    except (OSError, EOFError, wave.Error) as exc:
        raise SynthesisError(f"{what} wrote no readable WAV ({exc})") from None
    if frames == 0:
        raise SynthesisError(f"{what} produced no audio; is the text speakable in this voice?")
    return out


def _render_binary(text: str, voice: VoiceConfig, out: Path, timeout_s: float) -> Path:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SynthesisError(
            'espeak-ng is not installed; install the Debian package `espeak-ng` (engine = "espeak-ng")'
        )
    cmd = [binary, "-v", voice.voice, "-s", str(voice.rate), "-a", str(voice.volume), "-p", str(voice.pitch)]
    cmd += ["-w", str(out), "--", text]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise SynthesisError(f"espeak-ng took over {timeout_s:.0f} s for {text[:40]!r}") from None
    if proc.returncode != 0 or not out.exists():
        raise SynthesisError(f"espeak-ng failed for voice {voice.voice!r}: {proc.stderr.strip() or 'no audio'}")
    return _check_output(out, "espeak-ng")


_PYTTSX3: Any = None
_PYTTSX3_VOICES: set[str] = set()


def pyttsx3_engine() -> Any:
    """This process's pyttsx3 engine on the espeak driver, created once; a clear error without libespeak-ng1."""
    global _PYTTSX3
    if _PYTTSX3 is None:
        try:
            import pyttsx3

            with contextlib.redirect_stdout(io.StringIO()):
                engine = pyttsx3.init("espeak")
        except ImportError:
            raise SynthesisError(
                'pyttsx3 is not installed; `pip install pyttsx3` or set engine = "espeak-ng"'
            ) from None
        except (OSError, RuntimeError) as exc:
            raise SynthesisError(
                f"pyttsx3 could not load espeak-ng ({exc}); install the Debian package libespeak-ng1 "
                '(check `ldconfig -p | grep espeak`) or set [speaker] engine = "espeak-ng"'
            ) from None
        for v in engine.getProperty("voices"):
            _PYTTSX3_VOICES.update({v.id.lower(), v.id.rsplit("/", 1)[-1].lower(), v.name.lower()})
            _PYTTSX3_VOICES.update(str(lang).lower() for lang in v.languages)
        _PYTTSX3 = engine
    return _PYTTSX3


def _render_pyttsx3(text: str, voice: VoiceConfig, out: Path) -> Path:
    """Render with pyttsx3's espeak driver.

    A pyttsx3 2.99 pitfall is worked around (found by the tests: the rate stopped changing after the first
    rendering): the driver runs libespeak-ng in asynchronous retrieval mode, where a property change is a
    command queued in espeak's FIFO; ``runAndWait`` then calls the driver's ``stop()``, which sees espeak
    busy with that command and calls ``espeak_Cancel``, dropping the change. So the properties are set on
    the driver directly and ``espeak_Synchronize`` waits until espeak has applied them, and again until
    the audio is done.
    """
    from pyttsx3.drivers import _espeak

    engine = pyttsx3_engine()
    if voice.voice.lower() not in _PYTTSX3_VOICES:
        raise SynthesisError(
            f"espeak-ng has no voice {voice.voice!r}; list them with `espeak-ng --voices` "
            "(Mandarin is `cmn`, English `en`)"
        )
    driver = engine.proxy._driver
    driver.setProperty("voice", voice.voice)
    driver.setProperty("rate", voice.rate)
    driver.setProperty("volume", voice.volume / 100.0)  # the driver scales 0..2 to espeak's amplitude 0..200
    driver.setProperty("pitch", voice.pitch)
    _espeak.Synchronize()
    out.unlink(missing_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # the driver prints "Audio saved to ..."
        engine.save_to_file(text, str(out))
        engine.runAndWait()
        _espeak.Synchronize()
    return _check_output(out, "pyttsx3")


def render(text: str, voice: VoiceConfig, out: Path, engine: Engine = "espeak-ng", timeout_s: float = 30.0) -> Path:
    """Speak ``text`` with ``voice`` into the WAV file ``out`` and return ``out``.

    ``engine="pyttsx3"`` runs pyttsx3 in this process: call it through :class:`speaker.worker.SynthesisWorker`
    in the station (its ``runAndWait`` can hang); ``timeout_s`` only bounds the ``espeak-ng`` binary.

    Example:
        >>> render("Please wear a mask.", VoiceConfig(voice="en"), Path("/tmp/mask.wav"))  # doctest: +SKIP
    """
    if not text.strip():
        raise SynthesisError("text to speak is empty; give some words")
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine == "pyttsx3":
        return _render_pyttsx3(text, voice, out)
    if engine == "espeak-ng":
        return _render_binary(text, voice, out, timeout_s)
    raise SynthesisError(f'unknown engine {engine!r}; set [speaker] engine = "pyttsx3" or "espeak-ng"')
