"""The ``[speaker]`` settings section: voices, speech parameters and the phrasebook."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from incidents.colours import COLOUR_WORDS
from speaker.address import DEFAULT_ADDRESS, DEFAULT_PLACE
from speaker.phrases import Template, TemplateError


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
        "crowd": {"zh": "请勿聚集，保持一米以上距离", "en": "Please do not gather. Keep more than one metre apart."},
    }


def _default_announcements() -> dict[str, dict[str, str]]:
    return {
        "landing": {"zh": "无人机即将降落，请避让", "en": "The drone is landing. Please stand clear."},
        "thanks": {"zh": "感谢您的配合", "en": "Thank you for your cooperation."},
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


WarningMode = Literal["auto", "confirm", "off"]
"""How a grid's incident warnings are given: `auto` plays them, `confirm` proposes them to the operator (one click
plays, unplayed ones expire), `off` logs the incident and says nothing."""


class GridOverride(BaseModel):
    """Louder, quieter, fewer repeats or another warning mode in one grid cell (e.g. next to a hospital)."""

    model_config = ConfigDict(extra="forbid")

    volume: int | None = Field(None, ge=0, le=200, title="Volume", description="espeak-ng amplitude in this grid.")
    max_repeats: int | None = Field(None, ge=0, title="Max repeats", description="Repeats in this grid; 0 = mute.")
    addressed: bool = Field(
        True,
        title="Addressed warnings",
        description='Name the person by their garment\'s colour here ("穿红色上衣的行人，…"); false: plain warning.',
    )
    warning_mode: WarningMode | None = Field(
        None, title="Warning mode", description="`auto`, `confirm` or `off` in this grid (default: `warning_mode`)."
    )


class SpeakerConfig(BaseModel):
    """Settings of the loudspeaker part (`[speaker]`)."""

    model_config = ConfigDict(extra="forbid")

    voices: dict[str, VoiceConfig] = Field(
        default_factory=_default_voices,
        title="Voices",
        description="Language code (as given to `gridpatrol say --lang`) to espeak-ng voice and speech parameters.",
    )
    engine: Literal["pyttsx3", "espeak-ng"] = Field(
        "pyttsx3",
        title="TTS engine",
        description="`pyttsx3` (its espeak driver on libespeak-ng1, in the worker process) or `espeak-ng` "
        "(the binary, a process per rendering).",
    )
    synth_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        title="Synthesis timeout",
        description="Seconds one rendering may take before the worker process is killed and restarted.",
    )
    phrasebook: dict[str, dict[str, str]] = Field(
        default_factory=_default_phrases,
        title="Phrasebook",
        description="Incident type to language to template; `{count}` and `{grid}` are filled in.",
    )
    announcements: dict[str, dict[str, str]] = Field(
        default_factory=_default_announcements,
        title="Operator announcements",
        description="Name to language to text of the street team's canned announcements (pre-rendered).",
    )
    address: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ADDRESS),
        title="Address",
        description="Language to the words said before a no_mask warning for one person; `{colour}` is the colour "
        "of their upper garment (pre-rendered for all eleven colour words). A language left out is not addressed.",
    )
    place: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PLACE),
        title="Place",
        description="Language to the words said first in a no_mask warning: `{place}` is the nearest named street or "
        "place of the district file (pre-rendered for each). A language left out says no place.",
    )
    prerender_counts: tuple[int, int] = Field(
        (2, 30),
        title="Pre-rendered counts",
        description="Lowest and highest `{count}` pre-rendered as a fragment; others are synthesised when needed.",
    )
    prerender_grids: list[str] = Field(
        default_factory=list,
        title="Pre-rendered grids",
        description="Grid ids to pre-render for `{grid}` (besides those of `grids` and those given to `start`).",
    )
    cooldown_s: float = Field(
        30.0, ge=0, title="Cooldown", description="Seconds of silence for one incident type at one grid or track."
    )
    track_overlap: float = Field(
        0.5,
        gt=0,
        le=1,
        title="Track overlap",
        description="Keep quiet when at least this share of an incident's tracks heard the same line within the "
        "cooldown (anywhere).",
    )
    max_repeats: int = Field(3, ge=1, title="Max repeats", description="Times one grid hears one warning.")
    lang: str = Field("zh", title="Warning language", description="Language code of incident warnings.")
    sink: SinkConfig = Field(default_factory=SinkConfig, title="Sink", description="Where audio goes.")
    grids: dict[str, GridOverride] = Field(
        default_factory=dict,
        title="Per-grid overrides",
        description="Grid id to volume, repeats or warning mode for that grid.",
    )
    warning_mode: WarningMode = Field(
        "confirm",
        title="Warning mode",
        description="`confirm`: an incident's warning is proposed to the operator (console or `play ID`), who plays "
        "it with one click before it expires; `auto`: played at once; `off`: logged only. Per grid: "
        "`[speaker.grids.ID] warning_mode`.",
    )
    proposal_ttl_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        title="Proposal lifetime",
        description="Seconds a proposed warning (`confirm` mode) may be played before it expires unplayed.",
    )

    def mode_for(self, grid: str | None) -> WarningMode:
        """The warning mode in ``grid`` (its override, else ``warning_mode``; outside the grids: ``warning_mode``).

        Example:
            >>> SpeakerConfig(grids={"7": GridOverride(warning_mode="off")}).mode_for("7")
            'off'
        """
        override = self.grids.get(grid or "")
        if override is not None and override.warning_mode is not None:
            return override.warning_mode
        return self.warning_mode

    @model_validator(mode="after")
    def _check(self) -> SpeakerConfig:
        low, high = self.prerender_counts
        if not 0 <= low <= high <= 1000:
            raise ValueError("prerender_counts must be [low, high] with 0 <= low <= high <= 1000, e.g. [2, 30]")
        for kind, texts in self.phrasebook.items():
            for lang, text in texts.items():
                try:
                    Template.parse(text)
                except TemplateError as exc:
                    raise ValueError(f"[speaker.phrasebook.{kind}] {lang}: {exc}") from None
        for lang, text in self.address.items():
            if "{colour}" not in text or text.replace("{colour}", "").count("{"):
                raise ValueError(f"[speaker.address] {lang}: write the colour as {{colour}}, once, e.g. {text!r}")
            if lang not in COLOUR_WORDS:
                raise ValueError(f"[speaker.address] {lang}: no colour words in this language (known: zh, en)")
            if lang not in self.voices:
                raise ValueError(f"[speaker.address] {lang}: no [speaker.voices.{lang}]; add it")
        for lang, text in self.place.items():
            if text.count("{place}") != 1 or text.replace("{place}", "").count("{"):
                raise ValueError(f"[speaker.place] {lang}: write the place as {{place}}, once, e.g. {text!r}")
            if lang not in self.voices:
                raise ValueError(f"[speaker.place] {lang}: no [speaker.voices.{lang}]; add it")
        for section in ("phrasebook", "announcements"):
            for name, texts in getattr(self, section).items():
                for lang in texts:
                    if lang not in self.voices:
                        raise ValueError(f"[speaker.{section}.{name}] {lang}: no [speaker.voices.{lang}]; add it")
        if self.lang not in self.voices:
            raise ValueError(f"lang {self.lang!r} has no [speaker.voices.{self.lang}]; add it or change lang")
        return self
