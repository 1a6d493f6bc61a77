"""An operator's own voice for the loudspeaker (push-to-talk): an uploaded WAV, checked and stored as plain PCM.

The console records the microphone while the operator holds the talk button and sends the clip as a WAV when
it is released, as a megaphone's "record and play" does. The bytes come from a browser, so they are data to
check, never to trust: :func:`store_recording` reads them with :mod:`wave`, refuses anything that is not
16-bit PCM of a sane rate and length, and writes a fresh mono file that the sink plays like any synthesised clip.

Example:
    >>> import io, wave
    >>> buf = io.BytesIO()
    >>> with wave.open(buf, "wb") as w:
    ...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(b"\\x10\\x00" * 8000)
    >>> import tempfile
    >>> clip = store_recording(buf.getvalue(), Path(tempfile.mkdtemp()) / "talk.wav")
    >>> clip.seconds, clip.rate
    (0.5, 16000)
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

#: Sample rates a recording may have (Hz): telephone quality up to a studio's.
RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
#: Shortest and longest clip (s): a tap is not a message; a long speech belongs in an announcement.
MIN_SECONDS = 0.3
MAX_SECONDS = 30.0


class RecordingError(ValueError):
    """The upload is not a clip the loudspeaker can play; the message says what to change."""


@dataclass(frozen=True)
class Recording:
    """A checked clip on disk: where, how long, its rate and how loud it is (RMS of full scale, 0-1)."""

    path: Path
    seconds: float
    rate: int
    rms: float


def max_bytes(seconds: float = MAX_SECONDS) -> int:
    """The largest WAV upload accepted: the longest clip at the highest rate, in stereo, with a header."""
    return int(seconds * max(RATES) * 2 * 2) + 4096


def store_recording(data: bytes, path: Path) -> Recording:
    """Check an uploaded WAV and write it to ``path`` as mono 16-bit PCM.

    Raises:
        RecordingError: not a WAV, not 16-bit PCM, an odd rate or channel count, too short, too long or silent.
    """
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            pcm = w.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise RecordingError(f"the recording is not a WAV file ({exc}); record again from the console") from None
    if width != 2:
        raise RecordingError(f"the recording has {8 * width}-bit samples; send 16-bit PCM")
    if channels not in (1, 2):
        raise RecordingError(f"the recording has {channels} channels; send mono or stereo")
    if rate not in RATES:
        raise RecordingError(f"the recording's sample rate is {rate} Hz; use one of {', '.join(map(str, RATES))}")
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % (2 * channels)])
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    mono = _to_mono(samples, channels)
    seconds = len(mono) / rate
    if seconds < MIN_SECONDS:
        raise RecordingError(f"the recording is {seconds:.1f} s long; hold the talk button while you speak")
    if seconds > MAX_SECONDS:
        raise RecordingError(f"the recording is {seconds:.0f} s long; at most {MAX_SECONDS:.0f} s are played")
    rms = math.sqrt(sum(s * s for s in mono) / len(mono)) / 32768.0
    if rms < 1e-4:
        raise RecordingError("the recording is silent; check that the browser may use the microphone")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        if sys.byteorder == "big":
            mono.byteswap()
        out.writeframes(mono.tobytes())
    partial.replace(path)
    return Recording(path, round(seconds, 3), rate, round(rms, 5))


def _to_mono(samples: array, channels: int) -> array:
    """Average the channels of interleaved 16-bit samples (without :mod:`audioop`, gone in Python 3.13)."""
    if channels == 1:
        return samples
    left, right = samples[0::2], samples[1::2]
    return array("h", ((a + b) // 2 for a, b in zip(left, right, strict=True)))
