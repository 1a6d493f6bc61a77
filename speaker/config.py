"""The ``[speaker]`` settings section (voices and speech rate)."""

from pydantic import BaseModel, ConfigDict, Field


class SpeakerConfig(BaseModel):
    """Speech settings for loudspeaker warnings."""

    model_config = ConfigDict(extra="forbid")

    voices: dict[str, str] = Field(
        default_factory=lambda: {"zh": "cmn", "en": "en"},
        title="Voices",
        description="espeak-ng voice per language code, e.g. zh -> cmn (Mandarin).",
    )
    rate: int = Field(default=160, ge=80, le=450, title="Rate", description="Speech rate in words per minute.")
