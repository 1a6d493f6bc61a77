"""Camera poses from a vehicle's telemetry, kept as a short history so a frame gets the pose of its own time.

A frame is geolocated with where the drone was and where its camera pointed when the frame was taken, not
when the analysis finished. :class:`PoseTracker` listens to GLOBAL_POSITION_INT (position, heading, the
vehicle's boot clock), ATTITUDE and MOUNT_STATUS (gimbal), keeps the last few seconds, and answers
:meth:`PoseTracker.at` by interpolating between the two samples around the asked time.

Each sample is a :class:`vision.camera_model.CameraPose` (the one pose type: the simulator reports it, vision
geolocates with it) whose ``time`` is the vehicle's own clock (``time_boot_ms`` in seconds), which is simulated
time in the simulator and stays consistent at any speed-up; :meth:`PoseTracker.vehicle_time` maps the station's
monotonic clock onto it. Airframe roll and pitch are not tracked (a stabilised camera ignores them).

Example:
    >>> tracker = PoseTracker(default_gimbal_pitch=-45.0)
    >>> tracker.add(CameraPose(30.0, 114.0, 20.0, yaw=90.0, gimbal_pitch=-45.0, time=10.0), received=100.0)
    >>> tracker.add(CameraPose(30.0, 114.001, 20.0, yaw=90.0, gimbal_pitch=-45.0, time=11.0), received=101.0)
    >>> round(tracker.at(10.5).lon, 4)
    114.0005
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from typing import Any

from vision.camera_model import CameraPose

#: How much pose history is kept (vehicle seconds).
HISTORY_S = 30.0


def _lerp_angle(a: float, b: float, f: float) -> float:
    d = (b - a + 180.0) % 360.0 - 180.0
    return (a + f * d) % 360.0


class PoseTracker:
    """The recent camera poses of one vehicle, filled from its MAVLink telemetry.

    Args:
        default_gimbal_pitch: Camera pitch to assume until the vehicle reports its gimbal (the camera profile's).
    """

    def __init__(self, default_gimbal_pitch: float = -90.0) -> None:
        self._lock = threading.Lock()
        self._times: deque[float] = deque()
        self._samples: deque[CameraPose] = deque()
        self._gimbal = (float(default_gimbal_pitch), 0.0)
        self._received: deque[float] = deque()  # station monotonic time each sample arrived

    def attach(self, vehicle: Any) -> None:
        """Subscribe to ``vehicle`` (a :class:`flight.vehicle.Vehicle`) and ask for the rates poses need."""
        vehicle.request_rates({"GLOBAL_POSITION_INT": 10.0, "MOUNT_STATUS": 4.0})
        vehicle.subscribe(self.on_message, {"GLOBAL_POSITION_INT", "MOUNT_STATUS"})

    def on_message(self, msg: Any) -> None:
        """Take one telemetry message (called from the link's receive thread)."""
        kind = msg.get_type()
        if kind == "MOUNT_STATUS":
            with self._lock:
                self._gimbal = (msg.pointing_a / 100.0, msg.pointing_c / 100.0)
            return
        if kind != "GLOBAL_POSITION_INT" or (msg.lat == 0 and msg.lon == 0):
            return
        yaw = msg.hdg / 100.0 if msg.hdg != 65535 else 0.0
        with self._lock:
            pitch, gyaw = self._gimbal
        sample = CameraPose(
            lat=msg.lat / 1e7,
            lon=msg.lon / 1e7,
            alt_rel=msg.relative_alt / 1000.0,
            yaw=yaw,
            gimbal_pitch=pitch,
            gimbal_yaw=gyaw,
            time=msg.time_boot_ms / 1000.0,
        )
        self.add(sample, received=time.monotonic())

    def add(self, sample: CameraPose, received: float) -> None:
        """Record a pose that arrived at station time ``received`` (monotonic seconds)."""
        with self._lock:
            if self._times and sample.time < self._times[-1]:  # the vehicle rebooted: start afresh
                self._times.clear()
                self._samples.clear()
                self._received.clear()
            self._times.append(sample.time)
            self._samples.append(sample)
            self._received.append(received)
            while self._times and self._times[0] < sample.time - HISTORY_S:
                self._times.popleft()
                self._samples.popleft()
                self._received.popleft()

    def latest(self) -> CameraPose | None:
        """The newest pose, or ``None`` before the first position."""
        with self._lock:
            return self._samples[-1] if self._samples else None

    def vehicle_time(self, monotonic: float) -> float | None:
        """The vehicle clock at station time ``monotonic`` (None before the first position).

        The vehicle's clock may run faster than the station's (a simulator at speed-up), so its rate is
        measured over the history rather than assumed.
        """
        with self._lock:
            if not self._times:
                return None
            span = self._received[-1] - self._received[0]
            rate = (self._times[-1] - self._times[0]) / span if span > 1.0 else 1.0
            return self._times[-1] + rate * (monotonic - self._received[-1])

    def at(self, t: float) -> CameraPose:
        """The pose at vehicle time ``t``: interpolated inside the history, the nearest end outside it.

        Raises:
            LookupError: No position has been received yet.
        """
        with self._lock:
            if not self._samples:
                raise LookupError("no position from the vehicle yet")
            times = list(self._times)
            i = bisect.bisect_left(times, t)
            if i <= 0:
                return self._samples[0]
            if i >= len(times):
                return self._samples[-1]
            a, b = self._samples[i - 1], self._samples[i]
        f = (t - a.time) / (b.time - a.time) if b.time > a.time else 0.0
        return CameraPose(
            lat=a.lat + f * (b.lat - a.lat),
            lon=a.lon + f * (b.lon - a.lon),
            alt_rel=a.alt_rel + f * (b.alt_rel - a.alt_rel),
            yaw=_lerp_angle(a.yaw, b.yaw, f),
            gimbal_pitch=a.gimbal_pitch + f * (b.gimbal_pitch - a.gimbal_pitch),
            gimbal_yaw=_lerp_angle(a.gimbal_yaw, b.gimbal_yaw, f),
            time=t,
        )
