"""Readable text for MAVLink result codes (MISSION_ACK and COMMAND_ACK), from pymavlink's enum tables.

Example:
    >>> mission_result_text(0)
    'MAV_MISSION_ACCEPTED: mission accepted OK'
"""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink


def _text(enum: str, code: int) -> str:
    entry = mavlink.enums[enum].get(code)
    if entry is None or entry.name.endswith("_ENUM_END"):
        return f"{enum} {code}: unknown code (not in the ArduPilot MAVLink dialect)"
    return f"{entry.name}: {entry.description.strip().rstrip('.')}"


def mission_result_text(code: int) -> str:
    """Return the name and description of a MISSION_ACK ``type`` so upload errors are understandable."""
    return _text("MAV_MISSION_RESULT", code)


def command_result_text(code: int) -> str:
    """Return the name and description of a COMMAND_ACK ``result`` so command errors are understandable."""
    return _text("MAV_RESULT", code)
