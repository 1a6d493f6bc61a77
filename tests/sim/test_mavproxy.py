"""MAVProxy itself (from PyPI) as the ground station: it loads a mission with its ``wp`` module and flies it.

Commands are typed into MAVProxy's console (stdin) as a person would; the simulator's ground truth checks.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from simgcs import wait_for

from sim import Simulator

MAVPROXY = Path(sys.executable).parent / "mavproxy.py"

WAYPOINTS = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t30.5440000\t114.2950000\t20.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0.0000000\t0.0000000\t12.000000\t1
2\t0\t3\t16\t0\t0\t0\t0\t30.5442000\t114.2950000\t12.000000\t1
3\t0\t3\t16\t0\t0\t0\t0\t30.5442000\t114.2953000\t12.000000\t1
4\t0\t3\t20\t0\t0\t0\t0\t0.0000000\t0.0000000\t0.000000\t1
"""


class MAVProxy:
    """A running ``mavproxy.py`` whose console we type into and read."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [str(MAVPROXY), f"--master={endpoint}", f"--state-basedir={workdir}",
             "--default-modules=wp,mode,arm,param,cmdlong,rally,fence"],
            cwd=workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def saw(self, text: str) -> bool:
        """Whether MAVProxy printed ``text``."""
        return any(text in line for line in self.output)

    def type(self, command: str) -> None:
        """Type one console command."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        """Stop MAVProxy."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def mavproxy(sim: Simulator, tmp_path: Path) -> Iterator[MAVProxy]:
    if not MAVPROXY.exists():
        pytest.skip(f"MAVProxy is not installed next to {sys.executable} (pip install MAVProxy)")
    proxy = MAVProxy(sim.endpoints[0], tmp_path)
    try:
        wait_for(lambda: proxy.saw("parameters"), 20, "MAVProxy to connect and fetch parameters")
        yield proxy
    finally:
        proxy.close()


@pytest.mark.slow
def test_mavproxy_loads_and_flies_a_mission(sim: Simulator, mavproxy: MAVProxy, tmp_path: Path) -> None:
    path = tmp_path / "patrol.txt"
    path.write_text(WAYPOINTS)
    mavproxy.type(f"wp load {path}")
    v = sim.vehicle(0)
    wait_for(lambda: [m.command for m in v.mission] == [16, 22, 16, 16, 20], 15, "MAVProxy's wp upload")
    mavproxy.type("mode guided")
    wait_for(lambda: v.mode == "GUIDED", 5, "mode guided")
    mavproxy.type("arm throttle")
    wait_for(lambda: v.armed, 5, "arm throttle")
    mavproxy.type("mode auto")
    wait_for(lambda: len(v.reached) == 4 and not v.armed, 40, "the mission flown, RTL and landed")
    assert [seq for seq, _ in v.reached] == [1, 2, 3, 4]
    assert mavproxy.saw("ARMED") and mavproxy.saw("Got COMMAND_ACK: DO_SET_MODE: ACCEPTED")
    time.sleep(0.2)
    assert v.position[2] == 0.0
