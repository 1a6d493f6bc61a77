"""What an autopilot keeps of an uploaded mission, fence or rally item: the read-back to expect.

A vehicle does not store MAVLink items as they arrive. ArduPilot packs each command into its own small storage
(``AP_Mission::Mission_Command``): a waypoint's hold time becomes whole seconds, its acceptance radius, pass-by
distance and yaw are dropped, NAV_LAND keeps only the sign of its yaw, altitudes are kept in centimetres
(truncated), rally altitudes in whole metres, and fence and rally items keep no ``autocontinue``. A read-back that
differs in exactly these ways is the upload as the vehicle holds it; any other difference is a real one.

:func:`expected_readback` applies those rules to what was sent, so that verification compares the read-back with
what the vehicle *should* hold, field by field, with no tolerance beyond the autopilot's own storage: positions to
the 1e-7 degree (about a centimetre), altitudes to the centimetre.

The ArduCopter table was measured on ArduCopter SITL V4.7.0-dev by uploading every command with the parameters
(1.7, 2.5, 3.25, -4.5), (5, 0, 0, 0) and out-of-range values and reading them back
(``tests/sim/test_conformance.py`` keeps measuring it). A command not in the table is expected back unchanged, so
an unknown change fails verification rather than passing it. The simulator (``sim/``) stores items with this
table too; the conformance test against the real SITL is what keeps the table true.

Example:
    >>> from mission_planner.mission_items import MissionItem
    >>> sent = MissionItem(2, 3, 16, param1=2.7, param2=3.5, x=30.587706, y=114.2898744, z=40.567)
    >>> got = expected_readback(sent, "ardupilot")
    >>> got.param1, got.param2, round(got.z, 2)
    (2.0, 0.0, 40.56)
"""

from __future__ import annotations

import math
import struct
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from mission_planner.mission_items import MissionItem

Autopilot = Literal["ardupilot", "px4"]

FENCE_TYPE, RALLY_TYPE = 1, 2

#: How ArduPilot stores a parameter (one letter per param1..param4, then z for items without a position):
#: ``k`` kept (float32), ``0`` dropped (reads back 0), ``i`` whole number (truncated towards zero),
#: ``w`` whole number in 16 bits (truncated, then modulo 65536), ``b`` whole number in 8 bits (modulo 256),
#: ``s`` sign only (-1 below zero, else 1), ``2`` always 2.
ARDUPILOT_PARAMS: dict[int, str] = {
    16: "w000k",  # NAV_WAYPOINT: hold (whole s); acceptance radius, pass-by, yaw dropped
    17: "00i0k",  # NAV_LOITER_UNLIM: radius (whole m)
    18: "i0i0k",  # NAV_LOITER_TURNS: turns, radius
    19: "i0s0k",  # NAV_LOITER_TIME: time (whole s), exit direction sign
    20: "00000",  # NAV_RETURN_TO_LAUNCH
    21: "i00sk",  # NAV_LAND: abort altitude; yaw: sign only
    22: "i000k",  # NAV_TAKEOFF: pitch (whole)
    30: "i000k",  # NAV_CONTINUE_AND_CHANGE_ALT
    31: "0i00k",  # NAV_LOITER_TO_ALT
    82: "i000k",  # NAV_SPLINE_WAYPOINT: hold (whole s)
    92: "i000k",  # NAV_GUIDED_ENABLE
    93: "kiii0",  # NAV_DELAY: seconds, hour, minute, second
    112: "k0000",  # CONDITION_DELAY
    114: "k0000",  # CONDITION_DISTANCE
    115: "kkib0",  # CONDITION_YAW: angle, rate, direction, relative (8 bits)
    177: "ii000",  # DO_JUMP: target, repeats
    178: "ikk00",  # DO_CHANGE_SPEED: speed type, speed, throttle
    179: "i000k",  # DO_SET_HOME
    183: "ii000",  # DO_SET_SERVO
    189: "0000k",  # DO_LAND_START
    201: "i000k",  # DO_SET_ROI
    203: "iiib0",  # DO_DIGICAM_CONTROL
    205: "kkk02",  # DO_MOUNT_CONTROL: pitch, roll, yaw; mode forced to MAVLink targeting
    206: "k0i00",  # DO_SET_CAM_TRIGG_DIST
    1000: "iiiii",  # DO_GIMBAL_MANAGER_PITCHYAW: whole degrees and flags
}

