"""The simulator: N vehicles, their sockets, and one background thread that runs the clock.

The thread waits for socket input (``selectors``) for at most one tick, hands each message that survives the
link faults to its vehicle, advances simulated time by ``speedup`` times the wall time elapsed (in physics
steps of at most :data:`PHYSICS_DT`), and sends the telemetry that has come due.

Example:
    >>> from pymavlink import mavutil
    >>> with Simulator(vehicles=1, speedup=20, base_port=0) as sim:
    ...     gcs = mavutil.mavlink_connection(sim.endpoints[0], source_system=255)
    ...     hb = gcs.wait_heartbeat(timeout=5)
    ...     gcs.close()
    >>> hb.get_srcSystem()
    1
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from types import TracebackType
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from mission_planner.geo import LocalFrame
from sim.link import Link, VehiclePorts
from sim.vehicle import SimVehicle

log = logging.getLogger(__name__)

PHYSICS_DT = 0.05
TICK_S = 0.01
#: Most wall time the clock takes in one jump (a stalled machine slows the simulation down instead).
MAX_WALL_STEP = 0.25
#: Most simulated time between two looks at the sockets. A ground station's heartbeats, and every other message,
#: are handled at least this often in simulated time, however fast the speed-up and however long this thread was
#: kept from running: a stall slows the simulation down, it never opens a gap that trips the vehicle's GCS
#: failsafe (``FS_GCS_TIMEOUT``) or a mission-protocol timeout the ground station could not have prevented.
MAX_SIM_STEP_S = 1.0
#: While the clock is held (lockstep), each vehicle's HEARTBEAT is sent this often in wall-clock seconds.
HELD_HEARTBEAT_S = 1.0
#: Vehicles spawn this far apart (m, east of home) so they do not share a spot.
SPACING_M = 5.0


class Simulator:
    """A fleet of simulated ArduCopters, each on its own TCP (and optionally UDP) port on 127.0.0.1.

    Args:
        vehicles: How many; vehicle ``i`` has system id ``i + 1``.
        speedup: Simulated seconds per wall-clock second (>= 1; 20-50 for fast tests).
        home: (lat, lon, alt AMSL m) of vehicle 0's home; vehicle ``i`` starts ``5 * i`` m east of it.
        base_port: Vehicle ``i`` listens on TCP ``base_port + 10 * i`` (like SITL); 0 picks free ports.
        udp: Also listen on UDP (the same port number when free): connect with ``udpout:127.0.0.1:PORT``.
        wind: (speed m/s, direction degrees the wind blows FROM), like SITL's SIM_WIND_SPD / SIM_WIND_DIR.
        seed: Seeds the packet-loss RNGs, so a lossy test is reproducible.
        shared_port: Also listen on this TCP port (0: a free one) with every vehicle on the one link, like a
            MAVProxy or mavlink-router output; messages go to the vehicle their ``target_system`` names.
    """

    def __init__(
        self,
        vehicles: int = 1,
        speedup: float = 1.0,
        home: tuple[float, float, float] = (30.5440, 114.2950, 20.0),
        base_port: int = 5760,
        udp: bool = False,
        wind: tuple[float, float] = (0.0, 0.0),
        seed: int = 0,
        shared_port: int | None = None,
    ) -> None:
        if vehicles < 1:
            raise ValueError(f"vehicles must be >= 1, got {vehicles}")
        if not 0.1 <= speedup <= 200:
            raise ValueError(f"speedup must be between 0.1 and 200, got {speedup}")
        lat, lon, alt = home
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"home must be (lat, lon, alt_amsl) in degrees and metres, got {home}")
        if not (base_port == 0 or 1024 <= base_port <= 65535 - 10 * vehicles):
            raise ValueError(f"base_port must be 0 (free ports) or 1024..{65535 - 10 * vehicles}, got {base_port}")
        if wind[0] < 0:
            raise ValueError(f"wind speed must be >= 0 m/s, got {wind[0]}")
        self.speedup = float(speedup)
        self.home = (float(lat), float(lon), float(alt))
        self.base_port = base_port
        self.udp = udp
        self.shared_port = shared_port
        self.shared: VehiclePorts | None = None
        self.lock = threading.RLock()
        self.frame = LocalFrame(lon, lat)
        self.vehicles = [
            SimVehicle(i, self.frame, (SPACING_M * i, 0.0), alt, self.speedup, wind, seed, self.lock)
            for i in range(vehicles)
        ]
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._selector: selectors.BaseSelector | None = None
        self.sim_time = 0.0
        self._hold_at: float | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Open the ports and start the simulation thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        opened: list[VehiclePorts] = []
        try:
            for i, vehicle in enumerate(self.vehicles):
                port = 0 if self.base_port == 0 else self.base_port + 10 * i
                vehicle.ports = VehiclePorts("127.0.0.1", port, self.udp)
                opened.append(vehicle.ports)
            if self.shared_port is not None:
                self.shared = VehiclePorts("127.0.0.1", self.shared_port, self.udp)
                opened.append(self.shared)
                for vehicle in self.vehicles:
                    vehicle.shared = self.shared
        except OSError:
            for ports in opened:
                ports.close()
            raise
        self._selector = selectors.DefaultSelector()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gridpatrol-sim", daemon=True)
        self._thread.start()
        log.info("simulator started: %s (speed-up %gx)", ", ".join(self.endpoints), self.speedup)
        return self

    def stop(self) -> None:
        """Stop the thread and close every socket (idempotent)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None
        for vehicle in self.vehicles:
            if vehicle.ports is not None:
                vehicle.ports.close()
        if self.shared is not None:
            self.shared.close()
            self.shared = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- public API ------------------------------------------------------------------------------------------

    @property
    def endpoints(self) -> list[str]:
        """TCP endpoint of each vehicle, in order (``tcp:127.0.0.1:5760``, ...); needs :meth:`start`."""
        return [v.endpoint for v in self.vehicles]

    @property
    def udp_endpoints(self) -> list[str]:
        """UDP endpoint of each vehicle for a ground station (``udpout:127.0.0.1:5760``); [] without UDP."""
        return [e for v in self.vehicles if (e := v.udp_endpoint) is not None]

    @property
    def shared_endpoint(self) -> str | None:
        """``tcp:127.0.0.1:PORT`` carrying every vehicle, when ``shared_port`` was given."""
        return None if self.shared is None else f"tcp:127.0.0.1:{self.shared.tcp_port}"

    def vehicle(self, i: int) -> SimVehicle:
        """Vehicle ``i`` (system id ``i + 1``)."""
        if not 0 <= i < len(self.vehicles):
            raise IndexError(f"vehicle index {i} out of range: the simulator has {len(self.vehicles)} vehicles")
        return self.vehicles[i]

    def wait_sim_time(self, seconds: float, timeout: float | None = None) -> None:
        """Block until ``seconds`` more simulated seconds have passed (or ``timeout`` wall seconds)."""
        target = self.sim_time + seconds
        deadline = time.monotonic() + (timeout if timeout is not None else seconds / self.speedup * 4 + 5)
        while self.sim_time < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulation did not advance {seconds} s in time (is the machine overloaded?)")
            time.sleep(0.01)

    def hold_at(self, sim_time: float | None) -> None:
        """Lockstep, for tests: run the clock up to ``sim_time`` simulated seconds and wait there; ``None``: run on.

        Something that must keep pace with the simulation however slow the machine, such as the analysis of a
        simulated camera, moves the mark on as its work gets done. While the clock waits, the sockets are still
        served (commands are answered) and each vehicle still sends its HEARTBEAT once a wall-clock second, with
        its present mode, but no other telemetry comes due. SITL in lockstep sends nothing; here a hold is a test's
        device, not a stalled autopilot, and a ground station times heartbeats (link lost, mode confirmed) in
        wall-clock time: without them a slow analysis made the station call the link lost and a mode change
        unanswered.
        """
        self._hold_at = sim_time

    # -- the thread ------------------------------------------------------------------------------------------

    def _watch(self) -> dict[socket.socket, SimVehicle | None]:
        """Each socket with the vehicle it belongs to (None: the shared port)."""
        owner: dict[socket.socket, SimVehicle | None] = {}
        for vehicle in self.vehicles:
            if vehicle.ports is not None:
                for sock in vehicle.ports.sockets():
                    owner[sock] = vehicle
        if self.shared is not None:
            for sock in self.shared.sockets():
                owner[sock] = None
        return owner

    def _deliver(self, vehicle: SimVehicle, link: Link, msg: Any) -> None:
        if vehicle.faults.passes():
            try:
                vehicle.handle(link, msg)
            except Exception:  # one bad message must not stop the simulation
                log.exception("vehicle %d: error handling %s", vehicle.sysid, msg.get_type())

    def _run(self) -> None:
        selector = self._selector
        assert selector is not None
        registered: dict[socket.socket, SimVehicle | None] = {}
        last = held_beat = time.monotonic()
        while not self._stop.is_set():
            owner = self._watch()
            for sock in set(registered) - set(owner):
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(sock)
            for sock in set(owner) - set(registered):
                selector.register(sock, selectors.EVENT_READ)
            registered = owner
            try:
                events = selector.select(TICK_S)
            except OSError:
                events = []
            with self.lock:
                for key, _mask in events:
                    ready: Any = key.fileobj
                    if ready not in registered:
                        continue
                    vehicle = registered[ready]
                    if vehicle is None and self.shared is not None:
                        for link, msg in self.shared.read(ready):
                            for each in self.vehicles:
                                self._deliver(each, link, msg)
                    elif vehicle is not None and vehicle.ports is not None:
                        for link, msg in vehicle.ports.read(ready):
                            self._deliver(vehicle, link, msg)
                now = time.monotonic()
                wall = min(now - last, MAX_WALL_STEP)
                last = now
                step = min(wall * self.speedup, MAX_SIM_STEP_S)
                if (hold := self._hold_at) is not None:
                    step = min(step, max(0.0, hold - self.sim_time))
                self._advance(step)
                held = hold is not None and hold - self.sim_time <= 1e-6  # at the mark (to rounding)
                beat = held and now - held_beat >= HELD_HEARTBEAT_S
                if beat or not held:
                    held_beat = now
                for vehicle in self.vehicles:
                    try:
                        if beat:
                            vehicle.send_message(mavlink.MAVLINK_MSG_ID_HEARTBEAT)
                        vehicle.emit_telemetry()
                        if vehicle.ports is not None:
                            vehicle.ports.flush()
                    except Exception:  # as for a bad message: one failed send must not silence the vehicle
                        log.exception("vehicle %d: error sending telemetry", vehicle.sysid)
                if self.shared is not None:
                    self.shared.flush()
            # Leave the lock free for a moment so that test threads can read state.
            time.sleep(0)

    def _advance(self, sim_dt: float) -> None:
        while sim_dt > 1e-9:
            dt = min(PHYSICS_DT, sim_dt)
            for vehicle in self.vehicles:
                vehicle.step(dt)
            self.sim_time += dt
            sim_dt -= dt
