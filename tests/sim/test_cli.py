"""``gridpatrol sim`` runs the simulator until interrupted and prints the endpoints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from simgcs import connect

from gridpatrol.config import ConfigError, load_settings
from sim.config import SimConfig

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_endpoints_and_serves_mavlink() -> None:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "sim", "--vehicles", "2", "--speedup", "10", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        seen = ""
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        endpoints = list(dict.fromkeys(re.findall(r"tcp:127\.0\.0\.1:\d+", seen)))
        assert len(endpoints) == 2, seen
        master = connect(endpoints[1])
        assert master.target_system == 2
        master.close()
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=10)[0]
    assert proc.returncode == 0, rest


def test_cli_bad_home_is_a_clear_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "gridpatrol", "sim", "--home", "north,east", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode != 0
    assert "--home must be LAT,LON,ALT" in out.stdout + out.stderr


def test_sim_settings_section_is_strict(tmp_path: Path) -> None:
    toml = tmp_path / "station.toml"
    toml.write_text("[sim]\nvehicles = 3\nspeedup = 20\n")
    assert load_settings(toml).sim == SimConfig(vehicles=3, speedup=20)
    toml.write_text("[sim]\nvehicle = 3\n")
    with pytest.raises(ConfigError, match=r"sim\.vehicle: unknown setting"):
        load_settings(toml)
    toml.write_text("[sim]\nspeedup = 0\n")
    with pytest.raises(ConfigError, match=r"sim\.speedup"):
        load_settings(toml)
