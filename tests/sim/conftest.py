"""Fixtures for the simulator tests: a running simulator and a pymavlink ground station connected to it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests import the helpers in simgcs.py

from simgcs import connect

from sim import Simulator

SPEEDUP = 25.0


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """One vehicle at 25x on a free port."""
    with Simulator(vehicles=1, speedup=SPEEDUP, base_port=0) as simulator:
        yield simulator


@pytest.fixture
def gcs(sim: Simulator) -> Iterator[Any]:
    """A pymavlink connection to vehicle 0."""
    master = connect(sim.endpoints[0])
    yield master
    master.close()
