"""Incidents for the loudspeaker tests: the shared contract, with the frame time and track ids filled in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from speaker.incident import Incident


def incident(type: str, *, track_ids: Sequence[int | str] = (), **fields: Any) -> Incident:
    """An :class:`incidents.Incident` of ``type`` seen now; ``track_ids`` go where vision puts them (details)."""
    details = {"track_ids": list(track_ids)} if track_ids else {}
    return Incident(type=type, ts=datetime.now(UTC), details=details, **fields)
