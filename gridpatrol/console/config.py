"""The ``[console]`` section of ``station.toml``: where the operator console listens and how it behaves.

Example ``station.toml``::

    [console]
    port = 8322
    stall_s = 1.5

Example:
    >>> ConsoleConfig().url
    'http://127.0.0.1:8322/'
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ConsoleConfig(BaseModel):
    """The operator console in the browser (``[console]``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True,
        title="Serve the console",
        description="Serve the console beside the terminal view in `gridpatrol run` and `demo`.",
    )
    host: str = Field(
        "127.0.0.1",
        min_length=1,
        title="Address",
        description="Interface to listen on; 127.0.0.1 keeps it on this machine (use a TLS proxy to share it).",
    )
    port: int = Field(8322, ge=1, le=65535, title="Port", description="TCP port of the console.")
    db: Path | None = Field(
        None,
        title="Accounts file",
        description="SQLite file of console accounts, logins and the audit log; default: console.db in the "
        "[station] state_dir.",
    )
    session_ttl_min: int = Field(
        480, ge=5, le=7 * 24 * 60, title="Login lifetime (min)", description="A login ends after this long."
    )
    cookie_secure: bool = Field(
        False,
        title="Secure cookie",
        description="Send the login cookie over HTTPS only; set it when a TLS proxy serves the console.",
    )
    stall_s: float = Field(
        1.5,
        ge=0.3,
        le=10,
        title="Stall after (s)",
        description="A drone whose telemetry has been silent this long is shown as stalled (the page says so "
        "within 2 s at the default).",
    )
    max_text_chars: int = Field(
        200, ge=10, le=2000, title="Longest spoken text", description="Free text longer than this is refused."
    )
    tile_url: str | None = Field(
        None,
        pattern=r"^https?://",
        title="Map tiles",
        description="An XYZ tile URL ({z}/{x}/{y}); none: a plain background with the district drawn on it.",
    )

    timezone: str | None = Field(
        None,
        max_length=64,
        title="Time zone",
        description="The time zone schedules are in (an IANA name such as Asia/Shanghai); none: this machine's.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai") from None
        return name

    def zone(self) -> tzinfo:
        """The schedules' time zone: ``timezone``, or this machine's."""
        if self.timezone is not None:
            return ZoneInfo(self.timezone)
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC

    @property
    def url(self) -> str:
        """The console's address as a person types it."""
        return f"http://{self.host}:{self.port}/"
