"""Benchmark of the flight layer: verified mission uploads against MAVProxy's waypoint loader, telemetry CPU.

The simulator runs in a child process (so the two sides do not share a GIL and its CPU is not counted), driven
over a pipe to set packet loss and to dump what the vehicle stores: that dump is the ground truth behind
"never silently wrong".

1. Mission upload + verify of 100 and 500 items over loopback TCP at 0 % and 5 % loss:
   * ``flight.mission_protocol.upload_verified`` (upload, read back, compare, retry once);
   * baseline: pymavlink's ``MAVWPLoader`` (what MAVProxy's ``wp load`` uses) driven as in
     tests/sim/test_mavproxy_loader.py, plus the sequential read-back MAVProxy's ``wp list`` does, and a
     comparison. It resends MISSION_COUNT / re-requests an item after 0.5 s of silence.
   Every run is checked against the vehicle's stored mission: a run that reports success with a wrong mission
   would be counted as "silently wrong".
2. CPU of the receive side for 10 vehicles streaming 8 messages at 10 Hz each (speed-up 1): our
   ``MavLink`` (one link per vehicle, state updates, heartbeats) against plain ``mavutil`` connections read
   in one thread per vehicle, over the same fixed window (``time.process_time``).

3. ``--connect``: instead of 1 and 2, upload + verify on an external vehicle (ArduCopter SITL started here at
   speed-up 1 and 10, or a running vehicle at ``--connect tcp:HOST:PORT``) beside pymavlink's plain upload and
   MAVProxy's ``wp load``: see benchmarks/flight_connect.py.

Usage: ``python benchmarks/flight.py [--repeat 5] [--speedup 1] [--seconds 5] [--vehicles 10]``;
``python benchmarks/flight.py --connect [ENDPOINT] [--sitl PATH] [--speedups 1,10] [--items 500] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("MAVLINK20", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymavlink import mavutil, mavwp  # noqa: E402

from flight import mission_protocol as mp  # noqa: E402
from flight.errors import FlightError  # noqa: E402
from flight.items import wire_xy  # noqa: E402
from flight.link import MavLink  # noqa: E402
from mission_planner.mission_items import MissionItem  # noqa: E402

mavlink = mavutil.mavlink
STREAMED = ["GLOBAL_POSITION_INT", "ATTITUDE", "VFR_HUD", "SYS_STATUS", "BATTERY_STATUS", "GPS_RAW_INT",
            "MISSION_CURRENT", "EKF_STATUS_REPORT"]  # fmt: skip


# -- the simulator child ----------------------------------------------------------------------------------------


def serve(vehicles: int, speedup: float) -> None:
    """Child mode: run a simulator, print its endpoints, obey ``loss P`` / ``dump`` / ``quit`` on stdin."""
    from sim import Simulator

    with Simulator(vehicles=vehicles, speedup=speedup, base_port=0, seed=7) as sim:
        print(json.dumps(sim.endpoints), flush=True)
        for line in sys.stdin:
            cmd, *arg = line.split()
            if cmd == "loss":
                for v in sim.vehicles:
                    v.set_packet_loss(float(arg[0]))
                print("ok", flush=True)
            elif cmd == "dump":
                stored = [
                    [i.command, round(i.x * 1e7), round(i.y * 1e7), i.z, i.param1] for i in sim.vehicle(0).mission
                ]
                print(json.dumps(stored), flush=True)
            elif cmd == "quit":
                return


class SimChild:
    """The simulator child process and its control pipe."""

    def __init__(self, vehicles: int, speedup: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--vehicles", str(vehicles), "--speedup", str(speedup)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        self.endpoints: list[str] = json.loads(self._read())

    def _read(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("simulator child exited")
        return line

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stored(self) -> list[list[float]]:
        return list(json.loads(self.ask("dump")))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, BrokenPipeError):
            self.ask("quit")
        self.proc.wait(timeout=10)


# -- missions ---------------------------------------------------------------------------------------------------


def make_mission(n: int, salt: int) -> list[MissionItem]:
    """Home + ``n - 1`` waypoints; ``salt`` changes every position so each run uploads something new."""
    items = [MissionItem(0, 0, 16, current=1, x=30.544, y=114.295)]
    for i in range(1, n):
        x, y, z = (305440000 + 29 * i + salt) / 1e7, (1142950000 + 41 * i) / 1e7, 30.0 + (i + salt) % 9
        items.append(MissionItem(i, 3, 16, param1=float(i % 4), x=x, y=y, z=z))
    return items


def holds(stored: list[list[float]], items: list[MissionItem], tol: int) -> bool:
    """Ground truth: whether the vehicle stores ``items`` (home excepted), lat/lon within ``tol`` 1e-7 deg."""
    if len(stored) != len(items):
        return False
    for (cmd, x, y, z, p1), it in zip(stored[1:], items[1:], strict=True):
        x7, y7 = wire_xy(it)
        if cmd != it.command or abs(x - x7) > tol or abs(y - y7) > tol or abs(z - it.z) > 0.01:
            return False
        if abs(p1 - it.param1) > 1e-6:
            return False
    return True


def ours(endpoint: str, items: list[MissionItem]) -> tuple[float, bool]:
    """(seconds, reported success) of upload_verified."""
    with MavLink(endpoint, rates={}) as link:
        vehicle = link.wait_vehicle(timeout=10)
        start = time.perf_counter()
        try:
            mp.upload_verified(vehicle, items)
            ok = True
        except FlightError as exc:
            print(f"    ours failed (reported, not silent): {exc}")
            ok = False
        return time.perf_counter() - start, ok


def baseline(endpoint: str, items: list[MissionItem], timeout: float = 300.0) -> tuple[float, bool]:
    """(seconds, reported success) of MAVWPLoader upload + sequential read-back + comparison."""
    master = mavutil.mavlink_connection(endpoint, source_system=255, source_component=190, dialect="ardupilotmega")
    master.wait_heartbeat(timeout=10)
    with tempfile.NamedTemporaryFile("w", suffix=".waypoints", delete=False) as f:
        f.write("QGC WPL 110\n")
        for it in items:
            f.write(f"{it.seq}\t{it.current}\t{it.frame}\t{it.command}\t{it.param1}\t{it.param2}\t{it.param3}\t"
                    f"{it.param4}\t{it.x:.7f}\t{it.y:.7f}\t{it.z:.6f}\t{it.autocontinue}\n")  # fmt: skip
        path = f.name
    loader = mavwp.MAVWPLoader(target_system=master.target_system, target_component=master.target_component)
    loader.load(path)
    os.unlink(path)
    n = loader.count()
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    master.waypoint_count_send(n)
    requested = False
    done = False
    while time.monotonic() < deadline and not done:
        msg = master.recv_match(type=["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], blocking=True,
                                timeout=0.5)  # fmt: skip
        if msg is None:
            if not requested:
                master.waypoint_count_send(n)
            continue
        if msg.get_type() == "MISSION_ACK":
            done = msg.type == mavlink.MAV_MISSION_ACCEPTED and requested
            continue
        requested = True
        master.mav.send(loader.wp(msg.seq))
    back: list[Any] = []
    count = None
    while count is None and time.monotonic() < deadline:
        master.waypoint_request_list_send()
        msg = master.recv_match(type="MISSION_COUNT", blocking=True, timeout=0.5)
        count = None if msg is None else msg.count
    while count is not None and len(back) < count and time.monotonic() < deadline:
        master.waypoint_request_send(len(back))
        msg = master.recv_match(type="MISSION_ITEM", blocking=True, timeout=0.5)
        if msg is not None and msg.seq == len(back):
            back.append(msg)
    master.mav.mission_ack_send(master.target_system, master.target_component, 0)
    elapsed = time.perf_counter() - start
    ok = done and count == n and all(
        b.command == it.command and abs(b.x - it.x) < 1e-5 and abs(b.y - it.y) < 1e-5
        and abs(b.z - it.z) < 0.01
        for b, it in zip(back[1:], items[1:], strict=False)
    )  # fmt: skip
    master.close()
    return elapsed, ok


def bench_missions(repeat: int, speedup: float) -> None:
    child = SimChild(1, speedup)
    endpoint = child.endpoints[0]
    salt = 0
    silent_wrong = 0
    print(f"mission upload + verify over loopback TCP (simulator speed-up {speedup:g}x, re-request 1 s as ArduPilot)")
    print(f"  {'items':>5} {'loss':>5}  {'ours (median)':>14}  {'MAVWPLoader baseline':>21}  {'ratio':>6}  runs ok")
    try:
        for loss in (0.0, 5.0):
            child.ask(f"loss {loss}")
            for n in (100, 500):
                mine, theirs, oks = [], [], 0
                for r in range(repeat):  # interleaved, so load from other jobs hits both sides alike
                    salt += 1
                    items = make_mission(n, salt)
                    seconds, ok = ours(endpoint, items)
                    truth = holds(child.stored(), items, tol=0)
                    silent_wrong += int(ok and not truth)
                    oks += int(ok and truth)
                    mine.append(seconds)
                    if loss and r > 0:
                        continue  # the baseline needs ~1.5 min for 500 items at 5 %: once is enough
                    salt += 1
                    items = make_mission(n, salt)
                    seconds, ok = baseline(endpoint, items)
                    if ok and not holds(child.stored(), items, tol=60):
                        print("    baseline reported success with a wrong mission")
                    theirs.append(seconds if ok else float("nan"))
                a, b = statistics.median(mine), statistics.median(theirs)
                print(f"  {n:>5} {loss:>4.0f}%  {a:>12.2f} s  {b:>19.2f} s  {b / a:>5.1f}x  {oks}/{repeat}")
    finally:
        child.close()
    print(f"  silently wrong (reported verified, vehicle holds something else): {silent_wrong}")
    print("  ratio = baseline time / our time (higher is better for us)")


# -- telemetry CPU ----------------------------------------------------------------------------------------------


def telemetry_ours(endpoints: list[str], seconds: float) -> tuple[float, float, int, bool]:
    """(CPU s, wall s, messages, every state current) of MavLink links receiving the streams."""
    links = [MavLink(e, rates={name: 10.0 for name in STREAMED}) for e in endpoints]
    try:
        fleet = [link.wait_vehicle(timeout=10) for link in links]
        for v in fleet:
            v.wait_state(lambda s: s.ekf_ok is not None, timeout=10)
        time.sleep(1.0)
        n0 = sum(link.packets_received for link in links)
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        msgs = sum(link.packets_received for link in links) - n0
        current = all(time.monotonic() - v.state.time < 0.5 for v in fleet)
    finally:
        for link in links:
            link.close()
    return cpu, wall, msgs, current


def telemetry_baseline(endpoints: list[str], seconds: float) -> tuple[float, float, int]:
    """(CPU s, wall s, messages) of plain mavutil connections, one reader thread each, same streams."""
    masters = [mavutil.mavlink_connection(e, source_system=255, dialect="ardupilotmega") for e in endpoints]
    for m in masters:
        m.wait_heartbeat(timeout=10)
        for name in STREAMED:
            ident = getattr(mavlink, f"MAVLINK_MSG_ID_{name}")
            m.mav.command_long_send(m.target_system, m.target_component, 511, 0, ident, 1e5, 0, 0, 0, 0, 0)
    counts = [0] * len(masters)
    stop = threading.Event()

    def reader(k: int) -> None:
        while not stop.is_set():
            if masters[k].recv_match(blocking=True, timeout=0.1) is not None:
                counts[k] += 1

    threads = [threading.Thread(target=reader, args=(k,), daemon=True) for k in range(len(masters))]
    for t in threads:
        t.start()
    time.sleep(1.0)
    n0, cpu0, wall0 = sum(counts), time.process_time(), time.monotonic()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    msgs = sum(counts) - n0
    stop.set()
    for t in threads:
        t.join()
    for m in masters:
        m.close()
    return cpu, wall, msgs


def bench_telemetry(vehicles: int, seconds: float, rounds: int = 2) -> None:
    child = SimChild(vehicles, 1.0)
    mine: list[float] = []
    theirs: list[float] = []
    rates: list[tuple[float, float]] = []
    current = True
    try:
        for _ in range(rounds):  # alternate, so other jobs' load hits both sides alike
            cpu, wall, msgs, fresh = telemetry_ours(child.endpoints, seconds)
            current = current and fresh
            mine.append(cpu / max(msgs, 1))
            bcpu, bwall, bmsgs = telemetry_baseline(child.endpoints, seconds)
            theirs.append(bcpu / max(bmsgs, 1))
            rates.append((msgs / wall, bmsgs / bwall))
    finally:
        child.close()
    a, b = statistics.median(mine), statistics.median(theirs)
    rx, brx = statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)
    print(f"telemetry: {vehicles} vehicles x {len(STREAMED)} messages at 10 Hz, {rounds} x {seconds:g} s windows")
    print(f"  ours (MavLink + state)    {rx:6.0f} msg/s  {a * 1e6:6.1f} µs CPU/msg  = {a * rx:5.1%} of a core")
    print(f"  baseline (mavutil recv)   {brx:6.0f} msg/s  {b * 1e6:6.1f} µs CPU/msg  = {b * brx:5.1%} of a core")
    print(f"  ratio CPU per message ours/baseline: {a / b:.2f}; every state current (< 0.5 s old): {current}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (default 5; 3 with --connect)")
    parser.add_argument("--speedup", type=float, default=1.0, help="simulator speed-up for the mission part")
    parser.add_argument("--seconds", type=float, default=5.0, help="telemetry measurement window")
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--connect", nargs="?", const="sitl", metavar="ENDPOINT",
                        help="only the external-vehicle benchmark (benchmarks/flight_connect.py): on ArduCopter SITL "
                        "started here, or on a running vehicle at ENDPOINT (tcp:HOST:PORT)")  # fmt: skip
    parser.add_argument("--sitl", help="ArduCopter SITL binary for --connect (default: $ARDUPILOT_SITL, "
                        "../shared/sitl/arducopter)")  # fmt: skip
    parser.add_argument("--speedups", default="1,10", help="SITL speed-ups for --connect (comma-separated)")
    parser.add_argument("--items", type=int, default=500, help="mission items for --connect")
    parser.add_argument("--instance", type=int, default=5, help="SITL instance for --connect (tcp 5760 + 10 * I)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.vehicles, args.speedup)
        return
    if args.connect is not None:
        from flight_connect import run_connect  # beside this file

        endpoint = None if args.connect == "sitl" else args.connect
        speedups = [float(s) for s in args.speedups.split(",")]
        run_connect(endpoint, args.sitl, speedups, args.items, args.repeat or 3, args.instance)
        return
    bench_missions(args.repeat or 5, args.speedup)
    bench_telemetry(args.vehicles, args.seconds)


if __name__ == "__main__":
    main()
