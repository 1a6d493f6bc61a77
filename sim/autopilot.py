"""Flight-mode logic of the simulated ArduCopter: what each mode asks the position controller for, step by
step.

GUIDED (takeoff, go-to), LOITER/POSHOLD/BRAKE (hold here), ALT_HOLD/STABILIZE (hold altitude, drift with the
wind: there is no pilot stick in the simulator), RTL (climb to RTL_ALT, return to home or the nearest rally
point, loiter RTL_LOIT_TIME, land), LAND (descend at LAND_SPEED below LAND_ALT_LOW), and AUTO, which runs the
uploaded mission (:mod:`sim.mission_runner`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.modes import CopterMode
from sim.physics import Command

if TYPE_CHECKING:
    from sim.vehicle import SimVehicle

#: How close (m) counts as arrived vertically, and horizontally for go-to targets.
ALT_TOLERANCE = 0.5
ARRIVE_RADIUS = 1.0


@dataclass
class RtlState:
    """Progress of a return to launch."""

    stage: str  # "climb", "return", "loiter", "final", "land"
    target_xy: tuple[float, float]
    return_alt: float
    loiter_until: float = 0.0


class Autopilot:
    """The mode state machine of one vehicle; the vehicle calls :meth:`command` every physics step."""

    def __init__(self, vehicle: SimVehicle) -> None:
        self.v = vehicle
        self.mode = CopterMode.STABILIZE
        self.hold_xy: tuple[float, float] = (vehicle.body.x, vehicle.body.y)
        self.hold_z = 0.0
        self.guided_target: tuple[float, float, float] | None = None
        self.guided_speed: float | None = None
        self.takeoff_alt: float | None = None
        self.rtl: RtlState | None = None
        self.land_xy: tuple[float, float] | None = None
        self.speed_override: float | None = None

    # -- speeds from parameters ------------------------------------------------------------------------------

    def wp_speed(self) -> float:
        """Horizontal cruise speed (m/s): DO_CHANGE_SPEED's value, else WPNAV_SPEED."""
        if self.speed_override is not None:
            return self.speed_override
        return max(0.2, self.v.params.value("WPNAV_SPEED") / 100.0)

    def land_rate(self) -> float:
        """Descent rate of a landing at the present height (m/s)."""
        p = self.v.params
        if self.v.body.z > p.value("LAND_ALT_LOW") / 100.0:
            high = p.value("LAND_SPEED_HIGH")
            return (high if high > 0 else p.value("WPNAV_SPEED_DN")) / 100.0
        return max(0.1, p.value("LAND_SPEED") / 100.0)

    # -- mode changes ----------------------------------------------------------------------------------------

    def enter(self, mode: CopterMode) -> None:
        """Switch to ``mode`` (already checked by the vehicle) and set up its targets."""
        b = self.v.body
        self.mode = mode
        self.hold_xy = (b.x, b.y)
        self.hold_z = b.z
        self.guided_target = None
        self.guided_speed = None
        self.takeoff_alt = None
        self.rtl = None
        self.land_xy = (b.x, b.y)
        if mode != CopterMode.AUTO:
            self.speed_override = None
        if mode == CopterMode.RTL:
            self.rtl = self.plan_rtl()
        elif mode == CopterMode.AUTO:
            self.v.runner.enter()

    def plan_rtl(self) -> RtlState:
        """Where and how high to return: the nearest of home and the rally points (ArduPilot's choice)."""
        v, b, p = self.v, self.v.body, self.v.params
        home = v.home_xy
        target, alt = home, p.value("RTL_ALT") / 100.0
        best = math.hypot(b.x - home[0], b.y - home[1]) if p.value("RALLY_INCL_HOME") else math.inf
        limit = p.value("RALLY_LIMIT_KM") * 1000.0
        for rx, ry, rz in v.rally_points_local():
            d = math.hypot(b.x - rx, b.y - ry)
            if d < best and (limit <= 0 or math.hypot(rx - home[0], ry - home[1]) <= limit or best == math.inf):
                best, target, alt = d, (rx, ry), rz
        climb_min = p.value("RTL_CLIMB_MIN") / 100.0
        return_alt = max(alt, b.z + climb_min, b.z if b.z > alt else alt)
        if p.value("FENCE_ENABLE") and int(p.value("FENCE_TYPE")) & 1:
            return_alt = min(return_alt, max(b.z, p.value("FENCE_ALT_MAX") - p.value("FENCE_MARGIN")))
        return RtlState("climb", target, return_alt)

    def takeoff(self, alt: float) -> str | None:
        """GUIDED takeoff to ``alt`` metres above home; the refusal reason, or None when started."""
        if self.mode != CopterMode.GUIDED:
            return "takeoff needs GUIDED mode"
        if not self.v.armed:
            return "takeoff needs the vehicle armed"
        if not self.v.body.on_ground:
            return "already flying"
        if alt <= 0:
            return f"takeoff altitude must be > 0 m, got {alt}"
        self.takeoff_alt = alt
        self.guided_target = None
        return None

    def goto(self, x: float, y: float, z: float, speed: float | None = None) -> None:
        """GUIDED go-to a local position (m) at an optional speed (m/s)."""
        self.guided_target = (x, y, z)
        if speed is not None and speed > 0:
            self.guided_speed = speed

    # -- stepping --------------------------------------------------------------------------------------------

    def command(self, dt: float) -> Command:
        """What the controller should do during the next ``dt`` seconds."""
        b, mode = self.v.body, self.mode
        if not self.v.armed:
            return Command()
        if mode == CopterMode.GUIDED:
            return self._guided()
        if mode in (CopterMode.LOITER, CopterMode.POSHOLD, CopterMode.BRAKE):
            return self._hold(self.hold_xy, self.hold_z) if not b.on_ground else Command()
        if mode in (CopterMode.ALT_HOLD, CopterMode.STABILIZE):
            return Command(target_z=self.hold_z) if not b.on_ground else Command()
        if mode == CopterMode.LAND:
            return self.land_command()
        if mode == CopterMode.RTL:
            return self.rtl_command(dt)
        if mode == CopterMode.AUTO:
            return self.v.runner.command(dt)
        return Command()

    def _hold(self, xy: tuple[float, float], z: float) -> Command:
        xy_ok = xy if self.v.gps_ok else None
        return Command(target_xy=xy_ok, speed=self.wp_speed(), target_z=z)

    def _guided(self) -> Command:
        b = self.v.body
        if self.takeoff_alt is not None:
            if b.z >= self.takeoff_alt - ALT_TOLERANCE:
                self.hold_xy, self.hold_z = (b.x, b.y), self.takeoff_alt
                self.takeoff_alt = None
            else:
                return Command(target_xy=self.hold_xy, target_z=self.takeoff_alt, yaw=None)
        if b.on_ground:
            return Command()
        if self.guided_target is not None:
            tx, ty, tz = self.guided_target
            return self.fly_to((tx, ty), tz, self.guided_speed or self.wp_speed())
        return self._hold(self.hold_xy, self.hold_z)

    def fly_to(self, xy: tuple[float, float], z: float, speed: float, face: bool = True) -> Command:
        """Fly to a point, facing the direction of travel (WP_YAW_BEHAVIOR != 0)."""
        b = self.v.body
        yaw = None
        dx, dy = xy[0] - b.x, xy[1] - b.y
        if face and self.v.params.value("WP_YAW_BEHAVIOR") != 0 and math.hypot(dx, dy) > 2.0:
            yaw = math.atan2(dx, dy)
        if not self.v.gps_ok:
            return Command(target_z=z)
        return Command(target_xy=xy, speed=speed, target_z=z, yaw=yaw)

    def land_command(self) -> Command:
        """Descend at the landing rate, holding position when the GPS allows."""
        xy = self.land_xy if self.v.gps_ok else None
        return Command(target_xy=xy, speed=self.wp_speed(), climb_rate=-self.land_rate())

    def rtl_command(self, dt: float) -> Command:
        """One step of a return to launch (also used by a mission's RTL item)."""
        b, p = self.v.body, self.v.params
        if self.rtl is None:
            self.rtl = self.plan_rtl()
        r = self.rtl
        if b.on_ground:
            return Command()
        speed = p.value("RTL_SPEED") / 100.0 or self.wp_speed()
        if r.stage == "climb":
            if b.z >= r.return_alt - ALT_TOLERANCE:
                r.stage = "return"
            else:
                return Command(target_xy=(b.x, b.y) if self.v.gps_ok else None, target_z=r.return_alt)
        if r.stage == "return":
            if math.hypot(b.x - r.target_xy[0], b.y - r.target_xy[1]) <= ARRIVE_RADIUS:
                r.stage = "loiter"
                r.loiter_until = self.v.sim_time + p.value("RTL_LOIT_TIME") / 1000.0
            else:
                return self.fly_to(r.target_xy, r.return_alt, speed, face=p.value("WP_YAW_BEHAVIOR") == 1)
        if r.stage == "loiter":
            if self.v.sim_time >= r.loiter_until:
                final = p.value("RTL_ALT_FINAL") / 100.0
                r.stage = "final" if final > 0 else "land"
                self.land_xy = r.target_xy
            else:
                return self._hold(r.target_xy, r.return_alt)
        if r.stage == "final":
            return self._hold(r.target_xy, p.value("RTL_ALT_FINAL") / 100.0)
        self.land_xy = r.target_xy
        return self.land_command()

    def is_landing(self) -> bool:
        """Whether touching the ground now completes a landing (and disarms at once)."""
        if self.mode == CopterMode.LAND:
            return True
        if self.mode == CopterMode.RTL:
            return self.rtl is not None and self.rtl.stage == "land"
        if self.mode == CopterMode.AUTO:
            return self.v.runner.is_landing()
        return False
