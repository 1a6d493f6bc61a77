"""Real espeak-ng rendering (pyttsx3 driver and binary) of the default zh and en phrases, checked as audio."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridpatrol.cli import app
from speaker.config import SpeakerConfig, VoiceConfig
from speaker.synth import Engine, SynthesisError, render, voice_for

Audio = Callable[[Path], tuple[float, float]]
ENGINES: list[Engine] = ["pyttsx3", "espeak-ng"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_default_phrases_render_to_audible_wav(engine: Engine, lang: str, tmp_path: Path, audio: Audio) -> None:
    config = SpeakerConfig()
    for kind, texts in config.phrasebook.items():
        out = render(texts[lang], voice_for(config, lang), tmp_path / f"{kind}-{lang}.wav", engine)
        duration, rms = audio(out)
        assert 0.8 < duration < 15.0, (kind, duration)
        assert rms > 0.02, (kind, rms)


def test_sox_reads_the_pyttsx3_wav_as_speech(tmp_path: Path) -> None:
    out = render("请勿聚集，保持一米以上距离", VoiceConfig(voice="cmn"), tmp_path / "crowd.wav", "pyttsx3")
    stat = subprocess.run(["sox", str(out), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    values = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in stat.splitlines())}
    assert float(values["Length (seconds)"]) > 1.5
    assert float(values["RMS     amplitude"]) > 0.02


@pytest.mark.parametrize("engine", ENGINES)
def test_volume_and_rate_change_the_audio(engine: Engine, tmp_path: Path, audio: Audio) -> None:
    text = "Please wear a mask."
    _, loud = audio(render(text, VoiceConfig(voice="en", volume=150), tmp_path / "loud.wav", engine))
    _, quiet = audio(render(text, VoiceConfig(voice="en", volume=40), tmp_path / "quiet.wav", engine))
    fast, _ = audio(render(text, VoiceConfig(voice="en", rate=300), tmp_path / "fast.wav", engine))
    slow, _ = audio(render(text, VoiceConfig(voice="en", rate=100), tmp_path / "slow.wav", engine))
    assert loud > 2 * quiet and slow > 1.5 * fast


def test_unknown_language_names_the_fix() -> None:
    with pytest.raises(SynthesisError, match=r"\[speaker.voices.fr\]"):
        voice_for(SpeakerConfig(), "fr")


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_voice_and_empty_text_fail_clearly(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(SynthesisError, match="empty"):
        render("  ", VoiceConfig(voice="en"), tmp_path / "x.wav", engine)
    with pytest.raises(SynthesisError, match="nosuchvoice"):
        render("hello", VoiceConfig(voice="nosuchvoice"), tmp_path / "y.wav", engine)


def test_missing_espeak_binary_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SynthesisError, match="install the Debian package `espeak-ng`"):
        render("hello", VoiceConfig(voice="en"), tmp_path / "z.wav", "espeak-ng")


def test_say_command_writes_wav(tmp_path: Path, audio: Audio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDPATROL_STATION__STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "mask.wav"
    result = CliRunner().invoke(app, ["say", "请佩戴口罩", "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    duration, rms = audio(out)
    assert duration > 0.5 and rms > 0.02


def test_say_command_unknown_language_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["say", "hi", "--lang", "fr", "--out", str(tmp_path / "a.wav")])
    assert result.exit_code == 2
    assert not (tmp_path / "a.wav").exists()


def test_repeated_pyttsx3_renders_follow_each_setting(tmp_path: Path, audio: Audio) -> None:
    """Regression: pyttsx3's queued property changes were dropped after the first rendering."""
    durations = {}
    for i, (lang, rate) in enumerate([("en", 300), ("en", 160), ("zh", 300), ("en", 100), ("zh", 100), ("en", 300)]):
        voice = VoiceConfig(voice="cmn" if lang == "zh" else "en", rate=rate)
        durations[i] = audio(render("Please wear a mask.", voice, tmp_path / f"{i}.wav", "pyttsx3"))[0]
    assert durations[0] == pytest.approx(durations[5], rel=0.05)
    assert durations[3] > 3 * durations[0] and durations[1] > 1.5 * durations[0]
    assert durations[4] > 2.5 * durations[2]
