"""The station takes the settings whole: every section reaches the part it configures.

The first test builds a station from settings with a non-default value in each section it uses and checks each
part holds that section. The second flies a short patrol on the built-in simulator with ``[flight]`` set, and
checks what the running station did with it: the ``.tlog`` it recorded, the telemetry rates it asked of the
vehicle (read back from that tlog) and its link timeout.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight.config import FlightConfig
from flight.fly_config import FlyConfig, SafetyConfig
from flight.telemetry import DEFAULT_RATES
from gridpatrol.config import OutboxConfig, Settings, StationConfig
from gridpatrol.station.config import DroneLink, RunConfig
from gridpatrol.station.missions import checked_missions, plan_for_run, write_missions
from gridpatrol.station.runtime import Station
from mission_planner.profiles import CameraProfile
from sim import Simulator
from speaker.config import SpeakerConfig
from vision.config import VisionConfig

REPO = Path(__file__).resolve().parents[2]
GRID = "1"


def patrol_settings(tmp_path: Path, connect: str = "tcp:127.0.0.1:9", **sections: object) -> Settings:
    """Settings for one camera-less drone patrolling the perimeter of grid 1, files under ``tmp_path``."""
    base: dict[str, object] = {
        "station": StationConfig(state_dir=tmp_path / "state", data_dir=tmp_path / "data", sprite_dir=tmp_path / "sp"),
        "outbox": OutboxConfig(
            path=tmp_path / "box.db",
            station_key="k" * 32,
            api_url="http://127.0.0.1:9",
            backoff_initial_s=0.4,
            batch_max=7,
        ),
        "run": RunConfig(
            district=REPO / "examples" / "district.geojson",
            grids=[GRID],
            patterns=["perimeter"],
            drones=[DroneLink(id="drone-1", connect=connect, video="none")],
        ),
    }
    return Settings.model_validate({**base, **sections})


def build(settings: Settings) -> Station:
    """The station as ``gridpatrol run`` builds it: plan, write, check, then ``Station(settings, missions)``."""
    _, plan = plan_for_run(settings.run, settings, settings.planner.camera)
    paths = write_missions(plan, settings.run, Path(settings.station.state_dir) / "plans")
    return Station(settings, checked_missions(settings.run, paths, settings.fly))


def test_every_section_reaches_the_part_it_configures(tmp_path: Path) -> None:
    camera = CameraProfile(name="test-cam", image_width_px=1280, image_height_px=720, gimbal_pitch_deg=-55.0)
    settings = patrol_settings(
        tmp_path,
        flight=FlightConfig(heartbeat_timeout_s=7.0, tlog_dir=tmp_path / "tlogs", rates={"SYS_STATUS": 3.0}),
        fly=FlyConfig(connect_timeout_s=17.0, safety=SafetyConfig(gcs_timeout_s=21.0)),
        speaker=SpeakerConfig(lang="en"),
        vision=VisionConfig.model_validate({"crowd": {"min_people": 7}}),
        planner={"alt_m": 33.0, "camera": camera},
    )
    settings.run.fps = 3.0
    station = build(settings)
    try:
        rig = station.rigs["drone-1"]
        assert rig.flight.link_config == settings.flight  # [flight]
        assert rig.flight.config == settings.fly  # [fly]
        assert rig.speaker.lang == "en"  # [speaker]
        spec = station._spec(rig)
        assert spec.vision == settings.vision and spec.fps == 3.0  # [vision], [run]
        assert spec.camera == camera and station.camera == camera  # [planner] camera
        assert spec.data_dir == tmp_path / "data" and station.out_dir == tmp_path / "state"  # [station]
        assert spec.cache_dir == (tmp_path / "sp").resolve()  # [station] sprite_dir
        assert station.outbox.path == tmp_path / "box.db"  # [outbox]
        assert (station.deliverer.backoff_initial_s, station.deliverer.batch_max) == (0.4, 7)
        assert rig.checked.cruise_alt_m == pytest.approx(33.0)  # [planner] alt_m, as [run] leaves it out
    finally:
        station.outbox.close()


def set_message_intervals(tlog: Path) -> dict[int, float]:
    """Message id -> interval (us) of every SET_MESSAGE_INTERVAL the station sent, as recorded in ``tlog``."""
    asked: dict[int, float] = {}
    log = mavutil.mavlink_connection(str(tlog), dialect="ardupilotmega")
    while (msg := log.recv_match(type="COMMAND_LONG")) is not None:
        if msg.command == mavlink.MAV_CMD_SET_MESSAGE_INTERVAL:
            asked[int(msg.param1)] = float(msg.param2)
    log.close()
    return asked


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_flight_section_reaches_a_flying_station(tmp_path: Path) -> None:
    probe = patrol_settings(tmp_path)
    _, plan = plan_for_run(probe.run, probe, probe.planner.camera)
    lat, lon = plan.drones[0].home
    with Simulator(vehicles=1, speedup=20.0, base_port=0, home=(lat, lon, 20.0)) as sim:
        rates = {**DEFAULT_RATES, "SYS_STATUS": 3.0}  # the GPS and EKF reports flight needs, and one rate changed
        flight = FlightConfig(heartbeat_timeout_s=7.0, tlog_dir=tmp_path / "tlogs", rates=rates)
        fly = FlyConfig(safety=SafetyConfig(gcs_timeout_s=30.0))
        station = build(patrol_settings(tmp_path, sim.endpoints[0], flight=flight, fly=fly))
        station.start(ready_timeout_s=10)
        rig = station.rigs["drone-1"]
        deadline = time.monotonic() + 180
        while not rig.flight.status.reached and not rig.flight.status.done and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rig.flight.status.reached, rig.flight.status  # it flew: the link the settings opened works
        link = rig.flight.link
        assert link is not None and link.heartbeat_timeout_s == 7.0
        # Held and let go, not sent home: a flight still following its RTL when the simulator closes would go on
        # reopening its link for the rest of the run (and log so into other tests' output).
        station.stop(return_home=False, flush_timeout_s=0.5)
        while not rig.flight.status.done:
            assert time.monotonic() < deadline, "the released flight did not end"
            time.sleep(0.1)
    tlogs = list((tmp_path / "tlogs").glob("drone-1-*.tlog"))
    assert len(tlogs) == 1, tlogs
    asked = set_message_intervals(tlogs[0])
    assert asked.get(mavlink.MAVLINK_MSG_ID_SYS_STATUS) == pytest.approx(1e6 / 3.0)
    log = mavutil.mavlink_connection(str(tlogs[0]), dialect="ardupilotmega")
    assert log.recv_match(type="HEARTBEAT") is not None  # the vehicle's side is in it too
    log.close()
