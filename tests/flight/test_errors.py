"""Error messages a street operator can act on, and the attributes code relies on."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.errors import CommandRejected, FlightError, FlightTimeout, LinkLost, MissionError, MissionVerifyError


def test_timeout_says_what_how_long_how_often() -> None:
    exc = FlightTimeout("COMPONENT_ARM_DISARM (400) to vehicle 2", 4.5, 3, hint="the link is down")
    assert str(exc) == "no answer to COMPONENT_ARM_DISARM (400) to vehicle 2 after 4.5 s (3 tries); the link is down"
    assert (exc.waited_s, exc.tries) == (4.5, 3)
    assert str(FlightTimeout("vehicle 1 did not take off within 30 s")) == "vehicle 1 did not take off within 30 s"


def test_command_rejected_text_defaults_to_the_result_name() -> None:
    exc = CommandRejected(mavlink.MAV_RESULT_DENIED, "arm")
    assert exc.result == mavlink.MAV_RESULT_DENIED and str(exc).startswith("vehicle refused arm: MAV_RESULT_DENIED")


def test_hierarchy() -> None:
    for cls in (FlightTimeout, CommandRejected, MissionError, MissionVerifyError, LinkLost):
        assert issubclass(cls, FlightError)
    assert issubclass(MissionVerifyError, MissionError)
    exc = MissionVerifyError("item 3 differs", seq=3, field="z")
    assert (exc.seq, exc.field, exc.result) == (3, "z", None)
