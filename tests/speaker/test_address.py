"""Addressed warnings (#16): "穿红色上衣的行人，请佩戴口罩" joined from pre-rendered espeak-ng fragments."""

from __future__ import annotations

import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from incidents import Incident
from incidents.colours import COLOUR_WORDS
from speaker.address import address_text
from speaker.config import GridOverride, SpeakerConfig
from speaker.sinks import FileSink
from speaker.speaker import Speaker


def _config(lang: str = "zh") -> SpeakerConfig:
    return SpeakerConfig(
        engine="espeak-ng",
        lang=lang,
        phrasebook={"no_mask": SpeakerConfig().phrasebook["no_mask"]},
        announcements={},
        grids={"Q1": GridOverride(addressed=False)},
    )


def _bare_face(grid: str, colour: str, place: str | None = None) -> Incident:
    details = {"upper_colour": colour, **({"place": place} if place else {})}
    return Incident(type="no_mask", ts=datetime.now(UTC), grid_id=grid, details=details)


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.getnframes() / wav.getframerate()


def test_addressing_is_on_by_default_and_switched_off_per_grid() -> None:
    assert GridOverride().addressed is True
    assert SpeakerConfig().address["zh"] == "穿{colour}上衣的行人，"
    with pytest.raises(ValidationError):
        GridOverride(adressed=False)  # type: ignore[call-arg]  # a misspelt switch is refused, not ignored
    with pytest.raises(ValidationError, match="colour"):
        SpeakerConfig(address={"zh": "穿上衣的行人，"})
    with pytest.raises(ValidationError, match="colour words"):
        SpeakerConfig(address={"fr": "La personne en {colour}."})
    assert SpeakerConfig().place == {"zh": "{place}附近，", "en": "Near {place}."}
    with pytest.raises(ValidationError, match=r"\[speaker.place\] zh: write the place as \{place\}"):
        SpeakerConfig(place={"zh": "附近，"})
    with pytest.raises(ValidationError, match=r"\[speaker.place\] fr: no \[speaker.voices.fr\]"):
        SpeakerConfig(place={"fr": "Près de {place}."})


def test_every_colour_word_has_zh_and_en() -> None:
    assert set(COLOUR_WORDS["zh"]) == set(COLOUR_WORDS["en"]) and len(COLOUR_WORDS["zh"]) == 11
    assert address_text("穿{colour}上衣的行人，", "zh", "blue") == "穿蓝色上衣的行人，"
    assert address_text("Person in the {colour} top.", "en", "unknown") is None


def test_prerender_plan_holds_the_addresses_where_they_are_on(tmp_path: Path) -> None:
    spk = Speaker(_config(), FileSink(tmp_path / "out"), tmp_path / "cache")
    by_voice: dict[str, set[int]] = {}
    for text, voice in spk.prerender_plan(["B7", "Q1"]):
        by_voice.setdefault(text, set()).add(voice.volume)
    assert "穿红色上衣的行人，" in by_voice and "穿棕色上衣的行人，" in by_voice
    assert len([t for t in by_voice if t.startswith("穿")]) == 11
    with_places = {t for t, _ in spk.prerender_plan(["B7"], ["民生路广场 Minsheng square", "大智路 Dazhi Road"])}
    assert {"民生路广场附近，", "大智路附近，", "Near Minsheng square.", "Near Dazhi Road."} <= with_places
    assert not any("Minsheng square附近" in t or "Near 民生" in t for t in with_places)  # each language its name


PLACE = "民生路广场 Minsheng square"


@pytest.mark.parametrize(
    ("lang", "addressed", "plain", "placed"),
    [
        ("zh", "穿红色上衣的行人，请佩戴口罩", "请佩戴口罩", "民生路广场附近，穿绿色上衣的行人，请佩戴口罩"),
        (
            "en",
            "Person in the red top. Please wear a mask.",
            "Please wear a mask.",
            "Near Minsheng square. Person in the green top. Please wear a mask.",
        ),
    ],
)
def test_addressed_warning_plays_joined_from_prerendered_fragments(
    tmp_path: Path, lang: str, addressed: str, plain: str, placed: str
) -> None:
    out = tmp_path / "out"
    spk = Speaker(_config(lang), FileSink(out), tmp_path / "cache")
    spk.start(grids=["B7", "B8", "Q1", "B9"], places=[PLACE, "大智路 Dazhi Road"])
    try:
        spk.worker.stop()  # from here on nothing can be synthesised: the fragments must be enough
        spk.worker.start = lambda: pytest.fail("a warning needed synthesis")  # type: ignore[method-assign]
        red = spk.warn(_bare_face("B7", "red"))
        off = spk.warn(_bare_face("Q1", "red", PLACE))
        unknown = spk.warn(_bare_face("B8", "navy"))
        there = spk.warn(_bare_face("B9", "green", PLACE))
        assert red is not None and off is not None and unknown is not None and there is not None
        assert (red.text, off.text, unknown.text, there.text) == (addressed, plain, plain, placed)
        deadline = time.monotonic() + 30
        while len(spk.played) < 4:
            assert time.monotonic() < deadline, "warnings were not played"
            time.sleep(0.01)
    finally:
        spk.stop()
    played = {b.text: b for b in spk.played if b.grid_id in ("B7", "Q1")}
    assert all(b.outcome == "played" and b.cached for b in spk.played)
    clips = sorted(out.glob("*.wav"))
    seconds = {b.grid_id: _seconds(clip) for b, clip in zip(spk.played, clips, strict=True)}
    assert played[addressed].grid_id == "B7"
    assert seconds["B7"] > seconds["Q1"] + 0.5  # the address was said before the line
    assert seconds["B9"] > seconds["B7"] + 0.5  # and the place before the address
