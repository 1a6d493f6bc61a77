"""A real station (`gridpatrol run` in its own process) killed with SIGKILL while the incident log is down, then
the log brought back and the station's outbox delivered by the CLI's restart path (`gridpatrol outbox flush`).

The station flies one simulated drone over the demo's hotspot grid with the simulated camera and real detection,
so its incidents, snapshots and broadcasts are the real thing, queued in the SQLite outbox while the API refuses
connections. After the kill one incident and one broadcast are sent to the API by hand, exactly as the deliverer
sends them: the state a kill leaves when it lands after the API stored an item but before the outbox marked it
sent. Everything queued before the kill must then reach the API exactly once, by id, snapshots included.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from api.client import ApiClient
from gridpatrol.config import Settings
from gridpatrol.outbox import Item, Outbox
from gridpatrol.station import demo
from gridpatrol.station.missions import plan_for_run
from sim import Simulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

GRID = "5"
SPEEDUP = 4.0


def station_toml(out: Path, connect: str, api: demo.DemoApi) -> Path:
    """The station's settings: the demo's camera, crowd rule and tiles, one drone, the outbox in ``out``."""
    cam = demo.DEMO_CAMERA
    path = out / "station.toml"
    path.write_text(
        f"""
[station]
state_dir = "{out / "state"}"

[planner.camera]
name = "{cam.name}"
image_width_px = {cam.image_width_px}
image_height_px = {cam.image_height_px}
gimbal_pitch_deg = {cam.gimbal_pitch_deg}

[vision.crowd]
max_spacing_m = 1.5

[vision.detector]
tiling = "on"
tile_px = 320

[outbox]
path = "{out / "outbox.db"}"
api_url = "{api.url}"
station_key = "{api.station_key}"
backoff_initial_s = 0.2
backoff_max_s = 1.0

[run]
district = "{demo.demo_run_config(out, 1, [0]).district}"
grids = ["{GRID}"]
patterns = ["hotspots"]
alt_m = {demo.DEMO_ALT_M}
fps = 2.0
scene = "{out / "scene.json"}"

[[run.drones]]
id = "drone-1"
connect = "{connect}"
video = "sim"
""",
        encoding="utf-8",
    )
    return path


def gridpatrol(config: Path, *args: str, **kwargs: Any) -> Any:
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "gridpatrol", "--config", str(config), *args], env=env, **kwargs)


def pending(path: Path) -> list[Item]:
    if not path.exists():
        return []
    with Outbox(path) as box:
        return box.items("pending")


def test_killed_station_resends_everything_once_after_restart(tmp_path: Path) -> None:
    out = tmp_path
    settings = demo.demo_settings(Settings())
    run = demo.demo_run_config(out, 1, [0]).model_copy(update={"grids": [GRID]})
    district, plan = plan_for_run(run, settings, demo.DEMO_CAMERA)
    scene = demo.demo_scene(demo.crowd_spots(plan, district.frame, demo.DEMO_CAMERA, run.alt_m), seed=7)
    scene.save(out / "scene.json")
    api = demo.start_api(out, settings)
    demo.stop_api(api)  # the incident log is down from the start: every report waits in the outbox
    box_path = out / "outbox.db"
    lat, lon = plan.drones[0].home
    log = (out / "station.log").open("wb")
    with Simulator(vehicles=1, speedup=SPEEDUP, base_port=0, home=(lat, lon, 20.0)) as sim:
        config = station_toml(out, sim.endpoints[0], api)
        station = gridpatrol(config, "run", "--yes", stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while True:  # poll the outbox file until an incident with its snapshot and a broadcast are queued
                items = pending(box_path)
                kinds = Counter(i.kind for i in items)
                if kinds["broadcast"] >= 1 and any(i.kind == "incident" and i.blob for i in items):
                    break
                assert station.poll() is None, (out / "station.log").read_text()[-3000:]
                assert time.monotonic() < deadline, f"nothing queued in 300 s: {kinds}"
                time.sleep(0.2)
            os.killpg(station.pid, signal.SIGKILL)  # the station and its vision and speech processes
        finally:
            if station.poll() is None:
                os.killpg(station.pid, signal.SIGKILL)
            station.wait(10)
            log.close()
    assert station.returncode == -signal.SIGKILL
    queued = pending(box_path)
    incidents = {i.client_id: i for i in queued if i.kind == "incident"}
    broadcasts = {i.client_id: i for i in queued if i.kind == "broadcast"}
    assert incidents and broadcasts and not [i for i in queued if i.kind not in {"incident", "broadcast", "snapshot"}]

    demo.restart_api(api, out)
    try:
        # a delivery the kill cut off after the API had stored it: the outbox still holds these as pending
        first_inc, first_bc = next(iter(incidents.values())), next(iter(broadcasts.values()))
        with ApiClient(api.url, api.station_key, timeout_s=10) as client:
            assert client.post_incident_batch([(first_inc.payload, first_inc.blob)])[0]["result"] == "created"
            client.post_broadcast(first_bc.payload)
        flush = gridpatrol(
            config, "outbox", "flush", "--timeout", "60", stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        said = flush.communicate(timeout=120)[0].decode()
        assert flush.returncode == 0, said
        stored = demo.fetch_api(api.url, "/incidents", {"limit": 500})["items"]
        stored_bc = demo.fetch_api(api.url, "/broadcasts", {"limit": 500})
        assert Counter(i["id"] for i in stored) == Counter(list(incidents)), said  # each exactly once
        assert Counter(b["id"] for b in stored_bc) == Counter(list(broadcasts))
        for inc in stored:
            blob = incidents[inc["id"]].blob
            want = hashlib.sha256(blob).hexdigest() if blob else None
            assert inc.get("snapshot_sha") == want, inc["id"]
        with Outbox(box_path) as box:
            counts = box.counts()
        assert counts["pending"] == 0 and counts["dead"] == 0, counts
    finally:
        demo.stop_api(api)
