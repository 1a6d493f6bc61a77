import pytest

from flight.modes import ARDUCOPTER_MODES, PX4_MODES, mode_name, mode_number, px4_custom_mode


def test_ardupilot_known_numbers() -> None:
    assert mode_number("ardupilot", "guided") == 4
    assert mode_number("ardupilot", "BRAKE") == 17
    assert mode_name("ardupilot", 6) == "RTL"


def test_px4_packing_matches_px4_encoding() -> None:
    assert mode_number("px4", "AUTO.MISSION") == (4 << 16) | (4 << 24)
    assert mode_number("px4", "POSCTL") == 3 << 16
    assert px4_custom_mode(4, 5) == mode_number("px4", "AUTO.RTL")


@pytest.mark.parametrize("autopilot,table", [("ardupilot", ARDUCOPTER_MODES), ("px4", PX4_MODES)])
def test_round_trip_and_unique(autopilot: str, table: dict[str, int]) -> None:
    assert len(set(table.values())) == len(table)
    for name, number in table.items():
        assert mode_name(autopilot, number) == name  # type: ignore[arg-type]


def test_bad_input_names_field() -> None:
    with pytest.raises(ValueError, match=r"mode: 'FLYAWAY'.*GUIDED"):
        mode_number("ardupilot", "FLYAWAY")
    assert mode_name("ardupilot", 999) == "UNKNOWN(999)"
