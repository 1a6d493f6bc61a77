"""Pre-arm checks and failsafes of the simulated ArduCopter: fence, battery, GCS link and EKF (GPS).

Each check runs every physics step, in simulated time as ArduCopter (and its SITL) counts: battery thresholds
(``BATT_LOW_TIMER``) and the GCS failsafe (``FS_GCS_TIMEOUT``) alike, so a ground station that sends 1 Hz
heartbeats in wall time to a simulation at speed-up 10 trips it, as it trips SITL's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.fence import breaches
from sim.modes import NEEDS_POSITION, CopterMode
from sim.params import ParamStore

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle


def prearm_failures(v: SimVehicle) -> list[str]:
    """ArduPilot-style pre-arm failures ("PreArm: ..."), empty when the vehicle may arm."""
    if not v.params.value("ARMING_CHECK"):
        return []
    fails = []
    if not v.gps_ok:
        fails.append("PreArm: GPS 1: Bad fix")
    volt = v.battery.voltage
    arm_volt, low_volt = v.params.value("BATT_ARM_VOLT"), v.params.value("BATT_LOW_VOLT")
    if v.battery_low or (low_volt > 0 and volt <= low_volt):
        fails.append("PreArm: Battery 1 low voltage failsafe")
    elif arm_volt > 0 and volt < arm_volt:
        fails.append("PreArm: Battery 1 below minimum arming voltage")
    if v.gcs_failsafe:
        fails.append("PreArm: GCS failsafe on")
    if v.params.value("FENCE_ENABLE"):
        ftype = int(v.params.value("FENCE_TYPE"))
        if ftype & 4 and v.fence_geo.empty:
            fails.append("PreArm: Fence enabled but no polygon fence uploaded")
        elif breaches_now(v):
            fails.append("PreArm: Vehicle breaching fence")
    return fails


def breaches_now(v: SimVehicle) -> list[str]:
    """The fences the vehicle breaches where it is now (see :func:`sim.fence.breaches`)."""
    p = v.params
    return breaches(
        v.fence_geo,
        int(p.value("FENCE_TYPE")),
        (v.body.x, v.body.y, v.body.z),
        v.home_xy,
        p.value("FENCE_ALT_MAX"),
        p.value("FENCE_RADIUS"),
    )


def _failsafe_mode(v: SimVehicle, action: int, rtl: tuple[int, ...], land: tuple[int, ...], what: str) -> None:
    if action == 0:
        return  # report only
    if v.body.on_ground:
        v.disarm(f"{what} on the ground")
        return
    if action in rtl and v.autopilot.mode not in (CopterMode.RTL, CopterMode.LAND):
        if v.set_mode(CopterMode.RTL, what) is not None:
            v.set_mode(CopterMode.LAND, what)
    elif action in land and v.autopilot.mode != CopterMode.LAND:
        v.set_mode(CopterMode.LAND, what)


def check_failsafes(v: SimVehicle) -> None:
    """Run every failsafe and the auto-disarm once (each physics step)."""
    p, now = v.params, v.sim_time
    _check_battery(v, p, now)
    # GCS failsafe, in simulated time as ArduCopter counts it: at speed-up 10 a ground station must send its
    # heartbeat ten times a wall-clock second to be heard once a simulated second (SITL trips otherwise).
    # ArduCopter checks it in its 3 Hz loop: a heartbeat clears the failsafe up to a third of a second later, so an
    # arm command sent right after a late heartbeat is still refused ("Arm: GCS failsafe on"), as on SITL.
    timeout = p.value("FS_GCS_TIMEOUT")
    if now >= v.next_gcs_check and v.last_gcs_heartbeat is not None:
        v.next_gcs_check = now + 1.0 / 3.0
        silent = now - v.last_gcs_heartbeat > timeout
        if silent and not v.gcs_failsafe and p.value("FS_GCS_ENABLE"):
            v.gcs_failsafe = True  # also on the ground: it then refuses to arm ("Arm: GCS failsafe on")
            v.text(mavlink.MAV_SEVERITY_CRITICAL, "GCS Failsafe")
            action = int(p.value("FS_GCS_ENABLE"))
            if v.armed and not (action == 2 and v.autopilot.mode == CopterMode.AUTO):
                _failsafe_mode(v, action, (1, 2, 3), (4, 5), "GCS failsafe")
        elif not silent and v.gcs_failsafe:
            v.gcs_failsafe = False
            v.text(mavlink.MAV_SEVERITY_INFO, "GCS Failsafe Cleared")
    # EKF failsafe when the GPS is gone in a mode that needs a position.
    if not v.gps_ok and v.armed and not v.body.on_ground:
        if not v.ekf_failsafe and v.autopilot.mode in NEEDS_POSITION:
            v.ekf_failsafe = True
            mode = CopterMode.ALT_HOLD if int(p.value("FS_EKF_ACTION")) == 2 else CopterMode.LAND
            v.text(mavlink.MAV_SEVERITY_CRITICAL, f"EKF Failsafe: changed to {mode.name} Mode")
            v.autopilot.enter(mode)
    elif v.gps_ok and v.ekf_failsafe:
        v.ekf_failsafe = False
        v.text(mavlink.MAV_SEVERITY_INFO, "EKF Failsafe Cleared")
    # Fence.
    found = breaches_now(v) if p.value("FENCE_ENABLE") and v.armed and not v.body.on_ground else []
    new = [f for f in found if f not in v.fence_breaches]
    v.fence_breaches = found
    if new:
        v.fence_breach_count += 1
        v.text(mavlink.MAV_SEVERITY_NOTICE, "Fence Breached")
        action = int(p.value("FENCE_ACTION"))
        if action == 4 and v.autopilot.mode not in (CopterMode.RTL, CopterMode.LAND):
            v.set_mode(CopterMode.BRAKE, "fence")
        elif action:
            _failsafe_mode(v, action, (1, 3), (2, 5), "fence breach")
    # Landed: disarm after DISARM_DELAY of simulated time, also before the first takeoff (as ArduCopter does).
    delay = p.value("DISARM_DELAY")
    if v.armed and v.body.on_ground and delay > 0:
        if not v.has_flown:
            if now - v.armed_at > delay:
                v.disarm("auto disarm: no takeoff")
        elif v.landed_since is not None and now - v.landed_since > delay:
            v.disarm("auto disarm: landed")


def _check_battery(v: SimVehicle, p: ParamStore, now: float) -> None:
    volt, left = v.battery.voltage, v.battery.remaining_mah
    low = (0 < volt < p.value("BATT_LOW_VOLT")) or (p.value("BATT_LOW_MAH") > 0 and left < p.value("BATT_LOW_MAH"))
    crt = (0 < volt < p.value("BATT_CRT_VOLT")) or (p.value("BATT_CRT_MAH") > 0 and left < p.value("BATT_CRT_MAH"))
    timer = p.value("BATT_LOW_TIMER")
    v._low_since = (v._low_since if v._low_since is not None else now) if low else None
    v._crt_since = (v._crt_since if v._crt_since is not None else now) if crt else None
    used = v.battery.consumed_mah
    if v._crt_since is not None and now - v._crt_since >= timer and not v.battery_critical:
        v.battery_critical = v.battery_low = True
        v.text(mavlink.MAV_SEVERITY_CRITICAL, f"Battery 1 is critical {volt:.2f}V used {used:.0f} mAh")
        if v.armed:
            _failsafe_mode(v, int(p.value("BATT_FS_CRT_ACT")), (2, 3, 6), (1, 4), "battery critical")
    elif v._low_since is not None and now - v._low_since >= timer and not v.battery_low:
        v.battery_low = True
        v.text(mavlink.MAV_SEVERITY_CRITICAL, f"Battery 1 is low {volt:.2f}V used {used:.0f} mAh")
        if v.armed:
            _failsafe_mode(v, int(p.value("BATT_FS_LOW_ACT")), (2, 3, 6), (1, 4), "battery low")
