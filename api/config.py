"""The ``[api]`` settings section: where the log lives, who may call it, and the limits that protect it.

Example:
    >>> cfg = ApiConfig()
    >>> cfg.port, cfg.cors_origins
    (8321, [])
"""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ApiConfig(BaseModel):
    """Incident log service settings (``[api]`` in ``station.toml``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        "127.0.0.1",
        title="Listen address",
        description="Interface uvicorn binds; keep 127.0.0.1 unless proxied.",
    )
    port: int = Field(8321, ge=1, le=65535, title="Port", description="TCP port of the API and the browser UI.")
    data_dir: Path = Field(
        Path(".gridpatrol/api"),
        title="Data directory",
        description="Holds the SQLite database (incidents.db) and the content-addressed snapshot store.",
    )
    database_url: str | None = Field(
        None,
        title="Database URL",
        description="SQLAlchemy URL (postgresql+psycopg://user:pw@host/db); empty: SQLite in data_dir.",
    )
    token_ttl_min: float = Field(
        720.0,
        gt=0,
        title="Login token lifetime (min)",
        description="Reviewer/admin tokens expire after this.",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        title="Login failures before delays",
        description="Failed logins of one user from one address before each further try waits 1, 2, 4 ... s.",
    )
    login_window_s: float = Field(
        300.0, gt=0, title="Login rate window (s)", description="Window over which failed logins are counted."
    )
    login_address_max_failures: int = Field(
        20,
        ge=1,
        title="Login failures per address",
        description="Failed logins from one address per window over all user names, then 429.",
    )
    login_max_delay_s: float = Field(
        900.0, gt=0, title="Longest login delay (s)", description="Cap of the growing delay after failed logins."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        title="Trusted proxies",
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed; "
        "empty: the header is ignored.",
    )
    live_check_s: float = Field(
        5.0,
        gt=0,
        title="Live stream re-check (s)",
        description="How often an open /api/live stream re-checks its credential (revoked keys, disabled users "
        "and expired tokens end it; logouts and revocations through the API end it at once).",
    )
    max_snapshot_bytes: int = Field(
        5_000_000,
        ge=1024,
        title="Snapshot size limit (bytes)",
        description="Larger uploads are refused (413).",
    )
    max_batch_items: int = Field(
        200,
        ge=1,
        le=5000,
        title="Batch size limit",
        description="Most incidents in one POST /incidents/batch.",
    )
    max_batch_bytes: int = Field(
        50_000_000,
        ge=1024,
        title="Batch body limit (bytes)",
        description="Largest POST /incidents/batch request (incidents and their snapshots together).",
    )
    max_body_bytes: int = Field(
        1_000_000,
        ge=1024,
        title="JSON body limit (bytes)",
        description="Larger JSON bodies are refused with 413 before they are parsed.",
    )
    thumbnail_px: int = Field(
        320, ge=32, le=1024, title="Thumbnail size (px)", description="Longest side of snapshot thumbnails."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        title="CORS origins",
        description="Browser origins allowed to call the API from other sites; empty (closed) by default.",
    )
    tile_url: str | None = Field(
        None,
        title="Map tile URL",
        description="Leaflet tile template ({z}/{x}/{y}); off by default so the map works with no internet.",
    )
    grid_colour_thresholds: list[int] = Field(
        default_factory=lambda: [1, 3, 6, 10],
        title="Grid colour thresholds",
        description="Open incidents for green, yellow, orange, red (fewer than the first is white).",
    )
    page_max: int = Field(500, ge=1, le=5000, title="Page size limit", description="Largest `limit` of a list.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)") from None
        return v

    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``trusted_proxies`` as networks."""
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]

    @field_validator("grid_colour_thresholds")
    @classmethod
    def _four_rising(cls, v: list[int]) -> list[int]:
        if len(v) != 4 or any(b <= a for a, b in itertools.pairwise(v)) or v[0] < 1:
            raise ValueError("give four rising counts >= 1 (green, yellow, orange, red), e.g. [1, 3, 6, 10]")
        return v

    def sqlalchemy_url(self) -> str:
        """The database URL: ``database_url`` or a SQLite file ``incidents.db`` in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'incidents.db').resolve()}"
