"""Settings of ``gridpatrol fly`` (the ``[fly]`` section of ``station.toml``): fence, failsafes, timeouts.

Kept apart from the flight code so that loading settings does not import MAVLink or geometry libraries.

Example:
    >>> FlyConfig().safety.fence_action
    'rtl'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["rtl", "land", "brake", "report"]


class SafetyConfig(BaseModel):
    """Vehicle-side fence and failsafe settings ``gridpatrol fly`` sets (and reads back) before arming."""

    model_config = ConfigDict(extra="forbid")

    fence_action: Action = Field(
        "rtl", title="Fence action", description="What the vehicle does when it breaches the fence."
    )
    fence_alt_max_m: float = Field(
        120.0,
        gt=0,
        le=500,
        title="Fence ceiling (m)",
        description="Highest altitude above home; missions above it are refused.",
    )
    fence_margin_m: float = Field(
        2.0, ge=0, le=50, title="Fence margin (m)", description="Distance inside the fence at which the vehicle acts."
    )
    battery_cells: int | None = Field(
        None,
        ge=1,
        le=14,
        title="Battery cells",
        description="Cells in series of the flight pack (3 for 3S); none: counted from the voltage the vehicle "
        "reports at connect (a LiPo between 3.2 and 4.25 V per cell).",
    )
    battery_low_cell_volt: float = Field(
        3.5,
        ge=0,
        le=4.2,
        title="Battery low (V per cell)",
        description="Per-cell voltage of the vehicle's low-battery failsafe (0: off); BATT_LOW_VOLT is this times "
        "the cells.",
    )
    battery_low_action: Action = Field(
        "rtl", title="Battery low action", description="What the vehicle does on its low-battery failsafe."
    )
    battery_critical_cell_volt: float = Field(
        3.3,
        ge=0,
        le=4.2,
        title="Battery critical (V per cell)",
        description="Per-cell voltage of the critical failsafe (0: off); BATT_CRT_VOLT is this times the cells.",
    )
    battery_critical_action: Action = Field(
        "land", title="Battery critical action", description="What the vehicle does on its critical-battery failsafe."
    )
    reserve_pct: float = Field(
        20.0,
        ge=0,
        lt=100,
        title="Battery reserve (%)",
        description="Ground-side watchdog: RTL once below this charge (before the vehicle's own low failsafe).",
    )
    min_takeoff_battery_pct: float = Field(
        90.0,
        ge=0,
        le=100,
        title="Take-off battery (%)",
        description="Refuse to take off below this charge: the planner sizes every sortie for a full battery.",
    )
    gcs_failsafe_action: Action = Field(
        "rtl", title="Lost-link action", description="What the vehicle does when it stops hearing this ground station."
    )
    gcs_timeout_s: float = Field(
        5.0,
        ge=2,
        le=120,
        title="Lost-link timeout (s)",
        description="Silence after which the vehicle's link failsafe acts.",
    )
    rtl_alt_m: float | None = Field(
        None,
        gt=0,
        le=500,
        title="Return altitude (m)",
        description="RTL altitude above home; None: the mission's altitude.",
    )
    max_home_offset_m: float = Field(
        30.0,
        gt=0,
        title="Launch offset (m)",
        description="Refuse to fly when the vehicle is farther than this from the plan's launch site.",
    )


class FlyConfig(BaseModel):
    """How ``gridpatrol fly`` flies: safety settings and how long to wait for each step."""

    model_config = ConfigDict(extra="forbid")

    safety: SafetyConfig = Field(
        default_factory=SafetyConfig, title="Safety", description="Fence, failsafe and battery-reserve settings."
    )
    connect_timeout_s: float = Field(
        15.0, gt=0, title="Connect timeout (s)", description="Wait this long for the vehicle's first heartbeat."
    )
    ready_timeout_s: float = Field(
        60.0, gt=0, title="GPS timeout (s)", description="Wait this long for a 3-D GPS fix and a healthy EKF."
    )
    flight_timeout_s: float = Field(
        3600.0, gt=0, title="Flight timeout (s)", description="Give up following a flight (and RTL) after this."
    )
