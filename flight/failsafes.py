"""The vehicle's own fence and failsafes: the parameters that make it protect itself, set and read back.

:func:`flight.safety.check_plan_file` decides whether a plan may fly at all (plan geometry); this module is the
other half, on the vehicle: :func:`arm_fence_and_failsafes` uploads the checked fence and rally points (verified
by read-back), then sets the fence action and ceiling, battery thresholds (sized to the pack's cells), lost-link
and EKF failsafes and the return altitude, each read back. :func:`failsafe_params` gives the parameters for
ArduPilot (:func:`ardupilot_failsafe_params`) or PX4 (:func:`px4_failsafe_params`) from one
:class:`~flight.fly_config.SafetyConfig`.

Example:
    >>> p = failsafe_params("ardupilot", SafetyConfig(battery_cells=3), cruise_alt_m=40)
    >>> p["FENCE_TYPE"], p["BATT_LOW_VOLT"], list(p)[-1]
    (5, 10.5, 'FENCE_ENABLE')
    >>> failsafe_params("px4", SafetyConfig(), cruise_alt_m=40)["GF_ACTION"]
    3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from flight.errors import FlightError
from flight.fly_config import SafetyConfig
from flight.mission_protocol import FENCE, RALLY, upload_verified
from flight.modes import Autopilot

if TYPE_CHECKING:
    from flight.safety import CheckedMission
    from flight.vehicle import Vehicle

_ARDU_FENCE_ACTION = {"report": 0, "rtl": 1, "land": 2, "brake": 4}
_ARDU_BATT_ACTION = {"report": 0, "land": 1, "rtl": 2, "brake": 1}  # no BRAKE failsafe: land instead
_ARDU_GCS_ACTION = {"report": 0, "rtl": 1, "land": 5, "brake": 5}
_PX4_GF_ACTION = {"report": 1, "brake": 2, "rtl": 3, "land": 5}  # GF_ACTION: warn, hold, return, land
_PX4_BAT_ACTION = {"report": 0, "rtl": 1, "land": 2, "brake": 2}  # COM_LOW_BAT_ACT: warn, return, land
_PX4_DLL_ACTION = {"report": 0, "brake": 1, "rtl": 2, "land": 3}  # NAV_DLL_ACT: off, hold, return, land
FENCE_TYPE_ALT_POLYGON = 5  # max altitude (1) + polygons (4); no circle around home (the district may be larger)


#: Volts per cell of a LiPo from empty under load to full: the bounds used to count cells from a pack voltage.
CELL_FULL_V, CELL_EMPTY_V = 4.25, 3.2


def battery_cells(config: SafetyConfig, pack_volt: float | None) -> int:
    """Cells in series of the vehicle's pack: from ``[fly.safety] battery_cells``, else from its voltage.

    The thresholds must fit the pack: a 4S threshold (13.6 V) on a 3S vehicle (12.6 V full) refuses to arm
    ("Battery 1 low voltage failsafe"), and a 3S threshold on a 4S pack would warn only once it is ruined.

    Raises:
        FlightError: no setting, and the voltage is missing or fits no whole number of LiPo cells.
    """
    if config.battery_cells is not None:
        return config.battery_cells
    if pack_volt is None or not math.isfinite(pack_volt) or pack_volt <= 0:
        raise FlightError(
            "the vehicle reports no battery voltage, so its cell count is unknown; set [fly.safety] battery_cells "
            "(3 for a 3S pack) or check its battery monitor (BATT_MONITOR)"
        )
    cells = math.ceil(pack_volt / CELL_FULL_V)
    if pack_volt < cells * CELL_EMPTY_V:
        raise FlightError(
            f"a pack voltage of {pack_volt:.2f} V fits no charged LiPo ({cells}S would be below "
            f"{CELL_EMPTY_V} V per cell); set [fly.safety] battery_cells, or charge the battery"
        )
    return cells


def ardupilot_failsafe_params(config: SafetyConfig, cruise_alt_m: float, cells: int) -> dict[str, float]:
    """ArduCopter parameters for ``config`` on a ``cells``-cell pack (``FENCE_ENABLE`` last: it needs the fence
    uploaded first)."""
    rtl_alt = config.rtl_alt_m if config.rtl_alt_m is not None else cruise_alt_m
    return {
        "FENCE_TYPE": FENCE_TYPE_ALT_POLYGON,
        "FENCE_ACTION": _ARDU_FENCE_ACTION[config.fence_action],
        "FENCE_ALT_MAX": config.fence_alt_max_m,
        "FENCE_MARGIN": config.fence_margin_m,
        "BATT_LOW_VOLT": round(config.battery_low_cell_volt * cells, 2),
        "BATT_FS_LOW_ACT": _ARDU_BATT_ACTION[config.battery_low_action],
        "BATT_CRT_VOLT": round(config.battery_critical_cell_volt * cells, 2),
        "BATT_FS_CRT_ACT": _ARDU_BATT_ACTION[config.battery_critical_action],
        "FS_GCS_ENABLE": _ARDU_GCS_ACTION[config.gcs_failsafe_action],
        "FS_GCS_TIMEOUT": config.gcs_timeout_s,
        "FS_EKF_ACTION": 1,  # land when the position estimate is lost
        "RTL_ALT": round(min(rtl_alt, config.fence_alt_max_m - config.fence_margin_m) * 100),  # cm
        "FENCE_ENABLE": 1,
    }


def px4_failsafe_params(config: SafetyConfig, cruise_alt_m: float) -> dict[str, float]:
    """PX4 parameters for the same fence and failsafe settings as :func:`ardupilot_failsafe_params`.

    PX4 keeps the battery thresholds as remaining-charge fractions (``BAT_LOW_THR``, ``BAT_CRIT_THR``) rather
    than voltages; the ground station's reserve is used for the low threshold, half of it for critical.
    """
    rtl_alt = config.rtl_alt_m if config.rtl_alt_m is not None else cruise_alt_m
    low = max(0.05, min(0.5, config.reserve_pct / 100.0))
    return {
        "GF_ACTION": _PX4_GF_ACTION[config.fence_action],
        "GF_MAX_VER_DIST": config.fence_alt_max_m,
        "BAT_LOW_THR": low,
        "BAT_CRIT_THR": low / 2.0,
        "COM_LOW_BAT_ACT": _PX4_BAT_ACTION[config.battery_low_action],
        "NAV_DLL_ACT": _PX4_DLL_ACTION[config.gcs_failsafe_action],
        "COM_DL_LOSS_T": config.gcs_timeout_s,
        "RTL_RETURN_ALT": min(rtl_alt, config.fence_alt_max_m - config.fence_margin_m),
    }


def failsafe_params(
    autopilot: Autopilot, config: SafetyConfig, cruise_alt_m: float, pack_volt: float | None = None
) -> dict[str, float]:
    """The fence/failsafe parameters to set on ``autopilot``, in the order to set them.

    Raises:
        FlightError: ArduPilot, and the pack's cell count cannot be known (:func:`battery_cells`).
    """
    if autopilot == "px4":
        return px4_failsafe_params(config, cruise_alt_m)
    return ardupilot_failsafe_params(config, cruise_alt_m, battery_cells(config, pack_volt))


def set_params_verified(
    vehicle: Vehicle, params: dict[str, float], report: Callable[[str], None] | None = None
) -> None:
    """Set each parameter and check the vehicle's read-back (float32 precision).

    Raises:
        FlightError: a parameter did not take the value (named, with what the vehicle holds).
    """
    for name, value in params.items():
        got = vehicle.set_param(name, float(value))
        if got is not None and not math.isclose(float(got), float(value), rel_tol=1e-5, abs_tol=1e-3):
            raise FlightError(f"parameter {name}: set {value:g} but the vehicle holds {float(got):g}")
        if report is not None:
            report(f"{name} = {value:g}")


def arm_fence_and_failsafes(
    vehicle: Vehicle,
    checked: CheckedMission,
    config: SafetyConfig,
    autopilot: Autopilot = "ardupilot",
    report: Callable[[str], None] | None = None,
    *,
    timeout: float = 1.5,
    retries: int = 5,
) -> None:
    """Upload the fence and rally points (verified by read-back), then set and read back the failsafe params.

    ``timeout`` and ``retries`` are the mission protocol's (see :func:`flight.mission_protocol.upload_verified`).

    Raises:
        MissionError / MissionVerifyError: the upload failed or reads back differently.
        FlightError: a parameter did not take its value.
    """
    say = report or (lambda text: None)
    upload_verified(vehicle, checked.plan.fence, FENCE, timeout=timeout, retries=retries)
    say(f"fence uploaded and verified ({len(checked.plan.fence)} items)")
    if checked.plan.rally:
        upload_verified(vehicle, checked.plan.rally, RALLY, timeout=timeout, retries=retries)
        say(f"rally points uploaded and verified ({len(checked.plan.rally)})")
    params = failsafe_params(autopilot, config, checked.cruise_alt_m, vehicle.state.voltage_v)
    set_params_verified(vehicle, params)
    say("fence and failsafe parameters set and read back")
