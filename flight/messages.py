"""Small helpers on MAVLink messages: waiting for them, naming commands, comparing parameter values.

Example:
    >>> command_name(400)
    'COMPONENT_ARM_DISARM (400)'
    >>> same_param_value(0.1 + 1e-9, 0.1, 9)
    True
"""

from __future__ import annotations

import logging
import math
import queue
import struct
from collections.abc import Callable
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

log = logging.getLogger(__name__)

INT_PARAM_TYPES = {
    mavlink.MAV_PARAM_TYPE_UINT8, mavlink.MAV_PARAM_TYPE_INT8, mavlink.MAV_PARAM_TYPE_UINT16,
    mavlink.MAV_PARAM_TYPE_INT16, mavlink.MAV_PARAM_TYPE_UINT32, mavlink.MAV_PARAM_TYPE_INT32,
}  # fmt: skip


def command_name(command: int) -> str:
    """``MAV_CMD_COMPONENT_ARM_DISARM`` -> ``"COMPONENT_ARM_DISARM (400)"``, for messages."""
    entry = mavlink.enums["MAV_CMD"].get(command)
    name = entry.name.removeprefix("MAV_CMD_") if entry is not None else "command"
    return f"{name} ({command})"


def float32(value: float) -> float:
    """``value`` rounded to float32, as autopilots store parameters."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def same_param_value(stored: float, wanted: float, param_type: int) -> bool:
    """Whether a PARAM_VALUE holds ``wanted`` as the vehicle can store it (integer or float32)."""
    if param_type in INT_PARAM_TYPES:
        return round(stored) == round(wanted)
    if math.isnan(stored) or math.isnan(wanted):
        return math.isnan(stored) and math.isnan(wanted)
    return abs(stored - float32(wanted)) <= 1e-6 * max(1.0, abs(wanted))


class Waiter:
    """Messages of some types (and a predicate) queued from the moment it is registered.

    Register before sending a request (:meth:`Vehicle.expect`), so an answer that comes back quickly is not
    missed.
    """

    def __init__(self, types: set[str], predicate: Callable[[Any], bool] | None) -> None:
        self.types = types
        self.predicate = predicate
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def offer(self, msg: Any) -> None:
        """Queue ``msg`` if it matches (called by the receive thread)."""
        if msg.get_type() not in self.types:
            return
        if self.predicate is not None:
            try:
                if not self.predicate(msg):
                    return
            except Exception:
                log.exception("wait predicate failed on %s", msg.get_type())
                return
        self._queue.put(msg)

    def get(self, timeout: float) -> Any | None:
        """The next matching message within ``timeout`` seconds, or None."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
