"""The physical models alone: kinematics limits, wind, battery drain, parameter storage, fence geometry."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mission_planner.geo import LocalFrame
from sim.battery import Battery
from sim.fence import breaches, build_fence, validate_fence
from sim.items import StoredItem
from sim.params import ParamStore, float32
from sim.physics import Body, Command, Limits, step, wind_vector


def _fly(body: Body, cmd: Command, seconds: float, wind: tuple[float, float] = (0.0, 0.0)) -> float:
    top = 0.0
    for _ in range(int(seconds / 0.05)):
        step(body, 0.05, cmd, Limits(), wind)
        top = max(top, body.ground_speed)
    return top


def test_speed_climb_and_accel_limits() -> None:
    body = Body()
    top = _fly(body, Command(target_xy=(500.0, 0.0), speed=10.0, target_z=30.0), 10.0)
    assert top <= 10.0 + 1e-6
    assert body.z <= 2.5 * 10 + 1e-6  # climb rate 2.5 m/s
    body2 = Body(on_ground=False, z=10)
    step(body2, 0.05, Command(target_xy=(500.0, 0.0), speed=10.0, target_z=10.0), Limits(), (0.0, 0.0))
    assert body2.ground_speed == pytest.approx(2.5 * 0.05)  # accel-limited start


def test_position_hold_fights_wind_and_no_control_drifts() -> None:
    wind = wind_vector(5.0, 270.0)  # from the west: blows east
    assert wind[0] == pytest.approx(5.0) and wind[1] == pytest.approx(0.0, abs=1e-9)
    held = Body(on_ground=False, z=10)
    _fly(held, Command(target_xy=(0.0, 0.0), target_z=10.0), 30.0, wind)
    assert math.hypot(held.x, held.y) < 0.5
    assert held.roll < 0  # leaning west into the wind while facing north
    drifting = Body(on_ground=False, z=10)
    _fly(drifting, Command(target_z=10.0), 30.0, wind)
    assert drifting.x > 100  # about 5 m/s downwind once the airspeed has decayed


def test_landing_touches_down() -> None:
    body = Body(on_ground=False, z=3)
    _fly(body, Command(climb_rate=-0.5), 10.0)
    assert body.on_ground and body.z == 0.0


@settings(max_examples=40, deadline=None)
@given(
    tx=st.floats(-300, 300), ty=st.floats(-300, 300), speed=st.floats(1, 15), wind=st.floats(0, 8),
    wdir=st.floats(0, 359),
)  # fmt: skip
def test_reaches_any_target(tx: float, ty: float, speed: float, wind: float, wdir: float) -> None:
    body = Body(on_ground=False, z=20)
    cmd = Command(target_xy=(tx, ty), speed=speed, target_z=20.0)
    top = _fly(body, cmd, math.hypot(tx, ty) / speed + 30.0, wind_vector(wind, wdir))
    assert math.hypot(body.x - tx, body.y - ty) < 0.5
    assert top <= speed + 0.3


def test_battery_drains_faster_at_speed() -> None:
    hover, cruise = Battery(), Battery()
    hover.step(300, airspeed=0, climb=0, armed=True)
    cruise.step(300, airspeed=12, climb=0, armed=True)
    assert 100 > hover.remaining_pct > cruise.remaining_pct
    v_before = cruise.voltage
    cruise.sag(30)
    assert cruise.voltage < v_before
    with pytest.raises(ValueError, match="pct_drop"):
        cruise.sag(-1)


def test_params_store_float32_and_types() -> None:
    store = ParamStore(sysid=3)
    assert store["SYSID_THISMAV"] == 3
    assert store.set("WPNAV_SPEED", 0.1) == float32(0.1) != 0.1
    assert store.set("RTL_ALT", 1234.6) == 1235  # INT32 rounds
    with pytest.raises(PermissionError):
        store.set("MIS_TOTAL", 5)
    with pytest.raises(KeyError):
        ParamStore(1, {"NOT_A_PARAM": 1})
    assert list(store)[store.index("RTL_ALT")] == "RTL_ALT"


def _vertex(cmd: int, n: float, lat: float, lon: float) -> StoredItem:
    return StoredItem(cmd, 0, n, 0, 0, 0, round(lat * 1e7), round(lon * 1e7), 0.0)


def test_fence_geometry_and_validation() -> None:
    lat, lon, d = 30.544, 114.295, 0.001
    poly = [_vertex(5001, 4, lat + a, lon + b) for a, b in ((-d, -d), (-d, d), (d, d), (d, -d))]
    hole = [_vertex(5004, 20, lat + d / 2, lon)]
    assert validate_fence(poly + hole) is None
    assert "polygon" in (validate_fence(poly[:3]) or "")
    frame = LocalFrame(lon, lat)
    geo = build_fence(poly + hole, frame)
    home = (0.0, 0.0)
    assert breaches(geo, 7, (0.0, 0.0, 10.0), home, 100, 300) == []
    assert breaches(geo, 7, (0.0, 55.0, 10.0), home, 100, 300) == ["polygon"]  # inside the exclusion circle
    assert breaches(geo, 7, (0.0, 200.0, 10.0), home, 100, 150) == ["circle", "polygon"]
    assert breaches(geo, 7, (0.0, 0.0, 120.0), home, 100, 300) == ["altitude"]
    assert breaches(geo, 0, (0.0, 200.0, 120.0), home, 100, 300) == []
