"""The vehicle side of the MAVLink mission protocol for missions, fences and rally points, as ArduPilot runs
it.

Upload: the ground station sends MISSION_COUNT; the vehicle asks for each item with the legacy MISSION_REQUEST, as
ArduPilot does, and takes MISSION_ITEM_INT or MISSION_ITEM in answer (warning "GCS should send MISSION_ITEM_INT"
for the float one, which loses position precision); it resends the request when nothing arrives, cancels after a
silence and ends with MISSION_ACK. Download:
MISSION_REQUEST_LIST -> MISSION_COUNT, then one MISSION_ITEM_INT per MISSION_REQUEST_INT. MISSION_CLEAR_ALL
empties a list.

ArduPilot's quirks, kept on purpose because a ground station must cope with them:

* mission item 0 is home: whatever is uploaded there, a download returns the vehicle's home (absolute
  altitude);
* mission and rally uploads are not atomic: each item overwrites the stored one as it arrives, so an
  interrupted upload leaves a mix of old and new items (the list is only truncated when the upload completes);
  fence uploads are kept aside and replace the fence only once complete and valid;
* an item with the wrong sequence number is answered with MISSION_ACK(MAV_MISSION_INVALID_SEQUENCE) and the
  upload goes on (the simulator also re-requests the wanted item at once);
* a refused item (unsupported command or frame, bad coordinates) aborts the upload with the matching
  MISSION_ACK.

Timers are wall-clock (they belong to the link, not to the simulated flight): the request is resent after
``resend_s`` (ArduPilot: 1 s of its own clock, which SITL speeds up; here ``max(0.1, 1/speedup)``) and the
upload is cancelled after 8 s without an item.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from sim.items import FENCE, MISSION, RALLY, TYPE_NAMES, ItemError, StoredItem, store_item
from sim.link import Link

log = logging.getLogger(__name__)

#: Most items each list accepts (MAV_MISSION_NO_SPACE beyond).
CAPACITY = {MISSION: 1000, FENCE: 200, RALLY: 50}
UPLOAD_TIMEOUT_S = 8.0


@dataclass
class Upload:
    """An upload in progress."""

    link: Link
    sysid: int
    compid: int
    mission_type: int
    count: int
    next_seq: int = 0
    warned_float: bool = False
    last_rx: float = 0.0
    last_req: float = 0.0
    pending: list[StoredItem] = field(default_factory=list)


@dataclass
class Finished:
    """The last completed upload, to re-acknowledge a duplicate of its last item (our ACK was lost)."""

    link: Link
    mission_type: int
    last_seq: int


class MissionHooks:
    """What the protocol needs from the vehicle; :class:`sim.vehicle.SimVehicle` implements it."""

    sysid: int

    def clock(self) -> float:
        """The vehicle's simulated time (s): protocol timers count in it, as ArduPilot's do."""
        raise NotImplementedError

    def send_to(self, link: Link, msg: Any) -> None:
        """Send ``msg`` on ``link`` only."""
        raise NotImplementedError

    def home_item(self) -> StoredItem:
        """Mission item 0: the vehicle's home, absolute altitude."""
        raise NotImplementedError

    def text(self, severity: int, text: str) -> None:
        """Send a STATUSTEXT."""
        raise NotImplementedError

    def can_clear(self, mission_type: int) -> bool:
        """Whether the list may be cleared now."""
        raise NotImplementedError

    def validate(self, mission_type: int, items: list[StoredItem]) -> str | None:
        """Why a complete list is refused (fence geometry), or None."""
        raise NotImplementedError

    def lists_changed(self, mission_type: int) -> None:
        """A list was replaced, changed or cleared."""
        raise NotImplementedError


