"""A MAVLink 2 link to one or more vehicles: receive thread, GCS heartbeat, link-loss detection, reconnect.

One :class:`MavLink` owns one transport (:mod:`flight.transport`: tcp, tcpin, udpin, udpout, serial) and two
threads: the receive thread parses every byte with pymavlink's ArduPilot dialect and hands each message to the
:class:`~flight.vehicle.Vehicle` of its system id (created on the vehicle's first HEARTBEAT, so several vehicles
can share one link, as behind MAVProxy or mavlink-router); the heartbeat thread sends our GCS HEARTBEAT at 1 Hz in
the vehicle's own time (ArduPilot's GCS failsafe watches it; a simulation at speed-up 10 hears it at 10 Hz), marks
a vehicle's link lost after ``heartbeat_timeout_s`` without its heartbeat, and reopens a TCP connection that went
silent. Several links: one :class:`MavLink` each, or :class:`Fleet`.

Example:
    >>> from sim import Simulator
    >>> with Simulator(vehicles=1, speedup=20, base_port=0) as sim, MavLink(sim.endpoints[0]) as link:
    ...     vehicle = link.wait_vehicle(timeout=10)
    ...     result = vehicle.command_long(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
    >>> vehicle.sysid, result
    (1, 0)
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import FlightTimeout
from flight.telemetry import DEFAULT_RATES, TlogWriter
from flight.transport import TcpClient, Transport, parse_url
from flight.vehicle import Vehicle

os.environ.setdefault("MAVLINK20", "1")
log = logging.getLogger(__name__)

HEARTBEAT_PERIOD_S = 1.0
#: The fastest our heartbeat goes, however fast a simulation runs (50 Hz).
MIN_HEARTBEAT_PERIOD_S = 0.02
MONITOR_PERIOD_S = 0.1
#: A TCP connection silent for this long (no bytes at all) is closed and reopened.
TCP_REOPEN_S = 10.0


class _Writer:
    """The ``file`` of the link's encoder: packed bytes go to the transport (and the tlog)."""

    def __init__(self, link: MavLink) -> None:
        self.link = link

    def write(self, data: bytes) -> None:
        self.link.write(bytes(data))


class Encoder(mavlink.MAVLink):
    """pymavlink's encoder with a lock, so any thread may send (sequence numbers stay in order)."""

    def __init__(self, file: Any, src_system: int, src_component: int) -> None:
        super().__init__(file, srcSystem=src_system, srcComponent=src_component)
        self._send_lock = threading.Lock()

    def send(self, mavmsg: Any, force_mavlink1: bool = False) -> None:
        """Pack and write ``mavmsg`` with this link's source ids."""
        with self._send_lock:
            super().send(mavmsg, force_mavlink1=force_mavlink1)


