"""``gridpatrol sitl`` and ``gridpatrol demo --sitl``: the real ArduCopter SITL for integrators.

The SITL parts need ``ARDUPILOT_SITL`` (the Makefile sets it when ``../shared/sitl/arducopter`` exists) and skip
without it; they use instances 3 and 4 of this test process's block (:mod:`sitl_slots`) because the SITL tests of
the flight code use 0-2, and a parallel worker or another test run has a block of its own. Timeouts only bound
hangs; nothing here asserts how long anything took.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from pymavlink import mavutil
from sitl_slots import sitl_instance, sitl_port

from gridpatrol.cli.sitl import launch_homes, settings_snippet
from gridpatrol.config import Settings
from mission_planner.district_io import load_district
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.profiles import SITL_QUAD

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = ROOT / "examples" / "district.geojson"
UNSET = "ARDUPILOT_SITL is not set"


def gridpatrol(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m gridpatrol ARGS`` in its own session (a signal to it reaches nothing else)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", *args], cwd=ROOT, env={**env, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def without_sitl() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ARDUPILOT_SITL"}


@pytest.mark.parametrize("args", [["sitl", "--drones", "2"], ["demo", "--sitl", "--no-live"]])
def test_without_ardupilot_sitl_says_how_and_exits_2(args: list[str], tmp_path: Path) -> None:
    if args[0] == "demo":
        args = [*args, "--out", str(tmp_path / "demo")]
    proc = gridpatrol(*args, env=without_sitl())
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, out
    assert UNSET in out and "../shared/sitl/arducopter" in out, out
    assert "Traceback" not in out
    assert not (tmp_path / "demo").exists()  # nothing started, nothing written


def test_homes_are_the_launch_sites_the_planner_gives_each_drone() -> None:
    request = PlanRequest(grids=["5", "8"], drones=3, alt_m=15, vehicle=SITL_QUAD, patterns=["hotspots"])
    plan = plan_patrol(load_district(DISTRICT), request)
    homes = launch_homes(DISTRICT, 3)
    assert [h[0] for h in homes] == [d.launch_id for d in plan.drones] == ["A", "B", "A"]
    for (_, lat, lon), drone in zip(homes, plan.drones, strict=True):
        assert (lat, lon) == pytest.approx(drone.home, abs=1e-9)
    assert [h[0] for h in launch_homes(DISTRICT, 2, ["B"])] == ["B", "B"]
    with pytest.raises(ValueError, match="unknown launch site"):
        launch_homes(DISTRICT, 1, ["Z"])


def test_snippet_is_station_toml_with_the_sitl_profile_and_a_plannable_patrol() -> None:
    text = settings_snippet(DISTRICT, ["tcp:127.0.0.1:5760", "tcp:127.0.0.1:5770"])
    settings = Settings.model_validate(tomllib.loads(text))
    assert settings.planner.vehicle == SITL_QUAD
    assert [(d.id, d.connect) for d in settings.run.drones] == [
        ("drone-1", "tcp:127.0.0.1:5760"),
        ("drone-2", "tcp:127.0.0.1:5770"),
    ]
    run = settings.run
    request = PlanRequest(grids=run.grids, drones=2, alt_m=run.alt_m, vehicle=SITL_QUAD, patterns=run.patterns)
    plan = plan_patrol(load_district(run.district), request)
    # `gridpatrol run` flies one sortie per drone: the snippet's patrol must need no more
    assert all(len(d.sorties) == 1 for d in plan.drones)
    # another district gets the example's grids only as a comment
    other = tomllib.loads(settings_snippet(Path("/srv/town.geojson"), ["tcp:127.0.0.1:5760"]))
    assert "grids" not in other["run"]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}


@pytest.mark.sitl
@pytest.mark.timeout(300)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sitl_starts_two_vehicles_that_answer_and_stop_on_a_signal(sig: signal.Signals) -> None:
    if not os.environ.get("ARDUPILOT_SITL"):
        pytest.skip("ARDUPILOT_SITL is not set: point it to an ArduCopter SITL binary to run the SITL tests")
    ports = (sitl_port(3), sitl_port(4))
    proc = gridpatrol(
        "sitl", "--drones", "2", "--instance", str(sitl_instance(3)), "--speedup", "10", env=dict(os.environ)
    )
    assert proc.stdout is not None
    seen, sitl = "", []
    try:
        deadline = time.monotonic() + 180
        while "Ctrl-C to stop" not in seen and time.monotonic() < deadline and proc.poll() is None:
            seen += proc.stdout.readline()
        assert "Ctrl-C to stop" in seen, seen
        assert all(f'connect = "tcp:127.0.0.1:{port}"' in seen for port in ports), seen
        assert "[[run.drones]]" in seen and 'name = "sitl-quad"' in seen, seen  # printed literally, not as markup
        sitl = [p for p in _children(proc.pid) if "arducopter" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(sitl) == 2, seen
        for port in ports:
            master = mavutil.mavlink_connection(f"tcp:127.0.0.1:{port}", source_system=255, source_component=190)
            try:
                assert master.wait_heartbeat(timeout=60) is not None, f"no heartbeat on {port}"
            finally:
                master.close()
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, seen + rest
        assert "stopping the SITL vehicles" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 30  # bounds a hang only: stop() waited for each already
    while not all(_gone(p) for p in sitl) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(p) for p in sitl), [p for p in sitl if not _gone(p)]
