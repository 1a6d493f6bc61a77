"""A MAVLink multicopter simulator that speaks like ArduCopter, for testing the ground station without
hardware.

The heavy parts (pymavlink, shapely) load on first use, so importing :mod:`sim.config` stays cheap.

Example:
    >>> from sim import Simulator
    >>> with Simulator(vehicles=2, speedup=20, base_port=0) as sim:
    ...     len(sim.endpoints)
    2
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.simulator import Simulator
    from sim.vehicle import CameraPose, SimVehicle

__all__ = ["CameraPose", "SimVehicle", "Simulator"]

_WHERE = {"Simulator": "sim.simulator", "SimVehicle": "sim.vehicle", "CameraPose": "sim.vehicle"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