class MavLink:
    """One MAVLink connection (see the module docs); use it as a context manager or call :meth:`close`.

    Args:
        url: ``tcp:HOST:PORT``, ``tcpin:``, ``udpin:``, ``udpout:``, ``serial:DEVICE[:BAUD]``.
        source_system, source_component: Our ids (255/190: a ground station, ArduPilot's ``SYSID_MYGCS``).
        heartbeat_timeout_s: A vehicle whose heartbeat is older than this has ``link_ok`` False.
        tlog: Record every packet, both directions, to this ``.tlog`` file.
        rates: Telemetry rates (message name -> Hz) asked of each vehicle when it appears and when its link
            comes back; ``{}`` asks for nothing. Default :data:`flight.telemetry.DEFAULT_RATES`.
        tcp_reopen_s: Reopen a ``tcp:`` connection that carried no bytes for this long (None: only when it drops).
    """

    def __init__(
        self,
        url: str,
        *,
        source_system: int = 255,
        source_component: int = 190,
        heartbeat_timeout_s: float = 3.0,
        tlog: Path | None = None,
        rates: dict[str, float] | None = None,
        tcp_reopen_s: float | None = TCP_REOPEN_S,
    ) -> None:
        if not 1 <= source_system <= 255:
            raise ValueError(f"source_system must be 1..255, got {source_system}")
        if not 0 <= source_component <= 255:
            raise ValueError(f"source_component must be 0..255, got {source_component}")
        if heartbeat_timeout_s <= 0:
            raise ValueError(f"heartbeat_timeout_s must be > 0, got {heartbeat_timeout_s}")
        self.url = url
        self.source_system = source_system
        self.source_component = source_component
        self.heartbeat_timeout_s = float(heartbeat_timeout_s)
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.tcp_reopen_s = tcp_reopen_s
        self.transport: Transport = parse_url(url)
        self.tlog = TlogWriter(Path(tlog)) if tlog is not None else None
        self.mav = Encoder(_Writer(self), source_system, source_component)
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True
        self._vehicles: dict[int, Vehicle] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.closed = False
        self.last_rx = time.monotonic()
        self.packets_received = 0
        self._rx = threading.Thread(target=self._rx_loop, name=f"mavlink-rx {url}", daemon=True)
        self._hb = threading.Thread(target=self._heartbeat_loop, name=f"mavlink-hb {url}", daemon=True)
        self._rx.start()
        self._hb.start()

    # -- public API ------------------------------------------------------------------------------------------

    @property
    def vehicles(self) -> dict[int, Vehicle]:
        """Vehicles heard on this link so far, by system id (a copy)."""
        with self._cond:
            return dict(self._vehicles)

    def wait_vehicle(self, sysid: int | None = None, timeout: float = 10.0) -> Vehicle:
        """The vehicle with system id ``sysid`` (None: the first one heard), waiting for its first heartbeat.

        Raises:
            FlightTimeout: no such vehicle's heartbeat within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._vehicles.get(sysid) if sysid is not None else next(iter(self._vehicles.values()), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    who = "any vehicle" if sysid is None else f"vehicle {sysid}"
                    heard = sorted(self._vehicles)
                    also = f"; heard only system ids {heard}" if heard else ""
                    raise FlightTimeout(
                        f"waiting for a heartbeat from {who} on {self.url}",
                        timeout,
                        hint=f"check the link address, the radio and that the autopilot is powered{also}",
                    )
                self._cond.wait(min(left, 0.5))

    def close(self) -> None:
        """Stop the threads and close the transport and the tlog (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        for thread in (self._rx, self._hb):
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)
        self.transport.close()
        if self.tlog is not None:
            self.tlog.close()
        with self._cond:
            vehicles = list(self._vehicles.values())
            self._cond.notify_all()
        for vehicle in vehicles:
            vehicle._check_link(time.monotonic())

    def __enter__(self) -> MavLink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        """Send raw packed bytes (the encoder calls this); recorded in the tlog."""
        if self.closed:
            return
        self.transport.send(data)
        if self.tlog is not None:
            self.tlog.write(data)

    def in_receive_thread(self) -> bool:
        """Whether the caller runs in this link's receive thread (where blocking waits would deadlock)."""
        return threading.current_thread() is self._rx

    # -- threads ---------------------------------------------------------------------------------------------

    def _rx_loop(self) -> None:
        while not self._stop.is_set():
            data = self.transport.recv(0.1)
            if not data:
                continue
            self.last_rx = time.monotonic()
            try:
                msgs = self._parser.parse_buffer(data) or []
            except mavlink.MAVError as exc:
                log.debug("%s: unparseable data: %s", self.url, exc)
                continue
            for msg in msgs:
                if msg.get_type() == "BAD_DATA":
                    continue
                self.packets_received += 1
                try:
                    self._dispatch(msg)
                except Exception:  # one bad message or callback must not stop the link
                    log.exception("%s: error handling %s", self.url, msg.get_type())

    def _dispatch(self, msg: Any) -> None:
        if self.tlog is not None:
            self.tlog.write(bytes(msg.get_msgbuf()))
        sysid = msg.get_srcSystem()
        vehicle = self._vehicles.get(sysid)
        if vehicle is None:
            if not _is_vehicle_heartbeat(msg):
                return
            vehicle = Vehicle(self, sysid, msg.get_srcComponent(), int(msg.autopilot), int(msg.type))
            with self._cond:
                self._vehicles[sysid] = vehicle
                self._cond.notify_all()
            log.info("%s: vehicle %d (%s, type %d) found", self.url, sysid, vehicle.autopilot, vehicle.vehicle_type)
            vehicle._handle(msg)
            vehicle.request_rates_async(self.rates)
            return
        vehicle._handle(msg)

    def heartbeat_period_s(self) -> float:
        """Seconds between our heartbeats: once a second in the fastest vehicle's own time.

        A simulation at speed-up 10 hears us ten times a wall-clock second, so its GCS failsafe, which counts in
        its time, sees the same heartbeat rate as a real vehicle (:mod:`flight.clock_rate`).
        """
        vehicles = self.vehicles.values()
        if any(not v.clock.known for v in vehicles):
            return MIN_HEARTBEAT_PERIOD_S  # a vehicle just heard, its pace not yet known: it may be a fast simulation
        rate = max((v.clock.rate for v in vehicles), default=1.0)
        return max(MIN_HEARTBEAT_PERIOD_S, HEARTBEAT_PERIOD_S / rate)

    def _heartbeat_loop(self) -> None:
        last_hb = -math.inf
        while not self._stop.is_set():
            now = time.monotonic()
            next_hb = last_hb + self.heartbeat_period_s()  # the period shrinks as soon as a fast clock shows
            if now >= next_hb:
                last_hb, next_hb = now, now + self.heartbeat_period_s()
                self.mav.heartbeat_send(
                    mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE
                )
            for vehicle in self.vehicles.values():
                vehicle._check_link(now)
            if (
                self.tcp_reopen_s is not None
                and isinstance(self.transport, TcpClient)
                and now - self.last_rx > self.tcp_reopen_s
            ):
                log.info("%s: nothing received for %.0f s; reopening the connection", self.url, now - self.last_rx)
                self.last_rx = now
                self.transport.reopen()
            self._stop.wait(max(0.0, min(MONITOR_PERIOD_S, next_hb - time.monotonic())))


