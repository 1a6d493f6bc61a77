"""A real station (`gridpatrol run` in its own process) killed with SIGKILL while the incident log is down, then
the log brought back and the station's outbox delivered by the CLI's restart path (`gridpatrol outbox flush`).

The station flies one simulated drone over the demo's hotspot grid with the simulated camera and real detection,
so its incidents, snapshots and broadcasts are the real thing, queued in the SQLite outbox while the API refuses
connections. After the kill one incident and one broadcast are sent to the API by hand, exactly as the deliverer
sends them: the state a kill leaves when it lands after the API stored an item but before the outbox marked it
sent. Everything queued before the kill must then reach the API exactly once, by id, snapshots included.

The station runs in its own process, so its own lockstep cannot reach the test's simulator; the test keeps it
instead (:class:`FrameLockstep`): the simulated clock runs at most one frame's worth of simulated time past the last
frame the station's analysis logged in ``frames.jsonl``, and stands still from the first incident until its
warning is queued. A slow or loaded machine flies the same patrol later, never past the crowd unseen and never on
to the end of the patrol (which drops unsaid warnings) before the warning is in the outbox. The time limits below
only stop a run that hangs.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from api.client import ApiClient
from gridpatrol.config import Settings
from gridpatrol.outbox import Item, Outbox
from gridpatrol.station import demo
from gridpatrol.station.lockstep import Lockstep
from gridpatrol.station.missions import plan_for_run
from gridpatrol.station.vision_proc import StreamEvent
from sim import Simulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

GRID = "5"
SPEEDUP = 4.0
FPS = 2.0
DRONE = "drone-1"
#: The demo camera's centre: people as many pixels tall as in the demo, 2 detector tiles a frame.
CAMERA = demo.CENTRE_CAMERA


class FrameLockstep:
    """The station's lockstep (:class:`~gridpatrol.station.lockstep.Lockstep`) kept by the test, for a station in
    another process: its analysed frames are read from the flight record it writes (``frames.jsonl``, a line per
    frame) and the drone's height from the simulator itself.

    :meth:`pause` stops moving the clock's mark on (the drone stands still in simulated time within one frame's
    worth), so whatever the station must do next happens before the patrol goes on; leaving frees the clock.
    """

    def __init__(self, sim: Simulator, frames_log: Path) -> None:
        self.sim = sim
        self.frames_log = frames_log
        self.step = Lockstep({DRONE: sim}, sim_s_per_frame=SPEEDUP / FPS)  # as demo_patrol(lockstep=True)
        self.frames = 0
        self.paused = threading.Event()
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-lockstep", daemon=True)

    def __enter__(self) -> FrameLockstep:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.step.release_all()

    def pause(self) -> None:
        """Hold the clock at its current mark from now on: analysed frames no longer move it."""
        self.paused.set()

    def _new_frames(self) -> int:
        """Whole lines the station appended to its frame log since the last call (a torn last line waits)."""
        if not self.frames_log.exists():
            return 0
        with self.frames_log.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        whole = data[: data.rfind(b"\n") + 1]
        self._offset += len(whole)
        return sum(1 for line in whole.splitlines() if f'"drone": "{DRONE}"'.encode() in line)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step.on_pose(DRONE, alt_rel=self.sim.vehicle(0).position[2])
            for _ in range(self._new_frames()):
                self.frames += 1
                if not self.paused.is_set():
                    self.step.on_event(StreamEvent("frame", DRONE))
            self._stop.wait(0.05)


def station_toml(out: Path, connect: str, api: demo.DemoApi, sprites: Path) -> Path:
    """The station's settings: the demo's camera, crowd rule and tiles, warnings played (``auto``), one drone,
    the outbox in ``out``, the run's shared cut of the camera's people (``sprites``)."""
    cam = CAMERA
    path = out / "station.toml"
    path.write_text(
        f"""
[station]
state_dir = "{out / "state"}"
sprite_dir = "{sprites}"

[planner.camera]
name = "{cam.name}"
image_width_px = {cam.image_width_px}
image_height_px = {cam.image_height_px}
sensor_width_mm = {cam.sensor_width_mm}
sensor_height_mm = {cam.sensor_height_mm}
gimbal_pitch_deg = {cam.gimbal_pitch_deg}

[speaker]
warning_mode = "auto"  # the warning is played (queued in the outbox), nobody confirms it

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

[fly.safety]
gcs_timeout_s = 30  # simulated seconds: 7.5 wall seconds at speed-up 4, which a loaded machine may take

[run]
district = "{demo.demo_run_config(out, 1, [0]).district}"
grids = ["{GRID}"]
patterns = ["hotspots"]
alt_m = {demo.DEMO_ALT_M}
fps = {FPS}
ready_timeout_s = 1200  # every frame is wanted (lockstep): wait for the analysis however long a loaded machine takes
scene = "{out / "scene.json"}"

[[run.drones]]
id = "{DRONE}"
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


def test_killed_station_resends_everything_once_after_restart(tmp_path: Path, station_sprites: Path) -> None:
    out = tmp_path
    settings = demo.demo_settings(Settings())
    run = demo.demo_run_config(out, 1, [0]).model_copy(update={"grids": [GRID]})
    district, plan = plan_for_run(run, settings, CAMERA)
    scene = demo.demo_scene(demo.crowd_spots(plan, district.frame, CAMERA, demo.DEMO_ALT_M), seed=7)
    scene.save(out / "scene.json")
    api = demo.start_api(out, settings)
    demo.stop_api(api)  # the incident log is down from the start: every report waits in the outbox
    box_path = out / "outbox.db"
    lat, lon = plan.drones[0].home
    log = (out / "station.log").open("wb")
    with Simulator(vehicles=1, speedup=SPEEDUP, base_port=0, home=(lat, lon, 20.0)) as sim:
        config = station_toml(out, sim.endpoints[0], api, station_sprites)
        station = gridpatrol(config, "run", "--yes", stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            with FrameLockstep(sim, out / "state" / "frames.jsonl") as step:
                deadline = time.monotonic() + 1200  # model loading and the flight, however slow
                while True:  # poll the outbox file until an incident with its snapshot and a broadcast are queued
                    items = pending(box_path)
                    kinds = Counter(i.kind for i in items)
                    found = any(i.kind == "incident" and i.blob for i in items)
                    if found and kinds["broadcast"] >= 1:
                        break
                    if found:
                        step.pause()  # the drone waits (in simulated time) until the warning is queued
                    assert station.poll() is None, (
                        f"station ended with {kinds} queued after {step.frames} frames\n"
                        + (out / "station.log").read_text()[-3000:]
                    )
                    assert time.monotonic() < deadline, f"nothing queued in 1200 s: {kinds}, {step.frames} frames"
                    time.sleep(0.2)
                os.killpg(station.pid, signal.SIGKILL)  # the station and its vision and speech processes
                assert step.frames > 0  # the clock followed the station's analysis (its frame log was read)
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
