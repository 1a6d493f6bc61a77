"""Telemetry messages of the simulated vehicle and the schedule that sends them.

Rates are per message, in simulated time, set by SET_MESSAGE_INTERVAL or by REQUEST_DATA_STREAM (ArduPilot's
stream groups, whose rates it also stores in the ``SR0_*`` parameters). Only HEARTBEAT (1 Hz) is sent without
being asked, as on ArduPilot with zeroed stream rates, so a ground station must ask for what it needs. Because
simulated time runs ``speedup`` times faster than the wall clock, so do the messages, capped at
:data:`MAX_WALL_HZ` per message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.modes import CopterMode

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle

MAX_WALL_HZ = 50.0

# ArduPilot's stream groups (REQUEST_DATA_STREAM) and the SR0_ parameter that stores each rate.
STREAMS: dict[int, tuple[str, tuple[int, ...]]] = {
    mavlink.MAV_DATA_STREAM_RAW_SENSORS: ("SR0_RAW_SENS", (mavlink.MAVLINK_MSG_ID_SYSTEM_TIME,)),
    mavlink.MAV_DATA_STREAM_EXTENDED_STATUS: (
        "SR0_EXT_STAT",
        (
            mavlink.MAVLINK_MSG_ID_SYS_STATUS,
            mavlink.MAVLINK_MSG_ID_MISSION_CURRENT,
            mavlink.MAVLINK_MSG_ID_GPS_RAW_INT,
            mavlink.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT,
            mavlink.MAVLINK_MSG_ID_FENCE_STATUS,
        ),
    ),
    mavlink.MAV_DATA_STREAM_RC_CHANNELS: ("SR0_RC_CHAN", ()),
    mavlink.MAV_DATA_STREAM_POSITION: (
        "SR0_POSITION",
        (mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, mavlink.MAVLINK_MSG_ID_LOCAL_POSITION_NED),
    ),
    mavlink.MAV_DATA_STREAM_EXTRA1: ("SR0_EXTRA1", (mavlink.MAVLINK_MSG_ID_ATTITUDE,)),
    mavlink.MAV_DATA_STREAM_EXTRA2: ("SR0_EXTRA2", (mavlink.MAVLINK_MSG_ID_VFR_HUD,)),
    mavlink.MAV_DATA_STREAM_EXTRA3: (
        "SR0_EXTRA3",
        (
            mavlink.MAVLINK_MSG_ID_BATTERY_STATUS,
            mavlink.MAVLINK_MSG_ID_EKF_STATUS_REPORT,
            mavlink.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS,
            mavlink.MAVLINK_MSG_ID_MOUNT_STATUS,
        ),
    ),
}


def _heartbeat(v: SimVehicle) -> Any:
    base = (
        mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
        | mavlink.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED
    )
    if v.autopilot.mode in (CopterMode.AUTO, CopterMode.GUIDED, CopterMode.RTL, CopterMode.LOITER):
        base |= mavlink.MAV_MODE_FLAG_GUIDED_ENABLED
    if v.armed:
        base |= mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    state = mavlink.MAV_STATE_ACTIVE if v.armed else mavlink.MAV_STATE_STANDBY
    if v.in_failsafe:
        state = mavlink.MAV_STATE_CRITICAL
    return mavlink.MAVLink_heartbeat_message(
        mavlink.MAV_TYPE_QUADROTOR, mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, base, int(v.autopilot.mode), state, 3
    )


SENSORS = (
    mavlink.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG
    | mavlink.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | mavlink.MAV_SYS_STATUS_SENSOR_GPS
    | mavlink.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | mavlink.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | mavlink.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | mavlink.MAV_SYS_STATUS_AHRS
    | mavlink.MAV_SYS_STATUS_PREARM_CHECK
    | mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
)


def _sys_status(v: SimVehicle) -> Any:
    healthy = SENSORS
    if not v.gps_ok:
        healthy &= ~mavlink.MAV_SYS_STATUS_SENSOR_GPS
    present = SENSORS | mavlink.MAV_SYS_STATUS_GEOFENCE
    enabled = SENSORS | (mavlink.MAV_SYS_STATUS_GEOFENCE if v.params.value("FENCE_ENABLE") else 0)
    if not v.fence_breaches:
        healthy |= mavlink.MAV_SYS_STATUS_GEOFENCE
    if v.battery_low:
        healthy &= ~mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
    b = v.battery
    return mavlink.MAVLink_sys_status_message(
        present, enabled, healthy, 200, int(b.voltage * 1000), int(b.current_a * 100), int(b.remaining_pct),
        0, 0, 0, 0, 0, 0,
    )  # fmt: skip


def _gps_raw(v: SimVehicle) -> Any:
    lat, lon, _rel, amsl = v.position
    fix, sats = (3, 14) if v.gps_ok else (1, 0)
    return mavlink.MAVLink_gps_raw_int_message(
        v.time_usec(), fix, int(lat * 1e7), int(lon * 1e7), int(amsl * 1000), 70, 120,
        int(v.body.ground_speed * 100), int(v.body.heading_deg * 100) % 36000, sats,
    )  # fmt: skip


def _global_position(v: SimVehicle) -> Any:
    lat, lon, rel, amsl = v.position
    b = v.body
    return mavlink.MAVLink_global_position_int_message(
        v.time_boot_ms(), int(lat * 1e7), int(lon * 1e7), int(amsl * 1000), int(rel * 1000),
        int(b.vy * 100), int(b.vx * 100), int(-b.vz * 100), int(b.heading_deg * 100) % 36000,
    )  # fmt: skip


def _local_position(v: SimVehicle) -> Any:
    b = v.body
    hx, hy = v.home_xy
    return mavlink.MAVLink_local_position_ned_message(v.time_boot_ms(), b.y - hy, b.x - hx, -b.z, b.vy, b.vx, -b.vz)


def _attitude(v: SimVehicle) -> Any:
    b = v.body
    return mavlink.MAVLink_attitude_message(v.time_boot_ms(), b.roll, b.pitch, b.yaw, 0.0, 0.0, 0.0)


def _vfr_hud(v: SimVehicle) -> Any:
    b = v.body
    wx, wy = v.wind
    airspeed = math.hypot(b.vx - wx, b.vy - wy)
    throttle = int(min(100, 45 + 10 * b.vz)) if v.armed and not b.on_ground else 0
    return mavlink.MAVLink_vfr_hud_message(
        airspeed, b.ground_speed, int(b.heading_deg) % 360, throttle, v.position[3], b.vz
    )


def _battery(v: SimVehicle) -> Any:
    b = v.battery
    cell_mv = int(b.voltage / b.cells * 1000)
    volts = [cell_mv] * b.cells + [65535] * (10 - b.cells)
    return mavlink.MAVLink_battery_status_message(
        0, mavlink.MAV_BATTERY_FUNCTION_ALL, mavlink.MAV_BATTERY_TYPE_LIPO, 32767, volts,
        int(b.current_a * 100), int(b.consumed_mah), -1, int(b.remaining_pct),
        0, 0, [0, 0, 0, 0], 0, 0,
    )  # fmt: skip


def _ekf(v: SimVehicle) -> Any:
    flags = mavlink.EKF_ATTITUDE | mavlink.EKF_VELOCITY_VERT | mavlink.EKF_POS_VERT_ABS | mavlink.EKF_CONST_POS_MODE
    var = 0.9
    if v.gps_ok:
        flags |= (
            mavlink.EKF_VELOCITY_HORIZ
            | mavlink.EKF_POS_HORIZ_REL
            | mavlink.EKF_POS_HORIZ_ABS
            | mavlink.EKF_PRED_POS_HORIZ_REL
            | mavlink.EKF_PRED_POS_HORIZ_ABS
        )
        flags &= ~mavlink.EKF_CONST_POS_MODE
        var = 0.02
    return mavlink.MAVLink_ekf_status_report_message(flags, var, var, 0.02, 0.01, 0.0, 0.0)


def _mission_current(v: SimVehicle) -> Any:
    runner = v.runner
    total = v.missions.count(0)
    state = mavlink.MISSION_STATE_NO_MISSION if total <= 1 else mavlink.MISSION_STATE_NOT_STARTED
    if runner.running:
        state = mavlink.MISSION_STATE_ACTIVE
    elif runner.finished:
        state = mavlink.MISSION_STATE_COMPLETE
    return mavlink.MAVLink_mission_current_message(runner.current, total, state, 0)


def _nav_controller(v: SimVehicle) -> Any:
    b = v.body
    target = v.runner.target if v.runner.running else None
    dist = int(math.hypot(target[0] - b.x, target[1] - b.y)) if target else 0
    bearing = int(math.degrees(math.atan2(target[0] - b.x, target[1] - b.y))) if target else 0
    return mavlink.MAVLink_nav_controller_output_message(
        math.degrees(b.roll), math.degrees(b.pitch), int(b.heading_deg), bearing, min(dist, 65535),
        (target[2] - b.z) if target else 0.0, 0.0, 0.0,
    )  # fmt: skip


def _fence_status(v: SimVehicle) -> Any:
    breach = v.fence_breaches
    kind = mavlink.FENCE_BREACH_NONE
    if "altitude" in breach:
        kind = mavlink.FENCE_BREACH_MAXALT
    elif breach:
        kind = mavlink.FENCE_BREACH_BOUNDARY
    return mavlink.MAVLink_fence_status_message(1 if breach else 0, v.fence_breach_count, kind, v.time_boot_ms(), 0)


def _home(v: SimVehicle) -> Any:
    lat, lon, amsl = v.home
    return mavlink.MAVLink_home_position_message(
        int(lat * 1e7), int(lon * 1e7), int(amsl * 1000), 0.0, 0.0, 0.0, [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0,
        v.time_usec(),
    )  # fmt: skip


def _system_time(v: SimVehicle) -> Any:
    return mavlink.MAVLink_system_time_message(0, v.time_boot_ms())


def _gimbal_status(v: SimVehicle) -> Any:
    pitch, yaw = (math.radians(a) for a in v.gimbal)
    cy, sy, cp, sp = math.cos(yaw / 2), math.sin(yaw / 2), math.cos(pitch / 2), math.sin(pitch / 2)
    quat = [cy * cp, -sy * sp, cy * sp, sy * cp]
    return mavlink.MAVLink_gimbal_device_attitude_status_message(
        0, 0, v.time_boot_ms(), 0, quat, math.nan, math.nan, math.nan, 0, 0.0, 0.0, 1
    )


def _mount_status(v: SimVehicle) -> Any:
    pitch, yaw = v.gimbal
    return mavlink.MAVLink_mount_status_message(0, 0, int(pitch * 100), 0, int(yaw * 100), 2)


def _extended_sys_state(v: SimVehicle) -> Any:
    b = v.body
    if b.on_ground:
        landed = mavlink.MAV_LANDED_STATE_ON_GROUND
    elif b.vz > 0.3:
        landed = mavlink.MAV_LANDED_STATE_TAKEOFF
    elif b.vz < -0.3 and v.autopilot.is_landing():
        landed = mavlink.MAV_LANDED_STATE_LANDING
    else:
        landed = mavlink.MAV_LANDED_STATE_IN_AIR
    return mavlink.MAVLink_extended_sys_state_message(mavlink.MAV_VTOL_STATE_UNDEFINED, landed)


BUILDERS: dict[int, Callable[[SimVehicle], Any]] = {
    mavlink.MAVLINK_MSG_ID_HEARTBEAT: _heartbeat,
    mavlink.MAVLINK_MSG_ID_SYS_STATUS: _sys_status,
    mavlink.MAVLINK_MSG_ID_SYSTEM_TIME: _system_time,
    mavlink.MAVLINK_MSG_ID_GPS_RAW_INT: _gps_raw,
    mavlink.MAVLINK_MSG_ID_ATTITUDE: _attitude,
    mavlink.MAVLINK_MSG_ID_LOCAL_POSITION_NED: _local_position,
    mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: _global_position,
    mavlink.MAVLINK_MSG_ID_MISSION_CURRENT: _mission_current,
    mavlink.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT: _nav_controller,
    mavlink.MAVLINK_MSG_ID_VFR_HUD: _vfr_hud,
    mavlink.MAVLINK_MSG_ID_BATTERY_STATUS: _battery,
    mavlink.MAVLINK_MSG_ID_FENCE_STATUS: _fence_status,
    mavlink.MAVLINK_MSG_ID_EKF_STATUS_REPORT: _ekf,
    mavlink.MAVLINK_MSG_ID_HOME_POSITION: _home,
    mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: _extended_sys_state,
    mavlink.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS: _gimbal_status,
    mavlink.MAVLINK_MSG_ID_MOUNT_STATUS: _mount_status,
}


class TelemetrySchedule:
    """Which messages are due, per message id, in simulated seconds."""

    def __init__(self, speedup: float) -> None:
        self.speedup = speedup
        self.intervals: dict[int, float] = {mavlink.MAVLINK_MSG_ID_HEARTBEAT: 1.0}
        self.next_due: dict[int, float] = {}

    def set_interval(self, msg_id: int, interval_s: float | None) -> None:
        """Send ``msg_id`` every ``interval_s`` simulated seconds; None or <= 0 stops it."""
        if interval_s is None or interval_s <= 0:
            self.intervals.pop(msg_id, None)
            self.next_due.pop(msg_id, None)
            return
        self.intervals[msg_id] = interval_s
        self.next_due[msg_id] = 0.0

    def set_stream(self, stream_id: int, rate_hz: float) -> list[str]:
        """REQUEST_DATA_STREAM: set every message of a group (or all); returns the SR0_ params touched."""
        groups = list(STREAMS) if stream_id == mavlink.MAV_DATA_STREAM_ALL else [stream_id]
        touched = []
        for group in groups:
            if group not in STREAMS:
                continue
            param, ids = STREAMS[group]
            touched.append(param)
            for msg_id in ids:
                self.set_interval(msg_id, 1.0 / rate_hz if rate_hz > 0 else None)
        return touched

    def due(self, now: float) -> list[int]:
        """Message ids to send at simulated time ``now`` (and reschedules them)."""
        out = []
        floor = self.speedup / MAX_WALL_HZ
        for msg_id, interval in self.intervals.items():
            if now >= self.next_due.get(msg_id, 0.0):
                out.append(msg_id)
                step = max(interval, floor)
                last = self.next_due.get(msg_id, 0.0)
                self.next_due[msg_id] = max(last + step, now + step * 0.5) if last else now + step
        return out
