"""The [flight] settings section: defaults, strictness, rate validation, and that it drives a real link."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flight.config import FlightConfig
from flight.link import MavLink
from gridpatrol.config import Settings
from sim import Simulator


def test_defaults_are_in_the_station_settings() -> None:
    cfg = Settings().flight
    assert cfg.connect == "tcp:127.0.0.1:5760" and cfg.source_system == 255
    assert cfg.rates["GLOBAL_POSITION_INT"] > 0


def test_unknown_keys_and_messages_are_named() -> None:
    with pytest.raises(ValidationError, match=r"heartbeat_timout"):
        FlightConfig(heartbeat_timout=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match=r"GLOBAL_POS_INT"):
        FlightConfig(rates={"GLOBAL_POS_INT": 4})
    with pytest.raises(ValidationError, match=r"0..50 Hz"):
        FlightConfig(rates={"ATTITUDE": 500})


def test_link_options_open_a_working_link() -> None:
    cfg = FlightConfig(heartbeat_timeout_s=1.5, rates={"GLOBAL_POSITION_INT": 1})
    with Simulator(speedup=25, base_port=0) as sim, MavLink(sim.endpoints[0], **cfg.link_options()) as link:
        vehicle = link.wait_vehicle(timeout=5)
        assert link.heartbeat_timeout_s == 1.5
        vehicle.wait_state(lambda s: s.lat is not None, timeout=5)
        assert vehicle.rate_methods == {"GLOBAL_POSITION_INT": "interval"}
