"""The ground-station side of the MAVLink mission protocol, for missions, fences and rally points.

Upload: MISSION_COUNT, then the vehicle asks for each item (MISSION_REQUEST_INT, or legacy MISSION_REQUEST,
answered with MISSION_ITEM) and ends with MISSION_ACK. Download: MISSION_REQUEST_LIST -> MISSION_COUNT, then
MISSION_REQUEST_INT per item (several in flight at once on ArduPilot, one at a time on PX4) and a final
MISSION_ACK. Both sides resend on silence: we resend our last message after an adaptive timeout (a few round
trips, at most ``timeout``) and give up with :class:`~flight.errors.FlightTimeout` after ``timeout * (retries +
1)`` seconds without progress; duplicate and out-of-order requests are answered, and a re-request that only
echoes our own resend is not (so duplicates do not snowball).

:func:`upload_verified` is what flying code should use: upload, read back, compare (:mod:`flight.items` knows
ArduPilot's quirks), retry once, else raise and leave no half-uploaded mission or rally list behind.

Example:
    >>> from sim import Simulator
    >>> from flight.link import MavLink
    >>> from flight.items import MissionItemInt
    >>> home = MissionItemInt(0, 0, 16, x=305440000, y=1142950000)
    >>> wp = MissionItemInt(1, 3, 16, x=305443000, y=1142950000, z=30.0)
    >>> with Simulator(speedup=20, base_port=0) as sim, MavLink(sim.endpoints[0]) as link:
    ...     upload_verified(link.wait_vehicle(), [home, wp])
    ...     stored = sim.vehicle(0).mission
    >>> round(stored[1].x, 4)
    30.5443
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import FlightError, FlightTimeout, MissionError, MissionVerifyError
from flight.items import FENCE, MISSION, RALLY, TYPE_NAMES, MissionItemInt, as_wire_items, first_difference
from flight.results import mission_result_text

if TYPE_CHECKING:
    from flight.vehicle import Vehicle

__all__ = [
    "FENCE",
    "MISSION",
    "RALLY",
    "MissionItemInt",
    "UploadStats",
    "clear",
    "download",
    "upload",
    "upload_verified",
]

log = logging.getLogger(__name__)

#: Requests in flight during a download (ArduPilot answers each on its own; PX4 wants them in order).
DOWNLOAD_WINDOW = {"ardupilot": 8, "px4": 1}
#: MISSION_ACK results worth a second attempt (the transfer broke off rather than being refused).
TRANSIENT = {mavlink.MAV_MISSION_OPERATION_CANCELLED, mavlink.MAV_MISSION_ERROR, mavlink.MAV_MISSION_DENIED}


@dataclass(frozen=True)
class UploadStats:
    """How an upload went: items, seconds, our resends, and whether the vehicle asked for legacy float items."""

    items: int
    seconds: float
    resends: int
    legacy_float: bool


class _Timer:
    """Adaptive resend timeout from measured round trips (like TCP's), clamped to [50 ms, ``timeout``]."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.srtt = min(0.1, timeout / 4)

    def sample(self, rtt: float) -> None:
        self.srtt = 0.875 * self.srtt + 0.125 * max(0.0, rtt)

    @property
    def rto(self) -> float:
        return min(self.timeout, max(0.05, 3 * self.srtt + 0.02))

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


def upload(
    vehicle: Vehicle, items: list[Any], mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5
) -> UploadStats:
    """Upload ``items`` (:class:`MissionItemInt` or planner items, ``seq`` 0..n-1) as the vehicle's list.

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
    n, name, target = len(wire), _name(mission_type), vehicle.target
    timer = _Timer(timeout)
    types = {"MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"}
    with vehicle.expect(types, _for_us(vehicle, mission_type)) as waiter:
        sent_at: dict[int, float] = {}
        last_sent: int | None = None
        highest = -1
        resends = 0
        legacy = False
        last_progress = time.monotonic()

        def send_count() -> None:
            vehicle.mav.mission_count_send(target[0], target[1], n, mission_type)

        def send_item(seq: int, as_int: bool) -> None:
            nonlocal last_sent, highest
            item = wire[seq]
            vehicle.send(item.to_message(target) if as_int else item.to_float_message(target))
            sent_at[seq] = time.monotonic()
            last_sent, highest = seq, max(highest, seq)

        send_count()
        count_at = time.monotonic()
        use_int = True
        while True:
            msg = waiter.get(timer.rto)
            now = time.monotonic()
            if msg is None:
                if now - last_progress > timeout * (retries + 1):
                    stage = "MISSION_COUNT" if last_sent is None else f"item {last_sent}"
                    raise FlightTimeout(
                        f"the {name} upload to vehicle {vehicle.sysid} (stuck after {stage} of {n})",
                        now - started, resends + 1, hint=vehicle._link_hint(),
                    )  # fmt: skip
                resends += 1
                if last_sent is None:
                    send_count()
                    count_at = now
                else:
                    send_item(last_sent, use_int)
                continue
            if msg.get_type() == "MISSION_ACK":
                if msg.type == mavlink.MAV_MISSION_ACCEPTED:
                    if highest == n - 1:
                        log.info("vehicle %d: %s of %d items uploaded in %.2f s (%d resends)", vehicle.sysid, name,
                                 n, now - started, resends)  # fmt: skip
                        return UploadStats(n, now - started, resends, legacy)
                    continue  # a late ACK of an earlier transfer
                if msg.type == mavlink.MAV_MISSION_INVALID_SEQUENCE:
                    continue  # a duplicate of ours arrived; the vehicle re-requests what it wants
                where = "before the first item" if last_sent is None else f"at item {highest} of {n}"
                raise MissionError(
                    f"vehicle {vehicle.sysid} refused the {name} upload {where}: {mission_result_text(msg.type)}",
                    result=int(msg.type),
                )
            seq = int(msg.seq)
            if not 0 <= seq < n:
                log.warning("vehicle %d asked for %s item %d of %d; ignored", vehicle.sysid, name, seq, n)
                continue
            use_int = msg.get_type() == "MISSION_REQUEST_INT"
            legacy = legacy or not use_int
            if seq > highest:
                ref = sent_at.get(seq - 1, count_at)
                timer.sample(now - ref)
                last_progress = now
                send_item(seq, use_int)
            elif now - sent_at.get(seq, 0.0) > timer.min_gap:
                last_progress = now if seq == highest else last_progress
                send_item(seq, use_int)


def download(
    vehicle: Vehicle, mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5
) -> list[MissionItemInt]:
    """Read the vehicle's list (on ArduPilot, mission item 0 is its home).

    Raises:
        MissionError: the vehicle answered with a MISSION_ACK error.
        FlightTimeout: no progress for ``timeout * (retries + 1)`` seconds.
    """
    name, target = _name(mission_type), vehicle.target
    timer = _Timer(timeout)
    started = time.monotonic()
    check = _for_us(vehicle, mission_type)
    with vehicle.expect({"MISSION_COUNT", "MISSION_ACK"}, check) as waiter:
        for _ in range(retries + 1):
            vehicle.mav.mission_request_list_send(target[0], target[1], mission_type)
            msg = waiter.get(timeout)
            if msg is None:
                continue
            if msg.get_type() == "MISSION_COUNT":
                break
            if msg.type not in (mavlink.MAV_MISSION_ACCEPTED, mavlink.MAV_MISSION_INVALID_SEQUENCE):
                raise MissionError(
                    f"vehicle {vehicle.sysid} refused to send its {name}: {mission_result_text(msg.type)}",
                    int(msg.type),
                )
        else:
            raise FlightTimeout(f"the {name} count of vehicle {vehicle.sysid} (MISSION_REQUEST_LIST)",
                                time.monotonic() - started, retries + 1, hint=vehicle._link_hint())  # fmt: skip
    count = int(msg.count)
    if count == 0:
        return []
    got: dict[int, MissionItemInt] = {}
    window = DOWNLOAD_WINDOW.get(vehicle.autopilot, 1)
    asked: dict[int, float] = {}
    next_seq = 0
    resends = 0
    last_progress = time.monotonic()
    with vehicle.expect({"MISSION_ITEM_INT", "MISSION_ITEM", "MISSION_ACK"}, check) as waiter:
        while len(got) < count:
            now = time.monotonic()
            while next_seq < count and len(asked) < window:
                vehicle.mav.mission_request_int_send(target[0], target[1], next_seq, mission_type)
                asked[next_seq] = now
                next_seq += 1
            oldest = min(asked.values())
            msg = waiter.get(max(0.0, oldest + timer.rto - now))
            now = time.monotonic()
            if msg is None:
                if now - last_progress > timeout * (retries + 1):
                    raise FlightTimeout(
                        f"the {name} download from vehicle {vehicle.sysid} ({len(got)} of {count} items received)",
                        now - started, resends + 1, hint=vehicle._link_hint(),
                    )  # fmt: skip
                for seq, when in list(asked.items()):
                    if now - when >= timer.rto:
                        resends += 1
                        vehicle.mav.mission_request_int_send(target[0], target[1], seq, mission_type)
                        asked[seq] = now
                continue
            if msg.get_type() == "MISSION_ACK":
                if msg.type in (mavlink.MAV_MISSION_ACCEPTED, mavlink.MAV_MISSION_INVALID_SEQUENCE):
                    continue
                raise MissionError(
                    f"vehicle {vehicle.sysid} broke off the {name} download at item {len(got)} of {count}: "
                    f"{mission_result_text(msg.type)}",
                    int(msg.type),
                )
            seq = int(msg.seq)
            if seq in asked:
                timer.sample(now - asked.pop(seq))
                last_progress = now
            if 0 <= seq < count and seq not in got:
                got[seq] = MissionItemInt.from_message(msg)
    vehicle.mav.mission_ack_send(target[0], target[1], mavlink.MAV_MISSION_ACCEPTED, mission_type)
    log.info("vehicle %d: %s of %d items downloaded in %.2f s (%d re-requests)", vehicle.sysid, name, count,
             time.monotonic() - started, resends)  # fmt: skip
    return [got[i] for i in range(count)]


def clear(vehicle: Vehicle, mission_type: int = MISSION, *, timeout: float = 1.5, retries: int = 5) -> None:
    """Empty the vehicle's list (MISSION_CLEAR_ALL).

    Raises:
        MissionError: refused (ArduPilot refuses to clear the mission it is flying in AUTO).
        FlightTimeout: no MISSION_ACK.
    """
    name, target = _name(mission_type), vehicle.target
    started = time.monotonic()
    with vehicle.expect("MISSION_ACK", _for_us(vehicle, mission_type)) as waiter:
        for _ in range(retries + 1):
            vehicle.mav.mission_clear_all_send(target[0], target[1], mission_type)
            msg = waiter.get(timeout)
            if msg is None:
                continue
            if msg.type == mavlink.MAV_MISSION_ACCEPTED:
                return
            raise MissionError(
                f"vehicle {vehicle.sysid} refused to clear its {name}: {mission_result_text(msg.type)}"
                + (" (ArduPilot keeps the mission it is flying in AUTO)" if mission_type == MISSION else ""),
                int(msg.type),
            )
    raise FlightTimeout(f"clearing the {name} of vehicle {vehicle.sysid}", time.monotonic() - started, retries + 1,
                        hint=vehicle._link_hint())  # fmt: skip


def upload_verified(
    vehicle: Vehicle,
    items: list[Any],
    mission_type: int = MISSION,
    *,
    timeout: float = 1.5,
    retries: int = 5,
    attempts: int = 2,
    clear_on_failure: bool = True,
) -> list[MissionItemInt]:
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
            stats = upload(vehicle, wire, mission_type, timeout=timeout, retries=retries)
            got = download(vehicle, mission_type, timeout=timeout, retries=retries)
        except MissionError as exc:
            if exc.result not in TRANSIENT:
                _leave_safe(vehicle, mission_type, clear_on_failure, exc)
                raise
            failure = exc
        except FlightTimeout as exc:
            failure = exc
        else:
            found = first_difference(wire, got, skip_home=skip_home, via_float=stats.legacy_float)
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
