"""What a :class:`~flight.vehicle.Vehicle` needs of the link it was heard on.

``flight.link`` creates vehicles, so it imports ``flight.vehicle``; a vehicle only talks back through this small
protocol, which :class:`flight.link.MavLink` satisfies. That keeps the import graph one way (link -> vehicle ->
link_port) instead of the link <-> vehicle cycle, and lets a test hand a vehicle any object with these members.
"""

from __future__ import annotations

from typing import Any, Protocol


class VehicleLink(Protocol):
    """The members of :class:`flight.link.MavLink` that :class:`flight.vehicle.Vehicle` uses.

    Attributes:
        url: The link's address, for messages.
        source_system: Our MAVLink system id (255: a ground station).
        heartbeat_timeout_s: A vehicle whose heartbeat is older than this is lost.
        rates: Telemetry rates (Hz by message name) requested when a vehicle (re)appears.
        closed: Whether the link was closed (no more traffic either way).
        mav: The pymavlink encoder that sends on the link (``mav.send(msg)``, ``mav.*_send(...)``).
    """

    url: str
    source_system: int
    heartbeat_timeout_s: float
    rates: dict[str, float]
    closed: bool
    mav: Any

    def in_receive_thread(self) -> bool:
        """Whether the caller runs on the link's receive thread (where blocking calls would deadlock)."""
        ...
