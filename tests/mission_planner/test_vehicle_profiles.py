"""Named vehicle profiles: ``sitl-quad`` (ArduCopter SITL's quad as measured) and ``plan --profile``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mission_planner.profiles import SITL_QUAD, VEHICLE_PROFILES, VehicleProfile, vehicle_profile

ROOT = Path(__file__).resolve().parents[2]


def test_sitl_quad_is_the_measured_six_minute_battery() -> None:
    assert vehicle_profile("sitl-quad") == SITL_QUAD
    assert vehicle_profile("quad-patrol") == VehicleProfile()
    assert set(VEHICLE_PROFILES) == {"quad-patrol", "sitl-quad"}
    # 14.2-14.9 %/min measured: the planned battery must not last longer than the vehicle's (6.7-7.0 min)
    assert SITL_QUAD.endurance_min <= 6.7
    # a full sortie leaves more than the station's 20 % return-home reserve
    assert SITL_QUAD.reserve_pct > 20
    copy = vehicle_profile("sitl-quad")
    copy.endurance_min = 99
    assert SITL_QUAD.endurance_min != 99  # a copy, never the shared one
    with pytest.raises(ValueError, match="unknown vehicle profile 'nope'; known: quad-patrol, sitl-quad"):
        vehicle_profile("nope")


def _plan(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", "plan", "examples/district.geojson", "--grids", "5", "--pattern",
         "hotspots", "--alt", "15", "--out", str(tmp_path), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_plan_profile_option_sizes_sorties_for_the_sitl_battery(tmp_path: Path) -> None:
    default = _plan(tmp_path / "default")
    sitl = _plan(tmp_path / "sitl", "--profile", "sitl-quad")
    assert default.returncode == 0 and sitl.returncode == 0, default.stderr + sitl.stderr
    docs = {name: json.loads((tmp_path / name / "plan.json").read_text()) for name in ("default", "sitl")}
    assert docs["sitl"]["vehicle"] == SITL_QUAD.model_dump()
    assert docs["default"]["vehicle"]["name"] == "quad-patrol"
    sortie = {name: doc["drones"][0]["sorties"][0] for name, doc in docs.items()}
    # the same hotspot patrol costs the 6-minute SITL battery several times what it costs the 25-minute default
    assert sortie["sitl"]["energy_pct"] > 3 * sortie["default"]["energy_pct"]
    bad = _plan(tmp_path / "bad", "--profile", "[red]x")
    assert bad.returncode == 2
    assert "unknown vehicle profile '[red]x'" in bad.stderr  # printed literally
