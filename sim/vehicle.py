"""One simulated ArduCopter: state, failsafes, the MAVLink it sends, and the ground truth tests read.

The simulator thread calls :meth:`SimVehicle.step` with simulated time and :meth:`SimVehicle.handle` with each
message that got through the link; everything else is the public, read-only view tests and the vision pipeline
use (position, attitude, gimbal, camera pose, mission lists, parameters, reached items, STATUSTEXT log) and
the fault injection methods. All public methods take the simulator's lock, so they are safe to call from test
threads.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from mission_planner.geo import LocalFrame
from mission_planner.mission_items import MissionItem
from sim import commands, failsafes
from sim.autopilot import Autopilot
from sim.battery import Battery
from sim.fence import FenceGeometry, build_fence, validate_fence
from sim.items import FENCE, MISSION, RALLY, StoredItem
from sim.link import Link, LinkFaults, VehiclePorts
from sim.mission_protocol import MissionHooks, MissionServer
from sim.mission_runner import MissionRunner
from sim.modes import ARMABLE, NEEDS_POSITION, SUPPORTED, CopterMode, mode_name
from sim.params import ParamStore
from sim.physics import Body, Limits, step, wind_vector
from sim.telemetry import BUILDERS, TelemetrySchedule
from vision.camera_model import CameraPose  # the one camera pose (vision's model; sim renders with it)

log = logging.getLogger(__name__)

FORCE_ARM = 2989
FORCE_DISARM = 21196


class _Capture:
    """A write-only file that keeps what pymavlink packs, so one packed buffer can go to several links."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data = bytes(data)


