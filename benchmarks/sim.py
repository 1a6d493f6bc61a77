"""Benchmark of the MAVLink simulator: achieved speed-up and CPU per vehicle, and mission upload throughput.

Runs ``gridpatrol sim`` in a child process (so its CPU time is measured alone, from /proc), connects one plain
pymavlink ground station per vehicle that asks for every stream at 10 Hz (simulated), and reports:

* achieved speed-up (simulated seconds per wall second, from SYSTEM_TIME) against the requested one;
* CPU seconds the simulator uses per wall second, for 1 vehicle (the baseline) and for N, per vehicle;
* mission upload + download of 100 items at 0 % (baseline) and 5 % packet loss, as items per second and ratio.

Usage: ``python benchmarks/sim.py [--vehicles 10] [--speedup 20] [--seconds 5]``
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("MAVLINK20", "1")

from pymavlink import mavutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "sim"))

from simgcs import connect, download, item, upload  # noqa: E402

from sim import Simulator  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run_fleet(vehicles: int, speedup: float, seconds: float) -> tuple[float, float]:
    """(achieved speed-up, simulator CPU seconds per wall second) for a fleet with streaming clients."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "sim", "--vehicles", str(vehicles), "--speedup", str(speedup),
         "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        seen = ""
        while "Ctrl-C" not in seen:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"simulator did not start:\n{seen}")
            seen += line
        endpoints = list(dict.fromkeys(re.findall(r"tcp:127\.0\.0\.1:\d+", seen)))
        masters = [connect(e, rate_hz=10) for e in endpoints]
        warm = time.monotonic()
        while time.monotonic() - warm < 1.0:  # drain what queued while connecting
            for m in masters:
                while m.recv_match(blocking=False) is not None:
                    pass
            time.sleep(0.005)
        cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
        first = last = None
        while time.monotonic() - wall0 < seconds:
            for m in masters:
                while (msg := m.recv_match(blocking=False)) is not None:
                    if msg.get_type() == "SYSTEM_TIME" and m is masters[0]:
                        now = (msg.time_boot_ms / 1000.0, time.monotonic())
                        first = first or now
                        last = now
            time.sleep(0.005)
        cpu = (_cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - wall0)
        for m in masters:
            m.close()
        achieved = (last[0] - first[0]) / (last[1] - first[1]) if first and last and last != first else 0.0
        return achieved, cpu
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def upload_rate(n_items: int, loss_pct: float) -> float:
    """Items per second for an upload plus a verifying download of ``n_items`` over loopback."""
    with Simulator(vehicles=1, speedup=1, base_port=0, seed=1) as sim:
        master = connect(sim.endpoints[0], rate_hz=0)
        sim.vehicle(0).set_packet_loss(loss_pct)
        items = [item(master, 0, 16, 30.544, 114.295, 20, frame=0)]
        items += [item(master, i, 16, 30.544 + 1e-5 * i, 114.295, 30) for i in range(1, n_items)]
        start = time.monotonic()
        assert upload(master, items, timeout=300) == mavutil.mavlink.MAV_MISSION_ACCEPTED
        back = download(master, timeout=300)
        elapsed = time.monotonic() - start
        assert [(b.x, b.y) for b in back[1:]] == [(i.x, i.y) for i in items[1:]], "read-back differs"
        master.close()
        return n_items / elapsed


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--speedup", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    print(f"fleet: streaming all messages at 10 Hz simulated, speed-up {args.speedup:g}x, {args.seconds:g} s")
    base_speed, base_cpu = run_fleet(1, args.speedup, args.seconds)
    speed, cpu = run_fleet(args.vehicles, args.speedup, args.seconds)
    rows = [
        ("1 vehicle (baseline)", 1, base_speed, base_cpu),
        (f"{args.vehicles} vehicles", args.vehicles, speed, cpu),
    ]
    for label, count, achieved, used in rows:
        per_vehicle = used / count / max(base_cpu, 1e-6)
        print(
            f"  {label:22} achieved {achieved:5.1f}x ({achieved / args.speedup:4.0%} of requested), "
            f"CPU {used:5.2f} s/s, per vehicle {per_vehicle:4.2f}x the baseline"
        )
    print("mission upload + verifying download, 100 items, loopback, speed-up 1x")
    clean = upload_rate(100, 0.0)
    lossy = upload_rate(100, 5.0)
    print(f"  0 % loss (baseline): {clean:7.1f} items/s")
    print(f"  5 % loss:            {lossy:7.1f} items/s = {lossy / clean:4.2f}x the baseline")
    print("  (the ground-station side is tests/sim/simgcs.py: 0.3 s / 0.5 s retry timeouts dominate at 5 %)")


if __name__ == "__main__":
    main()
