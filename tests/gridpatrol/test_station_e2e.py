"""End to end: plan, fly two simulated drones, render their cameras, detect, speak to files, log to the API.

One patrol at speed-up checks the whole chain against the scene's truth: the crowd incidents in the API lie
within a stated distance of the real groups, each group is warned once, both drones fly every item and land
home, and stopping the API for a while in the middle of the patrol loses nothing (the outbox resends).

The patrol flies in lockstep (:mod:`gridpatrol.station.lockstep`): each drone's simulated clock waits for its
camera's analysis, so a slow or loaded machine sees as many frames of the flight as a fast one, only later. The
time limits below only stop a run that hangs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gridpatrol.config import Settings, StationConfig
from gridpatrol.station import demo
from speaker.config import SpeakerConfig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
SPEEDUP = 4.0

#: The demo camera's centre: people as many pixels tall as in the demo's 720p frames, 2 detector tiles a frame.
CAMERA = demo.CENTRE_CAMERA

#: A crowd incident must lie this close to the centre of a real group (m): geolocation at 20 m, 45 degrees down.
MAX_CROWD_ERROR_M = 6.0


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, station_sprites: Path) -> dict:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    out = tmp_path_factory.mktemp("station") / "demo"
    settings = Settings(
        station=StationConfig(sprite_dir=station_sprites),  # the run's one cut of the camera's people
        speaker=SpeakerConfig(warning_mode="auto"),  # warnings played, nobody confirms
    )
    with demo.demo_patrol(out, settings, drones=2, speedup=SPEEDUP, lockstep=True, camera=CAMERA) as patrol:
        station = patrol.station
        # every frame of the flight is wanted (lockstep): wait for the analyses however long a loaded machine takes
        station.start(grids=demo.DEMO_GRIDS, ready_timeout_s=900.0)
        # take the incident log down for a while once the drones are out, then bring it back
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any(
            r.flight.status.phase == "mission" for r in station.rigs.values()
        ):
            time.sleep(0.5)
        demo.stop_api(patrol.api)
        down_until = time.monotonic() + 15
        while time.monotonic() < down_until and not station.flights_done():
            time.sleep(0.5)
        pending_while_down = station.outbox.counts().get("pending", 0)
        demo.restart_api(patrol.api, out)
        finished = station.wait(timeout_s=1200)
        summary = station.stop(return_home=True, flush_timeout_s=30)
        summary["finished"] = finished
        summary["pending_while_down"] = pending_while_down
        summary["station_incidents"] = [r.incident.id for r in station.incidents]
        summary["station_broadcasts"] = [(b.incident_id, b.kind, b.outcome) for b in station.broadcasts]
        summary["incident_seen"] = {
            r.incident.id: (r.incident.drone_id, r.incident.grid_id, r.incident.ts.isoformat(), r.incident.details)
            for r in station.incidents
        }
        summary["sim_s_per_frame"] = station.lockstep.sim_s_per_frame
        summary["lockstep_waits"] = dict(station.lockstep.waits)
        result = demo.demo_report(patrol, summary)
        result["api_incident_ids"] = [
            i["id"] for i in demo.fetch_api(patrol.api.url, "/incidents", {"limit": 500})["items"]
        ]
        result["wav_files"] = sorted(str(p) for p in (out / "audio").rglob("*.wav"))
    return result


def test_both_drones_fly_every_item_and_land_home(report: dict) -> None:
    assert report["finished"], report["drones"]
    for name, d in report["drones"].items():
        assert d["ok"], (name, d)
        assert d["reached"] == d["items"] > 0
        assert d["landed_from_home_m"] is not None and d["landed_from_home_m"] < 5.0


def test_every_drone_analysed_a_frame_for_each_stretch_of_its_flight(report: dict) -> None:
    """Lockstep: whatever the machine's speed, a frame is analysed per ``sim_s_per_frame`` of flight (the first
    and last seconds below the analysis height, and the pose a frame waits for, take some off)."""
    step = report["sim_s_per_frame"]
    for name, d in report["drones"].items():
        assert d["flight_time_s"] > 30, (name, d)
        assert d["frames"] >= 0.6 * d["flight_time_s"] / step, (name, d["frames"], d["flight_time_s"], step)


def test_crowds_found_where_the_groups_stand(report: dict) -> None:
    crowds = report["crowd_errors_m"]
    assert crowds, f"no crowd incident in the API; station saw {report['incidents']}"
    found_groups = {c["group"] for c in crowds}
    assert len(found_groups) >= 1
    for c in crowds:
        assert c["error_m"] <= MAX_CROWD_ERROR_M, c


def test_each_group_warned_once(report: dict) -> None:
    crowd_ids = {c["id"]: c["group"] for c in report["crowd_errors_m"]}
    played = [inc for inc, kind, outcome in report["station_broadcasts"] if kind == "crowd" and outcome == "played"]
    per_group: dict[str, int] = {}
    for inc in played:
        if inc in crowd_ids:
            per_group[crowd_ids[inc]] = per_group.get(crowd_ids[inc], 0) + 1
    assert per_group, "no crowd warning was played"
    seen = {inc: report["incident_seen"].get(inc) for inc in played}
    assert all(n == 1 for n in per_group.values()), (per_group, seen)
    assert report["wav_files"], "no warning reached the file sink"


def test_nothing_lost_while_the_api_was_down(report: dict) -> None:
    assert sorted(report["api_incident_ids"]) == sorted(report["station_incidents"])
    assert report["outbox"].get("pending", 0) == 0 and report["outbox"].get("dead", 0) == 0, report["outbox"]
    assert report["api_broadcasts"] == len(report["station_broadcasts"])
