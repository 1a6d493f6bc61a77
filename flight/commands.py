"""Vehicle commands that an operator understands: each is acknowledged, then confirmed in telemetry.

A COMMAND_ACK of ACCEPTED only says the vehicle took the request; :class:`Commander` then waits until the
vehicle's own telemetry shows the result (the mode in the HEARTBEAT, the altitude after a take-off, the position
after a go-to, the gimbal angles after pointing the camera). A refusal carries the vehicle's own explanation:
the ``PreArm: ...`` / ``Mode change failed: ...`` STATUSTEXT it sent with the refusal.

ArduPilot and PX4 sit behind the same calls: the mode for each role comes from :data:`flight.px4.ROLE_MODES`
and ``DO_SET_MODE`` is encoded per autopilot (:func:`flight.px4.set_mode_params`).

Example:
    >>> from sim import Simulator
    >>> from flight.link import MavLink
    >>> with Simulator(speedup=20, base_port=0) as sim, MavLink(sim.endpoints[0]) as link:
    ...     cmd = Commander(link.wait_vehicle())
    ...     fix = cmd.wait_for("a GPS fix", lambda s: (s.gps_fix or 0) >= 3, 10)
    ...     cmd.set_mode("GUIDED"); cmd.arm(); cmd.takeoff(10)
    ...     cmd.goto(30.5442, 114.2950, 10, speed_ms=5)
    ...     cmd.return_home(); landed = cmd.wait_landed(60)
    ...     flown = sim.vehicle(0).has_flown
    >>> flown, landed.armed
    (True, False)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import CommandRejected, FlightError, FlightTimeout
from flight.modes import Autopilot, mode_number
from flight.px4 import Role, plan_seq, role_mode, set_mode_params, vehicle_seq
from flight.results import command_result_text
from flight.state import VehicleState

if TYPE_CHECKING:
    from flight.vehicle import Vehicle

log = logging.getLogger(__name__)

POLL_S = 0.02
#: STATUSTEXT severities worth showing with a refusal (EMERGENCY..WARNING).
EXPLAINS = mavlink.MAV_SEVERITY_WARNING
#: Seconds to wait, after a refusal, for the STATUSTEXTs that explain it.
EXPLAIN_WAIT_S = 0.5
EARTH_RADIUS_M = 6_371_008.8
GIMBAL_MESSAGES = {"MOUNT_STATUS", "GIMBAL_DEVICE_ATTITUDE_STATUS"}


class ArmRefused(CommandRejected):
    """The vehicle refused to arm; ``reasons`` holds its ``PreArm: ...`` / ``Arm: ...`` messages."""

    def __init__(self, result: int, text: str, reasons: list[str]) -> None:
        super().__init__(result, "arm", text)
        self.reasons = reasons


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): exact enough for arrival checks of a few metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def quaternion_pitch_yaw(q: list[float]) -> tuple[float, float]:
    """Pitch and yaw in degrees of an attitude quaternion (w, x, y, z), as GIMBAL_DEVICE_ATTITUDE_STATUS sends."""
    w, x, y, z = (float(v) for v in q)
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x)))))
    yaw = math.degrees(math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))
    return pitch, yaw


def explanations(state: VehicleState, since: float, prefixes: tuple[str, ...] = ()) -> list[str]:
    """STATUSTEXTs received since ``since`` (monotonic) that explain a refusal, oldest first, without repeats.

    With ``prefixes``, only texts starting with one of them (e.g. ``("PreArm", "Arm")``).
    """
    out: list[str] = []
    for when, severity, text in state.statustext:
        if when < since or text in out:
            continue
        wanted = text.startswith(prefixes) if prefixes else severity <= EXPLAINS
        if wanted:
            out.append(text)
    return out


class Commander:
    """Commands for one vehicle, each acknowledged and confirmed in telemetry, with errors for people.

    Args:
        vehicle: A connected :class:`flight.vehicle.Vehicle`.
        autopilot: ``"ardupilot"`` or ``"px4"``; by default what the vehicle's HEARTBEAT said.
        ack_timeout_s: Seconds to wait for each COMMAND_ACK (then resent, ``retries`` times).
        retries: Resends of an unanswered command.
    """

    def __init__(
        self,
        vehicle: Vehicle,
        autopilot: Autopilot | None = None,
        *,
        ack_timeout_s: float = 2.0,
        retries: int = 3,
    ) -> None:
        self.vehicle = vehicle
        self.autopilot: Autopilot = autopilot or vehicle.autopilot
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries

    # -- plumbing --------------------------------------------------------------------------------------------

    @property
    def state(self) -> VehicleState:
        """The vehicle's latest telemetry snapshot."""
        return self.vehicle.state

    def _name(self) -> str:
        return f"vehicle {self.state.sysid}"

    def command(self, what: str, command: int, *params: float) -> None:
        """Send a COMMAND_LONG and raise, with the vehicle's own explanation, unless it is ACCEPTED."""
        since = time.monotonic()
        try:
            self.vehicle.command_long(command, *params, timeout=self.ack_timeout_s, retries=self.retries)
        except CommandRejected as exc:
            raise self._explained(exc, what, since) from None

    def command_at(self, what: str, command: int, lat: float, lon: float, alt: float, *params: float) -> None:
        """Send a COMMAND_INT with a position (1e-7 degree precision; altitude above home)."""
        since = time.monotonic()
        try:
            self.vehicle.command_int(
                command,
                frame=mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                x=round(lat * 1e7),
                y=round(lon * 1e7),
                z=alt,
                params=tuple(params),
                timeout=self.ack_timeout_s,
                retries=self.retries,
            )
        except CommandRejected as exc:
            raise self._explained(exc, what, since) from None

    def _explained(self, exc: CommandRejected, what: str, since: float) -> CommandRejected:
        time.sleep(EXPLAIN_WAIT_S / 5)  # the texts come with the ACK; give the reader a moment
        texts = explanations(self.state, since)
        detail = f"; the vehicle said: {'; '.join(texts)}" if texts else ""
        return CommandRejected(exc.result, f"{what} on {self._name()}", command_result_text(exc.result) + detail)

    def wait_for(
        self, what: str, done: Callable[[VehicleState], bool], timeout_s: float, hint: str = ""
    ) -> VehicleState:
        """Wait until the telemetry satisfies ``done``; raise :class:`FlightTimeout` saying what never happened."""
        try:
            return self.vehicle.wait_state(done, timeout=timeout_s)
        except FlightTimeout:
            link = "" if self.vehicle.link_ok else "; the link is down (no heartbeat)"
            raise FlightTimeout(f"{what} on {self._name()}", timeout_s, 1, hint + link) from None

    # -- modes and arming ------------------------------------------------------------------------------------

    def set_mode(self, name: str, timeout_s: float = 10.0) -> None:
        """Change flight mode by name (``"GUIDED"``, ``"AUTO.MISSION"``) and wait for the HEARTBEAT to show it.

        Raises:
            ValueError: not a mode of this autopilot (lists the valid ones).
            CommandRejected: the vehicle refused (with its reason).
            FlightTimeout: the heartbeat never showed the new mode.
        """
        name = name.strip().upper()
        mode_number(self.autopilot, name)  # a bad name fails here, before anything is sent
        if self.state.mode == name:
            return
        p1, p2, p3 = set_mode_params(self.autopilot, name)
        self.command(f"mode {name}", mavlink.MAV_CMD_DO_SET_MODE, p1, p2, p3)
        self.wait_for(f"mode {name}", lambda s: s.mode == name, timeout_s, "the heartbeat still shows another mode")
        log.info("%s: mode %s", self._name(), name)

    def set_role(self, role: Role, timeout_s: float = 10.0) -> str:
        """Enter the mode this autopilot uses for ``role`` (``"return"`` -> RTL / AUTO.RTL); returns its name."""
        name = role_mode(self.autopilot, role)
        self.set_mode(name, timeout_s)
        return name

    def arm(self, timeout_s: float = 10.0) -> None:
        """Arm the motors; on refusal raise :class:`ArmRefused` listing the vehicle's pre-arm failures."""
        if self.state.armed:
            return
        since = time.monotonic()
        try:
            self.vehicle.command_long(
                mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1, timeout=self.ack_timeout_s, retries=self.retries
            )
        except CommandRejected as exc:
            reasons = self._prearm_reasons(since)
            listed = "; ".join(reasons) if reasons else f"{command_result_text(exc.result)} (it sent no pre-arm text)"
            raise ArmRefused(exc.result, f"{listed}; fix these on the vehicle and arm again", reasons) from None
        self.wait_for("arming", lambda s: s.armed, timeout_s, "the heartbeat never showed the motors armed")
        log.info("%s: armed", self._name())

    def _prearm_reasons(self, since: float) -> list[str]:
        deadline = time.monotonic() + EXPLAIN_WAIT_S
        reasons: list[str] = []
        while time.monotonic() < deadline:
            reasons = explanations(self.state, since, ("PreArm", "Arm"))
            if reasons:
                time.sleep(POLL_S * 5)  # more lines may follow the first
                return explanations(self.state, since, ("PreArm", "Arm"))
            time.sleep(POLL_S)
        return reasons

    def disarm(self, force: bool = False, timeout_s: float = 10.0) -> None:
        """Disarm (refused in flight unless ``force``: that stops the motors in the air)."""
        if not self.state.armed:
            return
        self.command("disarm", mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196 if force else 0)
        self.wait_for("disarming", lambda s: not s.armed, timeout_s)

    # -- flying ----------------------------------------------------------------------------------------------

    def takeoff(self, alt_m: float, timeout_s: float | None = None) -> None:
        """Take off to ``alt_m`` above home (ArduPilot: GUIDED + NAV_TAKEOFF) and wait until it is there.

        The vehicle must be armed first (:meth:`arm`), in the take-off mode (ArduPilot GUIDED).
        """
        if alt_m <= 0:
            raise ValueError(f"takeoff altitude: must be > 0 m, got {alt_m}")
        param7 = alt_m
        if self.autopilot == "px4":  # PX4 takes an AMSL altitude
            home = self.state.home
            if home is None:
                raise FlightError(f"{self._name()}: no home position yet; PX4 needs it for a take-off altitude")
            param7 = home[2] + alt_m
        self.command(
            f"take-off to {alt_m:g} m", mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, math.nan, math.nan, math.nan, param7
        )
        wait = timeout_s if timeout_s is not None else 30.0 + alt_m / 0.5
        self.wait_for(
            f"take-off to {alt_m:g} m",
            lambda s: s.alt_rel_m is not None and s.alt_rel_m >= alt_m - 1.0,
            wait,
            "the vehicle did not climb; is it in the take-off mode and armed?",
        )

    def start_mission(self, first: int = 1, timeout_s: float = 10.0) -> None:
        """Fly the uploaded mission from item ``first`` (AUTO / AUTO.MISSION and MISSION_START).

        ArduCopter refuses MISSION_START unless param1 and param2 are 0 (it starts at the first item after home,
        which is ``first`` on ArduPilot); PX4 takes the first item in param1.
        """
        mode = role_mode(self.autopilot, "mission")
        start = first if self.autopilot == "px4" else 0
        self.command("mission start", mavlink.MAV_CMD_MISSION_START, start, 0)
        if self.state.mode != mode:
            self.set_mode(mode, timeout_s)
        self.wait_for("mission start", lambda s: s.mode == mode, timeout_s)

    def pause(self, timeout_s: float = 20.0, settle_s: float = 1.0) -> None:
        """Stop where it is and hover (ArduPilot BRAKE, PX4 AUTO.LOITER).

        Returns once the ground speed has stayed below 0.5 m/s for ``settle_s`` (a speed that only passes
        through zero while the vehicle swings back to its stopping point is not "stopped").
        """
        self.set_role("pause")
        deadline = time.monotonic() + timeout_s

        def slow(s: VehicleState) -> bool:
            return s.groundspeed_ms is not None and s.groundspeed_ms < 0.5

        while True:
            self.wait_for("stopping", slow, max(0.1, deadline - time.monotonic()), "still moving")
            still_since = time.monotonic()
            while slow(self.state) and time.monotonic() - still_since < settle_s:
                time.sleep(POLL_S)
            if slow(self.state):
                return
            if time.monotonic() > deadline:
                raise FlightTimeout(f"stopping on {self._name()}", timeout_s, 1, "it keeps moving")

    def resume(self, timeout_s: float = 10.0) -> int | None:
        """Go back to the mission at the item it was flying (AUTO resumes it); returns that item."""
        seq = self.state.mission_seq
        self.set_role("mission", timeout_s)
        if seq is not None:
            self.wait_for(
                f"resuming at item {seq}", lambda s: s.mission_seq is not None and s.mission_seq >= seq, timeout_s
            )
        return seq

    def current_item(self) -> int | None:
        """The mission item in progress (MISSION_CURRENT), numbered as in the plan file (PX4's are one less)."""
        seq = self.state.mission_seq
        return None if seq is None else plan_seq(self.autopilot, seq)

    def set_current(self, seq: int, timeout_s: float = 10.0) -> None:
        """Continue the uploaded mission from item ``seq`` (plan numbering): DO_SET_MISSION_CURRENT, confirmed by
        MISSION_CURRENT reaching ``seq`` or beyond (DO items there run at once and hand on to the next navigation
        item). In AUTO the vehicle heads there now; paused, it goes there on :meth:`resume`.

        Raises:
            ValueError: ``seq`` below 1 (item 0 is home). CommandRejected: the vehicle refused (no such item).
        """
        if seq < 1:
            raise ValueError(f"mission item {seq}: must be 1 or more (item 0 is home)")
        self.command(
            f"continue from mission item {seq}",
            mavlink.MAV_CMD_DO_SET_MISSION_CURRENT,
            vehicle_seq(self.autopilot, seq),
        )
        self.wait_for(
            f"mission item {seq} current",
            lambda s: s.mission_seq is not None and plan_seq(self.autopilot, s.mission_seq) >= seq,
            timeout_s,
            "MISSION_CURRENT still shows an earlier item",
        )

    def return_home(self, timeout_s: float = 10.0) -> None:
        """Return to launch (RTL / AUTO.RTL); confirmed by the heartbeat's mode."""
        self.set_role("return", timeout_s)

    def land(self, timeout_s: float = 10.0) -> None:
        """Land here (LAND / AUTO.LAND); confirmed by the heartbeat's mode."""
        self.set_role("land", timeout_s)

    def wait_landed(self, timeout_s: float) -> VehicleState:
        """Wait until the vehicle is on the ground and disarmed (after RTL, LAND or a mission's landing)."""
        return self.wait_for(
            "landing",
            lambda s: not s.armed and s.alt_rel_m is not None and s.alt_rel_m < 1.0,
            timeout_s,
            "it is still armed or in the air",
        )

    def goto(
        self,
        lat: float,
        lon: float,
        alt_m: float,
        speed_ms: float | None = None,
        *,
        arrive_m: float = 2.0,
        wait: bool = True,
        timeout_s: float | None = None,
    ) -> None:
        """Fly to a point (``alt_m`` above home), GUIDED + DO_REPOSITION; by default wait until within ``arrive_m``."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"goto: ({lat}, {lon}) is not a latitude/longitude in degrees")
        self.set_role("guided")
        speed = speed_ms if speed_ms is not None and speed_ms > 0 else -1.0
        self.command_at("go to", mavlink.MAV_CMD_DO_REPOSITION, lat, lon, alt_m, speed, 0, 0, math.nan)
        if not wait:
            return
        s = self.state
        far = distance_m(s.lat, s.lon, lat, lon) if s.lat is not None and s.lon is not None else 1000.0
        limit = timeout_s if timeout_s is not None else 30.0 + far / max(1.0, speed_ms or 2.0) * 2
        self.wait_for(
            f"arriving at ({lat:.6f}, {lon:.6f})",
            lambda st: (
                st.lat is not None
                and st.lon is not None
                and st.alt_rel_m is not None
                and distance_m(st.lat, st.lon, lat, lon) <= arrive_m
                and abs(st.alt_rel_m - alt_m) <= max(1.0, arrive_m)
            ),
            limit,
        )

    def change_speed(self, speed_ms: float, *, confirm_s: float = 0.0) -> None:
        """Set the horizontal (ground) speed with DO_CHANGE_SPEED.

        With ``confirm_s`` > 0, also wait that long for the ground speed to come within 15 % of it (only
        meaningful while the vehicle is flying to a target).
        """
        if speed_ms <= 0:
            raise ValueError(f"speed: must be > 0 m/s, got {speed_ms}")
        self.command(f"speed {speed_ms:g} m/s", mavlink.MAV_CMD_DO_CHANGE_SPEED, 1, speed_ms, -1, 0)
        if confirm_s > 0:
            self.wait_for(
                f"ground speed {speed_ms:g} m/s",
                lambda s: s.groundspeed_ms is not None and abs(s.groundspeed_ms - speed_ms) <= 0.15 * speed_ms,
                confirm_s,
            )

    # -- camera ----------------------------------------------------------------------------------------------

    def gimbal_angles(self, timeout_s: float = 3.0) -> tuple[float, float]:
        """The gimbal's (pitch, yaw) in degrees, yaw relative to the vehicle, from the next MOUNT_STATUS or
        GIMBAL_DEVICE_ATTITUDE_STATUS (whichever the autopilot sends; both are asked for once)."""
        if not GIMBAL_MESSAGES & set(self.vehicle.rate_methods):
            self.vehicle.request_rates({name: 4.0 for name in sorted(GIMBAL_MESSAGES)})
        msg: Any = self.vehicle.wait_message(GIMBAL_MESSAGES, timeout=timeout_s)
        if msg.get_type() == "MOUNT_STATUS":
            return msg.pointing_a / 100.0, msg.pointing_c / 100.0
        pitch, yaw = quaternion_pitch_yaw(msg.q)
        if int(msg.flags) & mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME:
            heading = self.state.heading_deg or 0.0
            yaw = (yaw - heading + 180.0) % 360.0 - 180.0
        return pitch, yaw

    def _wait_gimbal(
        self, what: str, want: Callable[[], tuple[float, float]], tol_deg: float, timeout_s: float
    ) -> None:
        deadline = time.monotonic() + timeout_s
        got: tuple[float, float] = (math.nan, math.nan)
        while time.monotonic() < deadline:
            got = self.gimbal_angles(timeout_s=max(0.1, deadline - time.monotonic()))
            pitch, yaw = want()
            if abs(got[0] - pitch) <= tol_deg and abs((got[1] - yaw + 180) % 360 - 180) <= tol_deg:
                return
        raise FlightTimeout(what, timeout_s, 1, f"the gimbal reports pitch {got[0]:.1f}, yaw {got[1]:.1f} deg")

    def point_gimbal(
        self, pitch_deg: float, yaw_deg: float = 0.0, *, tol_deg: float = 2.0, timeout_s: float = 5.0
    ) -> None:
        """Point the gimbal (pitch -90 straight down; yaw relative to the vehicle) with DO_MOUNT_CONTROL."""
        self.command(
            f"gimbal pitch {pitch_deg:g} deg",
            mavlink.MAV_CMD_DO_MOUNT_CONTROL,
            pitch_deg,
            0,
            yaw_deg,
            0,
            0,
            0,
            mavlink.MAV_MOUNT_MODE_MAVLINK_TARGETING,
        )
        self._wait_gimbal("pointing the gimbal", lambda: (pitch_deg, yaw_deg), tol_deg, timeout_s)

    def point_camera_at(
        self, lat: float, lon: float, alt_m: float = 0.0, *, tol_deg: float = 3.0, timeout_s: float = 5.0
    ) -> None:
        """Keep the camera on a ground point (DO_SET_ROI_LOCATION) and wait until the gimbal looks at it."""
        self.command_at("point the camera", mavlink.MAV_CMD_DO_SET_ROI_LOCATION, lat, lon, alt_m, 0, 0, 0, 0)

        def expected() -> tuple[float, float]:
            s = self.state
            if s.lat is None or s.lon is None or s.alt_rel_m is None or s.heading_deg is None:
                return math.nan, math.nan
            ground = distance_m(s.lat, s.lon, lat, lon)
            pitch = math.degrees(math.atan2(alt_m - s.alt_rel_m, ground))
            bearing = _bearing_deg(s.lat, s.lon, lat, lon)
            return pitch, (bearing - s.heading_deg + 180) % 360 - 180

        self._wait_gimbal(f"pointing the camera at ({lat:.6f}, {lon:.6f})", expected, tol_deg, timeout_s)

    def clear_camera_target(self) -> None:
        """Stop tracking a ground point (DO_SET_ROI_NONE)."""
        self.command("clear the camera target", mavlink.MAV_CMD_DO_SET_ROI_NONE, 0)


def _bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0