#: Frames whose x/y are latitude/longitude; ``*_INT`` frames read back as their plain twins.
GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})
PLAIN_FRAME = {5: 0, 6: 3, 11: 10, 2: 0}
MISSION_FRAME = 2


def _stored(rule: str, value: float) -> float:
    if rule == "k" or not math.isfinite(value):
        return 0.0 if rule != "k" else value
    whole = math.trunc(value)
    if rule == "0":
        return 0.0
    if rule == "i":
        return float(whole)
    if rule == "w":
        return float(whole % 65536)
    if rule == "b":
        return float(whole % 256)
    if rule == "s":
        return -1.0 if value < 0 else 1.0
    if rule == "2":
        return 2.0
    raise ValueError(f"unknown storage rule {rule!r}")


def _f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def truncate_cm(metres: float) -> float:
    """An altitude as ArduPilot keeps it: ``int32_t(z * 100.0f)``, whole centimetres truncated towards zero,
    computed in float32 as the autopilot does (60.12 stays 60.12, 40.567 becomes 40.56)."""
    if not math.isfinite(metres):
        return metres
    return math.trunc(_f32(_f32(metres) * 100.0)) / 100.0


class Fields(NamedTuple):
    """The fields of an item that storage may change (x/y: latitude/longitude for located items, in the item's
    own unit: degrees in a :class:`~mission_planner.mission_items.MissionItem`, 1e-7 degrees in the simulator's
    store)."""

    frame: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: float
    y: float
    z: float


def ardupilot_keeps(command: int, mission_type: int, f: Fields) -> Fields:
    """What ArduPilot stores of an item with these fields, as it reports them back (see the module docs).

    Used by the ground station to predict a read-back and by the simulator to store an upload.
    """
    rules = ARDUPILOT_PARAMS.get(command)
    # Commands without a location (RTL, DO_*) read back in frame 0 with x = y = 0, whatever frame they came in;
    # a command that stores a location takes MAV_FRAME_MISSION (2) as absolute (frame 0).
    stores_location = rules is None or rules[4] == "k"
    located = stores_location and (f.frame in GLOBAL_FRAMES or (rules is not None and f.frame == MISSION_FRAME))
    frame = PLAIN_FRAME.get(f.frame, f.frame) if located else 0
    if mission_type == FENCE_TYPE:
        return f._replace(frame=frame, autocontinue=0, z=0.0)
    if mission_type == RALLY_TYPE:
        return f._replace(frame=frame, autocontinue=0, z=float(math.trunc(f.z)))
    if rules is None:
        return f._replace(frame=frame, z=truncate_cm(f.z) if located else f.z)
    params = (f.param1, f.param2, f.param3, f.param4)
    p1, p2, p3, p4 = (_stored(rule, value) for rule, value in zip(rules[:4], params, strict=True))
    if located:
        x, y, z = f.x, f.y, truncate_cm(f.z)
    else:
        x, y, z = 0, 0, _stored(rules[4], f.z)
    return Fields(frame, f.autocontinue, p1, p2, p3, p4, x, y, z)


def expected_readback(sent: MissionItem, autopilot: Autopilot) -> MissionItem:
    """The item the vehicle should report when asked for ``sent`` (see the module docs).

    PX4 is expected to keep every field (float32 parameters, centimetre altitude); ArduPilot per its table.
    """
    if autopilot != "ardupilot":
        return sent
    kept = ardupilot_keeps(sent.command, sent.mission_type, Fields(*(getattr(sent, name) for name in Fields._fields)))
    return replace(sent, **kept._asdict())
