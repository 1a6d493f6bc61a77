"""One vehicle on a link: its live state, message subscriptions, commands with retries, and parameters.

Every method may be called from any thread except the link's receive thread (which runs the callbacks: a
callback must not block, and must not call the blocking methods here; they raise ``RuntimeError`` if it does).

Example:
    >>> from sim import Simulator
    >>> from flight.link import MavLink
    >>> with Simulator(vehicles=1, speedup=20, base_port=0) as sim, MavLink(sim.endpoints[0]) as link:
    ...     v = link.wait_vehicle()
    ...     speed = v.set_param("WPNAV_SPEED", 750)
    ...     st = v.wait_state(lambda s: s.lat is not None, timeout=5)
    >>> speed, v.autopilot, round(st.lat, 3)
    (750.0, 'ardupilot', 30.544)
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight import telemetry
from flight.clock_rate import ClockRate
from flight.errors import CommandRejected, FlightError, FlightTimeout, LinkLost
from flight.link_port import VehicleLink
from flight.messages import Waiter, command_name, same_param_value
from flight.results import command_result_text
from flight.state import VehicleState

log = logging.getLogger(__name__)

#: Messages whose ``time_boot_ms`` tells how fast the vehicle's clock runs (:class:`flight.clock_rate.ClockRate`).
CLOCK_MESSAGES = frozenset({"ATTITUDE", "GLOBAL_POSITION_INT", "SYSTEM_TIME"})

#: After MAV_RESULT_IN_PROGRESS, wait this long for each further COMMAND_ACK.
IN_PROGRESS_WAIT_S = 10.0


class Vehicle:
    """A vehicle heard on a :class:`~flight.link.MavLink` (created by the link on its first heartbeat).

    Attributes:
        sysid, compid: The autopilot's MAVLink ids.
        autopilot: ``"ardupilot"`` or ``"px4"`` (HEARTBEAT ``autopilot``).
        vehicle_type: HEARTBEAT ``type`` (MAV_TYPE, 2 = quadrotor).
        params: Parameter values seen so far (every PARAM_VALUE), by name.
        rtt_s: Smoothed round-trip time from command acks and mission transfers (None before the first).
        rate_methods: For each requested message, ``"interval"`` (SET_MESSAGE_INTERVAL) or ``"stream"``
            (REQUEST_DATA_STREAM fallback).
    """

    def __init__(self, link: VehicleLink, sysid: int, compid: int, autopilot_code: int, vehicle_type: int) -> None:
        self.link = link
        self.sysid = sysid
        self.compid = compid
        self.autopilot: Literal["ardupilot", "px4"] = (
            "px4" if autopilot_code == mavlink.MAV_AUTOPILOT_PX4 else "ardupilot"
        )
        self.vehicle_type = vehicle_type
        self.params: dict[str, float] = {}
        self.param_types: dict[str, int] = {}
        #: Vehicle seconds per wall-clock second (the simulation speed-up; 1 for a real vehicle).
        self.clock = ClockRate()
        self.rate_methods: dict[str, str] = {}
        self.rtt_s: float | None = None
        self._state = VehicleState(sysid=sysid)
        self._lock = threading.Lock()
        self._subs: list[tuple[Callable[[Any], None], set[str] | None]] = []
        self._state_subs: list[Callable[[VehicleState], None]] = []
        self._link_subs: list[Callable[[bool], None]] = []
        self._waiters: list[Waiter] = []
        self._cmd_locks: dict[int, threading.Lock] = {}
        self._link_ok = False
        self._link_lock = threading.Lock()
        self._link_events: queue.SimpleQueue[bool] = queue.SimpleQueue()
        threading.Thread(target=self._link_worker, name=f"link-events-{sysid}", daemon=True).start()
        self.link_changes = 0

    def __repr__(self) -> str:
        return f"Vehicle(sysid={self.sysid}, {self.autopilot}, {self.link.url})"

    # -- state -----------------------------------------------------------------------------------------------

    @property
    def state(self) -> VehicleState:
        """The latest :class:`~flight.state.VehicleState` (an immutable snapshot)."""
        return self._state

    @property
    def link_ok(self) -> bool:
        """Whether the vehicle's heartbeat is younger than the link's ``heartbeat_timeout_s``."""
        if self.link.closed:
            return False
        return time.monotonic() - self._state.last_heartbeat < self.link.heartbeat_timeout_s

    @property
    def mav(self) -> Any:
        """The link's pymavlink encoder (``vehicle.mav.command_long_encode(...)``, or ``*_send`` directly)."""
        return self.link.mav

    @property
    def target(self) -> tuple[int, int]:
        """(target_system, target_component) for messages to this vehicle."""
        return self.sysid, self.compid

    def send(self, msg: Any) -> None:
        """Send a message built with :attr:`mav` (``vehicle.send(vehicle.mav.param_request_list_encode(...))``)."""
        self.link.mav.send(msg)

    # -- subscriptions ---------------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Any], None], types: set[str] | None = None) -> Callable[[], None]:
        """Call ``callback(msg)`` for every message from this vehicle (or only ``types``); returns unsubscribe.

        The callback runs in the receive thread: keep it short and never block in it.
        """
        entry = (callback, None if types is None else set(types))
        with self._lock:
            self._subs.append(entry)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subs.remove(entry)

        return unsubscribe

    def on_state(self, callback: Callable[[VehicleState], None]) -> Callable[[], None]:
        """Call ``callback(state)`` whenever the state changes (receive thread); returns unsubscribe."""
        return self._add(self._state_subs, callback)

    def on_link(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``callback(link_ok)`` when the link is lost or comes back; returns unsubscribe.

        Callbacks run in order in a thread of their own, so they may block (command RTL, wait for an ack).
        """
        return self._add(self._link_subs, callback)

    def _add(self, subs: list[Any], callback: Any) -> Callable[[], None]:
        with self._lock:
            subs.append(callback)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                subs.remove(callback)

        return unsubscribe

    @contextlib.contextmanager
    def expect(self, types: str | set[str], predicate: Callable[[Any], bool] | None = None) -> Iterator[Waiter]:
        """A :class:`Waiter` registered for the duration of the ``with`` block (register, send, then wait)."""
        self._not_in_receive_thread()
        waiter = Waiter({types} if isinstance(types, str) else set(types), predicate)
        with self._lock:
            self._waiters.append(waiter)
        try:
            yield waiter
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def wait_message(
        self, types: str | set[str], predicate: Callable[[Any], bool] | None = None, timeout: float = 3.0
    ) -> Any:
        """The next message of ``types`` (matching ``predicate``) from this vehicle.

        Raises:
            FlightTimeout: none within ``timeout`` seconds.
        """
        with self.expect(types, predicate) as waiter:
            msg = waiter.get(timeout)
        if msg is None:
            names = types if isinstance(types, str) else "/".join(sorted(types))
            raise FlightTimeout(f"waiting for {names} from vehicle {self.sysid}", timeout, hint=self._link_hint())
        return msg

    def wait_state(self, predicate: Callable[[VehicleState], bool], timeout: float = 10.0) -> VehicleState:
        """The first state (the present one included) for which ``predicate`` is true.

        Raises:
            FlightTimeout: not within ``timeout`` seconds.
        """
        self._not_in_receive_thread()
        changed = threading.Event()
        unsubscribe = self.on_state(lambda _s: changed.set())
        deadline = time.monotonic() + timeout
        try:
            while True:
                state = self._state
                if predicate(state):
                    return state
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FlightTimeout(f"waiting for a state of vehicle {self.sysid}", timeout, hint=self._link_hint())
                changed.wait(min(left, 0.2))
                changed.clear()
        finally:
            unsubscribe()

    def _not_in_receive_thread(self) -> None:
        """Checks before a blocking call: not in a callback, and the link not closed (LinkLost)."""
        if self.link.in_receive_thread():
            raise RuntimeError("blocking flight calls cannot run in a message callback (the receive thread)")
        if self.link.closed:
            raise LinkLost(f"the link {self.link.url} to vehicle {self.sysid} is closed; connect again")

    def _link_hint(self) -> str:
        if self.link.closed:
            return "the link is closed"
        if not self.link_ok:
            age = time.monotonic() - self._state.last_heartbeat
            return f"no heartbeat from the vehicle for {age:.1f} s: the link is down"
        return "the link is up (heartbeats arrive); the vehicle may not support this"

    def note_rtt(self, sample: float) -> float:
        """Fold a measured round trip into :attr:`rtt_s` (the first sets it, then a 1/8 moving average)."""
        sample = max(0.0, sample)
        self.rtt_s = sample if self.rtt_s is None else 0.875 * self.rtt_s + 0.125 * sample
        return self.rtt_s

    def recent_statustext(self, since: float) -> list[str]:
        """STATUSTEXT texts received since monotonic time ``since``."""
        return [text for t, _sev, text in self._state.statustext if t >= since]

    # -- called by the link ----------------------------------------------------------------------------------

    def _handle(self, msg: Any) -> None:
        kind = msg.get_type()
        new_state = None
        if msg.get_srcComponent() == self.compid:
            new_state = telemetry.apply(self._state, msg, self.autopilot)
            if new_state is not None:
                self._state = new_state
        if kind == "HEARTBEAT" and new_state is not None and not self._link_ok:
            self._check_link(time.monotonic())  # before the callbacks: whoever sees the new state sees link_ok
        if new_state is not None and kind in CLOCK_MESSAGES:
            self.clock.sample(msg.time_boot_ms / 1000.0, time.monotonic())
        if kind == "PARAM_VALUE":
            self.params[msg.param_id] = float(msg.param_value)
            self.param_types[msg.param_id] = int(msg.param_type)
        with self._lock:
            waiters = list(self._waiters)
            subs = list(self._subs)
            state_subs = list(self._state_subs) if new_state is not None else []
        for waiter in waiters:
            waiter.offer(msg)
        for callback, types in subs:
            if types is None or kind in types:
                try:
                    callback(msg)
                except Exception:
                    log.exception("vehicle %d: subscriber failed on %s", self.sysid, kind)
        for state_cb in state_subs:
            try:
                state_cb(new_state)  # type: ignore[arg-type]
            except Exception:
                log.exception("vehicle %d: state callback failed", self.sysid)

    def _check_link(self, now: float) -> None:
        with self._link_lock:  # the receive and the heartbeat threads both call this
            ok = self.link_ok
            if ok == self._link_ok:
                return
            self._link_ok = ok
            self.link_changes += 1
        if ok:
            log.info("vehicle %d: link up on %s", self.sysid, self.link.url)
            if self.link_changes > 1:
                self.request_rates_async(self.link.rates)  # it may have rebooted and forgotten them
        elif self.link.closed:
            log.info("vehicle %d: link %s closed", self.sysid, self.link.url)
        else:
            log.warning("vehicle %d: link lost on %s (no heartbeat for %.1f s)", self.sysid, self.link.url,
                        now - self._state.last_heartbeat)  # fmt: skip
        self._link_events.put(ok)

    def _link_worker(self) -> None:
        """Runs the on_link callbacks in order, in their own thread (they may block, e.g. to command RTL)."""
        while True:
            try:
                ok = self._link_events.get(timeout=1.0)
            except queue.Empty:
                if self.link.closed:
                    return
                continue
            with self._lock:
                subs = list(self._link_subs)
            for callback in subs:
                try:
                    callback(ok)
                except Exception:
                    log.exception("vehicle %d: link callback failed", self.sysid)

    # -- commands --------------------------------------------------------------------------------------------

    def _command_lock(self, command: int) -> threading.Lock:
        # COMMAND_ACK names only the command, so two of the same command must not be in flight at once.
        with self._lock:
            return self._cmd_locks.setdefault(command, threading.Lock())

    def _run_command(self, command: int, send: Callable[[int], None], timeout: float, retries: int) -> int:
        name = command_name(command)
        me = self.link.source_system

        def is_ours(m: Any) -> bool:
            return bool(m.command == command and getattr(m, "target_system", 0) in (0, me))

        tries = 0
        started = time.monotonic()
        with self._command_lock(command), self.expect("COMMAND_ACK", is_ours) as waiter:
            ack = None
            while tries <= retries:
                sent = time.monotonic()
                send(tries)
                tries += 1
                ack = waiter.get(timeout)
                if ack is not None:
                    if tries == 1:
                        self.note_rtt(time.monotonic() - sent)
                    break
            if ack is None:
                raise FlightTimeout(f"{name} to vehicle {self.sysid}", time.monotonic() - started, retries + 1,
                                    hint=self._link_hint())  # fmt: skip
            while ack.result == mavlink.MAV_RESULT_IN_PROGRESS:
                log.info("vehicle %d: %s in progress (%s %%)", self.sysid, name, getattr(ack, "progress", "?"))
                nxt = waiter.get(max(IN_PROGRESS_WAIT_S, timeout))
                if nxt is None:
                    raise FlightTimeout(f"the final result of {name} (it was in progress)",
                                        time.monotonic() - started, tries, hint=self._link_hint())  # fmt: skip
                ack = nxt
        result = int(ack.result)
        if result != mavlink.MAV_RESULT_ACCEPTED:
            said = self.recent_statustext(started)
            text = command_result_text(result) + (f"; vehicle says: {' / '.join(said)}" if said else "")
            raise CommandRejected(result, f"{name} (vehicle {self.sysid})", text)
        return result

    def command_long(self, command: int, *params: float, timeout: float = 1.5, retries: int = 3) -> int:
        """Send COMMAND_LONG (up to 7 params) and wait for its COMMAND_ACK; resends ``retries`` times.

        The ``confirmation`` field counts the resends (0 first). MAV_RESULT_IN_PROGRESS stops the resending and
        waits for the final result.

        Returns:
            MAV_RESULT_ACCEPTED (0).

        Raises:
            CommandRejected: any other result (the vehicle's STATUSTEXT explanation is in the message).
            FlightTimeout: no COMMAND_ACK after ``retries + 1`` sends of ``timeout`` seconds each.
        """
        if len(params) > 7:
            raise ValueError(f"command_long takes at most 7 params, got {len(params)}")
        p = [float(x) for x in params] + [0.0] * (7 - len(params))

        def send(attempt: int) -> None:
            self.mav.command_long_send(self.sysid, self.compid, command, min(attempt, 255), *p)

        return self._run_command(command, send, timeout, retries)

    def command_int(
        self,
        command: int,
        *,
        frame: int,
        x: int,
        y: int,
        z: float,
        params: tuple[float, ...] = (0, 0, 0, 0),
        timeout: float = 1.5,
        retries: int = 3,
    ) -> int:
        """Send COMMAND_INT (x, y: degrees * 1e7) and wait for its COMMAND_ACK; as :meth:`command_long`."""
        if len(params) > 4:
            raise ValueError(f"command_int takes at most 4 params, got {len(params)}")
        p = [float(v) for v in params] + [0.0] * (4 - len(params))

        def send(_attempt: int) -> None:
            self.mav.command_int_send(self.sysid, self.compid, frame, command, 0, 0, *p, int(x), int(y), float(z))

        return self._run_command(command, send, timeout, retries)

    # -- parameters ------------------------------------------------------------------------------------------

    @staticmethod
    def _param_id(name: str) -> bytes:
        raw = name.encode()
        if not raw or len(raw) > 16:
            raise ValueError(f"parameter name {name!r}: must be 1..16 characters")
        return raw

    def get_param(self, name: str, timeout: float = 2.0, retries: int = 3) -> float:
        """Read parameter ``name`` (PARAM_REQUEST_READ -> PARAM_VALUE), resending ``retries`` times.

        Raises:
            FlightTimeout: no PARAM_VALUE (also what an unknown name gives: ArduPilot does not answer those).
        """
        pid = self._param_id(name)
        started = time.monotonic()
        with self.expect("PARAM_VALUE", lambda m: m.param_id == name) as waiter:
            for _ in range(retries + 1):
                self.mav.param_request_read_send(self.sysid, self.compid, pid, -1)
                msg = waiter.get(timeout)
                if msg is not None:
                    return float(msg.param_value)
        raise FlightTimeout(
            f"reading parameter {name} of vehicle {self.sysid}",
            time.monotonic() - started,
            retries + 1,
            hint="is the name right? ArduPilot does not answer unknown names" if self.link_ok else self._link_hint(),
        )

    def set_param(self, name: str, value: float, timeout: float = 2.0, retries: int = 3) -> float:
        """Set parameter ``name`` and check the vehicle's echo; returns the value it now holds.

        Raises:
            FlightError: the vehicle keeps another value (read-only, out of range), twice in a row.
            FlightTimeout: no PARAM_VALUE echo.
        """
        pid = self._param_id(name)
        if not math.isfinite(value):
            raise ValueError(f"parameter {name}: value must be a finite number, got {value}")
        ptype = self.param_types.get(name, mavlink.MAV_PARAM_TYPE_REAL32)
        started = time.monotonic()
        kept: float | None = None
        with self.expect("PARAM_VALUE", lambda m: m.param_id == name) as waiter:
            for _ in range(retries + 1):
                self.mav.param_set_send(self.sysid, self.compid, pid, float(value), ptype)
                msg = waiter.get(timeout)
                if msg is None:
                    continue
                if same_param_value(float(msg.param_value), value, int(msg.param_type)):
                    return float(msg.param_value)
                if kept is not None:  # the same refusal twice: not a stale echo
                    break
                kept = float(msg.param_value)
        if kept is None:
            raise FlightTimeout(f"setting parameter {name} of vehicle {self.sysid}", time.monotonic() - started,
                                retries + 1, hint=self._link_hint())  # fmt: skip
        said = self.recent_statustext(started)
        why = f"; vehicle says: {' / '.join(said)}" if said else " (read-only or out of range?)"
        raise FlightError(f"vehicle {self.sysid} kept {name} = {kept:g} when asked for {value:g}{why}")

    # -- telemetry rates -------------------------------------------------------------------------------------

    def request_rates(self, rates_hz: dict[str, float]) -> None:
        """Ask for each message at its rate (Hz; 0 stops it): SET_MESSAGE_INTERVAL, or, where that is refused
        or not acknowledged, the REQUEST_DATA_STREAM group that carries the message (at the group's
        highest requested rate). Records the method used in :attr:`rate_methods`.

        Raises:
            ValueError: an unknown message name.
        """
        ids = {name: telemetry.message_id(name) for name in rates_hz}
        streams: dict[int, float] = {}
        for name, hz in rates_hz.items():
            interval_us = -1.0 if hz <= 0 else 1e6 / hz
            try:
                self.command_long(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, ids[name], interval_us, timeout=0.5, retries=2)
                self.rate_methods[name] = "interval"
                continue
            except (CommandRejected, FlightTimeout) as exc:
                log.info("vehicle %d: SET_MESSAGE_INTERVAL for %s failed (%s); using a data stream", self.sysid,
                         name, exc)  # fmt: skip
            stream = telemetry.STREAM_OF.get(name)
            if stream is None:
                self.mav.command_long_send(
                    self.sysid, self.compid, mavlink.MAV_CMD_REQUEST_MESSAGE, 0, ids[name], 0, 0, 0, 0, 0, 0
                )
                self.rate_methods[name] = "request"
                continue
            streams[stream] = max(streams.get(stream, 0.0), hz)
            self.rate_methods[name] = "stream"
        for stream, hz in streams.items():
            self.mav.request_data_stream_send(self.sysid, self.compid, stream, max(1, round(hz)), 1 if hz > 0 else 0)

    def request_rates_async(self, rates_hz: dict[str, float]) -> None:
        """:meth:`request_rates` in a background thread (used at connect and when the link comes back)."""
        if not rates_hz:
            return

        def run() -> None:
            try:
                self.request_rates(rates_hz)
            except LinkLost:
                pass  # closed while asking: nothing to report
            except FlightError as exc:
                log.warning("vehicle %d: could not set telemetry rates: %s", self.sysid, exc)

        threading.Thread(target=run, name=f"rates-{self.sysid}", daemon=True).start()
