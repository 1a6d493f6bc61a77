"""One drone's rig in the station: following its vehicle survives a link that closes under it, and a released flight
stops following (a real simulator over a real MAVLink socket)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "flight"))

from flightkit import fly_config, sim_at, wait_until, write_plans

from flight.fly import MissionFlight
from flight.safety import check_plan_file
from gridpatrol.station.config import DroneLink
from gridpatrol.station.poses import PoseTracker
from gridpatrol.station.rig import DroneRig
from gridpatrol.station.skips import GridSkips
from speaker.config import SpeakerConfig
from speaker.sinks import FileSink
from speaker.speaker import Speaker


def rig_for(flight: MissionFlight, tmp_path: Path) -> DroneRig:
    """The station's rig around ``flight`` (drone-1), its speech rendered under ``tmp_path``."""
    speaker = Speaker(SpeakerConfig(), FileSink(tmp_path / "out"), tmp_path / "cache")
    link = DroneLink(id="drone-1", connect=flight.url)
    return DroneRig(link, flight.checked, flight, PoseTracker(), speaker, GridSkips(flight.checked, link.id, print))


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plans(tmp_path_factory.mktemp("plans"), ("1",))[0]


def test_a_link_closed_before_attaching_leaves_the_drone_unattached_and_raises_nothing(
    plan_file: Path, tmp_path: Path
) -> None:
    """The station's pose thread attaches every rig in turn: a failed pre-flight check closes a drone's link while
    its flight still holds the vehicle, and the LinkLost that attaching raised then ended the thread, so no drone's
    camera got a pose again (seen in the console's checks test)."""
    checked = check_plan_file(plan_file, fly_config().safety)
    with sim_at(plan_file) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        rig = rig_for(flight, tmp_path)
        assert not rig.attach()  # nothing to follow before the flight has connected
        flight.connect()
        assert flight.link is not None
        flight.link.close()
        assert not rig.attach() and not rig.attached  # no exception: tried again on the next round


def test_an_attached_rig_follows_the_vehicle_once(plan_file: Path, tmp_path: Path) -> None:
    checked = check_plan_file(plan_file, fly_config().safety)
    with sim_at(plan_file) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        rig = rig_for(flight, tmp_path)
        flight.connect()
        try:
            assert rig.attach() and rig.attached
            assert rig.attach()  # already attached: nothing asked of the vehicle again
            wait_until("a camera pose from the vehicle's telemetry", lambda: rig.poses.latest() is not None)
        finally:
            rig.skips.close()
            assert flight.link is not None
            flight.link.close()


def test_a_released_flight_stops_following_and_closes_its_link(plan_file: Path) -> None:
    """What the station does to a held drone when it stops: the flight ends (cancelled) and its link closes, instead
    of following, and reconnecting to a vehicle that is gone, for as long as the process lives (a link left so once
    logged into the middle of another test's command output)."""
    checked = check_plan_file(plan_file, fly_config().safety)
    with sim_at(plan_file) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        runner = threading.Thread(target=flight.run, daemon=True)
        runner.start()
        wait_until("the patrol under way", lambda: len(flight.status.reached) >= 1 or flight.status.done, timeout=120)
        assert not flight.status.done, flight.status
        flight.release()
        runner.join(timeout=60)
        assert not runner.is_alive(), "the released flight kept following"
    assert flight.status.phase == "cancelled" and "stopped following" in flight.status.detail, flight.status
    assert flight.link is not None and flight.link.closed
