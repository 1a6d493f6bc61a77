"""What the simulated ArduCopter does with each message a ground station sends.

Parameters (PARAM_REQUEST_LIST/READ, PARAM_SET -> PARAM_VALUE), modes (SET_MODE, DO_SET_MODE), COMMAND_LONG
and COMMAND_INT answered with COMMAND_ACK, GUIDED targets (SET_POSITION_TARGET_GLOBAL_INT), telemetry rates
(REQUEST_DATA_STREAM, SET_MESSAGE_INTERVAL, REQUEST_MESSAGE), MISSION_SET_CURRENT, the mission protocol
(:mod:`sim.mission_protocol`) and ground-station heartbeats (for the GCS failsafe). Messages addressed to
another system id are ignored, as a vehicle on a shared link does.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.link import Link
from sim.modes import CopterMode
from sim.telemetry import BUILDERS, STREAMS

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle

log = logging.getLogger(__name__)

ACCEPTED, TEMP_REJECTED, DENIED, UNSUPPORTED, FAILED = (
    mavlink.MAV_RESULT_ACCEPTED,
    mavlink.MAV_RESULT_TEMPORARILY_REJECTED,
    mavlink.MAV_RESULT_DENIED,
    mavlink.MAV_RESULT_UNSUPPORTED,
    mavlink.MAV_RESULT_FAILED,
)


def handle_message(v: SimVehicle, link: Link, msg: Any) -> None:
    """Dispatch one incoming message."""
    target = getattr(msg, "target_system", 0)
    if target not in (0, v.sysid):
        return
    kind = msg.get_type()
    if msg.get_srcSystem() == int(v.params.value("SYSID_MYGCS")):
        v.last_gcs_heartbeat = v.sim_time  # as ArduPilot: any message from its ground station keeps the link alive
    if kind == "HEARTBEAT":
        return
    if v.missions.handle(link, msg):
        return
    handler = HANDLERS.get(kind)
    if handler is not None:
        handler(v, link, msg)


# -- parameters ----------------------------------------------------------------------------------------------


def _param_value(v: SimVehicle, name: str) -> Any:
    p = v.params
    return mavlink.MAVLink_param_value_message(name.encode(), p.value(name), p.ptype(name), len(p), p.index(name))


def _param_request_list(v: SimVehicle, link: Link, msg: Any) -> None:
    for name in v.params.names():
        v.send_to(link, _param_value(v, name))


def _param_request_read(v: SimVehicle, link: Link, msg: Any) -> None:
    name = msg.param_id if msg.param_index < 0 else v.params.name_at(msg.param_index)
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    name = (name or "").rstrip("\x00")
    if name in v.params:
        v.send_to(link, _param_value(v, name))
    else:
        log.info("vehicle %d: PARAM_REQUEST_READ for unknown %r (index %d)", v.sysid, name, msg.param_index)


def _param_set(v: SimVehicle, link: Link, msg: Any) -> None:
    name = msg.param_id.decode(errors="replace") if isinstance(msg.param_id, bytes) else msg.param_id
    name = name.rstrip("\x00")
    if name not in v.params:
        log.info("vehicle %d: PARAM_SET of unknown parameter %r ignored", v.sysid, name)
        return
    if not math.isfinite(msg.param_value):
        v.text(mavlink.MAV_SEVERITY_WARNING, f"Param {name}: value must be finite")
        return
    try:
        v.params.set(name, msg.param_value)
    except PermissionError:
        v.text(mavlink.MAV_SEVERITY_WARNING, f"Param write denied ({name})")
    if name.startswith("SR0_"):
        for stream, (param, _ids) in STREAMS.items():
            if param == name:
                v.schedule.set_stream(stream, v.params.value(name))
    elif name == "BATT_CAPACITY":
        v.battery.capacity_mah = v.params.value(name)
    v.broadcast(_param_value(v, name))


def _request_data_stream(v: SimVehicle, link: Link, msg: Any) -> None:
    rate = float(msg.req_message_rate) if msg.start_stop else 0.0
    for param in v.schedule.set_stream(msg.req_stream_id, rate):
        v.params.set(param, rate)


# -- modes ---------------------------------------------------------------------------------------------------


def _set_mode_message(v: SimVehicle, link: Link, msg: Any) -> None:
    problem = v.set_mode(int(msg.custom_mode))
    if problem is not None:
        v.text(mavlink.MAV_SEVERITY_WARNING, f"Mode change failed: {problem}")
    # ArduPilot answers the SET_MODE message with a COMMAND_ACK whose "command" is the message id (11).
    result = ACCEPTED if problem is None else FAILED
    v.send_to(link, _ack(msg, mavlink.MAVLINK_MSG_ID_SET_MODE, result))


def _ack(msg: Any, command: int, result: int) -> Any:
    return mavlink.MAVLink_command_ack_message(command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent())


# -- commands ------------------------------------------------------------------------------------------------


class Cmd:
    """One COMMAND_LONG or COMMAND_INT, with its position decoded (lat/lon degrees, alt metres, frame)."""

    def __init__(self, msg: Any) -> None:
        self.msg = msg
        self.command = int(msg.command)
        self.params = [msg.param1, msg.param2, msg.param3, msg.param4]
        if msg.get_type() == "COMMAND_INT":
            self.lat, self.lon, self.alt = msg.x / 1e7, msg.y / 1e7, float(msg.z)
            self.frame = int(msg.frame)
        else:
            self.lat, self.lon, self.alt = float(msg.param5), float(msg.param6), float(msg.param7)
            self.frame = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT


def _command(v: SimVehicle, link: Link, msg: Any) -> None:
    cmd = Cmd(msg)
    handler = COMMANDS.get(cmd.command)
    if handler is None:
        result = UNSUPPORTED
    else:
        try:
            result = handler(v, link, cmd)
        except ValueError as exc:
            v.text(mavlink.MAV_SEVERITY_WARNING, f"Command {cmd.command} refused: {exc}")
            result = DENIED
    v.send_to(link, _ack(msg, cmd.command, result))


def _refuse(v: SimVehicle, text: str, result: int = FAILED) -> int:
    v.text(mavlink.MAV_SEVERITY_WARNING, text)
    return result


def _arm_disarm(v: SimVehicle, link: Link, c: Cmd) -> int:
    if c.params[0] >= 0.5:
        problem = v.arm(force=int(c.params[1]) == 2989)
        return ACCEPTED if problem is None else FAILED
    problem = v.disarm("GCS", force=int(c.params[1]) == 21196)
    return ACCEPTED if problem is None else _refuse(v, f"Disarm refused: {problem}")


def _do_set_mode(v: SimVehicle, link: Link, c: Cmd) -> int:
    problem = v.set_mode(int(c.params[1]))
    return ACCEPTED if problem is None else _refuse(v, f"Mode change failed: {problem}")


def _takeoff(v: SimVehicle, link: Link, c: Cmd) -> int:
    problem = v.autopilot.takeoff(c.alt)
    return ACCEPTED if problem is None else _refuse(v, f"Takeoff refused: {problem}")


def _mission_start(v: SimVehicle, link: Link, c: Cmd) -> int:
    """ArduCopter's MISSION_START: denied unless param1 and param2 are 0; switches to AUTO, which starts the
    mission (or resumes it, per MIS_RESTART)."""
    if c.params[0] != 0 or c.params[1] != 0:
        return DENIED
    if v.autopilot.mode != CopterMode.AUTO:
        problem = v.set_mode(CopterMode.AUTO)
        if problem is not None:
            return _refuse(v, f"Mission start refused: {problem}")
    if not v.runner.running:
        v.runner.enter()
    return ACCEPTED


def _change_speed(v: SimVehicle, link: Link, c: Cmd) -> int:
    speed = c.params[1]
    if speed <= 0:
        return ACCEPTED  # -1 or 0: no change (MAVLink's "unchanged")
    v.autopilot.speed_override = speed
    v.autopilot.guided_speed = speed
    return ACCEPTED


def _local_alt(v: SimVehicle, frame: int, alt: float) -> float:
    return v.alt_rel_of(frame, alt)


def _reposition(v: SimVehicle, link: Link, c: Cmd) -> int:
    if v.autopilot.mode != CopterMode.GUIDED:
        if not int(c.params[1]) & mavlink.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE:
            return _refuse(v, "Reposition needs GUIDED mode", TEMP_REJECTED)
        problem = v.set_mode(CopterMode.GUIDED)
        if problem is not None:
            return _refuse(v, f"Reposition refused: {problem}")
    if not v.armed or v.body.on_ground:
        return _refuse(v, "Reposition refused: not flying", TEMP_REJECTED)
    if not (-90 <= c.lat <= 90 and -180 <= c.lon <= 180) or (c.lat == 0 and c.lon == 0):
        raise ValueError(f"bad location lat={c.lat} lon={c.lon}")
    x, y = v.to_local(c.lat, c.lon)
    z = v.body.z if math.isnan(c.alt) else _local_alt(v, c.frame, c.alt)
    v.autopilot.goto(x, y, z, c.params[0] if c.params[0] > 0 else None)
    return ACCEPTED


def _rtl(v: SimVehicle, link: Link, c: Cmd) -> int:
    problem = v.set_mode(CopterMode.RTL)
    return ACCEPTED if problem is None else _refuse(v, f"RTL refused: {problem}")


def _land(v: SimVehicle, link: Link, c: Cmd) -> int:
    problem = v.set_mode(CopterMode.LAND)
    return ACCEPTED if problem is None else _refuse(v, f"Land refused: {problem}")


def _mount_control(v: SimVehicle, link: Link, c: Cmd) -> int:
    v.point_gimbal(c.params[0], c.params[2])
    return ACCEPTED


def _gimbal_pitchyaw(v: SimVehicle, link: Link, c: Cmd) -> int:
    pitch, yaw = c.params[0], c.params[1]
    if math.isnan(pitch) or math.isnan(yaw):
        gp, gy = v.gimbal
        pitch, yaw = (gp if math.isnan(pitch) else pitch), (gy if math.isnan(yaw) else yaw)
    if int(c.msg.param5) & mavlink.GIMBAL_MANAGER_FLAGS_YAW_LOCK:
        yaw = (yaw - v.body.heading_deg + 180.0) % 360.0 - 180.0  # earth-frame yaw -> relative to the vehicle
    v.point_gimbal(pitch, yaw)
    return ACCEPTED


def _roi_location(v: SimVehicle, link: Link, c: Cmd) -> int:
    if c.lat == 0 and c.lon == 0:
        v.clear_roi()
        return ACCEPTED
    v.set_roi(c.lat, c.lon, _local_alt(v, c.frame, c.alt))
    return ACCEPTED


def _roi_none(v: SimVehicle, link: Link, c: Cmd) -> int:
    v.clear_roi()
    return ACCEPTED


def _set_home(v: SimVehicle, link: Link, c: Cmd) -> int:
    if c.params[0] >= 1:
        v.set_home_here()
    else:
        v.set_home(c.lat, c.lon, c.alt)
    return ACCEPTED


def _message_interval(v: SimVehicle, link: Link, c: Cmd) -> int:
    msg_id, interval_us = int(c.params[0]), c.params[1]
    if msg_id not in BUILDERS:
        return FAILED
    if interval_us < 0:
        v.schedule.set_interval(msg_id, None)
    elif interval_us == 0:
        default = 1.0 if msg_id == mavlink.MAVLINK_MSG_ID_HEARTBEAT else None
        v.schedule.set_interval(msg_id, default)
    else:
        v.schedule.set_interval(msg_id, interval_us / 1e6)
    return ACCEPTED


def _request_message(v: SimVehicle, link: Link, c: Cmd) -> int:
    msg_id = int(c.params[0])
    if msg_id == mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION:
        _send_version(v, link)
        return ACCEPTED
    return ACCEPTED if v.send_message(msg_id, link) else FAILED


def _home_request(v: SimVehicle, link: Link, c: Cmd) -> int:
    v.send_message(mavlink.MAVLINK_MSG_ID_HOME_POSITION, link)
    return ACCEPTED


def _send_version(v: SimVehicle, link: Link) -> None:
    caps = (
        mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
        | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
        | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT
        | mavlink.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
        | mavlink.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
        | mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
        | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
        | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
    )
    version = (4 << 24) | (5 << 16) | (7 << 8) | 255  # 4.5.7 official
    v.send_to(
        link,
        mavlink.MAVLink_autopilot_version_message(
            caps, version, 0, 0, 0, b"\0" * 8, b"\0" * 8, b"\0" * 8, 0x1209, 0x5741, v.sysid, b"\0" * 18
        ),
    )


def _capabilities(v: SimVehicle, link: Link, c: Cmd) -> int:
    _send_version(v, link)
    return ACCEPTED


def _set_current(v: SimVehicle, link: Link, c: Cmd) -> int:
    return ACCEPTED if v.runner.set_current(int(c.params[0])) else DENIED


def _pause_continue(v: SimVehicle, link: Link, c: Cmd) -> int:
    if c.params[0] == 0:
        problem = v.set_mode(CopterMode.BRAKE) if v.autopilot.mode in (CopterMode.AUTO, CopterMode.GUIDED) else None
        return ACCEPTED if problem is None else FAILED
    return ACCEPTED


COMMANDS: dict[int, Callable[[SimVehicle, Link, Cmd], int]] = {
    mavlink.MAV_CMD_COMPONENT_ARM_DISARM: _arm_disarm,
    mavlink.MAV_CMD_DO_SET_MODE: _do_set_mode,
    mavlink.MAV_CMD_NAV_TAKEOFF: _takeoff,
    mavlink.MAV_CMD_MISSION_START: _mission_start,
    mavlink.MAV_CMD_DO_CHANGE_SPEED: _change_speed,
    mavlink.MAV_CMD_DO_REPOSITION: _reposition,
    mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH: _rtl,
    mavlink.MAV_CMD_NAV_LAND: _land,
    mavlink.MAV_CMD_DO_MOUNT_CONTROL: _mount_control,
    mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW: _gimbal_pitchyaw,
    mavlink.MAV_CMD_DO_SET_ROI_LOCATION: _roi_location,
    mavlink.MAV_CMD_DO_SET_ROI_NONE: _roi_none,
    mavlink.MAV_CMD_DO_SET_HOME: _set_home,
    mavlink.MAV_CMD_SET_MESSAGE_INTERVAL: _message_interval,
    mavlink.MAV_CMD_REQUEST_MESSAGE: _request_message,
    mavlink.MAV_CMD_GET_HOME_POSITION: _home_request,
    mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: _capabilities,
    mavlink.MAV_CMD_DO_SET_MISSION_CURRENT: _set_current,
    mavlink.MAV_CMD_DO_PAUSE_CONTINUE: _pause_continue,
}


def _position_target(v: SimVehicle, link: Link, msg: Any) -> None:
    if v.autopilot.mode != CopterMode.GUIDED or not v.armed or v.body.on_ground:
        return
    if msg.type_mask & 0b111:  # position ignored: velocity/acceleration targets are not simulated
        v.text(mavlink.MAV_SEVERITY_WARNING, "SET_POSITION_TARGET: only position targets are simulated")
        return
    x, y = v.to_local(msg.lat_int / 1e7, msg.lon_int / 1e7)
    frame = {5: 0, 6: 3, 11: 10}.get(int(msg.coordinate_frame), int(msg.coordinate_frame))
    v.autopilot.goto(x, y, v.alt_rel_of(frame, msg.alt))


def _mission_set_current(v: SimVehicle, link: Link, msg: Any) -> None:
    v.runner.set_current(int(msg.seq))


HANDLERS: dict[str, Callable[[SimVehicle, Link, Any], None]] = {
    "PARAM_REQUEST_LIST": _param_request_list,
    "PARAM_REQUEST_READ": _param_request_read,
    "PARAM_SET": _param_set,
    "REQUEST_DATA_STREAM": _request_data_stream,
    "SET_MODE": _set_mode_message,
    "COMMAND_LONG": _command,
    "COMMAND_INT": _command,
    "SET_POSITION_TARGET_GLOBAL_INT": _position_target,
    "MISSION_SET_CURRENT": _mission_set_current,
}
