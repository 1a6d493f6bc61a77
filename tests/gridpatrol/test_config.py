from pathlib import Path

import pytest

from gridpatrol.config import ConfigError, load_settings


def test_defaults_without_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRIDPATROL_CONFIG", raising=False)
    s = load_settings()
    assert s.planner.alt_m == 40.0
    assert s.planner.vehicle.usable_s == pytest.approx(25 * 60 * 0.75)


def test_file_and_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "station.toml"
    cfg.write_text('[station]\nname = "east-3"\n[planner]\nalt_m = 55\n[planner.vehicle]\nendurance_min = 30\n')
    monkeypatch.setenv("GRIDPATROL_PLANNER__ALT_M", "35")
    s = load_settings(cfg)
    assert s.station.name == "east-3"
    assert s.planner.vehicle.endurance_min == 30
    assert s.planner.alt_m == 35  # the environment beats the file


def test_typo_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "station.toml"
    cfg.write_text("[planner]\naltitude = 40\n")
    with pytest.raises(ConfigError, match=r"planner\.altitude: unknown setting"):
        load_settings(cfg)


def test_bad_value_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "station.toml"
    cfg.write_text("[planner.vehicle]\ncruise_speed_ms = -3\n")
    with pytest.raises(ConfigError, match=r"planner\.vehicle\.cruise_speed_ms"):
        load_settings(cfg)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[planner\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)


def test_example_station_file_is_valid() -> None:
    s = load_settings(Path(__file__).parents[2] / "examples" / "station.toml")
    assert s.planner.camera.side_overlap == 0.2


def test_the_demo_plays_warnings_unless_the_settings_ask_for_a_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`make demo` played no warning: load_settings marked every field as set, so the demo took the default
    ``confirm`` for an operator's choice and only proposed its warnings, which nobody clicked."""
    from gridpatrol.station.demo import demo_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRIDPATROL_CONFIG", raising=False)
    assert demo_settings(load_settings(None)).speaker.warning_mode == "auto"
    chosen = tmp_path / "station.toml"
    chosen.write_text('[speaker]\nwarning_mode = "confirm"\n')
    settings = load_settings(chosen)
    assert settings.speaker.model_fields_set == {"warning_mode"}
    assert demo_settings(settings).speaker.warning_mode == "confirm"