def _is_vehicle_heartbeat(msg: Any) -> bool:
    """A HEARTBEAT from an autopilot (not from another ground station or a peripheral)."""
    return (
        msg.get_type() == "HEARTBEAT"
        and msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID
        and msg.type not in (mavlink.MAV_TYPE_GCS, mavlink.MAV_TYPE_ONBOARD_CONTROLLER, mavlink.MAV_TYPE_GIMBAL)
    )


class Fleet:
    """Several links at once (one per radio or per SITL port), their vehicles merged by system id.

    Example:
        >>> from sim import Simulator
        >>> with Simulator(vehicles=2, speedup=20, base_port=0) as sim, Fleet(sim.endpoints) as fleet:
        ...     found = fleet.wait_vehicles(2, timeout=10)
        >>> sorted(found)
        [1, 2]
    """

    def __init__(self, urls: Iterable[str], **link_options: Any) -> None:
        self.links: list[MavLink] = []
        try:
            for url in urls:
                self.links.append(MavLink(url, **link_options))
        except Exception:
            self.close()
            raise

    @property
    def vehicles(self) -> dict[int, Vehicle]:
        """Every vehicle of every link by system id (the first link that heard a system id wins)."""
        out: dict[int, Vehicle] = {}
        for link in self.links:
            for sysid, vehicle in link.vehicles.items():
                out.setdefault(sysid, vehicle)
        return out

    def wait_vehicles(self, count: int, timeout: float = 10.0) -> dict[int, Vehicle]:
        """Wait until ``count`` distinct vehicles were heard; returns them by system id.

        Raises:
            FlightTimeout: fewer within ``timeout``; says which were heard.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.vehicles
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise FlightTimeout(
                    f"waiting for {count} vehicles on {', '.join(link.url for link in self.links)}",
                    timeout,
                    hint=f"heard system ids {sorted(found)}",
                )
            time.sleep(0.05)

    def close(self) -> None:
        """Close every link."""
        for link in self.links:
            link.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
