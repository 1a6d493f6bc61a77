"""Mission upload + verify against an external vehicle: ArduCopter SITL (or any MAVLink endpoint), three ways.

``benchmarks/flight.py --connect`` runs this (so does running this file). For each speed-up (default 1 and 10) it
starts the ArduCopter SITL named by ``--sitl`` / ``ARDUPILOT_SITL`` / ``../shared/sitl/arducopter`` through
:class:`sim.sitl.ArduPilotSITL` (instance 5, tcp:127.0.0.1:5810, so as not to meet the test suite's instances),
waits for a 3-D GPS fix and for the first upload to be accepted (ArduPilot refuses missions until it has booted),
then, in rounds whose order rotates so that other jobs' load hits every side alike, times on the same vehicle:

* ours: ``flight.mission_protocol.upload_verified`` (upload, read back every item, compare), with the split
  between upload and read-back taken from its log;
* pymavlink: the textbook upload alone, written here with pymavlink only (MISSION_COUNT, answer each
  MISSION_REQUEST / MISSION_REQUEST_INT with MISSION_ITEM_INT, wait for MISSION_ACK), no read-back;
* MAVProxy: ``wp load FILE`` typed into ``mavproxy.py`` (from typing it to MAVProxy's "Got MISSION_ACK ...
  ACCEPTED"; MAVProxy does not read back).

Every run's result is checked afterwards (not timed) by an independent pymavlink read-back against what was
sent. Each tool connects on its own and alone (SITL's serial0 takes one client at a time); connecting and waiting
for a heartbeat are not timed. Ratios are against the pymavlink upload measured in the same run; no absolute
figure is asserted anywhere.

With ``--connect tcp:HOST:PORT`` the same runs go to a vehicle that is already running (its speed-up, when it
is a SITL, is read from ``SIM_SPEEDUP``); nothing is started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MAVLINK20", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymavlink import mavutil  # noqa: E402

from flight import mission_protocol as mp  # noqa: E402
from flight.errors import FlightError, MissionError  # noqa: E402
from flight.items import wire_xy  # noqa: E402
from flight.link import MavLink  # noqa: E402
from mission_planner.mission_items import MissionItem  # noqa: E402
from sim.sitl import ENV_VAR, ArduPilotSITL  # noqa: E402

mavlink = mavutil.mavlink
MAVPROXY = Path(sys.executable).parent / "mavproxy.py"
SHARED_SITL = ROOT.parent / "shared" / "sitl" / "arducopter"
HOME = (30.5440, 114.2950, 20.0, 0.0)
TOOLS = ("ours", "pymavlink", "mavproxy")


def make_mission(n: int, salt: int) -> list[MissionItem]:
    """Home, takeoff, ``n - 3`` waypoints near SITL's home (whole-second holds), RTL; ``salt`` moves every
    position so that each run stores something new."""
    lat0, lon0 = round(HOME[0] * 1e7), round(HOME[1] * 1e7)
    items = [MissionItem(0, 0, 16, current=1, x=lat0 / 1e7, y=lon0 / 1e7), MissionItem(1, 3, 22, z=15.0)]
    for i in range(2, n - 1):
        x, y = lat0 + 97 * (i % 50) + salt, lon0 + 113 * (i // 50) + 7 * salt
        items.append(MissionItem(i, 3, 16, param1=float(i % 3), x=x / 1e7, y=y / 1e7, z=20.0 + (i + salt) % 11))
    items.append(MissionItem(n - 1, 3, 20))
    return items


def waypoints_file(items: list[MissionItem], path: Path) -> None:
    """``items`` as a QGC WPL 110 file (what MAVProxy's ``wp load`` reads)."""
    lines = ["QGC WPL 110"]
    for it in items:
        lines.append(f"{it.seq}\t{it.current}\t{it.frame}\t{it.command}\t{it.param1:g}\t{it.param2:g}\t"
                     f"{it.param3:g}\t{it.param4:g}\t{it.x:.7f}\t{it.y:.7f}\t{it.z:.6f}\t"
                     f"{it.autocontinue}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


# -- pymavlink only: the baseline upload and the independent read-back ------------------------------------------


@contextlib.contextmanager
def pymavlink_connection(endpoint: str) -> Iterator[Any]:
    """A plain pymavlink connection as a ground station (255/190) that has heard the vehicle's heartbeat."""
    master = mavutil.mavlink_connection(endpoint, source_system=255, source_component=190, dialect="ardupilotmega")
    try:
        if master.wait_heartbeat(timeout=15) is None:
            raise RuntimeError(f"no heartbeat on {endpoint}")
        yield master
    finally:
        master.close()


def pymavlink_upload(master: Any, items: list[MissionItem], timeout: float = 60.0) -> float:
    """The textbook upload: MISSION_COUNT, answer each request with MISSION_ITEM_INT, wait for MISSION_ACK.
    Returns its seconds; raises on a refusal or silence (on loopback nothing is lost, so it never resends; a
    re-request, answered too, can make the vehicle ACK the duplicate with INVALID_SEQUENCE and go on)."""
    ts, tc = master.target_system, master.target_component
    msgs = [master.mav.mission_item_int_encode(ts, tc, it.seq, it.frame, it.command, it.current, it.autocontinue,
                                               it.param1, it.param2, it.param3, it.param4, *wire_xy(it), it.z, 0)
            for it in items]  # fmt: skip
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    master.mav.mission_count_send(ts, tc, len(items), 0)
    while True:
        msg = master.recv_match(type=["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], blocking=True,
                                timeout=max(0.0, deadline - time.monotonic()))  # fmt: skip
        if msg is None:
            raise RuntimeError("pymavlink upload: the vehicle went silent")
        if getattr(msg, "mission_type", 0) != 0:
            continue
        if msg.get_type() == "MISSION_ACK":
            if msg.type == mavlink.MAV_MISSION_ACCEPTED:
                return time.perf_counter() - start
            if msg.type == mavlink.MAV_MISSION_INVALID_SEQUENCE:
                continue  # a second answer to a re-request arrived (SITL re-asks after 1 s of its time); not final
            raise RuntimeError(f"pymavlink upload refused: MISSION_ACK {msg.type}")
        master.mav.send(msgs[msg.seq])


def read_back(master: Any, timeout: float = 20.0) -> list[Any]:
    """The vehicle's mission through pymavlink alone (ground truth independent of ``flight/``): the count, then
    the missing items asked 32 at a time, re-asked after 0.3 s of silence."""
    ts, tc = master.target_system, master.target_component
    deadline = time.monotonic() + timeout
    count = None
    while count is None and time.monotonic() < deadline:
        master.mav.mission_request_list_send(ts, tc, 0)
        msg = master.recv_match(type="MISSION_COUNT", blocking=True, timeout=0.3)
        count = None if msg is None or getattr(msg, "mission_type", 0) != 0 else int(msg.count)
    got: dict[int, Any] = {}
    while count is not None and len(got) < count and time.monotonic() < deadline:
        pending = {s for s in range(count) if s not in got}
        pending = set(sorted(pending)[:32])
        for seq in sorted(pending):
            master.mav.mission_request_int_send(ts, tc, seq, 0)
        while pending:
            msg = master.recv_match(type="MISSION_ITEM_INT", blocking=True, timeout=0.3)
            if msg is None:
                break
            if getattr(msg, "mission_type", 0) == 0 and 0 <= msg.seq < count:
                got[msg.seq] = msg
                pending.discard(msg.seq)
    master.mav.mission_ack_send(ts, tc, mavlink.MAV_MISSION_ACCEPTED, 0)
    if count is None or len(got) < count:
        raise RuntimeError("read-back timed out")
    return [got[s] for s in range(count)]


def holds(back: list[Any], items: list[MissionItem]) -> bool:
    """Whether the vehicle holds ``items`` (home excepted: ArduPilot keeps its own), positions within 1e-7 deg
    (MAVProxy's path through floats may round by one unit), altitudes to the centimetre."""
    if len(back) != len(items):
        return False
    return all(
        b.command == it.command and abs(b.x - wire_xy(it)[0]) <= 1 and abs(b.y - wire_xy(it)[1]) <= 1
        and abs(b.z - it.z) < 0.01
        and abs(b.param1 - it.param1) < 1e-6
        for b, it in zip(back[1:], items[1:], strict=True)
    )  # fmt: skip


# -- ours and MAVProxy ------------------------------------------------------------------------------------------


class _PhaseLog(logging.Handler):
    """Collects the seconds that ``flight.mission_protocol`` logs for each upload and download."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.phases: dict[str, float] = {}
        self.resends = 0

    def emit(self, record: logging.LogRecord) -> None:
        text, args = str(record.msg), record.args
        for phase in ("uploaded", "downloaded"):
            if f"items {phase} in" in text and isinstance(args, tuple) and len(args) == 5:
                seconds, resends = args[3], args[4]
                if isinstance(seconds, float) and isinstance(resends, int):
                    self.phases[phase] = seconds
                    self.resends += resends


def ours(endpoint: str, items: list[MissionItem]) -> tuple[float, dict[str, float]]:
    """(seconds of upload_verified, {"uploaded": s, "downloaded": s, "resends": n})."""
    logger = logging.getLogger(mp.__name__)
    handler, level, propagate = _PhaseLog(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # collected, not printed
    try:
        with MavLink(endpoint, rates={}) as link:
            vehicle = link.wait_vehicle(timeout=15)
            start = time.perf_counter()
            mp.upload_verified(vehicle, items)
            seconds = time.perf_counter() - start
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return seconds, {**handler.phases, "resends": float(handler.resends)}


class MAVProxy:
    """``mavproxy.py`` with only its ``wp`` module, driven through its console as tests/sim/test_mavproxy.py
    does; every output line is kept with the time it arrived."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [str(MAVPROXY), f"--master={endpoint}", f"--state-basedir={workdir}", "--default-modules=wp"],
            cwd=workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.perf_counter(), line.strip()))

    def wait_for(self, text: str, since: float, timeout: float) -> float:
        """perf_counter time of the first line after ``since`` containing ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in list(self.lines):
                if when >= since and text in line:
                    return when
            time.sleep(0.002)
        raise RuntimeError(f"MAVProxy did not print {text!r} within {timeout} s; last: {self.lines[-3:]}")

    def type(self, command: str) -> float:
        """Type one console command; returns when it was typed."""
        assert self.proc.stdin is not None
        now = time.perf_counter()
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return now

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def mavproxy(endpoint: str, items: list[MissionItem]) -> float:
    """Seconds from typing ``wp load FILE`` to MAVProxy's "Got MISSION_ACK: TYPE_MISSION: ACCEPTED"."""
    with tempfile.TemporaryDirectory(prefix="bench-mavproxy-") as tmp:
        path = Path(tmp) / "mission.waypoints"
        waypoints_file(items, path)
        proxy = MAVProxy(endpoint, Path(tmp))
        try:
            proxy.wait_for("Detected vehicle", 0.0, 30)
            time.sleep(1.0)  # let its start-up requests settle
            start = proxy.type(f"wp load {path}")
            end = proxy.wait_for("Got MISSION_ACK: TYPE_MISSION: ACCEPTED", start, 60)
            proxy.wait_for(f"Sent all {len(items)} waypoints", start, 5)
        finally:
            proxy.close()
    return end - start


# -- the runs ---------------------------------------------------------------------------------------------------


def wait_ready(endpoint: str, timeout: float = 180.0) -> float | None:
    """Wait for a 3-D GPS fix and a first accepted upload; return SIM_SPEEDUP (None: not a SITL)."""
    with MavLink(endpoint, rates={"GPS_RAW_INT": 2.0}) as link:
        vehicle = link.wait_vehicle(timeout=30)
        vehicle.wait_state(lambda s: (s.gps_fix or 0) >= 3, timeout=timeout)
        deadline = time.monotonic() + 60
        while True:
            try:
                mp.upload(vehicle, make_mission(4, 0))
                break
            except MissionError:  # "Only 0 items are supported" until the mission storage is up
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        try:
            return vehicle.get_param("SIM_SPEEDUP")
        except FlightError:
            return None


def bench_vehicle(endpoint: str, n: int, repeat: int, salt: int) -> dict[str, Any]:
    """``repeat`` rounds of the three tools on one vehicle; medians and checks."""
    runs: dict[str, Callable[[list[MissionItem]], float]] = {
        "pymavlink": lambda items: _with_pymavlink(endpoint, lambda m: pymavlink_upload(m, items)),
        "mavproxy": lambda items: mavproxy(endpoint, items),
    }
    times: dict[str, list[float]] = {t: [] for t in TOOLS}
    phases: list[dict[str, float]] = []
    verified = dict.fromkeys(TOOLS, 0)
    load = [os.getloadavg()[0]]
    for r in range(repeat):
        for tool in TOOLS[r % 3 :] + TOOLS[: r % 3]:  # rotate the order each round
            if tool == "mavproxy" and not MAVPROXY.exists():
                continue
            salt += 1
            items = make_mission(n, salt)
            try:
                if tool == "ours":
                    seconds, split = ours(endpoint, items)
                    phases.append(split)
                else:
                    seconds = runs[tool](items)
            except (FlightError, RuntimeError) as exc:
                print(f"    {tool} failed: {exc}")
                continue
            times[tool].append(seconds)
            back = _with_pymavlink(endpoint, read_back)
            verified[tool] += int(holds(back, items))
    load.append(os.getloadavg()[0])
    med = {t: statistics.median(v) if v else float("nan") for t, v in times.items()}
    for key in ("uploaded", "downloaded", "resends"):
        med[key] = statistics.median(p.get(key, float("nan")) for p in phases) if phases else float("nan")
    return {"median": med, "times": times, "verified": verified, "load": load, "runs": repeat}


def _with_pymavlink(endpoint: str, use: Callable[[Any], Any]) -> Any:
    with pymavlink_connection(endpoint) as master:
        return use(master)


def report(label: str, res: dict[str, Any], n: int) -> None:
    """Print one vehicle's figures, ratios against the pymavlink upload of the same run."""
    med, ver, runs = res["median"], res["verified"], res["runs"]
    base = med["pymavlink"]
    print(f"  {label}: {n} items, medians of {runs}; load average {res['load'][0]:.2f} -> {res['load'][1]:.2f}")
    print(f"    {'':34} {'median':>8}  {'/ pymavlink':>11}  verified by read-back")
    rows = [
        ("ours upload + verify", med["ours"], f"{ver['ours']}/{runs}"),
        ("  of which upload", med["uploaded"], ""),
        ("  of which read-back", med["downloaded"], ""),
        ("pymavlink upload alone (baseline)", base, f"{ver['pymavlink']}/{runs} (checked after)"),
        ("MAVProxy wp load (no read-back)", med["mavproxy"], f"{ver['mavproxy']}/{runs} (checked after)"),
    ]
    for name, seconds, checked in rows:
        print(f"    {name:34} {seconds:7.3f}s  {seconds / base:10.2f}x  {checked}")
    print("    each run (s): " + "; ".join(f"{t} {', '.join(f'{s:.3f}' for s in res['times'][t])}" for t in TOOLS))
    ratio = med["ours"] / base
    print(f"    ours upload + verify / pymavlink upload: {ratio:.3f} (target <= 1.10 at 1x); our resends "
          f"(median): {med['resends']:g}")  # fmt: skip


def sitl_binary(option: str | None) -> Path | None:
    """``--sitl``, else ``ARDUPILOT_SITL``, else ``../shared/sitl/arducopter`` when it exists."""
    for candidate in (option, os.environ.get(ENV_VAR), str(SHARED_SITL)):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def run_connect(endpoint: str | None, sitl: str | None, speedups: list[float], n: int, repeat: int,
                instance: int = 5) -> None:  # fmt: skip
    """The ``--connect`` benchmark: on ``endpoint``, or on SITL started at each of ``speedups``."""
    logging.basicConfig(level=logging.WARNING)
    if not MAVPROXY.exists():
        print(f"  MAVProxy is not installed beside {sys.executable} (pip install -e '.[dev]'): its column is empty")
    print(f"mission upload + verify on an external vehicle ({os.cpu_count()} CPUs here)")
    if endpoint is not None:
        speedup = wait_ready(endpoint)
        label = endpoint + ("" if speedup is None else f", SIM_SPEEDUP {speedup:g}")
        report(label, bench_vehicle(endpoint, n, repeat, salt=0), n)
        return
    binary = sitl_binary(sitl)
    if binary is None:
        print(f"  skipped: no ArduCopter SITL (--sitl PATH, {ENV_VAR}, or {SHARED_SITL})")
        return
    for k, speedup in enumerate(speedups):
        with ArduPilotSITL(binary, home=HOME, instance=instance, speedup=speedup) as vehicle:
            started = time.monotonic()
            wait_ready(vehicle.endpoint)
            label = f"ArduCopter SITL {binary.name} at speed-up {speedup:g} ({vehicle.endpoint}, ready in " \
                    f"{time.monotonic() - started:.0f} s)"  # fmt: skip
            report(label, bench_vehicle(vehicle.endpoint, n, repeat, salt=1000 * k), n)


if __name__ == "__main__":
    run_connect(None, None, [1.0, 10.0], 500, 3)
