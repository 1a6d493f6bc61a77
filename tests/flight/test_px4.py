"""PX4 behind the same API: DO_SET_MODE encoding, role modes and mission translation (no PX4 needed)."""

from __future__ import annotations

import math

import pytest
from pymavlink import mavutil

from flight.failsafes import px4_failsafe_params
from flight.fly_config import SafetyConfig
from flight.modes import PX4_MODES, mode_number
from flight.px4 import (
    ROLE_MODES,
    decode_px4_mode,
    from_px4_mission,
    mode_from_set_mode_params,
    set_mode_params,
    to_px4_mission,
)
from mission_planner.mission_items import Cmd, Frame, MissionItem

# pymavlink's own table of what QGroundControl sends for each PX4 mode: (base_mode, main, sub).
PX4_MAP_NAMES = {
    "MANUAL": "MANUAL",
    "STABILIZED": "STABILIZED",
    "ACRO": "ACRO",
    "RATTITUDE": "RATTITUDE",
    "ALTCTL": "ALTCTL",
    "POSCTL": "POSCTL",
    "LOITER": "AUTO.LOITER",
    "MISSION": "AUTO.MISSION",
    "RTL": "AUTO.RTL",
    "LAND": "AUTO.LAND",
    "OFFBOARD": "OFFBOARD",
    "TAKEOFF": "AUTO.TAKEOFF",
    "FOLLOWME": "AUTO.FOLLOW_TARGET",
}


@pytest.mark.parametrize("pymav_name,ours", sorted(PX4_MAP_NAMES.items()))
def test_set_mode_params_match_pymavlink_px4_map(pymav_name: str, ours: str) -> None:
    base, main, sub = mavutil.px4_map[pymav_name]
    assert set_mode_params("px4", ours) == (float(base), float(main), float(sub))


@pytest.mark.parametrize("name", sorted(PX4_MODES))
def test_px4_round_trips_through_heartbeat_and_do_set_mode(name: str) -> None:
    custom = mode_number("px4", name)
    main, sub = decode_px4_mode(custom)
    # pymavlink decodes the same HEARTBEAT to the same mode (its names drop the AUTO. prefix).
    decoded = mavutil.interpret_px4_mode(0, custom)
    if decoded != "UNKNOWN":
        assert PX4_MAP_NAMES.get(decoded, decoded) == name
    p1, p2, p3 = set_mode_params("px4", name)
    assert (int(p2), int(p3)) == (main, sub)
    assert int(p1) & 1  # MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    assert mode_from_set_mode_params("px4", p1, p2, p3) == name


def test_ardupilot_do_set_mode_carries_the_mode_number() -> None:
    assert set_mode_params("ardupilot", "guided") == (1.0, 4.0, 0.0)
    assert mode_from_set_mode_params("ardupilot", *set_mode_params("ardupilot", "BRAKE")) == "BRAKE"


def test_every_role_has_a_real_mode_on_both_autopilots() -> None:
    assert ROLE_MODES["ardupilot"].keys() == ROLE_MODES["px4"].keys()
    for autopilot, roles in ROLE_MODES.items():
        for mode in roles.values():
            mode_number(autopilot, mode)  # raises for a name the autopilot does not have


def test_bad_mode_name_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"mode: 'GUIDED' is not a px4 mode.*AUTO\.MISSION"):
        set_mode_params("px4", "GUIDED")


def _mission() -> list[MissionItem]:
    return [
        MissionItem(0, Frame.GLOBAL, Cmd.NAV_WAYPOINT, current=1, x=30.5, y=114.3, z=20.0),
        MissionItem(1, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_TAKEOFF, x=30.5, y=114.3, z=40.0),
        MissionItem(2, Frame.MISSION, Cmd.DO_MOUNT_CONTROL, param1=-90.0, param3=15.0, z=2.0),
        MissionItem(3, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_WAYPOINT, param1=5.0, x=30.501, y=114.301, z=40.0),
        MissionItem(4, Frame.GLOBAL_RELATIVE_ALT, Cmd.NAV_LAND, x=30.5, y=114.3, z=0.0),
    ]


def test_px4_mission_has_no_home_slot_and_flies_gimbal_manager_items() -> None:
    px4 = to_px4_mission(_mission())
    assert [i.seq for i in px4] == [0, 1, 2, 3]
    assert px4[0].command == Cmd.NAV_TAKEOFF and px4[0].current == 1
    gimbal = px4[1]
    assert gimbal.command == Cmd.DO_GIMBAL_MANAGER_PITCHYAW
    assert (gimbal.param1, gimbal.param2) == (-90.0, 15.0)
    assert not any(math.isnan(v) for v in (gimbal.param3, gimbal.param4, gimbal.x, gimbal.y, gimbal.z))
    assert px4[2] == _mission()[3].with_seq(2)


def test_px4_read_back_restores_ardupilot_layout() -> None:
    original = _mission()
    back = from_px4_mission(to_px4_mission(original), (30.5, 114.3, 20.0))
    assert len(back) == len(original)
    assert back[0].same_as(original[0])
    for a, b in zip(back[1:], original[1:], strict=True):
        if b.command == Cmd.DO_MOUNT_CONTROL:
            assert a.command == Cmd.DO_GIMBAL_MANAGER_PITCHYAW and a.seq == b.seq
        else:
            assert a.same_as(b), (a, b)


def test_empty_mission_is_refused() -> None:
    with pytest.raises(ValueError, match="home item"):
        to_px4_mission([])


def test_px4_failsafe_params_follow_the_same_settings() -> None:
    cfg = SafetyConfig(fence_action="land", gcs_failsafe_action="rtl", reserve_pct=20, fence_alt_max_m=100)
    p = px4_failsafe_params(cfg, cruise_alt_m=40)
    assert p["GF_ACTION"] == 5 and p["NAV_DLL_ACT"] == 2
    assert p["GF_MAX_VER_DIST"] == 100 and p["RTL_RETURN_ALT"] == 40
    assert p["BAT_LOW_THR"] == pytest.approx(0.2) and p["BAT_CRIT_THR"] == pytest.approx(0.1)
