from flight.results import command_result_text, mission_result_text


def test_known_codes_have_names() -> None:
    assert mission_result_text(0).startswith("MAV_MISSION_ACCEPTED:")
    assert mission_result_text(13).startswith("MAV_MISSION_INVALID_SEQUENCE:")
    assert command_result_text(4).startswith("MAV_RESULT_FAILED:")


def test_unknown_code_is_named_not_crashing() -> None:
    assert "unknown code" in mission_result_text(250)
