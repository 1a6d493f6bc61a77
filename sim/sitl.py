"""Launch a real ArduCopter SITL binary on loopback, so the same tests can run against ArduPilot itself.

Set ``ARDUPILOT_SITL`` to the path of an ``arducopter`` SITL build (``./waf copter`` in an ArduPilot
checkout: ``build/sitl/bin/arducopter``). The launcher starts it with the built-in quad model, a home position
and an optional defaults file, waits until its serial0 TCP port (5760 + 10 * instance) accepts connections,
and stops it again.
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

    def command_line(self, defaults_file: Path) -> list[str]:
        """The SITL command line this launcher runs."""
        home = ",".join(f"{v:g}" for v in self.home)
        return [
            str(self.binary), "--model", "quad", "--home", home, "--instance", str(self.instance),
            "--speedup", f"{self.speedup:g}", "--defaults", str(defaults_file), "--serial0", "tcp:0",
        ]  # fmt: skip

    def start(self) -> ArduPilotSITL:
        """Start SITL in a scratch directory and wait for its TCP port."""
        self._workdir = tempfile.mkdtemp(prefix="gridpatrol-sitl-")
        defaults = Path(self._workdir) / "defaults.parm"
        defaults.write_text("".join(f"{k} {v}\n" for k, v in self.defaults.items()) or "SYSID_THISMAV 1\n")
        log = open(Path(self._workdir) / "sitl.log", "wb")  # noqa: SIM115 - kept open for the process
        self._proc = subprocess.Popen(
            self.command_line(defaults), cwd=self._workdir, stdout=log, stderr=subprocess.STDOUT
        )
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
