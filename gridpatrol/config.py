"""Station settings: one TOML file, one model per section, environment overrides.

Every section forbids unknown keys, so a typo in ``station.toml`` fails with the field's name instead of being
ignored. Environment variables override the file: ``GRIDPATROL_<SECTION>__<FIELD>`` (for example
``GRIDPATROL_LOGGING__LEVEL=DEBUG``). The file is found from ``--config``, then ``GRIDPATROL_CONFIG``, then
``./station.toml`` if it exists; with none the embedded defaults apply.

Example:
    >>> s = Settings()
    >>> s.planner.alt_m
    40.0
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from api.config import ApiConfig
from flight.config import FlightConfig
from flight.fly_config import FlyConfig
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.station.config import RunConfig
from mission_planner.altitude import DEFAULT_PATROL_ALT_M, PatrolAltitude
from mission_planner.profiles import CameraProfile, VehicleProfile
from sim.config import SimConfig
from speaker.config import SpeakerConfig
from vision.config import VisionConfig
from vision.data_dir import default_data_dir  # the default lives with the libraries that read the data

REPO_ROOT = Path(__file__).resolve().parent.parent


class Section(BaseModel):
    """Base of every settings section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class StationConfig(Section):
    """Who this station is and where it keeps its files."""

    name: str = Field("station-1", title="Station name", description="Shown in logs and sent with incidents.")
    state_dir: Path = Field(
        Path(".gridpatrol"),
        title="State directory",
        description="Outbox, recordings, rendered audio and the local database live here.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        title="Data directory",
        description="Models and sample data (see shared/data/PROVENANCE.md).",
    )
    sprite_dir: Path | None = Field(
        None,
        title="Sprite folder",
        description="Where the simulated camera keeps the people it cuts from the sample photos (about 30 s to "
        "cut, once per folder); default: the state directory's sprites/.",
    )

    def sprites(self) -> Path:
        """The folder of the simulated camera's person sprites (:attr:`sprite_dir`, else ``state_dir/sprites``)."""
        return Path(self.sprite_dir if self.sprite_dir is not None else Path(self.state_dir) / "sprites").resolve()


class LoggingConfig(Section):
    """How much the station writes to its log."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", title="Log level", description="DEBUG shows MAVLink traffic and planner details."
    )
    file: Path | None = Field(None, title="Log file", description="Also write the log here (rotated daily).")


class PlannerConfig(Section):
    """Defaults for route planning."""

    alt_m: PatrolAltitude = DEFAULT_PATROL_ALT_M
    vehicle: VehicleProfile = Field(default_factory=VehicleProfile, title="Vehicle profile", description="")
    camera: CameraProfile = Field(default_factory=CameraProfile, title="Camera profile", description="")


class OutboxConfig(Section):
    """The station outbox: where reports wait and how they reach the incident log (``[outbox]``)."""

    path: Path = Field(
        Path(".gridpatrol/outbox.db"),
        title="Outbox file",
        description="SQLite file where incidents, snapshots and broadcasts wait until the API has them.",
    )
    api_url: str = Field(
        "http://127.0.0.1:8321",
        pattern=r"^https?://",
        title="Incident log URL",
        description="Base URL of the incident log API (what `gridpatrol serve` prints).",
    )
    station_key: str | None = Field(
        None,
        title="Station API key",
        description="From `gridpatrol admin create-station-key`; better set as GRIDPATROL_OUTBOX__STATION_KEY.",
    )
    timeout_s: float = Field(10.0, gt=0, le=300, title="Request timeout (s)", description="Per API request.")
    backoff_initial_s: float = Field(
        1.0, gt=0, le=600, title="First retry wait (s)", description="Wait after the API was first unreachable."
    )
    backoff_max_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        title="Longest retry wait (s)",
        description="The wait doubles per failed attempt up to this while the API stays unreachable.",
    )
    batch_max: int = Field(
        100,
        ge=1,
        le=5000,
        title="Batch size",
        description="Most pending incidents sent in one batch request (at most the API's max_batch_items).",
    )


class Settings(BaseSettings):
    """All station settings."""

    model_config = SettingsConfigDict(
        env_prefix="GRIDPATROL_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    station: StationConfig = Field(default_factory=StationConfig, title="Station", description="")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, title="Logging", description="")
    planner: PlannerConfig = Field(default_factory=PlannerConfig, title="Planner", description="")
    api: ApiConfig = Field(
        default_factory=ApiConfig, title="Incident log API", description="The FastAPI incident log service."
    )
    flight: FlightConfig = Field(
        default_factory=FlightConfig, title="Flight link", description="MAVLink connection to the vehicles."
    )
    sim: SimConfig = Field(default_factory=SimConfig, title="Simulator", description="Defaults of `gridpatrol sim`.")
    speaker: SpeakerConfig = Field(
        default_factory=SpeakerConfig, title="Loudspeaker", description="Voices and phrasebook of the warnings."
    )
    fly: FlyConfig = Field(
        default_factory=FlyConfig, title="Flying", description="Fence, failsafes and timeouts of `gridpatrol fly`."
    )
    vision: VisionConfig = Field(
        default_factory=VisionConfig, title="Vision", description="People, crowds and masks in drone video."
    )
    outbox: OutboxConfig = Field(
        default_factory=OutboxConfig, title="Outbox", description="Local queue of reports for the incident log."
    )
    run: RunConfig = Field(
        default_factory=RunConfig, title="Patrol", description="District, grids and drones of `gridpatrol run`."
    )
    console: ConsoleConfig = Field(
        default_factory=ConsoleConfig, title="Operator console", description="The patrol in a browser."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment beats the TOML file, which beats the defaults."""
        toml_file = settings_cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


class ConfigError(ValueError):
    """The settings file is missing, not TOML, or has a bad field; the message names the field and the fix."""


def find_config(path: Path | None) -> Path | None:
    """The settings file to use: the given one, ``GRIDPATROL_CONFIG``, or ``./station.toml`` if present."""
    if path is not None:
        return path
    env = os.environ.get("GRIDPATROL_CONFIG")
    if env:
        return Path(env)
    local = Path("station.toml")
    return local if local.exists() else None


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from a TOML file (optional) and the environment, with errors a person can act on."""
    path = find_config(path)
    if path is not None and not path.is_file():
        raise ConfigError(f"settings file {path} does not exist; pass --config with the path of station.toml")
    cls: Any = type("FileSettings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}})
    try:
        # only what the file and the environment set counts as set (a caller may fill the rest with its own
        # defaults: the demo plays warnings unless [speaker] warning_mode is given)
        return Settings.model_validate(cls().model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, path)) from None
    except Exception as exc:  # tomllib.TOMLDecodeError and friends
        if type(exc).__name__ == "TOMLDecodeError":
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        raise


def format_validation_error(exc: ValidationError, path: Path | None) -> str:
    """One line per bad field: ``section.field: what is wrong (got ...)``."""
    where = f" in {path}" if path else ""
    lines = [f"invalid settings{where}:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown setting (check the spelling; see docs/configuration.md for the fields)"
        lines.append(f"  {loc}: {msg} (got {err.get('input')!r})")
    return "\n".join(lines)
