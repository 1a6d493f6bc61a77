"""AUTO mode: runs the stored mission item by item, as ArduCopter's mission engine does.

Navigation items (TAKEOFF, WAYPOINT, SPLINE_WAYPOINT, LOITER_TIME/TURNS/UNLIM, LOITER_TO_ALT, NAV_DELAY, RTL,
LAND) run one at a time; the DO items after a navigation item (DO_CHANGE_SPEED, DO_MOUNT_CONTROL,
DO_GIMBAL_MANAGER_PITCHYAW, DO_SET_ROI_LOCATION/ROI/ROI_NONE, DO_JUMP, DO_SET_HOME) run as soon as it
completes. Each navigation item starts with ``Mission: N <name>``; each completion sends
``Reached command #N`` and MISSION_ITEM_REACHED. A latitude/longitude of 0 means "here" and an altitude of 0
"the present altitude". At the end of the mission the vehicle loiters in AUTO, or disarms if it has landed.
Camera triggers and servo items are accepted and ignored (there is no camera shutter in the simulator).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.autopilot import ALT_TOLERANCE, RtlState
from sim.items import MISSION, StoredItem
from sim.physics import Command

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle

NAV_NAMES = {
    16: "WP",
    17: "LoitUnlim",
    18: "LoitTurns",
    19: "LoitTime",
    20: "RTL",
    21: "Land",
    22: "Takeoff",
    31: "LoitAltitude",
    82: "SplineWP",
    93: "NavDelay",
}


class MissionRunner:
    """The mission engine of one vehicle."""

    def __init__(self, vehicle: SimVehicle) -> None:
        self.v = vehicle
        self.current = 1  # MISSION_CURRENT: the navigation item in progress (or to resume)
        self.running = False
        self.finished = False
        self.nav: StoredItem | None = None
        self.target: tuple[float, float, float] | None = None
        self.arrived_at: float | None = None
        self.hold_s = 0.0
        self.radius = 2.0
        self.jumps: dict[int, int] = {}
        self.rtl: RtlState | None = None
        self.landing = False

    def items(self) -> list[StoredItem]:
        """The stored mission (item 0 is home)."""
        return self.v.missions.lists[MISSION]

    def reset(self) -> None:
        """Start from item 1 next time (new mission uploaded, or the last one finished)."""
        self.current, self.running, self.finished, self.nav = 1, False, False, None
        self.jumps.clear()

    def set_current(self, seq: int) -> bool:
        """MISSION_SET_CURRENT: continue from ``seq`` (restarting it if AUTO is running)."""
        if not 0 < seq < len(self.items()):
            return False
        self.current, self.finished = seq, False
        if self.running:
            self._start_at(seq)
        self.v.send_mission_current()
        return True

    def enter(self) -> None:
        """AUTO was entered: resume the current item (MIS_RESTART=0) or restart from 1."""
        if self.finished or self.v.params.value("MIS_RESTART"):
            self.reset()
        self.running = True
        self._start_at(self.current)

    def start(self, first: int = 1) -> None:
        """MAV_CMD_MISSION_START: run from ``first``."""
        self.reset()
        self.running = True
        self._start_at(max(1, first))

    def _start_at(self, seq: int) -> None:
        items = self.items()
        seq = max(1, seq)
        for _ in range(10 * len(items)):  # bounded: DO_JUMPs that only loop over DO items end the mission
            if seq >= len(items):
                break
            item = items[seq]
            if item.command in NAV_NAMES:
                self._start_nav(seq, item)
                return
            seq = self._do_command(seq, item)
        self._finish()

    def _start_nav(self, seq: int, item: StoredItem) -> None:
        v, b = self.v, self.v.body
        self.current, self.nav, self.arrived_at, self.rtl, self.landing = seq, item, None, None, False
        v.text(mavlink.MAV_SEVERITY_INFO, f"Mission: {seq} {NAV_NAMES[item.command]}")
        v.send_mission_current()
        x, y = (b.x, b.y) if item.x == 0 and item.y == 0 else v.to_local(item.lat, item.lon)
        z = b.z if item.z == 0 and item.command != 21 else v.alt_rel_of(item.frame, item.z)
        self.target = (x, y, z)
        self.hold_s = 0.0
        wp_radius = v.params.value("WPNAV_RADIUS") / 100.0
        self.radius = max(0.5, wp_radius)
        if item.command in (16, 82):
            self.hold_s = max(0.0, item.param1)
            if item.param2 > 0:
                self.radius = item.param2
        elif item.command == 19:
            self.hold_s = max(0.0, item.param1)
        elif item.command == 18:
            self.hold_s = max(1.0, item.param1) * 2 * math.pi * max(abs(item.param3), 5.0) / 5.0
        elif item.command == 17:
            self.hold_s = math.inf
        elif item.command == 93:
            self.target = (b.x, b.y, b.z)
            self.hold_s = max(0.0, item.param1)
        elif item.command == 22:
            self.target = (b.x, b.y, v.alt_rel_of(item.frame, item.z))
        elif item.command == 20:
            self.rtl = v.autopilot.plan_rtl()
        elif item.command == 21 and item.x == 0 and item.y == 0:
            self.landing = True

    def _do_command(self, seq: int, item: StoredItem) -> int:
        """Run a DO item at ``seq``; returns the next sequence number."""
        v = self.v
        cmd = item.command
        if cmd == 178 and item.param2 > 0:
            v.autopilot.speed_override = item.param2
        elif cmd in (205, 1000):
            pitch, yaw = (item.param1, item.param3) if cmd == 205 else (item.param1, item.param2)
            v.point_gimbal(pitch, yaw)
        elif cmd == 195 or (cmd == 201 and int(item.param1) in (0, 3)):
            v.set_roi(item.lat, item.lon, v.alt_rel_of(item.frame, item.z))
        elif cmd == 197 or (cmd == 201 and item.x == 0 and item.y == 0):
            v.clear_roi()
        elif cmd == 179:
            if item.param1 >= 1:
                v.set_home_here()
            else:
                v.set_home(item.lat, item.lon, item.z)
        elif cmd == 177:
            target, repeat = int(item.param1), int(item.param2)
            done = self.jumps.get(seq, 0)
            if 0 < target < len(self.items()) and (repeat < 0 or done < repeat):
                self.jumps[seq] = done + 1
                return target
            return seq + 1  # AP_Mission runs DO_JUMP itself: never reported reached
        v.queue_reached_report(seq)
        return seq + 1

    def _finish(self) -> None:
        self.running, self.finished, self.nav = False, True, None
        v = self.v
        v.text(mavlink.MAV_SEVERITY_INFO, "Mission Complete")
        b = v.body
        v.autopilot.hold_xy, v.autopilot.hold_z = (b.x, b.y), b.z
        if b.on_ground and v.armed:
            v.disarm("mission complete, landed")

    def _complete_nav(self) -> None:
        seq = self.current
        self.v.item_reached(seq)
        self._start_at(seq + 1)

    def is_landing(self) -> bool:
        """Whether the current item lands (LAND, or the landing stage of RTL)."""
        if self.nav is None:
            return False
        if self.nav.command == 21:
            return self.landing
        return self.nav.command == 20 and self.rtl is not None and self.rtl.stage == "land"

    def on_landed(self) -> None:
        """The vehicle touched down while landing (LAND, or the landing of RTL): it disarms and the mission stops
        on that item. As on ArduCopter, the item is never reported reached and MISSION_CURRENT stays on it: the
        mission only advances while armed, and the land detector disarms first."""
        if self.nav is not None and self.nav.command in (20, 21):
            self.v.item_reached(self.current, report=False)
            self.running, self.finished, self.nav = False, True, None

    def command(self, dt: float) -> Command:
        """One physics step of AUTO (items that complete at once hand over to the next in the same step)."""
        for _ in range(len(self.items()) + 1):
            out = self._step(dt)
            if out is not None:
                return out
        return Command(target_z=self.v.body.z)

    def _step(self, dt: float) -> Command | None:
        """The command for this step, or None when the current item just completed (ask again)."""
        v, b, ap = self.v, self.v.body, self.v.autopilot
        item, target = self.nav, self.target
        if not self.running or item is None or target is None:
            if b.on_ground:
                return Command()
            return ap.fly_to(ap.hold_xy, ap.hold_z, ap.wp_speed(), face=False)
        cmd = item.command
        if cmd == 22:
            if b.z >= target[2] - ALT_TOLERANCE:
                ap.hold_xy, ap.hold_z = (b.x, b.y), target[2]
                self._complete_nav()
                return None
            return Command(target_xy=(target[0], target[1]), target_z=target[2])
        if b.on_ground:
            return Command()  # AUTO on the ground waits for a takeoff item
        if cmd == 20:
            ap.rtl = self.rtl
            out = ap.rtl_command(dt)
            self.rtl = ap.rtl
            return out
        if cmd == 21 and self.landing:
            ap.land_xy = (target[0], target[1])
            return ap.land_command()
        dist = math.hypot(b.x - target[0], b.y - target[1])
        if self.arrived_at is None:
            if dist <= self.radius and abs(b.z - target[2]) <= max(ALT_TOLERANCE, 1.0):
                self.arrived_at = v.sim_time
                if cmd == 21:
                    self.landing = True
                    return None
            else:
                return ap.fly_to((target[0], target[1]), target[2], ap.wp_speed())
        if v.sim_time - self.arrived_at >= self.hold_s:
            ap.hold_xy, ap.hold_z = (target[0], target[1]), target[2]
            self._complete_nav()
            return None
        return ap.fly_to((target[0], target[1]), target[2], ap.wp_speed(), face=False)
