"""The ``[flight]`` settings section: how the station connects to its vehicles and how patient it is.

Example:
    >>> cfg = FlightConfig(connect="udpin:0.0.0.0:14550", heartbeat_timeout_s=5)
    >>> cfg.link_options()["heartbeat_timeout_s"]
    5.0
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flight.telemetry import DEFAULT_RATES, message_id


class FlightConfig(BaseModel):
    """MAVLink link settings for ``gridpatrol fly`` and everything built on :class:`flight.link.MavLink`."""

    model_config = ConfigDict(extra="forbid")

    connect: str = Field(
        "tcp:127.0.0.1:5760",
        title="Link URL",
        description="tcp:HOST:PORT, tcpin:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT or serial:DEVICE[:BAUD].",
    )
    source_system: int = Field(
        255, ge=1, le=255, title="Our system id", description="ArduPilot's SYSID_MYGCS expects 255 (GCS failsafe)."
    )
    source_component: int = Field(190, ge=0, le=255, title="Our component id", description="190: a ground station.")
    heartbeat_timeout_s: float = Field(
        3.0, gt=0, le=60, title="Link timeout (s)", description="A vehicle silent this long is shown as link lost."
    )
    tcp_reopen_s: float | None = Field(
        10.0,
        gt=0,
        title="TCP reopen (s)",
        description="Reopen a tcp: link that carried nothing this long; empty: never.",
    )
    tlog_dir: Path | None = Field(
        None, title="Telemetry log folder", description="Record every link to a .tlog file here (MAVProxy format)."
    )
    rates: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_RATES),
        title="Telemetry rates (Hz)",
        description="MAVLink message name -> rate asked of each vehicle at connect (SET_MESSAGE_INTERVAL).",
    )
    command_timeout_s: float = Field(
        1.5, gt=0, le=30, title="Command timeout (s)", description="Wait this long for a COMMAND_ACK before resending."
    )
    command_retries: int = Field(3, ge=0, le=20, title="Command resends", description="Resends before giving up.")
    mission_timeout_s: float = Field(
        1.5, gt=0, le=30, title="Mission timeout (s)", description="Longest resend interval of the mission protocol."
    )
    mission_retries: int = Field(
        5, ge=0, le=50, title="Mission resends", description="A transfer gives up after timeout * (resends + 1) idle."
    )

    @field_validator("rates")
    @classmethod
    def _known_messages(cls, rates: dict[str, float]) -> dict[str, float]:
        for name, hz in rates.items():
            message_id(name)  # raises ValueError naming the message
            if not 0 <= hz <= 50:
                raise ValueError(f"rate of {name} must be 0..50 Hz, got {hz}")
        return rates

    def link_options(self) -> dict[str, Any]:
        """Keyword arguments for :class:`flight.link.MavLink` (the URL is :attr:`connect`)."""
        return {
            "source_system": self.source_system,
            "source_component": self.source_component,
            "heartbeat_timeout_s": float(self.heartbeat_timeout_s),
            "rates": dict(self.rates),
            "tcp_reopen_s": self.tcp_reopen_s,
        }
