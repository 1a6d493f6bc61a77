"""``gridpatrol run`` says what is wrong with its settings in words, and fails when a flight fails."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gridpatrol.cli import app
from gridpatrol.station.cli import failed_flights

REPO = Path(__file__).resolve().parents[2]


def test_an_empty_station_key_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plans"
    plan_dir.mkdir()
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nstate_dir = "{tmp_path / "state"}"\n\n[outbox]\npath = "{tmp_path / "outbox.sqlite"}"\n'
        f'station_key = ""\n\n[run]\ndistrict = "{REPO / "examples" / "district.geojson"}"\ngrids = ["1"]\n'
        'patterns = ["perimeter"]\n\n[[run.drones]]\nid = "drone-1"\nconnect = "tcp:127.0.0.1:9"\nvideo = "none"\n'
    )
    result = CliRunner().invoke(app, ["--config", str(config), "run", "--yes"])
    assert result.exit_code == 2, result.output
    assert "[outbox] station_key is empty" in result.output  # printed literally, brackets and all
    assert "Traceback" not in result.output


def test_failed_flights_name_each_drone_and_why() -> None:
    summary = {
        "drones": {
            "drone-1": {"ok": True, "error": None, "phase": "landed", "reached": 8, "items": 8},
            "drone-2": {
                "ok": False,
                "error": "vehicle refused arm: Arm: GCS failsafe on",
                "phase": "failed",
                "reached": 0,
                "items": 8,
            },
            "drone-3": {"ok": False, "error": None, "phase": "landed", "reached": 5, "items": 8},
        }
    }
    assert failed_flights(summary) == [
        "drone-2 failed: vehicle refused arm: Arm: GCS failsafe on",
        "drone-3 failed: ended landed with 5 of 8 items flown",
    ]


def test_launch_from_console_needs_the_console(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nstate_dir = "{tmp_path / "state"}"\n\n[outbox]\npath = "{tmp_path / "outbox.sqlite"}"\n'
        f'station_key = "gps_test-key"\n\n[console]\nenabled = false\n\n'
        f'[run]\ndistrict = "{REPO / "examples" / "district.geojson"}"\ngrids = ["1"]\n'
        'patterns = ["perimeter"]\n\n[[run.drones]]\nid = "drone-1"\nconnect = "tcp:127.0.0.1:9"\nvideo = "none"\n'
    )
    result = CliRunner().invoke(app, ["--config", str(config), "run", "--launch-from-console"])
    assert result.exit_code == 2, result.output
    assert "--launch-from-console needs the console: set [console] enabled = true" in result.output
