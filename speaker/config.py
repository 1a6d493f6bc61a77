"""The ``[speaker]`` settings section: voices, speech parameters and the phrasebook."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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


class SinkConfig(BaseModel):
    """Where warnings are played."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["device", "file", "network"] = Field(
        "device", title="Sink", description="`device` (local sound card), `file` (WAVs in a folder) or `network`."
    )
    fallback: Literal["file", "none"] = Field(
        "file", title="Fallback", description="What to use when `device` finds no sound card."
    )
    directory: Path = Field(
        Path("speaker-out"), title="File sink folder", description="Folder for the file sink (relative: state dir)."
    )
    address: str = Field(
        "127.0.0.1:8765", title="Agent address", description="HOST:PORT of `gridpatrol speaker-agent`."
    )
    key: str = Field("", title="Shared key", description="HMAC key shared with the agent; required for `network`.")
    max_queue: int = Field(8, ge=1, le=256, title="Queue length", description="Clips held for the agent.")


class GridOverride(BaseModel):
    """Louder, quieter or fewer repeats in one grid cell (e.g. next to a hospital)."""

    model_config = ConfigDict(extra="forbid")

    volume: int | None = Field(None, ge=0, le=200, title="Volume", description="espeak-ng amplitude in this grid.")
    max_repeats: int | None = Field(None, ge=0, title="Max repeats", description="Repeats in this grid; 0 = mute.")


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
    cooldown_s: float = Field(
        30.0, ge=0, title="Cooldown", description="Seconds of silence for one incident type at one grid."
    )
    max_repeats: int = Field(3, ge=1, title="Max repeats", description="Times one grid hears one warning.")
    sink: SinkConfig = Field(default_factory=SinkConfig, title="Sink", description="Where audio goes.")
    grids: dict[str, GridOverride] = Field(
        default_factory=dict, title="Per-grid overrides", description="Grid id to volume/repeats for that grid."
    )