class MissionServer:
    """Stores the three lists of one vehicle and answers the protocol for them."""

    def __init__(self, hooks: MissionHooks, resend_s: float = 1.0) -> None:
        self.hooks = hooks
        self.resend_s = resend_s
        # mission[0] is a placeholder for home, never read back.
        self.lists: dict[int, list[StoredItem]] = {MISSION: [hooks.home_item()], FENCE: [], RALLY: []}
        self.upload: Upload | None = None
        self.finished: Finished | None = None
        self._warned_float = False

    def count(self, mission_type: int) -> int:
        """Items in a list as MISSION_COUNT reports them (the mission includes home)."""
        return len(self.lists[mission_type])

    def item(self, mission_type: int, seq: int) -> StoredItem:
        """Stored item ``seq`` (mission item 0 is the current home)."""
        if mission_type == MISSION and seq == 0:
            return self.hooks.home_item()
        return self.lists[mission_type][seq]

    # -- incoming messages -----------------------------------------------------------------------------------

    def handle(self, link: Link, msg: Any) -> bool:
        """Handle a mission-protocol message; False if ``msg`` is not one."""
        kind = msg.get_type()
        handler: Callable[[Link, Any], None] | None = {
            "MISSION_COUNT": self._on_count,
            "MISSION_ITEM_INT": self._on_item,
            "MISSION_ITEM": self._on_item,
            "MISSION_REQUEST_LIST": self._on_request_list,
            "MISSION_REQUEST_INT": self._on_request,
            "MISSION_REQUEST": self._on_request,
            "MISSION_CLEAR_ALL": self._on_clear,
            "MISSION_ACK": self._on_ack,
        }.get(kind)
        if handler is None:
            return False
        handler(link, msg)
        return True

    def _ack(self, link: Link, msg: Any, mission_type: int, result: int) -> None:
        self.hooks.send_to(
            link,
            mavlink.MAVLink_mission_ack_message(msg.get_srcSystem(), msg.get_srcComponent(), result, mission_type),
        )

    def _on_count(self, link: Link, msg: Any) -> None:
        mtype = int(getattr(msg, "mission_type", MISSION))
        if mtype not in self.lists:
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        up = self.upload
        if up is not None and (up.link is not link or up.sysid != msg.get_srcSystem()):
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_DENIED)
            return
        self.upload = None
        count = int(msg.count)
        if count == 0:
            self._clear(link, msg, mtype)
            return
        if count > CAPACITY[mtype]:
            self.hooks.text(mavlink.MAV_SEVERITY_WARNING, f"Only {CAPACITY[mtype]} {TYPE_NAMES[mtype]} items fit")
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_NO_SPACE)
            return
        now = self.hooks.clock()
        self.upload = Upload(link, msg.get_srcSystem(), msg.get_srcComponent(), mtype, count, last_rx=now)
        self.finished = None
        self._request(self.upload, now)

    def _request(self, up: Upload, now: float) -> None:
        up.last_req = now
        req = mavlink.MAVLink_mission_request_message(up.sysid, up.compid, up.next_seq, up.mission_type)
        self.hooks.send_to(up.link, req)

    def _on_item(self, link: Link, msg: Any) -> None:
        mtype = int(getattr(msg, "mission_type", MISSION))
        up = self.upload
        if up is None or up.link is not link or up.mission_type != mtype:
            done = self.finished
            if done and done.link is link and done.mission_type == mtype and msg.seq == done.last_seq:
                self._ack(link, msg, mtype, mavlink.MAV_MISSION_ACCEPTED)  # our ACK was lost; say it again
            else:
                self._ack(link, msg, mtype, mavlink.MAV_MISSION_ERROR)
            return
        now = self.hooks.clock()
        if msg.seq != up.next_seq:
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            self._request(up, now)
            return
        if msg.get_type() == "MISSION_ITEM" and not up.warned_float:
            up.warned_float = True
            self.hooks.text(mavlink.MAV_SEVERITY_WARNING, "GCS should send MISSION_ITEM_INT")
        try:
            stored = store_item(msg, mtype)
        except ItemError as exc:
            self.upload = None
            self.hooks.text(mavlink.MAV_SEVERITY_WARNING, f"Mission upload refused: {exc}")
            self._ack(link, msg, mtype, exc.result)
            return
        up.last_rx = now
        if mtype == FENCE:
            up.pending.append(stored)
        else:
            items = self.lists[mtype]
            if up.next_seq < len(items):
                items[up.next_seq] = stored
            else:
                items.append(stored)
            self.hooks.lists_changed(mtype)
        up.next_seq += 1
        if up.next_seq < up.count:
            self._request(up, now)
            return
        self._complete(up, msg)

    def _complete(self, up: Upload, msg: Any) -> None:
        self.upload = None
        mtype = up.mission_type
        if mtype == FENCE:
            problem = self.hooks.validate(FENCE, up.pending)
            if problem is not None:
                self.hooks.text(mavlink.MAV_SEVERITY_WARNING, f"Fence upload refused: {problem}")
                self._ack(up.link, msg, mtype, mavlink.MAV_MISSION_INVALID)
                return
            self.lists[FENCE] = up.pending
        else:
            del self.lists[mtype][up.count :]
        self.finished = Finished(up.link, mtype, up.count - 1)
        self.hooks.lists_changed(mtype)
        self._ack(up.link, msg, mtype, mavlink.MAV_MISSION_ACCEPTED)
        log.info("vehicle %d: %s upload of %d items complete", self.hooks.sysid, TYPE_NAMES[mtype], up.count)

    def _on_request_list(self, link: Link, msg: Any) -> None:
        mtype = int(getattr(msg, "mission_type", MISSION))
        if mtype not in self.lists:
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        self.hooks.send_to(
            link,
            mavlink.MAVLink_mission_count_message(
                msg.get_srcSystem(), msg.get_srcComponent(), self.count(mtype), mtype
            ),
        )

    def _on_request(self, link: Link, msg: Any) -> None:
        mtype = int(getattr(msg, "mission_type", MISSION))
        if mtype not in self.lists or not 0 <= msg.seq < self.count(mtype):
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        target = (msg.get_srcSystem(), msg.get_srcComponent())
        stored = self.item(mtype, msg.seq)
        if msg.get_type() == "MISSION_REQUEST_INT":
            self.hooks.send_to(link, stored.to_int_message(msg.seq, mtype, target))
            return
        if not self._warned_float:
            self._warned_float = True
            self.hooks.text(mavlink.MAV_SEVERITY_WARNING, "got MISSION_REQUEST; use MISSION_REQUEST_INT!")
        self.hooks.send_to(link, stored.to_float_message(msg.seq, mtype, target))

    def _on_clear(self, link: Link, msg: Any) -> None:
        mtype = int(getattr(msg, "mission_type", MISSION))
        if mtype == mavlink.MAV_MISSION_TYPE_ALL:
            for each in (MISSION, FENCE, RALLY):
                if not self.hooks.can_clear(each):
                    self._ack(link, msg, mtype, mavlink.MAV_MISSION_ERROR)
                    return
            for each in (MISSION, FENCE, RALLY):
                self._reset(each)
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_ACCEPTED)
            return
        if mtype not in self.lists:
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        self._clear(link, msg, mtype)

    def _clear(self, link: Link, msg: Any, mtype: int) -> None:
        if not self.hooks.can_clear(mtype):
            self._ack(link, msg, mtype, mavlink.MAV_MISSION_ERROR)
            return
        self._reset(mtype)
        self._ack(link, msg, mtype, mavlink.MAV_MISSION_ACCEPTED)

    def _reset(self, mtype: int) -> None:
        self.lists[mtype] = [self.hooks.home_item()] if mtype == MISSION else []
        self.hooks.lists_changed(mtype)

    def _on_ack(self, link: Link, msg: Any) -> None:
        """A ground station's ACK ends a download; nothing to do (ArduPilot keeps no download state)."""

    # -- timers ----------------------------------------------------------------------------------------------

    def update(self) -> None:
        """Resend the pending request or cancel a stalled upload."""
        up = self.upload
        if up is None:
            return
        now = self.hooks.clock()
        if now - up.last_rx > UPLOAD_TIMEOUT_S or up.link.closed:
            self.upload = None
            if not up.link.closed:
                self.hooks.send_to(
                    up.link,
                    mavlink.MAVLink_mission_ack_message(
                        up.sysid, up.compid, mavlink.MAV_MISSION_OPERATION_CANCELLED, up.mission_type
                    ),
                )
            self.hooks.text(mavlink.MAV_SEVERITY_WARNING, f"{TYPE_NAMES[up.mission_type]} upload timed out")
            return
        if now - up.last_req > self.resend_s:
            self._request(up, now)
