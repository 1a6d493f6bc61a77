"""Launch a real ArduCopter SITL binary on loopback, so the same tests can run against ArduPilot itself.

Set ``ARDUPILOT_SITL`` to the path of an ``arducopter`` SITL build (``./waf copter`` in an ArduPilot
checkout: ``build/sitl/bin/arducopter``; the Makefile points it to ``../shared/sitl/arducopter``). The launcher
starts it with the built-in quad model, a home position, SITL's ``copter.parm`` and our defaults, in a scratch
directory with a wiped EEPROM, with ``loopback_bind.so`` preloaded where it lies beside the binary (so nothing
listens off loopback), waits until its serial0 TCP port (5760 + 10 * instance) accepts connections, and stops it
again. SITL exits when its parent dies, so the launching process must live as long as it.
Nothing from ArduPilot is shipped with gridpatrol.

Example:
    >>> import os
    >>> if os.environ.get("ARDUPILOT_SITL"):  # doctest: +SKIP
    ...     with ArduPilotSITL.from_env() as sitl:
    ...         print(sitl.endpoint)
    tcp:127.0.0.1:5760
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

ENV_VAR = "ARDUPILOT_SITL"
PRELOAD_VAR = "ARDUPILOT_SITL_PRELOAD"


class SITLError(RuntimeError):
    """The SITL binary is missing, not executable, or did not open its port in time."""


class ArduPilotSITL:
    """One ArduCopter SITL process.

    Args:
        binary: Path of the ``arducopter`` SITL executable.
        home: (lat, lon, alt AMSL m, heading deg) of the simulated home.
        instance: SITL instance number (``-I``); serial0 listens on TCP ``5760 + 10 * instance``.
        speedup: SITL's ``--speedup``.
        defaults: Extra parameter defaults (name -> value) written to a ``--defaults`` file.
        startup_timeout: Seconds to wait for the TCP port.
    """

    def __init__(
        self,
        binary: str | Path,
        home: tuple[float, float, float, float] = (30.5440, 114.2950, 20.0, 0.0),
        instance: int = 0,
        speedup: float = 1.0,
        defaults: dict[str, float] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.binary = Path(binary)
        if not self.binary.is_file() or not os.access(self.binary, os.X_OK):
            raise SITLError(
                f"{ENV_VAR}={self.binary} is not an executable file; point it to an ArduCopter SITL build "
                "(ardupilot/build/sitl/bin/arducopter)"
            )
        self.home = home
        self.instance = instance
        self.speedup = speedup
        self.defaults = defaults or {}
        self.startup_timeout = startup_timeout
        self.port = 5760 + 10 * instance
        #: The vehicle's MAVLink system id (``--sysid``): instance + 1, so that vehicles on one link differ.
        self.sysid = instance + 1
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: str | None = None

    @classmethod
    def from_env(cls, **kwargs: object) -> ArduPilotSITL:
        """A launcher for the binary named by ``ARDUPILOT_SITL`` (SITLError when it is unset)."""
        path = os.environ.get(ENV_VAR)
        if not path:
            raise SITLError(f"{ENV_VAR} is not set; point it to an ArduCopter SITL binary to run SITL tests")
        return cls(path, **kwargs)  # type: ignore[arg-type]

    @property
    def endpoint(self) -> str:
        """``tcp:127.0.0.1:PORT`` of SITL's serial0."""
        return f"tcp:127.0.0.1:{self.port}"

    def defaults_files(self, extra: Path) -> str:
        """``--defaults``: SITL's own ``copter.parm`` beside the binary (without it the quad fails its pre-arm
        checks), then ours."""
        shipped = self.binary.parent / "copter.parm"
        return ",".join(str(p) for p in (shipped, extra) if p.is_file())

    def command_line(self, defaults_file: Path) -> list[str]:
        """The SITL command line this launcher runs (a wiped EEPROM: nothing leaks from an earlier run)."""
        home = ",".join(f"{v:.7f}".rstrip("0").rstrip(".") for v in self.home)
        return [
            str(self.binary), "--model", "+", "--home", home, "--instance", str(self.instance),
            "--speedup", f"{self.speedup:g}", "--defaults", self.defaults_files(defaults_file), "-w",
            "--sysid", str(self.sysid),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        """SITL's environment: with ``loopback_bind.so`` (beside the binary, or ``ARDUPILOT_SITL_PRELOAD``)
        preloaded, so that its sockets listen on 127.0.0.1 only, never on every interface."""
        env = dict(os.environ)
        preload = Path(os.environ.get(PRELOAD_VAR, self.binary.parent / "loopback_bind.so"))
        if preload.is_file():
            env["LD_PRELOAD"] = str(preload)
        return env

    def start(self) -> ArduPilotSITL:
        """Start SITL in a scratch directory and wait for its TCP port."""
        self._workdir = tempfile.mkdtemp(prefix="gridpatrol-sitl-")
        defaults = Path(self._workdir) / "defaults.parm"
        defaults.write_text("".join(f"{k} {v:g}\n" for k, v in self.defaults.items()) or "# none\n")
        log = open(Path(self._workdir) / "sitl.log", "wb")  # noqa: SIM115 - kept open for the process
        self._proc = subprocess.Popen(
            self.command_line(defaults), cwd=self._workdir, stdout=log, stderr=subprocess.STDOUT,
            env=self.environment(),
        )  # fmt: skip
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SITLError(f"SITL exited with {self._proc.returncode}; see {self._workdir}/sitl.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SITLError(f"SITL did not open tcp:127.0.0.1:{self.port} within {self.startup_timeout} s")

    def stop(self) -> None:
        """Terminate SITL and remove its scratch directory."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> ArduPilotSITL:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
