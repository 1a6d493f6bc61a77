"""Safety before take-off: refuse what the planner did not validate or what leaves the fence, before any upload;
set the vehicle's fence and failsafes with read-back (against the real simulator)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import DISTRICT, connected, edit_plan, sim_at, write_plans

from flight.failsafes import ardupilot_failsafe_params, arm_fence_and_failsafes
from flight.fly_config import SafetyConfig
from flight.safety import (
    UnsafeMissionError,
    UnvalidatedPlanError,
    check_mission,
    check_plan_file,
    check_start,
)
from mission_planner.district_io import load_district
from mission_planner.mavlink_items import zone_items
from mission_planner.plan_import import district_fence
from mission_planner.qgc_plan import read_qgc_plan

SCHOOL_EAST = (30.5873, 114.2990)  # east of the school no-fly zone, at the launch site's latitude
WEST_OF_FENCE = (30.5877, 114.2880)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plans(tmp_path_factory.mktemp("plan"))[0]


def _move_waypoint(k: int, lat: float, lon: float) -> Any:
    def change(doc: dict[str, Any]) -> None:
        wps = [i for i in doc["mission"]["items"] if i["command"] == 16]
        wps[k]["params"][4], wps[k]["params"][5] = lat, lon

    return change


def test_planner_output_passes_every_check(plan_file: Path) -> None:
    checked = check_plan_file(plan_file, SafetyConfig())
    assert checked.plan.validated
    assert checked.nav_seqs[0] == 1 and checked.waypoints >= 4
    assert checked.track[0] == (0.0, 0.0, 0.0) and checked.track[-1][2] == 0.0
    assert checked.cruise_alt_m == 40.0


def test_edited_plan_is_checked_again_against_its_fence(plan_file: Path, tmp_path: Path) -> None:
    edited = edit_plan(plan_file, tmp_path / "edited.plan", _move_waypoint(1, 30.5880, 114.2905), restamp=False)
    checked = check_plan_file(edited, SafetyConfig())
    assert checked.plan.stamped and not checked.plan.validated


def _no_fence(doc: dict[str, Any]) -> None:
    doc["geoFence"] = {"circles": [], "polygons": [], "version": 2}


def test_plan_without_stamp_or_fence_needs_the_district(plan_file: Path, tmp_path: Path) -> None:
    def foreign_change(doc: dict[str, Any]) -> None:
        doc.pop("gridpatrol")
        _no_fence(doc)

    foreign = edit_plan(plan_file, tmp_path / "qgc.plan", foreign_change, restamp=False)
    with pytest.raises(UnvalidatedPlanError, match=r"qgc\.plan: this plan was not made by gridpatrol, .*--district"):
        check_plan_file(foreign, SafetyConfig())
    edited = edit_plan(plan_file, tmp_path / "edited.plan", _no_fence, restamp=False)
    with pytest.raises(UnvalidatedPlanError, match=r"stamp no longer matches .*--district"):
        check_plan_file(edited, SafetyConfig())
    district = load_district(DISTRICT)
    checked = check_plan_file(foreign, SafetyConfig(), district=district)
    assert checked.plan.fence == zone_items(district_fence([], district))  # what the vehicle will be given
    assert checked.waypoints >= 4


def test_the_district_adds_its_no_fly_zones_to_a_foreign_plan(plan_file: Path, tmp_path: Path) -> None:
    def through_school(doc: dict[str, Any]) -> None:
        doc.pop("gridpatrol")
        doc["geoFence"]["polygons"] = [p for p in doc["geoFence"]["polygons"] if p["inclusion"]]
        doc["geoFence"]["circles"] = []
        _move_waypoint(1, *SCHOOL_EAST)(doc)

    foreign = edit_plan(plan_file, tmp_path / "qgc.plan", through_school, restamp=False)
    check_plan_file(foreign, SafetyConfig())  # its own fence has no school in it
    with pytest.raises(UnsafeMissionError, match=r"enters no-fly zone"):
        check_plan_file(foreign, SafetyConfig(), district=load_district(DISTRICT))


@pytest.mark.parametrize("field", ["x", "y", "z"])
def test_nan_or_infinite_positions_never_pass(plan_file: Path, field: str) -> None:
    plan = read_qgc_plan(plan_file)
    k = next(i for i, item in enumerate(plan.mission) if i > 0 and item.command == 16)  # the first waypoint
    for bad in (math.nan, math.inf):
        mission = [*plan.mission]
        item = mission[k]
        mission[k] = {"x": replace(item, x=bad), "y": replace(item, y=bad), "z": replace(item, z=bad)}[field]
        name = {"x": "latitude", "y": "longitude", "z": "altitude"}[field]
        with pytest.raises(UnsafeMissionError, match=rf"mission item {k} has {name} (nan|inf): only finite numbers"):
            check_mission(replace(plan, mission=mission), SafetyConfig(), label="x")


def test_terrain_frame_items_are_refused_with_the_reason(plan_file: Path) -> None:
    plan = read_qgc_plan(plan_file)
    k = next(i for i, item in enumerate(plan.mission) if i > 0 and item.command == 16)
    mission = [*plan.mission]
    mission[k] = replace(mission[k], frame=10)
    with pytest.raises(UnsafeMissionError, match=rf"mission item {k} has its altitude above terrain .*no terrain data"):
        check_mission(replace(plan, mission=mission), SafetyConfig(), label="x")


def test_restamped_leg_through_a_no_fly_zone_is_refused_naming_the_items(plan_file: Path, tmp_path: Path) -> None:
    bad = edit_plan(plan_file, tmp_path / "school.plan", _move_waypoint(1, *SCHOOL_EAST), restamp=True)
    assert read_qgc_plan(bad).validated  # the stamp matches: only the leg check can catch it
    with pytest.raises(UnsafeMissionError, match=r"mission item \d+ -> \d+ .*enters no-fly zone .*refusing to upload"):
        check_plan_file(bad, SafetyConfig())


def test_restamped_point_outside_the_fence_is_refused(plan_file: Path, tmp_path: Path) -> None:
    bad = edit_plan(plan_file, tmp_path / "west.plan", _move_waypoint(0, *WEST_OF_FENCE), restamp=True)
    with pytest.raises(UnsafeMissionError, match=r"leaves the fence by \d+\.\d m"):
        check_plan_file(bad, SafetyConfig())


def test_altitude_above_the_ceiling_is_refused(plan_file: Path) -> None:
    with pytest.raises(UnsafeMissionError, match=r"mission item 1 flies at 40\.0 m, above the fence ceiling of 30 m"):
        check_plan_file(plan_file, SafetyConfig(fence_alt_max_m=30))


def test_items_the_checker_cannot_follow_are_refused(plan_file: Path) -> None:
    plan = read_qgc_plan(plan_file)
    jump = plan.mission[2].__class__(len(plan.mission), 2, 177, param1=2, param2=-1)  # DO_JUMP forever
    with pytest.raises(UnsafeMissionError, match="command 177"):
        looping = plan.__class__([*plan.mission, jump], plan.fence, plan.rally, plan.home, True)
        check_mission(looping, SafetyConfig(), label="x")


def test_plan_without_fence_is_refused(plan_file: Path) -> None:
    plan = read_qgc_plan(plan_file)
    nofence = plan.__class__(plan.mission, [], plan.rally, plan.home, True)
    with pytest.raises(UnsafeMissionError, match="no inclusion fence"):
        check_mission(nofence, SafetyConfig(), label="x")


def test_rally_point_outside_the_fence_is_refused(plan_file: Path) -> None:
    plan = read_qgc_plan(plan_file)
    rally = [plan.rally[0].__class__(0, 3, 5100, x=WEST_OF_FENCE[0], y=WEST_OF_FENCE[1], z=40, mission_type=2)]
    with pytest.raises(UnsafeMissionError, match="rally point 0"):
        check_mission(plan.__class__(plan.mission, plan.fence, rally, plan.home, True), SafetyConfig(), label="x")


def test_vehicle_away_from_the_launch_site_is_refused(plan_file: Path) -> None:
    checked = check_plan_file(plan_file, SafetyConfig())
    lat, lon, _ = checked.plan.home
    assert check_start(checked, lat, lon + 0.0001, SafetyConfig()) == pytest.approx(9.6, abs=0.5)
    with pytest.raises(UnsafeMissionError, match=r"\d+ m from the plan's launch site"):
        check_start(checked, lat + 0.001, lon, SafetyConfig())


def test_missing_file_and_junk_are_refused_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(UnsafeMissionError, match="no such file"):
        check_plan_file(tmp_path / "nope.plan", SafetyConfig())
    junk = tmp_path / "junk.plan"
    junk.write_text("{not json")
    with pytest.raises(UnsafeMissionError, match=r"junk\.plan is not valid JSON"):
        check_plan_file(junk, SafetyConfig())


def test_ardupilot_failsafe_params_map_the_settings() -> None:
    cfg = SafetyConfig(fence_action="brake", battery_low_action="land", gcs_failsafe_action="land", rtl_alt_m=200)
    p = ardupilot_failsafe_params(cfg, cruise_alt_m=40, cells=4)
    assert list(p)[-1] == "FENCE_ENABLE"  # enabled last, after the fence type and action
    assert (p["FENCE_ACTION"], p["BATT_FS_LOW_ACT"], p["FS_GCS_ENABLE"]) == (4, 1, 5)
    assert p["FENCE_TYPE"] == 5  # max altitude + polygons, no circle around home
    assert p["RTL_ALT"] == 11800  # capped below the ceiling minus the margin, in cm


def test_fence_rally_and_failsafes_reach_the_vehicle_and_read_back(plan_file: Path) -> None:
    checked = check_plan_file(plan_file, SafetyConfig())
    cfg = SafetyConfig()
    with sim_at(plan_file) as sim, connected(sim) as vehicle:
        said: list[str] = []
        arm_fence_and_failsafes(vehicle, checked, cfg, report=said.append)
        v = sim.vehicle(0)
        assert len(v.fence) == len(checked.plan.fence)
        for got, want in zip(v.fence, checked.plan.fence, strict=True):
            assert got.command == want.command
            assert math.isclose(got.x, want.x, abs_tol=2e-7) and math.isclose(got.y, want.y, abs_tol=2e-7)
        assert len(v.rally) == len(checked.plan.rally)
        params = dict(v.params)
        for name, value in ardupilot_failsafe_params(cfg, checked.cruise_alt_m, cells=3).items():
            assert params[name] == pytest.approx(value, rel=1e-6), name
        assert any("read back" in s for s in said)
        assert v.prearm_failures() == []  # fence enabled with a polygon uploaded: it may arm
