"""``gridpatrol run`` on the real autopilot: two ArduCopter SITL vehicles at speed-up 10, each homed at its launch
site, flown by one station; one of them refuses to arm in the second test.

Skipped without ``ARDUPILOT_SITL``. Kept apart from test_sitl_flight.py (the single-vehicle flights and failsafes)
so that two test workers fly them side by side: together they were the suite's longest module (about 210 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import REPO
from sitlkit import CLI_TIMEOUT_S, gridpatrol_cli, sitl_at, sitl_plans

pytestmark = pytest.mark.sitl


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return sitl_plans(tmp_path_factory.mktemp("sitl-run"))


def _station_toml(tmp_path: Path, plan_dir: Path, endpoints: list[str]) -> Path:
    """A station.toml flying the planned drones on ``endpoints``, no cameras, the incident log unreachable."""
    drones = "".join(
        f'[[run.drones]]\nid = "drone-{i}"\nconnect = "{url}"\nvideo = "none"\n\n' for i, url in enumerate(endpoints, 1)
    )
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nstate_dir = "{tmp_path / "state"}"\n\n'
        f'[outbox]\npath = "{tmp_path / "outbox.sqlite"}"\napi_url = "http://127.0.0.1:9"\nstation_key = "k"\n\n'
        f'[run]\ndistrict = "{REPO / "examples" / "district.geojson"}"\nplan_dir = "{plan_dir}"\n\n{drones}'
    )
    return config


@pytest.mark.parametrize("one_fails", [False, True], ids=["both-fly", "one-fails"])
def test_run_flies_two_arducopters(plans: list[Path], tmp_path: Path, one_fails: bool) -> None:
    """``gridpatrol run`` on two SITL vehicles, each homed at its launch site: exit 0 when both patrols end well;
    when drone-2 cannot arm (its pack is below BATT_ARM_VOLT), exit 1 naming drone-2 and the vehicle's reason,
    while drone-1 still flies its patrol."""
    refuse = {"BATT_ARM_VOLT": 13.0} if one_fails else None  # SITL's 3S pack stands at 12.6 V
    with sitl_at(plans[0], instance=0) as one, sitl_at(plans[1], instance=1, defaults=refuse) as two:
        config = _station_toml(tmp_path, plans[0].parent, [one.endpoint, two.endpoint])
        done = gridpatrol_cli(["--config", str(config), "run", "--yes", "--timeout", str(CLI_TIMEOUT_S - 60)])
    out = " ".join((done.stdout + done.stderr).split())
    if not one_fails:
        assert done.returncode == 0, out
        return
    assert done.returncode == 1, out
    failure = out[out.index("error:") :]
    assert "drone-2 failed" in failure and "drone-1" not in failure, failure
    assert "arm" in failure.lower(), failure
