"""The battery forecast: from what the vehicle really used, will it land above its reserve?"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import fly_config, sim_at, write_plans

from flight.battery_forecast import BatteryForecast
from flight.fly import MissionFlight
from flight.safety import SafetyConfig, check_plan_file

LINE = [(0.0, 0.0, 0.0), (0.0, 0.0, 40.0), (1000.0, 0.0, 40.0), (2000.0, 0.0, 40.0), (3000.0, 0.0, 40.0)]


def test_a_vehicle_that_draws_as_planned_gets_no_warning() -> None:
    f = BatteryForecast(LINE, [0, 1, 2, 3, 4], reserve_pct=20)
    assert f.update(100, 1) is None
    for seq, pct in ((2, 98), (3, 78), (4, 58)):  # 20 % a kilometre: lands with 38 %
        assert f.update(pct, seq) is None
    assert not f.warned


def test_a_hungry_vehicle_is_named_once_with_how_far_short() -> None:
    f = BatteryForecast(LINE, [0, 1, 2, 3, 4], reserve_pct=20)
    f.update(100, 2)
    said = f.update(60, 3)  # 40 % for the first kilometre, two to go: it would land at -20 %
    assert said is not None and "40 % used for 1.0 km" in said and "lands with -20 %" in said
    assert "1.0 km short" in said  # 40 % left above the reserve carries it one more kilometre
    assert f.update(50, 4) is None  # said once


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf")])
def test_missing_or_broken_readings_are_ignored(bad: float | None) -> None:
    f = BatteryForecast(LINE, [0, 1, 2, 3, 4], reserve_pct=20)
    assert f.update(bad, 2) is None and f.update(100, None) is None


def test_a_patrol_on_a_vehicle_that_draws_more_than_planned_warns_early(tmp_path: Path) -> None:
    """The simulator's quad made five times as hungry as the planner's profile: the station says so, in words,
    well before the reserve watchdog has to call it back."""
    plan = write_plans(tmp_path, grids=("1",), drones=1)[0]
    checked = check_plan_file(plan, SafetyConfig())
    with sim_at(plan) as sim:
        sim.vehicle(0).battery.hover_current_a = 60.0  # a pack good for about five minutes, not 25
        status = MissionFlight(checked, sim.endpoints[0], fly_config(reserve_pct=20)).run()
    kinds = [e.kind for e in status.events]
    assert "battery_forecast" in kinds, [e.text for e in status.events]
    forecast = next(e for e in status.events if e.kind == "battery_forecast")
    assert "km short" in forecast.text and "re-plan" in forecast.text
    if "battery_rtl" in kinds:
        assert kinds.index("battery_forecast") < kinds.index("battery_rtl")
