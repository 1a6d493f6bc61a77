"""Real espeak-ng rendering of the default zh and en phrases, checked as audio."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gridpatrol.cli import app
from speaker.config import SpeakerConfig, VoiceConfig
from speaker.synth import SynthesisError, render, voice_for


def _duration_and_rms(path: Path) -> tuple[float, float]:
    with wave.open(str(path)) as wav:
        frames = wav.readframes(wav.getnframes())
        duration = wav.getnframes() / wav.getframerate()
        assert wav.getsampwidth() == 2
    samples = np.frombuffer(frames, dtype=np.int16).astype(np.float64) / 32768.0
    return duration, float(np.sqrt(np.mean(samples**2)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_default_phrases_render_to_audible_wav(lang: str, tmp_path: Path) -> None:
    config = SpeakerConfig()
    text = config.phrasebook["crowd"][lang].format(count=12, grid="B7")
    out = render(text, voice_for(config, lang), tmp_path / f"{lang}.wav")
    duration, rms = _duration_and_rms(out)
    assert 1.0 < duration < 15.0
    assert rms > 0.01


def test_unknown_language_names_the_fix() -> None:
    with pytest.raises(SynthesisError, match=r"\[speaker.voices.fr\]"):
        voice_for(SpeakerConfig(), "fr")


def test_bad_voice_and_empty_text_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(SynthesisError, match="empty"):
        render("  ", VoiceConfig(voice="en"), tmp_path / "x.wav")
    with pytest.raises(SynthesisError, match="nosuchvoice"):
        render("hello", VoiceConfig(voice="nosuchvoice"), tmp_path / "y.wav")


def test_say_command_writes_wav(tmp_path: Path) -> None:
    out = tmp_path / "mask.wav"
    result = CliRunner().invoke(app, ["say", "请佩戴口罩", "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    duration, rms = _duration_and_rms(out)
    assert duration > 0.5 and rms > 0.01


def test_say_command_unknown_language_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["say", "hi", "--lang", "fr", "--out", str(tmp_path / "a.wav")])
    assert result.exit_code == 2
    assert not (tmp_path / "a.wav").exists()
