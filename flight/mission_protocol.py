"""The ground-station side of the MAVLink mission protocol, for missions, fences and rally points.

Upload: MISSION_COUNT, then the vehicle asks for each item (MISSION_REQUEST_INT, or legacy MISSION_REQUEST as
ArduPilot sends; both answered with MISSION_ITEM_INT) and ends with MISSION_ACK. Download: MISSION_REQUEST_LIST ->
MISSION_COUNT, then MISSION_REQUEST_INT per item and a final MISSION_ACK. ArduPilot answers each request on its
own, so many are in flight at once: the window starts small, doubles while all are answered and halves on a
timeout (like TCP's), so a read-back costs a few vehicle loops on a fast link and does not overrun a slow radio
or ArduPilot's send buffer (which drops what does not fit); PX4 wants one at a time. Both sides resend on silence:
we resend after an adaptive timeout (a few round trips, at most ``timeout``) and give up with
:class:`~flight.errors.FlightTimeout` after ``timeout * (retries + 1)`` seconds without progress; duplicate and
out-of-order requests are answered, and a re-request that only echoes our own resend is not (no snowballing).

:func:`upload_verified` is what flying code should use: upload, read back, compare (:mod:`flight.items` knows
ArduPilot's quirks), retry once, else raise and leave no half-uploaded mission or rally list behind.

Example:
    >>> from sim import Simulator
    >>> from flight.link import MavLink
    >>> from mission_planner.mission_items import MissionItem
    >>> home = MissionItem(0, 0, 16, x=30.544, y=114.295)
    >>> wp = MissionItem(1, 3, 16, x=30.5443, y=114.295, z=30.0)
    >>> with Simulator(speedup=20, base_port=0) as sim, MavLink(sim.endpoints[0]) as link:
    ...     back = upload_verified(link.wait_vehicle(), [home, wp])
    ...     stored = sim.vehicle(0).mission
    >>> round(stored[1].x, 4), back[0].z  # item 0 reads back as the vehicle's home (20 m AMSL)
    (30.5443, 20.0)
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import FlightError, FlightTimeout, MissionError, MissionVerifyError
from flight.items import FENCE, MISSION, RALLY, TYPE_NAMES, as_wire_items, first_difference, from_message, to_message
from flight.results import mission_result_text
from mission_planner.mission_items import MissionItem

if TYPE_CHECKING:
    from flight.vehicle import Vehicle

__all__ = [
    "FENCE",
    "MISSION",
    "RALLY",
    "MissionItem",
    "UploadStats",
    "clear",
    "download",
    "upload",
    "upload_verified",
]

log = logging.getLogger(__name__)

#: Most requests in flight during a download (PX4 wants them in order). ArduCopter SITL answers a window per
#: loop or two (500 items: 0.35 s at 8, 0.05 s at 64); 64 keeps a burst of answers near 3 KB.
DOWNLOAD_WINDOW = {"ardupilot": 64, "px4": 1}
#: Requests in flight at the start of a download (the window grows from there while nothing is lost).
DOWNLOAD_WINDOW_START = 8
#: MISSION_ACK results worth a second attempt (the transfer broke off rather than being refused).
TRANSIENT = {mavlink.MAV_MISSION_OPERATION_CANCELLED, mavlink.MAV_MISSION_ERROR, mavlink.MAV_MISSION_DENIED}


@dataclass(frozen=True)
class UploadStats:
    """How an upload went: items, seconds, our resends, and whether the vehicle asked with legacy MISSION_REQUEST
    (answered with MISSION_ITEM_INT all the same: ArduPilot accepts it, and only it keeps positions exact)."""

    items: int
    seconds: float
    resends: int
    legacy_float: bool


class _Timer:
    """Adaptive resend timeout from measured round trips (like TCP's), clamped to [30 ms, ``timeout``]."""

    def __init__(self, timeout: float, vehicle: Vehicle) -> None:
        self.timeout = timeout
        self.vehicle = vehicle
        self.srtt = vehicle.rtt_s if vehicle.rtt_s is not None else min(0.1, timeout / 4)

    def sample(self, rtt: float) -> None:
        self.srtt = self.vehicle.note_rtt(rtt)  # the next transfer starts from what this one learnt

    @property
    def rto(self) -> float:
        return min(self.timeout, max(0.03, 3 * self.srtt + 0.02))

    @property
    def min_gap(self) -> float:
        """A re-request of an item sent more recently than this is an echo of our own resend."""
        return min(self.timeout / 3, max(0.02, 1.5 * self.srtt))


def _for_us(vehicle: Vehicle, mission_type: int) -> Any:
    me = vehicle.link.source_system

    def check(m: Any) -> bool:
        return bool(getattr(m, "mission_type", MISSION) == mission_type and getattr(m, "target_system", 0) in (0, me))

    return check


def _name(mission_type: int) -> str:
    return TYPE_NAMES.get(mission_type, f"type-{mission_type}")


class _Upload:
    """One upload; :meth:`on_message` runs in the receive thread and answers requests at once (no thread
    hand-off per item), the caller's thread only resends on silence and gives up."""

    def __init__(self, vehicle: Vehicle, wire: list[MissionItem], mission_type: int, timeout: float) -> None:
        self.vehicle, self.wire, self.mission_type = vehicle, wire, mission_type
        self.check = _for_us(vehicle, mission_type)
        self.timer = _Timer(timeout, vehicle)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error: MissionError | None = None
        self.sent_at: dict[int, float] = {}
        self.last_sent: int | None = None
        self.highest = -1
        self.legacy = False
        self.count_at = self.last_progress = self.last_activity = time.monotonic()

    def send_count(self) -> None:
        target = self.vehicle.target
        self.vehicle.mav.mission_count_send(target[0], target[1], len(self.wire), self.mission_type)
        self.count_at = self.last_activity = time.monotonic()

    def send_item(self, seq: int) -> None:
        item = self.wire[seq]
        target = self.vehicle.target
        self.vehicle.send(to_message(item, target))  # always _INT: ArduPilot takes it for MISSION_REQUEST too
        self.sent_at[seq] = self.last_activity = time.monotonic()
        self.last_sent, self.highest = seq, max(self.highest, seq)

    def on_message(self, msg: Any) -> None:
        if not self.check(msg):
            return
        with self.lock:
            if self.done.is_set():
                return
            now = time.monotonic()
            if msg.get_type() == "MISSION_ACK":
                self._on_ack(msg)
                return
            seq, n = int(msg.seq), len(self.wire)
            if not 0 <= seq < n:
                log.warning("vehicle %d asked for item %d of %d; ignored", self.vehicle.sysid, seq, n)
                return
            self.legacy = self.legacy or msg.get_type() == "MISSION_REQUEST"
            if seq > self.highest:
                self.timer.sample(now - self.sent_at.get(seq - 1, self.count_at))
                self.last_progress = now
                self.send_item(seq)
            elif now - self.sent_at.get(seq, 0.0) > self.timer.min_gap:  # a genuine re-request (ours was lost)
                self.send_item(seq)

    def _on_ack(self, msg: Any) -> None:
        n = len(self.wire)
        if msg.type == mavlink.MAV_MISSION_ACCEPTED:
            if self.highest == n - 1:
                self.done.set()
            return  # else a late ACK of an earlier transfer
        if msg.type == mavlink.MAV_MISSION_INVALID_SEQUENCE:
            return  # a duplicate of ours arrived; the vehicle re-requests what it wants
        where = "before the first item" if self.last_sent is None else f"at item {self.highest} of {n}"
        self.error = MissionError(
            f"vehicle {self.vehicle.sysid} refused the {_name(self.mission_type)} upload {where}: "
            f"{mission_result_text(msg.type)}",
            result=int(msg.type),
        )
        self.done.set()


def upload(
    vehicle: Vehicle, items: list[MissionItem], mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5
) -> UploadStats:
    """Upload ``items`` (:class:`MissionItem`, ``seq`` 0..n-1) as the vehicle's list.

    Not verified: use :func:`upload_verified` before flying. An empty list clears the vehicle's list.
    Returns what it took (:class:`UploadStats`).

    Raises:
        MissionError: the vehicle refused (MISSION_ACK error, its text in the message; ``.result``).
        FlightTimeout: no progress for ``timeout * (retries + 1)`` seconds.
        ValueError: items out of order or of another mission type.
    """
    wire = as_wire_items(items, mission_type)
    started = time.monotonic()
    if not wire:
        clear(vehicle, mission_type, timeout=timeout, retries=retries)
        return UploadStats(0, time.monotonic() - started, 0, False)
    vehicle._not_in_receive_thread()
    n, name = len(wire), _name(mission_type)
    up = _Upload(vehicle, wire, mission_type, timeout)
    resends = 0
    unsubscribe = vehicle.subscribe(up.on_message, {"MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"})
    try:
        with up.lock:
            up.send_count()
        while True:
            with up.lock:
                wait = up.last_activity + up.timer.rto - time.monotonic()
            if up.done.wait(max(0.0, wait)):
                break
            with up.lock:
                now = time.monotonic()
                if up.done.is_set() or now - up.last_activity < up.timer.rto:
                    continue
                if now - up.last_progress > timeout * (retries + 1):
                    stage = "MISSION_COUNT" if up.last_sent is None else f"item {up.last_sent}"
                    raise FlightTimeout(
                        f"the {name} upload to vehicle {vehicle.sysid} (stuck after {stage} of {n})",
                        now - started, resends + 1, hint=vehicle._link_hint(),
                    )  # fmt: skip
                resends += 1
                if up.last_sent is None:
                    up.send_count()
                else:
                    up.send_item(up.last_sent)
    finally:
        unsubscribe()
    if up.error is not None:
        raise up.error
    seconds = time.monotonic() - started
    log.info("vehicle %d: %s of %d items uploaded in %.2f s (%d resends)", vehicle.sysid, name, n, seconds, resends)
    return UploadStats(n, seconds, resends, up.legacy)


def _ask(vehicle: Vehicle, send: Any, types: set[str], check: Any, timeout: float, retries: int) -> Any | None:
    """Send, and resend every adaptive timeout, until a matching answer or ``timeout * (retries + 1)`` passed."""
    timer = _Timer(timeout, vehicle)
    deadline = time.monotonic() + timeout * (retries + 1)
    with vehicle.expect(types, check) as waiter:
        while True:
            sent = time.monotonic()
            send()
            msg = waiter.get(min(timer.rto, deadline - sent))
            if msg is not None:
                timer.sample(time.monotonic() - sent)
                return msg
            if time.monotonic() >= deadline:
                return None


def _request_count(vehicle: Vehicle, mission_type: int, timeout: float, retries: int) -> int:
    name, target = _name(mission_type), vehicle.target
    started = time.monotonic()
    ours = _for_us(vehicle, mission_type)

    def answer(m: Any) -> bool:  # the count, or a refusal (an ACK that is neither success nor a stray duplicate)
        ignorable = (mavlink.MAV_MISSION_ACCEPTED, mavlink.MAV_MISSION_INVALID_SEQUENCE)
        return bool(ours(m) and (m.get_type() == "MISSION_COUNT" or m.type not in ignorable))

    msg = _ask(
        vehicle,
        lambda: vehicle.mav.mission_request_list_send(target[0], target[1], mission_type),
        {"MISSION_COUNT", "MISSION_ACK"},
        answer,
        timeout,
        retries,
    )
    if msg is None:
        raise FlightTimeout(f"the {name} count of vehicle {vehicle.sysid} (MISSION_REQUEST_LIST)",
                            time.monotonic() - started, retries + 1, hint=vehicle._link_hint())  # fmt: skip
    if msg.get_type() == "MISSION_ACK":
        raise MissionError(
            f"vehicle {vehicle.sysid} refused to send its {name}: {mission_result_text(msg.type)}", int(msg.type)
        )
    return int(msg.count)


class _Download:
    """One download; :meth:`on_message` (receive thread) keeps ``window`` requests in flight. The window grows by
    one per answer in time (doubling per round trip) up to ``threshold``, then by one per window's worth; a
    timeout (:meth:`lost`) halves it, sets ``threshold`` there and queues the late requests (``retry``)."""

    def __init__(self, vehicle: Vehicle, mission_type: int, count: int, timeout: float) -> None:
        self.vehicle, self.mission_type, self.count = vehicle, mission_type, count
        self.check = _for_us(vehicle, mission_type)
        self.timer = _Timer(timeout, vehicle)
        self.max_window = DOWNLOAD_WINDOW.get(vehicle.autopilot, 1)
        self.window = float(min(DOWNLOAD_WINDOW_START, self.max_window))
        self.threshold = float(self.max_window)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error: MissionError | None = None
        self.got: dict[int, MissionItem] = {}
        self.asked: dict[int, float] = {}  # in flight: seq -> sent at
        self.sent_at: dict[int, float] = {}  # last sent, in flight or not
        self.retry: list[int] = []  # a heap of timed-out requests to send again
        self.resends = 0
        self.next_seq = 0
        self.last_progress = time.monotonic()

    def request(self, seq: int) -> None:
        target = self.vehicle.target
        self.vehicle.mav.mission_request_int_send(target[0], target[1], seq, self.mission_type)
        self.asked[seq] = self.sent_at[seq] = time.monotonic()

    def fill(self) -> None:
        """Send requests until ``window`` are in flight: timed-out ones first, then new ones."""
        while len(self.asked) < int(self.window):
            if self.retry:
                seq = heapq.heappop(self.retry)
                if seq in self.got or seq in self.asked:
                    continue
                self.resends += 1
            elif self.next_seq < self.count:
                seq, self.next_seq = self.next_seq, self.next_seq + 1
            else:
                return
            self.request(seq)

    def lost(self, now: float) -> None:
        """Requests unanswered for the resend timeout: halve the window (the link or the vehicle's send buffer
        could not keep up) and send them again, a window's worth at a time."""
        late = [seq for seq, when in self.asked.items() if now - when >= self.timer.rto]
        if not late:
            return
        self.threshold = max(1.0, self.window / 2)
        self.window = self.threshold
        for seq in late:
            del self.asked[seq]
            heapq.heappush(self.retry, seq)
        self.fill()

    def on_message(self, msg: Any) -> None:
        if not self.check(msg):
            return
        with self.lock:
            if self.done.is_set():
                return
            now = time.monotonic()
            if msg.get_type() == "MISSION_ACK":
                if msg.type in (mavlink.MAV_MISSION_ACCEPTED, mavlink.MAV_MISSION_INVALID_SEQUENCE):
                    return
                self.error = MissionError(
                    f"vehicle {self.vehicle.sysid} broke off the {_name(self.mission_type)} download at item "
                    f"{len(self.got)} of {self.count}: {mission_result_text(msg.type)}",
                    int(msg.type),
                )
                self.done.set()
                return
            seq = int(msg.seq)
            if not 0 <= seq < self.count or seq in self.got:
                return  # a duplicate (answer to a resend) or a stray
            self.got[seq] = from_message(msg)
            if seq in self.sent_at:  # late answers too, so that the timeout learns a slow link
                self.timer.sample(now - self.sent_at[seq])
            self.last_progress = now
            if self.asked.pop(seq, None) is not None:  # answered in time: widen the window
                step = 1.0 if self.window < self.threshold else 1.0 / self.window
                self.window = min(float(self.max_window), self.window + step)
            if len(self.got) == self.count:
                self.done.set()
                return
            self.fill()


def download(
    vehicle: Vehicle, mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5
) -> list[MissionItem]:
    """Read the vehicle's list (on ArduPilot, mission item 0 is its home).

    Raises:
        MissionError: the vehicle answered with a MISSION_ACK error.
        FlightTimeout: no progress for ``timeout * (retries + 1)`` seconds.
    """
    started = time.monotonic()
    count = _request_count(vehicle, mission_type, timeout, retries)
    if count == 0:
        return []
    name, target = _name(mission_type), vehicle.target
    down = _Download(vehicle, mission_type, count, timeout)
    unsubscribe = vehicle.subscribe(down.on_message, {"MISSION_ITEM_INT", "MISSION_ITEM", "MISSION_ACK"})
    try:
        with down.lock:
            down.fill()
        while True:
            with down.lock:
                oldest = min(down.asked.values(), default=time.monotonic())
                wait = oldest + down.timer.rto - time.monotonic()
            if down.done.wait(max(0.0, wait)):
                break
            with down.lock:
                now = time.monotonic()
                if now - down.last_progress > timeout * (retries + 1):
                    raise FlightTimeout(
                        f"the {name} download from vehicle {vehicle.sysid} ({len(down.got)} of {count} items received)",
                        now - started, down.resends + 1, hint=vehicle._link_hint(),
                    )  # fmt: skip
                down.lost(now)
    finally:
        unsubscribe()
    if down.error is not None:
        raise down.error
    vehicle.mav.mission_ack_send(target[0], target[1], mavlink.MAV_MISSION_ACCEPTED, mission_type)
    log.info("vehicle %d: %s of %d items downloaded in %.2f s (%d re-requests)", vehicle.sysid, name, count,
             time.monotonic() - started, down.resends)  # fmt: skip
    return [down.got[i] for i in range(count)]


def clear(vehicle: Vehicle, mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5) -> None:
    """Empty the vehicle's list (MISSION_CLEAR_ALL).

    Raises:
        MissionError: refused (ArduPilot refuses to clear the mission it is flying in AUTO).
        FlightTimeout: no MISSION_ACK.
    """
    name, target = _name(mission_type), vehicle.target
    started = time.monotonic()
    msg = _ask(
        vehicle,
        lambda: vehicle.mav.mission_clear_all_send(target[0], target[1], mission_type),
        {"MISSION_ACK"},
        _for_us(vehicle, mission_type),
        timeout,
        retries,
    )
    if msg is None:
        raise FlightTimeout(f"clearing the {name} of vehicle {vehicle.sysid}", time.monotonic() - started,
                            retries + 1, hint=vehicle._link_hint())  # fmt: skip
    if msg.type != mavlink.MAV_MISSION_ACCEPTED:
        raise MissionError(
            f"vehicle {vehicle.sysid} refused to clear its {name}: {mission_result_text(msg.type)}"
            + (" (ArduPilot keeps the mission it is flying in AUTO)" if mission_type == MISSION else ""),
            int(msg.type),
        )


def upload_verified(
    vehicle: Vehicle,
    items: list[MissionItem],
    mission_type: int = MISSION,
    *,
    timeout: float = 1.5,
    retries: int = 5,
    attempts: int = 2,
    clear_on_failure: bool = True,
) -> list[MissionItem]:
    """Upload, read back and compare; retry (``attempts`` in all), else raise. Returns the read-back list.

    What the vehicle may legitimately change is allowed for (:func:`flight.items.first_difference`): home as
    mission item 0 on ArduPilot, ``*_INT`` frames read back plain, float32 params, centimetre altitudes.
    Anything else is a :class:`~flight.errors.MissionVerifyError` naming the first differing item and field.
    If the last attempt fails, mission and rally lists are cleared (``clear_on_failure``) because ArduPilot
    writes them item by item and a broken transfer leaves old and new items mixed; a fence is never cleared
    (ArduPilot only replaces it when an upload completes, so the old fence stays in force).

    Raises:
        MissionVerifyError: the read-back still differs after the last attempt.
        MissionError: the vehicle refused the list (not retried: the same list would be refused again).
        FlightTimeout: the transfers kept timing out.
    """
    wire = as_wire_items(items, mission_type)
    skip_home = mission_type == MISSION and vehicle.autopilot == "ardupilot"
    name = _name(mission_type)
    failure: FlightError | None = None
    for attempt in range(1, attempts + 1):
        try:
            upload(vehicle, wire, mission_type, timeout=timeout, retries=retries)
            got = download(vehicle, mission_type, timeout=timeout, retries=retries)
        except MissionError as exc:
            if exc.result not in TRANSIENT:
                _leave_safe(vehicle, mission_type, clear_on_failure, exc)
                raise
            failure = exc
        except FlightTimeout as exc:
            failure = exc
        else:
            found = first_difference(wire, got, skip_home=skip_home, autopilot=vehicle.autopilot)
            if found is None:
                return got
            seq, field, what = found
            failure = MissionVerifyError(
                f"{name} read back from vehicle {vehicle.sysid} differs at item {seq}, {field}: {what}", seq, field
            )
        log.warning("vehicle %d: %s upload attempt %d of %d failed: %s", vehicle.sysid, name, attempt, attempts,
                    failure)  # fmt: skip
    assert failure is not None
    _leave_safe(vehicle, mission_type, clear_on_failure, failure)
    raise failure


def _leave_safe(vehicle: Vehicle, mission_type: int, enabled: bool, failure: FlightError) -> None:
    """Clear a mission/rally list that may hold a mix of old and new items; say so in the error."""
    if not enabled or mission_type == FENCE:
        note = " The vehicle keeps its previous fence." if mission_type == FENCE else ""
    else:
        try:
            clear(vehicle, mission_type, timeout=0.5, retries=3)
            note = f" The vehicle's {_name(mission_type)} was cleared so that no partial list can be flown."
        except FlightError as exc:
            note = f" Could not clear the vehicle's {_name(mission_type)} ({exc}): do not fly it in AUTO."
    failure.args = (f"{failure.args[0]}{note}", *failure.args[1:])
