"""Messages and help texts print literally: bracketed words such as ``[vision.detector]`` are not Rich markup.

Rich read "[vision.detector]" in an error as a style tag and dropped it ("set  model to a .pt file"); Typer did the
same to help texts ("default for one drone:  connect."). These tests feed bracketed text through each path.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gridpatrol.cli import app, fail

# A wide, fixed console: the assertions must not depend on the width of the terminal running the tests.
WIDE = {"COLUMNS": "240", "TERMINAL_WIDTH": "240", "NO_COLOR": "1"}


def test_fail_prints_brackets_literally(capsys: pytest.CaptureFixture[str]) -> None:
    message = "set [vision.detector] model to a .pt file; see [b]old[/b] and [red]x[/] and a trailing \\"
    with pytest.raises(typer.Exit) as exited:
        fail(message, code=3)
    assert exited.value.exit_code == 3
    err = capsys.readouterr().err
    assert err.strip() == f"error: {message}"


def test_cli_error_keeps_the_section_name(tmp_path: Path) -> None:
    clip = tmp_path / "street.png"  # the source is checked first, so it must be readable for the camera check to speak
    cv2.imwrite(str(clip), np.zeros((48, 64, 3), dtype=np.uint8))
    camera = tmp_path / "no-such-camera.toml"
    result = CliRunner().invoke(app, ["detect", str(clip), "--camera", str(camera)], env=WIDE)
    assert result.exit_code == 2
    assert f"error: camera profile {camera} does not exist" in result.stderr
    assert "give a JSON or TOML file of [planner.camera] fields" in result.stderr


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["fly", "--help"], "default for one drone: [flight] connect."),
        (["serve", "--help"], "Listen address (default: [api] host)."),
        (["speaker-agent", "--help"], "Shared HMAC key (default [speaker.sink] key)."),
    ],
)
def test_help_texts_keep_brackets(command: list[str], text: str) -> None:
    result = CliRunner().invoke(app, command, env=WIDE)
    assert result.exit_code == 0
    assert text in result.output


def test_patrol_summary_prints_errors_and_names_literally(capsys: pytest.CaptureFixture[str]) -> None:
    from gridpatrol.station.cli import print_summary

    drone = {"ok": False, "phase": "failed", "error": "no link: check [flight] connect", "reached": 1, "items": 4}
    drone |= {"flight_time_s": 12.0, "frames": 3, "landed_from_home_m": None, "skipped_grids": ["[b]7"]}
    latency = {"p50": None, "p95": None, "n": 0}
    summary = {
        "drones": {"drone-[1]": drone},
        "incidents_by_grid": {"crowd@[red]": 1},
        "latency_warning_s": latency,
        "latency_found_s": latency,
        "warnings_played": 0,
        "outbox": {"pending": 0},
    }
    print_summary(summary)
    out = capsys.readouterr().out
    for text in ("no link: check [flight] connect", "drone-[1]", "[b]7", "crowd@[red]"):
        assert text in out, text
