"""Push-to-talk uploads (speaker.recording): a browser's bytes are checked before any loudspeaker plays them."""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path

import numpy as np
import pytest

from speaker.recording import MAX_SECONDS, RecordingError, max_bytes, store_recording


def wav_bytes(samples: np.ndarray, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def tone(seconds: float, rate: int = 16000, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * 32767 * np.sin(2 * math.pi * 440 * t)).astype("<i2")


def test_a_mono_tone_is_stored_as_it_came(tmp_path: Path) -> None:
    clip = store_recording(wav_bytes(tone(1.0)), tmp_path / "a.wav")
    assert (clip.seconds, clip.rate) == (1.0, 16000)
    assert clip.rms == pytest.approx(0.3 / math.sqrt(2), rel=0.01)
    with wave.open(str(clip.path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 16000, 16000)
        stored = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(stored, tone(1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"], "no partial file left behind"


def test_stereo_becomes_the_mean_of_its_channels(tmp_path: Path) -> None:
    left, right = tone(0.5, 48000), np.zeros(24000, dtype="<i2")
    both = np.column_stack([left, right]).ravel()
    clip = store_recording(wav_bytes(both, 48000, channels=2), tmp_path / "s.wav")
    with wave.open(str(clip.path)) as w:
        assert w.getnchannels() == 1
        stored = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(stored, (left.astype(np.int32) // 2).astype("<i2"))


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"<script>alert(1)</script>", "not a WAV"),
        (b"RIFF\x00\x00\x00\x00WAVE", "not a WAV"),
        (wav_bytes(np.full(16000, 100, dtype=np.uint8), width=1), "8-bit samples; send 16-bit PCM"),
        (wav_bytes(tone(1.0, 12345), 12345), "12345 Hz"),
        (wav_bytes(np.tile(tone(0.5), 3), channels=3), "3 channels"),
        (wav_bytes(tone(0.1)), "hold the talk button"),
        (wav_bytes(tone(MAX_SECONDS + 1, 8000), 8000), "at most 30 s"),
        (wav_bytes(np.zeros(16000, dtype="<i2")), "silent"),
    ],
)
def test_what_cannot_be_played_is_refused_with_the_fix(tmp_path: Path, data: bytes, says: str) -> None:
    with pytest.raises(RecordingError, match=says):
        store_recording(data, tmp_path / "x.wav")
    assert not list(tmp_path.iterdir()), "nothing written for a refused clip"


def test_the_upload_limit_holds_the_longest_clip() -> None:
    assert len(wav_bytes(np.tile(tone(MAX_SECONDS, 48000), 2), 48000, channels=2)) <= max_bytes()
