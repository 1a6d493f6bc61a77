"""The ``[speaker]`` settings section: voices, speech parameters and the phrasebook."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VoiceConfig(BaseModel):
    """One espeak-ng voice and how it speaks."""

    model_config = ConfigDict(extra="forbid")

    voice: str = Field(title="espeak-ng voice", description="Voice name as `espeak-ng --voices` lists it, e.g. `cmn`.")
    rate: int = Field(160, ge=80, le=450, title="Rate", description="Speed in words per minute.")
    volume: int = Field(100, ge=0, le=200, title="Volume", description="espeak-ng amplitude, 0..200.")
    pitch: int = Field(50, ge=0, le=99, title="Pitch", description="espeak-ng pitch, 0..99.")


def _default_voices() -> dict[str, VoiceConfig]:
    return {"zh": VoiceConfig(voice="cmn"), "en": VoiceConfig(voice="en")}


def _default_phrases() -> dict[str, dict[str, str]]:
    return {
        "no_mask": {"zh": "请佩戴口罩", "en": "Please wear a mask."},
        "crowd": {
            "zh": "网格{grid}有{count}人聚集，请保持距离",
            "en": "{count} people are gathered in grid {grid}. Please keep your distance.",
        },
    }


class SpeakerConfig(BaseModel):
    """Settings of the loudspeaker part (`[speaker]`)."""

    model_config = ConfigDict(extra="forbid")

    voices: dict[str, VoiceConfig] = Field(
        default_factory=_default_voices,
        title="Voices",
        description="Language code (as given to `gridpatrol say --lang`) to espeak-ng voice and speech parameters.",
    )
    phrasebook: dict[str, dict[str, str]] = Field(
        default_factory=_default_phrases,
        title="Phrasebook",
        description="Incident type to language to template; `{count}` and `{grid}` are filled in.",
    )
