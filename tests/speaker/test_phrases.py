"""Templates split into fragments, config validation of templates, joining fragment WAVs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from speaker.config import SpeakerConfig, VoiceConfig
from speaker.phrases import GAP_S, Template, TemplateError, join_wavs
from speaker.synth import render

Audio = Callable[[Path], tuple[float, float]]


def test_fragments_and_text() -> None:
    t = Template.parse("网格{grid}有{count}人聚集，请保持距离")
    assert t.text(count=5, grid="B7") == "网格B7有5人聚集，请保持距离"
    assert t.fragments(count=5, grid="B7") == ["网格", "B7", "有", "5", "人聚集，请保持距离"]
    assert t.literals() == ["网格", "有", "人聚集，请保持距离"]
    plain = Template.parse("请勿聚集，保持一米以上距离")
    assert not plain.has_placeholders and plain.fragments() == plain.literals() == ["请勿聚集，保持一米以上距离"]
    en = Template.parse("{count} people in grid {grid}.")
    assert en.fragments(count=3, grid=None) == ["3", "people in grid"]  # punctuation-only and empty parts dropped
    assert en.text(count=3) == "3 people in grid ."


@pytest.mark.parametrize("bad", ["{people} here", "{count:d} here", "{grid!r}", "open { brace"])
def test_bad_templates_are_refused_naming_the_entry(bad: str) -> None:
    with pytest.raises(TemplateError):
        Template.parse(bad)
    with pytest.raises(ValidationError, match=r"\[speaker.phrasebook.crowd\] zh"):
        SpeakerConfig(phrasebook={"crowd": {"zh": bad}})


def test_phrase_for_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"\[speaker.voices.fr\]"):
        SpeakerConfig(announcements={"landing": {"fr": "Attention"}})
    with pytest.raises(ValidationError, match="prerender_counts"):
        SpeakerConfig(prerender_counts=(5, 2))


def test_join_trims_silence_and_keeps_all_speech(tmp_path: Path, audio: Audio) -> None:
    voice = VoiceConfig(voice="cmn")
    parts = [render(text, voice, tmp_path / f"{i}.wav") for i, text in enumerate(["网格", "B7", "有", "12", "人聚集"])]
    joined = join_wavs(parts, tmp_path / "joined.wav")
    total, rms = audio(joined)
    singles = [audio(p)[0] for p in parts]
    assert rms > 0.03
    assert 4 * GAP_S < total < sum(singles)  # the fragments' silent ends are cut, the gaps added
    assert total > 0.5 * sum(singles)  # but the speech itself is kept