class SimVehicle(MissionHooks):
    """A simulated ArduCopter quadrotor (system id ``index + 1``, component 1)."""

    def __init__(
        self,
        index: int,
        frame: LocalFrame,
        spawn_xy: tuple[float, float],
        ground_amsl: float,
        speedup: float,
        wind: tuple[float, float],
        seed: int,
        lock: threading.RLock,
        ports: VehiclePorts | None = None,
    ) -> None:
        self.index = index
        self.sysid = index + 1
        self.frame = frame
        self.ground_amsl = ground_amsl
        self.lock = lock
        self.ports = ports
        self.shared: VehiclePorts | None = None  # a port all vehicles share, when the simulator has one
        self.params = ParamStore(self.sysid, {"SIM_SPEEDUP": speedup, "SIM_WIND_SPD": wind[0], "SIM_WIND_DIR": wind[1]})
        self.body = Body(x=spawn_xy[0], y=spawn_xy[1])
        self.home_xy = spawn_xy
        self.home_amsl = ground_amsl
        self.sim_time = 0.0
        self.armed = False
        self.battery = Battery(capacity_mah=self.params.value("BATT_CAPACITY"))
        self.gimbal_pitch = 0.0
        self.gimbal_yaw = 0.0
        self.roi: tuple[float, float, float] | None = None
        self.reached: list[tuple[int, float]] = []
        self.statustext: list[tuple[float, int, str]] = []
        self.faults = LinkFaults(seed * 1000 + index, clock=lambda: self.sim_time)
        self.gps_lost_until = -1.0
        self.fence_geo = FenceGeometry()
        self.fence_breaches: list[str] = []
        self.fence_breach_count = 0
        self.battery_low = False
        self.battery_critical = False
        self._low_since: float | None = None
        self._crt_since: float | None = None
        self.gcs_failsafe = False
        self.ekf_failsafe = False
        self.last_gcs_heartbeat: float | None = None
        self.next_gcs_check = 0.0
        self.pending_reached: int | None = None
        self.armed_at = 0.0
        self.landed_since: float | None = None
        self.has_flown = False
        self.schedule = TelemetrySchedule(speedup)
        self._mav = mavlink.MAVLink(_Capture(), srcSystem=self.sysid, srcComponent=1)
        self.autopilot = Autopilot(self)
        self.missions = MissionServer(self, resend_s=max(0.1, 1.0 / max(speedup, 1.0)))
        self.runner = MissionRunner(self)
        self.autopilot.enter(CopterMode.STABILIZE)

    # -- public state (ground truth) -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``tcp:127.0.0.1:PORT`` of this vehicle."""
        assert self.ports is not None
        return f"tcp:{self.ports.host}:{self.ports.tcp_port}"

    @property
    def udp_endpoint(self) -> str | None:
        """``udpout:127.0.0.1:PORT`` for a ground station, or None without UDP."""
        if self.ports is None or self.ports.udp_port is None:
            return None
        return f"udpout:{self.ports.host}:{self.ports.udp_port}"

    @property
    def position(self) -> tuple[float, float, float, float]:
        """(lat, lon, alt above home m, alt AMSL m)."""
        with self.lock:
            lon, lat = self.frame.to_lonlat(self.body.x, self.body.y)
            return float(lat), float(lon), self.body.z, self.ground_amsl + self.body.z

    @property
    def velocity(self) -> tuple[float, float, float]:
        """Ground velocity (north, east, down) in m/s, as MAVLink's NED."""
        with self.lock:
            return self.body.vy, self.body.vx, -self.body.vz

    @property
    def attitude(self) -> tuple[float, float, float]:
        """(roll, pitch, yaw) in degrees; yaw 0..360 clockwise from north."""
        with self.lock:
            b = self.body
            return math.degrees(b.roll), math.degrees(b.pitch), b.heading_deg

    @property
    def gimbal(self) -> tuple[float, float]:
        """(pitch, yaw) of the gimbal in degrees; yaw relative to the vehicle's heading."""
        with self.lock:
            return self.gimbal_pitch, self.gimbal_yaw

    def camera_pose(self) -> CameraPose:
        """The camera's pose now (see :class:`CameraPose`)."""
        with self.lock:
            lat, lon, rel, _ = self.position
            roll, pitch, yaw = self.attitude
            return CameraPose(lat, lon, rel, roll, pitch, yaw, self.gimbal_pitch, self.gimbal_yaw, self.sim_time)

    @property
    def mode(self) -> str:
        """The flight mode's name, e.g. ``"GUIDED"``."""
        return mode_name(self.autopilot.mode)

    @property
    def battery_pct(self) -> float:
        """Battery charge left, 0..100 %."""
        return self.battery.remaining_pct

    @property
    def home(self) -> tuple[float, float, float]:
        """Home (lat, lon, alt AMSL)."""
        lon, lat = self.frame.to_lonlat(*self.home_xy)
        return float(lat), float(lon), self.home_amsl

    def _items(self, mtype: int) -> list[MissionItem]:
        with self.lock:
            n = self.missions.count(mtype)
            return [self.missions.item(mtype, i).to_mission_item(i, mtype) for i in range(n)]

    @property
    def mission(self) -> list[MissionItem]:
        """The stored mission; item 0 is home."""
        return self._items(MISSION)

    @property
    def fence(self) -> list[MissionItem]:
        """The stored fence items."""
        return self._items(FENCE)

    @property
    def rally(self) -> list[MissionItem]:
        """The stored rally points."""
        return self._items(RALLY)

    @property
    def gps_ok(self) -> bool:
        """Whether the GPS has a 3D fix now."""
        return self.sim_time >= self.gps_lost_until and not self.params.value("SIM_GPS_DISABLE")

    @property
    def in_failsafe(self) -> bool:
        """Whether any failsafe is active."""
        return self.battery_low or self.gcs_failsafe or self.ekf_failsafe

    @property
    def wind(self) -> tuple[float, float]:
        """Wind (east, north) m/s from SIM_WIND_SPD / SIM_WIND_DIR."""
        return wind_vector(self.params.value("SIM_WIND_SPD"), self.params.value("SIM_WIND_DIR"))

    # -- fault injection -------------------------------------------------------------------------------------

    def set_packet_loss(self, pct: float) -> None:
        """Drop ``pct`` % of MAVLink messages in each direction (seeded, reproducible)."""
        if not 0.0 <= pct <= 100.0:
            raise ValueError(f"packet loss must be 0..100 %, got {pct}")
        self.faults.loss_pct = pct

    def cut_link(self, seconds: float) -> None:
        """Drop everything in both directions for ``seconds`` of simulated time (a radio dropout)."""
        self.faults.cut(seconds)

    def lose_gps(self, seconds: float) -> None:
        """No GPS fix for ``seconds`` of simulated time."""
        if seconds < 0:
            raise ValueError(f"lose_gps seconds must be >= 0, got {seconds}")
        with self.lock:
            self.gps_lost_until = self.sim_time + seconds
            self.text(mavlink.MAV_SEVERITY_WARNING, "GPS 1: lost fix")

    def swap_battery(self) -> None:
        """The ground crew fits a charged battery between sorties (the vehicle must be disarmed).

        Raises:
            RuntimeError: The vehicle is armed.
        """
        with self.lock:
            if self.armed:
                raise RuntimeError("disarm before swapping the battery")
            self.battery.consumed_mah = 0.0
            self.battery.current_a = 0.0

    def sag_battery(self, pct_drop: float) -> None:
        """Lose ``pct_drop`` percentage points of battery charge at once."""
        with self.lock:
            self.battery.sag(pct_drop)

    # -- frames ----------------------------------------------------------------------------------------------

    def to_local(self, lat: float, lon: float) -> tuple[float, float]:
        """Lat/lon to the simulator's local metres (east, north)."""
        x, y = self.frame.to_local(lon, lat)
        return float(x), float(y)

    def alt_rel_of(self, frame: int, z: float) -> float:
        """An item's altitude in metres above home, from its MAV_FRAME (terrain is flat at home's height)."""
        if frame in (0, 5):
            return z - self.home_amsl
        return z

    def rally_points_local(self) -> list[tuple[float, float, float]]:
        """Rally points as (x, y, alt above home)."""
        out = []
        for item in self.missions.lists[RALLY]:
            x, y = self.to_local(item.lat, item.lon)
            out.append((x, y, self.alt_rel_of(item.frame, item.z)))
        return out

    # -- sending ---------------------------------------------------------------------------------------------

    def _pack(self, msg: Any) -> bytes:
        self._mav.send(msg)
        data: bytes = self._mav.file.data
        return data

    def send_to(self, link: Link, msg: Any) -> None:
        """Send ``msg`` on one link (through the link faults)."""
        data = self._pack(msg)
        if self.faults.passes():
            link.send(data)

    def broadcast(self, msg: Any) -> None:
        """Send ``msg`` on every connected link (each through the link faults)."""
        links = self.ports.links if self.ports is not None else []
        if self.shared is not None:
            links = links + self.shared.links
        if not links:
            return
        data = self._pack(msg)
        for link in links:
            if self.faults.passes():
                link.send(data)

    def text(self, severity: int, text: str) -> None:
        """Send a STATUSTEXT and keep it in :attr:`statustext`."""
        self.statustext.append((self.sim_time, severity, text))
        log.info("vehicle %d: %s", self.sysid, text)
        self.broadcast(mavlink.MAVLink_statustext_message(severity, text.encode()[:50], 0, 0))

    def time_boot_ms(self) -> int:
        """Simulated milliseconds since boot (wraps like uint32)."""
        return int(self.sim_time * 1000) & 0xFFFFFFFF

    def time_usec(self) -> int:
        """Simulated microseconds since boot."""
        return int(self.sim_time * 1e6)

    def send_message(self, msg_id: int, link: Link | None = None) -> bool:
        """Build and send telemetry message ``msg_id`` (False if the simulator does not produce it)."""
        builder = BUILDERS.get(msg_id)
        if builder is None:
            return False
        msg = builder(self)
        if link is None:
            self.broadcast(msg)
        else:
            self.send_to(link, msg)
        return True

    def send_mission_current(self) -> None:
        """Announce the current mission item."""
        self.send_message(mavlink.MAVLINK_MSG_ID_MISSION_CURRENT)

    def item_reached(self, seq: int, *, report: bool = True) -> None:
        """Record that navigation item ``seq`` was flown (:attr:`reached`, the simulation's ground truth) and,
        unless ``report`` is False, queue its MISSION_ITEM_REACHED (:meth:`queue_reached_report`)."""
        self.reached.append((seq, self.sim_time))
        if report:
            self.text(mavlink.MAV_SEVERITY_INFO, f"Reached command #{seq}")
            self.queue_reached_report(seq)

    def queue_reached_report(self, seq: int) -> None:
        """Queue MISSION_ITEM_REACHED for ``seq`` (navigation and DO items alike, as ArduCopter reports both).

        Like ArduPilot, the vehicle keeps one pending report: it goes out with the next telemetry pass, and an
        item completed before then replaces it (TAKEOFF and the DO items after it: only the last is reported).
        """
        self.pending_reached = seq

    # -- MissionHooks ----------------------------------------------------------------------------------------

    def clock(self) -> float:
        """Simulated time (s), for the mission protocol's timers."""
        return self.sim_time

    def home_item(self) -> StoredItem:
        """Mission item 0: home, absolute altitude."""
        lat, lon, amsl = self.home
        return StoredItem(16, 0, 0.0, 0.0, 0.0, 0.0, round(lat * 1e7), round(lon * 1e7), round(amsl * 100) / 100)

    def can_clear(self, mission_type: int) -> bool:
        """ArduPilot refuses to clear the mission while AUTO is flying it."""
        return not (mission_type == MISSION and self.armed and self.autopilot.mode == CopterMode.AUTO)

    def validate(self, mission_type: int, items: list[StoredItem]) -> str | None:
        """Fence geometry checks before a fence upload is accepted."""
        return validate_fence(items) if mission_type == FENCE else None

    def lists_changed(self, mission_type: int) -> None:
        """Keep counts, geometry and the mission engine in step with the stored lists."""
        name = {MISSION: "MIS_TOTAL", FENCE: "FENCE_TOTAL", RALLY: "RALLY_TOTAL"}[mission_type]
        self.params.set_internal(name, self.missions.count(mission_type))
        if mission_type == FENCE:
            self.fence_geo = build_fence(self.missions.lists[FENCE], self.frame)
        elif mission_type == MISSION and not self.runner.running:
            self.runner.reset()

    # -- modes and arming ------------------------------------------------------------------------------------

    def set_mode(self, number: int, reason: str = "GCS") -> str | None:
        """Change flight mode; the reason for a refusal, or None."""
        try:
            mode = CopterMode(number)
        except ValueError:
            return f"unknown mode {number}"
        if mode not in SUPPORTED:
            return f"mode {mode.name} is not supported by the simulator"
        if mode in NEEDS_POSITION and not self.gps_ok:
            return f"mode {mode.name} needs a position estimate (GPS)"
        if mode == CopterMode.AUTO and self.missions.count(MISSION) <= 1:
            return "AUTO needs a mission"
        if mode == self.autopilot.mode and mode != CopterMode.AUTO:
            return None
        self.autopilot.enter(mode)
        if mode != CopterMode.AUTO:
            self.runner.running = False
        log.info("vehicle %d: mode %s (%s)", self.sysid, mode.name, reason)
        return None

    def prearm_failures(self) -> list[str]:
        """ArduPilot-style pre-arm failures ("PreArm: ..."), empty when the vehicle may arm."""
        return failsafes.prearm_failures(self)

    def arm(self, force: bool = False) -> str | None:
        """Arm the motors; the refusal reason (also sent as STATUSTEXT), or None."""
        if self.armed:
            return None
        if not force:
            if self.autopilot.mode not in ARMABLE and not (
                self.autopilot.mode == CopterMode.AUTO and int(self.params.value("AUTO_OPTIONS")) & 1
            ):
                self.text(mavlink.MAV_SEVERITY_CRITICAL, "Arm: Mode not armable")
                return "mode not armable"
            # An arming attempt reports its failures as "Arm: ..." (ArduCopter 4.7; "PreArm: ..." is the periodic
            # report while disarmed).
            fails = [f"Arm: {text.removeprefix('PreArm: ')}" for text in self.prearm_failures()]
            if fails:
                for text in fails:
                    self.text(mavlink.MAV_SEVERITY_CRITICAL, text)
                return "; ".join(fails)
        self.armed = True
        self.armed_at = self.sim_time
        self.has_flown = False
        self.landed_since = None
        self.set_home_here()
        self.runner.reset()
        self.text(mavlink.MAV_SEVERITY_INFO, "Arming motors")
        return None

    def disarm(self, reason: str, force: bool = False) -> str | None:
        """Disarm; refused in flight unless forced."""
        if not self.armed:
            return None
        if not self.body.on_ground and not force:
            return "vehicle is flying (use force)"
        self.armed = False
        self.runner.running = False
        if self.runner.finished:
            self.runner.reset()  # as ArduCopter: a mission flown to its landing rewinds to item 1 on disarm
            self.send_mission_current()
        self.text(mavlink.MAV_SEVERITY_INFO, "Disarming motors")
        log.info("vehicle %d disarmed: %s", self.sysid, reason)
        return None

    def set_home_here(self) -> None:
        """Home := the present position (ArduPilot sets home when it arms)."""
        self.home_xy = (self.body.x, self.body.y)
        self.home_amsl = self.ground_amsl
        self.send_message(mavlink.MAVLINK_MSG_ID_HOME_POSITION)

    def set_home(self, lat: float, lon: float, alt_amsl: float) -> None:
        """Home := a given location."""
        self.home_xy = self.to_local(lat, lon)
        self.home_amsl = alt_amsl
        self.send_message(mavlink.MAVLINK_MSG_ID_HOME_POSITION)

    def point_gimbal(self, pitch: float, yaw: float) -> None:
        """Point the gimbal (degrees), clamped to the MNT1_ limits; clears a region of interest."""
        p = self.params
        self.roi = None
        self.gimbal_pitch = max(p.value("MNT1_PITCH_MIN"), min(p.value("MNT1_PITCH_MAX"), pitch))
        self.gimbal_yaw = max(p.value("MNT1_YAW_MIN"), min(p.value("MNT1_YAW_MAX"), yaw))

    def set_roi(self, lat: float, lon: float, alt_rel: float) -> None:
        """Keep the gimbal on a ground point (DO_SET_ROI_LOCATION)."""
        x, y = self.to_local(lat, lon)
        self.roi = (x, y, alt_rel)
        self._track_roi()

    def clear_roi(self) -> None:
        """Stop tracking a region of interest."""
        self.roi = None

    def _track_roi(self) -> None:
        if self.roi is None:
            return
        b, p = self.body, self.params
        dx, dy, dz = self.roi[0] - b.x, self.roi[1] - b.y, self.roi[2] - b.z
        yaw = (math.degrees(math.atan2(dx, dy)) - b.heading_deg + 180.0) % 360.0 - 180.0
        pitch = math.degrees(math.atan2(dz, math.hypot(dx, dy)))
        self.gimbal_pitch = max(p.value("MNT1_PITCH_MIN"), min(p.value("MNT1_PITCH_MAX"), pitch))
        self.gimbal_yaw = max(p.value("MNT1_YAW_MIN"), min(p.value("MNT1_YAW_MAX"), yaw))

    # -- incoming --------------------------------------------------------------------------------------------

    def handle(self, link: Link, msg: Any) -> None:
        """Handle one message from a ground station (already through the link faults)."""
        commands.handle_message(self, link, msg)

    # -- simulation ------------------------------------------------------------------------------------------

    def limits(self) -> Limits:
        """Kinematic limits from the WPNAV_/PILOT_/ANGLE_MAX parameters."""
        p = self.params
        return Limits(
            accel=max(0.5, p.value("WPNAV_ACCEL") / 100.0),
            climb=max(0.1, p.value("WPNAV_SPEED_UP") / 100.0),
            descent=max(0.1, p.value("WPNAV_SPEED_DN") / 100.0),
            accel_z=max(0.5, p.value("PILOT_ACCEL_Z") / 100.0),
            angle_max=math.radians(p.value("ANGLE_MAX") / 100.0),
        )

    def step(self, dt: float) -> None:
        """Advance the vehicle by ``dt`` simulated seconds."""
        self.sim_time += dt
        was_on_ground = self.body.on_ground
        cmd = self.autopilot.command(dt)
        step(self.body, dt, cmd, self.limits(), self.wind)
        b = self.body
        if not b.on_ground:
            self.has_flown = True
            self.landed_since = None
        elif not was_on_ground and self.armed:
            self._touchdown()
        wx, wy = self.wind
        self.battery.step(dt, math.hypot(b.vx - wx, b.vy - wy), b.vz, self.armed)
        self._track_roi()
        failsafes.check_failsafes(self)

    def _touchdown(self) -> None:
        self.landed_since = self.sim_time
        if self.autopilot.is_landing():
            if self.autopilot.mode == CopterMode.AUTO:
                self.runner.on_landed()
            self.disarm("landed")

    def emit_telemetry(self) -> None:
        """Send every message that is due at the present simulated time."""
        for msg_id in self.schedule.due(self.sim_time):
            self.send_message(msg_id)
        if self.pending_reached is not None:
            self.broadcast(mavlink.MAVLink_mission_item_reached_message(self.pending_reached))
            self.pending_reached = None
        self.missions.update()
