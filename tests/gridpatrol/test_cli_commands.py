"""Commands are plain functions (issue 13): called without Typer, each checks its input and fails as on the command
line, and the app runs these same functions.

``detect``, ``say``, ``speaker-prerender``, ``speaker-agent``, ``sim`` and the ``models`` group were closures inside
``register(app)``, reachable only through the app. Their errors go through ``fail`` (exit 2, the message on
standard error), whichever way they are called.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from gridpatrol.cli import app, state
from gridpatrol.cli import models as models_cli
from gridpatrol.cli import sim as sim_cli
from gridpatrol.cli import speaker as speaker_cli
from gridpatrol.cli import vision as vision_cli
from speaker.config import SinkConfig
from speaker.net import SinkError, parse_address
from speaker.sinks import FileSink


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Embedded default settings, whatever station.toml or GRIDPATROL_* the machine has; state in ``tmp_path``."""
    monkeypatch.delenv("GRIDPATROL_CONFIG", raising=False)
    monkeypatch.setenv("GRIDPATROL_STATION__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(state, "config_path", None)
    monkeypatch.setattr(state, "_settings", None)


def exits(capsys: pytest.CaptureFixture[str], code: int, call: Callable[[], object]) -> str:
    """Run ``call()``; it must exit with ``code``. Returns what it wrote on standard error."""
    with pytest.raises(typer.Exit) as exited:
        call()
    assert exited.value.exit_code == code
    return capsys.readouterr().err


def test_the_app_runs_the_module_functions() -> None:
    callbacks = {c.name or (c.callback.__name__ if c.callback else ""): c.callback for c in app.registered_commands}
    assert callbacks["detect"] is vision_cli.detect
    assert callbacks["say"] is speaker_cli.say
    assert callbacks["speaker-prerender"] is speaker_cli.speaker_prerender
    assert callbacks["speaker-agent"] is speaker_cli.speaker_agent
    assert callbacks["sim"] is sim_cli.sim_command
    groups = [g.typer_instance for g in app.registered_groups if g.typer_instance is not None]
    group = next(g for g in groups if g.info.name == "models")
    assert group.registered_callback is not None and group.registered_callback.callback is models_cli.listing
    assert [c.callback for c in group.registered_commands] == [models_cli.fetch]


def test_detect_alone_reports_a_missing_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-clip.mp4"
    err = exits(capsys, 2, lambda: vision_cli.detect(str(missing)))
    assert f"error: video source {missing} does not exist" in err


def test_detect_alone_checks_options_before_opening_anything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-clip.mp4")  # the option errors come first, so the source is never opened
    assert "--gimbal-pitch 10: must be between -90" in exits(
        capsys, 2, lambda: vision_cli.detect(missing, gimbal_pitch=10)
    )
    assert "--fps must be 0" in exits(capsys, 2, lambda: vision_cli.detect(missing, fps=-1))
    assert "--altitude must be above 0 m" in exits(capsys, 2, lambda: vision_cli.detect(missing, altitude=0))
    assert "--tiling 'sideways'" in exits(capsys, 2, lambda: vision_cli.detect(missing, tiling="sideways"))


def test_say_alone_names_an_unknown_language(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = exits(capsys, 2, lambda: speaker_cli.say("请佩戴口罩", lang="xx", out=tmp_path / "a.wav"))
    assert "no voice for language 'xx'" in err
    assert not (tmp_path / "a.wav").exists()


def test_speaker_agent_alone_needs_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    err = exits(capsys, 2, lambda: speaker_cli.speaker_agent(listen="127.0.0.1:0", key=None))
    assert "no key; pass --key or set [speaker.sink] key" in err


def test_build_sink_picks_the_named_sink(tmp_path: Path) -> None:
    sink = speaker_cli.build_sink(SinkConfig(kind="device"), tmp_path, "file")
    assert isinstance(sink, FileSink)
    with pytest.raises(SinkError, match="unknown sink 'bogus'"):
        speaker_cli.build_sink(SinkConfig(), tmp_path, "bogus")
    with pytest.raises(SinkError, match=r"\[speaker.sink\] key is empty"):
        speaker_cli.build_sink(SinkConfig(kind="network", address="127.0.0.1:9"), tmp_path)
    assert parse_address("127.0.0.1:9") == ("127.0.0.1", 9)


def test_sim_alone_rejects_a_bad_home() -> None:
    with pytest.raises(typer.BadParameter, match="--home must be LAT,LON,ALT"):
        sim_cli.sim_command(home="30.5,114.3")
