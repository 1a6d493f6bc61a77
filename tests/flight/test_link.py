"""Links over every transport against the simulator: tcp, udpout, udpin, tcpin, serial (a pty), several vehicles,
link loss and reconnect, a vehicle that never answers, tlog recording."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pymavlink import mavutil

sys.path.insert(0, str(Path(__file__).parent))

from conftest import SPEEDUP, TEST_RATES
from relay import Relay

from flight.errors import FlightTimeout, LinkLost
from flight.link import Fleet, MavLink
from flight.vehicle import Vehicle
from sim import Simulator


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _heard_by_sim(sim: Simulator, index: int = 0, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sim.vehicle(index).last_gcs_heartbeat is not None:
            return True
        time.sleep(0.05)
    return False


def _wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def _check_working(vehicle: Vehicle) -> None:
    st = vehicle.wait_state(lambda s: s.lat is not None, timeout=5)
    assert abs(st.lat - 30.544) < 1e-3
    assert vehicle.get_param("SYSID_THISMAV") == float(vehicle.sysid)


def test_tcp_link_sends_gcs_heartbeat(sim: Simulator, link: MavLink) -> None:
    vehicle = link.wait_vehicle(sysid=1, timeout=5)
    assert link.vehicles == {1: vehicle} and vehicle.compid == 1
    assert _heard_by_sim(sim)  # our 1 Hz heartbeat arms ArduPilot's GCS failsafe logic
    _check_working(vehicle)
    link.close()
    assert not vehicle.link_ok
    with pytest.raises(LinkLost, match=r"is closed"):
        vehicle.get_param("RTL_ALT")


def test_udpout_link() -> None:
    with (
        Simulator(vehicles=1, speedup=SPEEDUP, base_port=0, udp=True) as sim,
        MavLink(sim.udp_endpoints[0], rates=TEST_RATES) as link,
    ):
        _check_working(link.wait_vehicle(timeout=5))


@pytest.mark.parametrize("kind", ["udpin", "tcpin", "serial"])
def test_listening_and_serial_links_through_a_relay(sim: Simulator, kind: str) -> None:
    relay = Relay(sim.endpoints[0], "pty" if kind == "serial" else kind)
    if kind == "serial":
        relay.to_pty()
        url = f"serial:{relay.device}:115200"
    else:
        url = f"{kind}:127.0.0.1:{_free_port(socket.SOCK_DGRAM if kind == 'udpin' else socket.SOCK_STREAM)}"
    with relay, MavLink(url, rates=TEST_RATES) as link:
        if kind == "udpin":
            relay.to_udp(int(url.rsplit(":", 1)[1]))
        elif kind == "tcpin":
            relay.to_tcp(int(url.rsplit(":", 1)[1]))
        _check_working(link.wait_vehicle(timeout=5))


def test_bad_urls_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown form.*tcp:HOST:PORT"):
        MavLink("http://example.org")
    with pytest.raises(ValueError, match=r"expected HOST:PORT"):
        MavLink("tcp:localhost")
    with pytest.raises(OSError, match=r"cannot open the serial port"):
        MavLink("serial:/dev/does-not-exist:57600")


def test_three_vehicles_on_three_links() -> None:
    with Simulator(vehicles=3, speedup=SPEEDUP, base_port=0) as sim, Fleet(sim.endpoints, rates=TEST_RATES) as fleet:
        vehicles = fleet.wait_vehicles(3, timeout=10)
        assert sorted(vehicles) == [1, 2, 3]
        for sysid, vehicle in vehicles.items():
            assert vehicle.set_param("WPNAV_SPEED", 500 + sysid) == 500 + sysid
        assert [v.params["WPNAV_SPEED"] for v in sim.vehicles] == [501, 502, 503]
        east = [fleet.vehicles[i].wait_state(lambda s: s.lon is not None, 5).lon for i in (1, 2, 3)]
        assert east[0] < east[1] < east[2]  # spawned 5 m apart eastwards
        with pytest.raises(FlightTimeout, match=r"waiting for 4 vehicles.*heard system ids \[1, 2, 3\]"):
            fleet.wait_vehicles(4, timeout=0.3)


def test_three_vehicles_on_one_shared_link() -> None:
    with Simulator(vehicles=3, speedup=SPEEDUP, base_port=0, shared_port=0) as sim:
        assert sim.shared_endpoint is not None
        with MavLink(sim.shared_endpoint, rates=TEST_RATES) as link:
            v2 = link.wait_vehicle(sysid=2, timeout=10)
            link.wait_vehicle(sysid=3, timeout=10)
            assert sorted(link.vehicles) == [1, 2, 3]
            assert v2.set_param("RTL_ALT", 2222) == 2222
            assert [v.params["RTL_ALT"] for v in sim.vehicles] == [1500, 2222, 1500]
            lon2 = v2.wait_state(lambda s: s.lon is not None, 5).lon
            assert abs(lon2 - sim.vehicle(1).position[1]) < 1e-6  # vehicle 2's state is vehicle 2's telemetry


def test_vehicle_that_never_answers_times_out_clearly() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never replies
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with MavLink(f"udpout:127.0.0.1:{port}") as link:
            t0 = time.monotonic()
            with pytest.raises(FlightTimeout) as info:
                link.wait_vehicle(timeout=0.8)
            assert time.monotonic() - t0 > 0.75  # it waited its timeout (no upper bound: a loaded machine is slow)
            text = str(info.value)
            assert f"udpout:127.0.0.1:{port}" in text and "0.8 s" in text and "autopilot is powered" in text
            assert silent.recv(1024)  # our heartbeat did go out
    # Nothing listening: it keeps trying to connect, then gives a clear error.
    with MavLink(f"tcp:127.0.0.1:{_free_port()}") as refused, pytest.raises(FlightTimeout, match=r"any vehicle"):
        refused.wait_vehicle(timeout=0.5)


def test_link_cut_is_detected_and_recovers(sim: Simulator, link: MavLink, vehicle: Vehicle) -> None:
    events: list[bool] = []
    asked: list[float] = []
    vehicle.on_link(events.append)

    def on_back(ok: bool) -> None:  # link callbacks may block: ask the vehicle something at once
        if ok:
            asked.append(vehicle.get_param("RTL_ALT"))

    vehicle.on_link(on_back)
    assert vehicle.link_ok
    sim.vehicle(0).cut_link(2.5 * SPEEDUP)  # simulated seconds: about 2.5 s of wall time
    _wait_for(lambda: not vehicle.link_ok, 10)  # 1 s after the last heartbeat (how soon is not asserted)
    with pytest.raises(FlightTimeout, match=r"the link is down"):
        vehicle.get_param("RTL_ALT", timeout=0.2, retries=0)
    stale = vehicle.state
    back = vehicle.wait_state(lambda s: s.last_heartbeat > stale.last_heartbeat, timeout=6)
    assert vehicle.link_ok
    _wait_for(lambda: len(events) >= 2 and bool(asked), 3)  # link callbacks run in their own thread
    assert events[:2] == [False, True]
    vehicle.wait_state(lambda s: s.time > back.time and s.lat is not None, timeout=3)  # telemetry flows again
    assert vehicle.get_param("RTL_ALT") == 1500.0
    assert asked == [1500.0]


def test_tcp_reconnects_when_the_vehicle_comes_back() -> None:
    port = _free_port()
    sim = Simulator(vehicles=1, speedup=SPEEDUP, base_port=port).start()
    try:
        with MavLink(f"tcp:127.0.0.1:{port}", heartbeat_timeout_s=1.0, rates=TEST_RATES) as link:
            vehicle = link.wait_vehicle(timeout=5)
            sim.stop()  # the autopilot reboots: the TCP connection drops
            time.sleep(1.3)
            assert not vehicle.link_ok
            sim = Simulator(vehicles=1, speedup=SPEEDUP, base_port=port).start()
            back = time.monotonic()
            while not vehicle.link_ok and time.monotonic() - back < 5:
                time.sleep(0.05)
            assert vehicle.link_ok and link.transport.reconnects >= 1
            assert link.vehicles[1] is vehicle  # same object, state resumes
            _check_working(vehicle)
            vehicle.wait_state(lambda s: s.ekf_ok is not None, timeout=5)  # rates asked again after the reboot
    finally:
        sim.stop()


def test_tlog_is_written_and_readable(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "flight.tlog"
    with MavLink(sim.endpoints[0], tlog=path, rates=TEST_RATES) as link:
        vehicle = link.wait_vehicle(timeout=5)
        vehicle.get_param("RTL_ALT")
        vehicle.wait_message("GLOBAL_POSITION_INT", timeout=3)
    log = mavutil.mavlink_connection(str(path))
    kinds: dict[str, set[int]] = {}
    while (msg := log.recv_match()) is not None:
        kinds.setdefault(msg.get_type(), set()).add(msg.get_srcSystem())
    assert kinds["HEARTBEAT"] == {1, 255}  # both directions
    assert 255 in kinds["PARAM_REQUEST_READ"] and 1 in kinds["PARAM_VALUE"]
    assert "GLOBAL_POSITION_INT" in kinds
