"""Point-mass multicopter kinematics in a local metric frame (east, north, up), with wind.

The model is what a patrol planner and a ground station can observe: a position controller that flies toward a
target with speed, acceleration and climb/descent limits, and wind that the controller must lean into. The
vehicle's air velocity changes at most by the acceleration limit per second; its ground velocity is air
velocity plus wind, so a vehicle without position control (no GPS, STABILIZE) drifts downwind. Attitude
follows from the horizontal force needed (drag plus acceleration), which is what a camera mounted on the
vehicle sees.

Example:
    >>> body = Body()
    >>> cmd = Command(target_xy=(100.0, 0.0), speed=10.0, target_z=10.0)
    >>> for _ in range(400):
    ...     step(body, 0.05, cmd, Limits(), wind=(0.0, 0.0))
    >>> round(body.x), round(body.z)
    (100, 10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GRAVITY = 9.80665
#: Drag coefficient per unit mass (1/s): 10 m/s of airspeed needs about 15 degrees of tilt.
DRAG = 0.27
#: Top airspeed of the airframe (m/s), whatever the commanded speed.
MAX_AIRSPEED = 20.0


@dataclass
class Limits:
    """Kinematic limits, in SI units (ArduCopter keeps them in cm and cm/s in its parameters)."""

    accel: float = 2.5
    climb: float = 2.5
    descent: float = 1.5
    accel_z: float = 2.5
    yaw_rate: float = math.radians(90.0)
    angle_max: float = math.radians(30.0)


@dataclass
class Command:
    """What the flight mode asks the position controller for during one step.

    ``target_xy`` None means no horizontal position control: the vehicle levels and drifts with the wind.
    ``target_z`` None with ``climb_rate`` set flies a vertical rate (landing); both None hold altitude.
    """

    target_xy: tuple[float, float] | None = None
    speed: float = 5.0
    target_z: float | None = None
    climb_rate: float | None = None
    yaw: float | None = None
    stop_at_target: bool = True


@dataclass
class Body:
    """Vehicle state: position (m east/north/up from home ground), ground velocity (m/s), attitude (rad)."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    vx: float = 0.0
    vy: float = 0.0
    vz: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    on_ground: bool = True

    @property
    def ground_speed(self) -> float:
        """Horizontal speed over ground (m/s)."""
        return math.hypot(self.vx, self.vy)

    @property
    def heading_deg(self) -> float:
        """Heading, 0..360 degrees clockwise from north."""
        return math.degrees(self.yaw) % 360.0


def wind_vector(speed: float, from_deg: float) -> tuple[float, float]:
    """The (east, north) velocity of a wind of ``speed`` m/s blowing FROM ``from_deg`` (like SIM_WIND_DIR)."""
    rad = math.radians(from_deg)
    return (-speed * math.sin(rad), -speed * math.cos(rad))


def _approach_speed(distance: float, cruise: float, accel: float) -> float:
    """Fastest speed that still stops at the target with ``accel`` braking."""
    return min(cruise, math.sqrt(2.0 * accel * max(distance, 0.0)))


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


def step(body: Body, dt: float, cmd: Command, limits: Limits, wind: tuple[float, float]) -> None:
    """Advance ``body`` by ``dt`` seconds under ``cmd``; mutates ``body`` in place."""
    wx, wy = wind
    if body.on_ground:
        wants_up = (cmd.target_z is not None and cmd.target_z > body.z + 0.05) or (cmd.climb_rate or 0.0) > 0
        if not wants_up:
            body.vx = body.vy = body.vz = 0.0
            body.roll = body.pitch = 0.0
            return
        body.on_ground = False

    # Horizontal: desired ground velocity -> air velocity, acceleration-limited.
    ax_air, ay_air = body.vx - wx, body.vy - wy
    if cmd.target_xy is not None:
        dx, dy = cmd.target_xy[0] - body.x, cmd.target_xy[1] - body.y
        dist = math.hypot(dx, dy)
        speed = cmd.speed
        if cmd.stop_at_target:
            speed = min(_approach_speed(dist, cmd.speed, limits.accel), dist / dt if dt > 0 else speed)
        if dist > 1e-6:
            gvx, gvy = dx / dist * speed, dy / dist * speed
        else:
            gvx = gvy = 0.0
        dax, day = gvx - wx, gvy - wy
        mag = math.hypot(dax, day)
        if mag > MAX_AIRSPEED:
            dax, day = dax / mag * MAX_AIRSPEED, day / mag * MAX_AIRSPEED
    else:
        dax = day = 0.0
    ex, ey = dax - ax_air, day - ay_air
    err = math.hypot(ex, ey)
    max_dv = limits.accel * dt
    if err > max_dv:
        ex, ey = ex / err * max_dv, ey / err * max_dv
    acc_x, acc_y = (ex / dt, ey / dt) if dt > 0 else (0.0, 0.0)
    ax_air += ex
    ay_air += ey
    body.vx, body.vy = ax_air + wx, ay_air + wy
    body.x += body.vx * dt
    body.y += body.vy * dt

    # Vertical.
    if cmd.target_z is not None:
        dz = cmd.target_z - body.z
        want = _approach_speed(abs(dz), limits.climb if dz > 0 else limits.descent, limits.accel_z)
        want = min(want, abs(dz) / dt if dt > 0 else want)
        vz_des = math.copysign(want, dz)
    elif cmd.climb_rate is not None:
        vz_des = cmd.climb_rate
    else:
        vz_des = 0.0
    dvz = max(-limits.accel_z * dt, min(limits.accel_z * dt, vz_des - body.vz))
    body.vz += dvz
    body.z += body.vz * dt
    if body.z <= 0.0:
        body.z = 0.0
        body.vz = 0.0
        if vz_des <= 0.0:
            body.on_ground = True
            body.vx = body.vy = 0.0

    # Yaw toward the requested heading, rate-limited.
    if cmd.yaw is not None:
        err_yaw = _wrap(cmd.yaw - body.yaw)
        body.yaw = _wrap(body.yaw + max(-limits.yaw_rate * dt, min(limits.yaw_rate * dt, err_yaw)))

    # Attitude: tilt along the horizontal force (drag on the air velocity plus acceleration).
    fx, fy = DRAG * ax_air + acc_x, DRAG * ay_air + acc_y
    fwd = fx * math.sin(body.yaw) + fy * math.cos(body.yaw)
    right = fx * math.cos(body.yaw) - fy * math.sin(body.yaw)
    clamp = limits.angle_max
    body.pitch = max(-clamp, min(clamp, -math.atan2(fwd, GRAVITY)))
    body.roll = max(-clamp, min(clamp, math.atan2(right, GRAVITY)))
    if body.on_ground:
        body.roll = body.pitch = 0.0
