"""Go to a point clicked on the map (GUIDED), checked against the fence and the no-fly zones first.

The check uses the district (to name what would be entered) and the drone's checked mission (its uploaded fence
minus its exclusion zones, :attr:`flight.safety.CheckedMission.allowed`): the point itself, its height, and the
straight leg from where the drone is. A refusal says why, and nothing is sent to the vehicle.

Example:
    >>> refuse_reason_numbers(float("nan"), 114.3, 30.0)
    'the point needs a latitude and a longitude in degrees (got nan, 114.3)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import LineString, Point

from mission_planner.district import District

#: The lowest go-to height above home (m): below it, people and lamp posts.
MIN_GOTO_ALT_M = 10.0


class GotoRefused(ValueError):
    """The go-to was refused; the message says why, for the operator."""


@dataclass(frozen=True)
class GotoTarget:
    """A checked go-to: where (degrees) and how high above home (m)."""

    lat: float
    lon: float
    alt_m: float


def refuse_reason_numbers(lat: float, lon: float, alt_m: float) -> str | None:
    """Why these numbers cannot be a target (not finite, out of range), or None."""
    if not all(math.isfinite(v) for v in (lat, lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"the point needs a latitude and a longitude in degrees (got {lat}, {lon})"
    if not math.isfinite(alt_m):
        return f"the height must be a number of metres (got {alt_m})"
    return None


def check_goto(district: District, checked: Any, state: Any, lat: float, lon: float, alt_m: float) -> GotoTarget:
    """Check a go-to for a drone whose telemetry is ``state`` and whose checked mission is ``checked``.

    Raises:
        GotoRefused: with the reason (not flying, too low or high, outside the fence, in or across a no-fly zone).
    """
    bad = refuse_reason_numbers(lat, lon, alt_m)
    if bad:
        raise GotoRefused(bad)
    frame = district.frame
    there = Point(*(float(v) for v in frame.to_local(lon, lat)))
    fences = [f for f in district.fences if f.local.covers(there)]
    if district.fences and not fences:
        raise GotoRefused(f"the point ({lat:.6f}, {lon:.6f}) is outside the fence; pick a point inside it")
    top = min((f.max_alt_m for f in fences), default=120.0)
    low = max([MIN_GOTO_ALT_M, *(f.min_alt_m for f in fences)])
    if not low <= alt_m <= top:
        raise GotoRefused(f"the height {alt_m:g} m is outside {low:g}-{top:g} m above home")
    for zone in district.nofly:
        if zone.keep_out.intersects(there):
            raise GotoRefused(f"the point is inside the no-fly zone {zone.name!r}; pick a point outside it")
    if state is None or not state.armed or state.lat is None or state.lon is None:
        raise GotoRefused("the drone is not flying; launch it first")
    here = Point(*(float(v) for v in frame.to_local(state.lon, state.lat)))
    leg = LineString([here, there]) if here.distance(there) > 0.01 else there
    for zone in district.nofly:
        if zone.keep_out.intersects(leg):
            raise GotoRefused(
                f"the straight way there crosses the no-fly zone {zone.name!r}; go to a point beside it first"
            )
    if district.fences and not any(f.local.covers(leg) for f in district.fences):
        raise GotoRefused("the straight way there leaves the fence; go to a point on the way first")
    mission_frame = checked.frame
    m_here = Point(*(float(v) for v in mission_frame.to_local(state.lon, state.lat)))
    m_there = Point(*(float(v) for v in mission_frame.to_local(lon, lat)))
    m_leg = LineString([m_here, m_there]) if m_here.distance(m_there) > 0.01 else m_there
    if not checked.allowed.covers(m_leg):
        raise GotoRefused("the way there leaves the area this drone's uploaded fence allows")
    return GotoTarget(float(lat), float(lon), float(alt_m))
