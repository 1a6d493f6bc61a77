"""``gridpatrol demo``: a whole patrol on one machine, with no hardware and no internet.

It starts the incident log API and review UI (SQLite) on localhost, plans the bundled example district for two
drones, places people on the ground (groups where the drones hover, people alone elsewhere), starts one
simulated ArduCopter per drone at its launch site at speed-up, and runs the station: each drone flies its
mission while its simulated camera (real person photographs composited into the view) is analysed, warnings are
rendered to WAV files and incidents go to the log. At the end it prints a summary and how close each crowd
incident came to a real group.

With ``sitl=True`` (``gridpatrol demo --sitl``) the vehicles are real ArduCopter SITL instances
(:class:`sim.sitl_fleet.SITLFleet`, the binary from ``ARDUPILOT_SITL``) homed at the drones' launch sites, and the
patrol is planned with the ``sitl-quad`` vehicle profile (:data:`mission_planner.profiles.SITL_QUAD`), whose
battery is the one SITL's quad really has; cameras, vision, warnings and the log stay the same, the camera
rendering from the pose each vehicle reports.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridpatrol.config import Settings
from gridpatrol.station.config import DroneLink, RunConfig
from mission_planner.geo import LocalFrame
from mission_planner.plan import Plan
from mission_planner.profiles import SITL_QUAD, CameraProfile

#: The demo drones' camera: a 720p stream looking 60 degrees down, flown at 15 m.
DEMO_CAMERA = CameraProfile(name="demo-720p", image_width_px=1280, image_height_px=720, gimbal_pitch_deg=-60.0)
#: The camera the tests' patrols fly: the demo camera's centre, 563x317 (:meth:`CameraProfile.cropped`). People are
#: as many pixels tall as in the demo, each group stands where the camera looks (the centre), and the detector's
#: 320 px tiles cover the frame in 2 inferences instead of 15 (6 for the 640x360 centre the tests flew before).
CENTRE_CAMERA = DEMO_CAMERA.cropped(0.44)
DEMO_GRIDS = ["5", "8"]
DEMO_ALT_M = 15.0
#: In lockstep, how long a vehicle may be silent before the station calls its link lost (s; the most [flight] allows).
LOCKSTEP_LINK_TIMEOUT_S = 60.0
ADMIN = ("demo", "demo-password-1")
#: Distance between neighbours in the demo's groups (m).
SPACING_M = 1.1
#: People in each of the demo's groups (a 4 x 3 knot).
GROUP_SIZE = 12


@dataclass
class DemoApi:
    """The incident log started for the demo."""

    url: str
    station_key: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_env(data_dir: Path) -> dict[str, str]:
    """The environment that points ``gridpatrol serve`` at the demo's own database."""
    return {**os.environ, "GRIDPATROL_API__DATA_DIR": str(data_dir.resolve())}


def start_api(out: Path, settings: Settings, timeout_s: float = 60.0) -> DemoApi:
    """Create the demo's admin and station key, then serve the API and UI in a process of its own."""
    from api.db import make_engine, migrate, session_factory
    from api.routes.auth import add_station_key, add_user

    data_dir = out / "api"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = settings.api.model_copy(update={"data_dir": data_dir.resolve()})
    engine = make_engine(config.sqlalchemy_url())
    migrate(engine)
    with session_factory(engine)() as session:
        add_user(session, ADMIN[0], ADMIN[1], "admin")
        key = add_station_key(session, "demo-station")
    engine.dispose()
    port = free_port()
    api = DemoApi(f"http://127.0.0.1:{port}", key, serve_api(data_dir, port, out / "api.log"), out / "api.log")
    wait_api(api, timeout_s)
    return api


def serve_api(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """``gridpatrol serve`` on ``port`` with the database in ``data_dir``, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "serve", "--port", str(port)],
        env=api_env(data_dir),
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_api(api: DemoApi, timeout_s: float = 60.0) -> None:
    """Wait until the API answers its health check.

    Raises:
        RuntimeError: it exited or did not answer in time (the message names its log).
    """
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise RuntimeError(f"the incident log did not start; see {api.log_path}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api.url}/api/health", timeout=1.0).status_code < 500:
                return
        time.sleep(0.3)
    api.process.kill()
    raise RuntimeError(f"the incident log did not answer on {api.url} within {timeout_s:.0f} s; see {api.log_path}")


def restart_api(api: DemoApi, out: Path) -> None:
    """Start the API again on the same port and database (after :func:`stop_api`)."""
    port = int(api.url.rsplit(":", 1)[1])
    api.process = serve_api(out / "api", port, api.log_path)
    wait_api(api)


def stop_api(api: DemoApi) -> None:
    """Stop the demo's API process."""
    api.process.terminate()
    try:
        api.process.wait(10)
    except subprocess.TimeoutExpired:
        api.process.kill()


def crowd_spots(plan: Plan, frame: LocalFrame, camera: CameraProfile, alt_m: float) -> list[tuple[float, float]]:
    """Where a group of people is seen while a drone hovers: ahead of each hover point along the way it came.

    A camera tilted ``camera.gimbal_pitch_deg`` from a drone hovering at ``alt_m`` looks at the ground
    ``alt_m / tan(-pitch)`` metres ahead; the drone faces the way it flew in. Returns (lon, lat) points.
    """
    ahead = alt_m / math.tan(math.radians(-camera.gimbal_pitch_deg)) if camera.gimbal_pitch_deg > -89 else 0.0
    spots = []
    for sortie in plan.sorties:
        wps = sortie.waypoints
        for prev, wp in itertools.pairwise(wps):
            if wp.hold_s <= 0:
                continue
            (x0, y0), (x1, y1) = (tuple(map(float, frame.to_local(p.lon, p.lat))) for p in (prev, wp))
            d = math.hypot(x1 - x0, y1 - y0) or 1.0
            lon, lat = frame.to_lonlat(x1 + (x1 - x0) / d * ahead, y1 + (y1 - y0) / d * ahead)
            spots.append((float(lon), float(lat)))
    return spots


def demo_scene(spots: list[tuple[float, float]], seed: int) -> Any:
    """At each spot a knot of twelve people about 1.1 m apart, and two people alone 5 m from it.

    Twelve rather than the rule's five because, seen obliquely, people in a knot hide one another and the
    detector does not find every one of them in every frame (see :func:`demo_settings` for the rule).
    """
    import numpy as np

    from sim.scene import GroundScene, Person

    rng = np.random.default_rng(seed)
    origin = spots[0] if spots else (0.0, 0.0)
    frame = LocalFrame(*origin)
    people: list[Person] = []

    def add(pid: str, x: float, y: float, group: str | None) -> None:
        lon, lat = frame.to_lonlat(x, y)
        masked = bool(rng.random() < 0.5)
        people.append(Person(pid, float(lat), float(lon), group, masked, round(float(rng.uniform(1.6, 1.8)), 3)))

    for i, (lon, lat) in enumerate(spots):
        cx, cy = (float(v) for v in frame.to_local(lon, lat))
        turn = rng.uniform(0, math.pi)
        for k in range(GROUP_SIZE):
            u, v = (k % 4 - 1.5) * SPACING_M + rng.uniform(-0.1, 0.1), (k // 4 - 1) * SPACING_M + rng.uniform(-0.1, 0.1)
            x, y = u * math.cos(turn) - v * math.sin(turn), u * math.sin(turn) + v * math.cos(turn)
            add(f"g{i}-{k}", cx + x, cy + y, f"g{i}")
        for k, angle in enumerate(rng.uniform(0, 2 * math.pi, 2)):
            add(f"s{i}-{k}", cx + 5.0 * math.cos(angle), cy + 5.0 * math.sin(angle), None)
    return GroundScene(origin, tuple(people), seed)


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: a crowd is 5 people each within 1.5 m of another (the 1 m rule of the warning
    plus 0.5 m for the error of ground positions seen obliquely from 15 m), and 320 px detector tiles.

    Warnings play automatically (``[speaker] warning_mode = "auto"``): nobody need be at the console in a demo.
    A ``warning_mode`` the given settings set themselves is kept (a demo operator in the browser: ``confirm``).
    """
    vision = settings.vision.model_copy(deep=True)
    vision.crowd.max_spacing_m = max(vision.crowd.max_spacing_m, 1.5)
    # seen 60 degrees from above people look half their height: 320 px tiles (twice enlarged) find them
    vision.detector.tiling, vision.detector.tile_px = "on", 320
    speaker = settings.speaker
    if "warning_mode" not in speaker.model_fields_set:
        speaker = speaker.model_copy(update={"warning_mode": "auto"})
    return settings.model_copy(update={"vision": vision, "speaker": speaker})


def with_run(settings: Settings, run: RunConfig, camera: CameraProfile) -> Settings:
    """``settings`` with the ``[run]`` section and the ``[planner] camera`` replaced (the demo's own); every other
    section is kept as given, so ``[flight]``, ``[fly]``, ``[speaker]`` ... reach the demo's station too."""
    planner = settings.planner.model_copy(update={"camera": camera})
    return settings.model_copy(update={"run": run, "planner": planner})


def demo_run_config(out: Path, drones: int, ports: list[int]) -> RunConfig:
    """The ``[run]`` section of the demo: the example district's hotspot grids, simulated drones and cameras."""
    return RunConfig(
        district=Path(__file__).resolve().parents[2] / "examples" / "district.geojson",
        grids=DEMO_GRIDS,
        patterns=["hotspots"],
        alt_m=DEMO_ALT_M,
        fps=2.0,
        scene=out / "scene.json",
        drones=[DroneLink(id=f"drone-{i + 1}", connect=f"tcp:127.0.0.1:{ports[i]}") for i in range(drones)],
    )


@contextlib.contextmanager
def simulators(homes: list[tuple[float, float]], speedup: float) -> Iterator[list[Any]]:
    """One simulated ArduCopter per drone, standing at its launch site."""
    from sim import Simulator

    sims = [Simulator(vehicles=1, speedup=speedup, base_port=0, home=(lat, lon, 20.0)) for lat, lon in homes]
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(s) for s in sims]


@contextlib.contextmanager
def sitl_vehicles(homes: list[tuple[float, float]], speedup: float, first_instance: int = 0) -> Iterator[list[Any]]:
    """One ArduCopter SITL vehicle per drone at its launch site (instances from ``first_instance``), each with a
    GPS fix before the station connects; all stopped afterwards."""
    from sim.sitl_fleet import SITLFleet

    homes4 = [(lat, lon, 20.0, 0.0) for lat, lon in homes]
    with SITLFleet.from_env(homes4, first_instance=first_instance, speedup=speedup) as fleet:
        yield fleet.vehicles


def sitl_settings(settings: Settings) -> Settings:
    """The settings with the planner's vehicle replaced by the SITL quad's measured profile."""
    planner = settings.planner.model_copy(update={"vehicle": SITL_QUAD.model_copy()})
    return settings.model_copy(update={"planner": planner})


def score_crowds(incidents: list[dict[str, Any]], scene: Any) -> list[dict[str, Any]]:
    """For each crowd incident, the distance (m) from its position to the nearest real group's centre."""
    frame = scene.frame
    centres = {}
    for gid, people in scene.groups().items():
        xs, ys = zip(*(tuple(map(float, frame.to_local(p.lon, p.lat))) for p in people), strict=True)
        centres[gid] = (sum(xs) / len(xs), sum(ys) / len(ys))
    rows = []
    for inc in incidents:
        if inc.get("type") != "crowd" or inc.get("lat") is None:
            continue
        x, y = (float(v) for v in frame.to_local(inc["lon"], inc["lat"]))
        gid, (cx, cy) = min(centres.items(), key=lambda kv: math.hypot(kv[1][0] - x, kv[1][1] - y))
        rows.append({"id": inc["id"], "group": gid, "error_m": round(math.hypot(cx - x, cy - y), 1)})
    return rows


def fresh_dir(out: Path) -> Path:
    """Empty ``out`` of a previous demo (keeping the sprite and speech caches, which are slow to make)."""
    keep = {"sprites", "speaker-cache"}
    if out.exists():
        for child in out.iterdir():
            if child.name in keep:
                continue
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


class ApiReader:
    """Reads the API as the demo's admin (what a reviewer's browser sees), logged in once: a login costs a password
    hash, too much to pay on every poll."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url.rstrip("/") + "/api", timeout=10.0)
        token = self.http.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET an API resource (JSON)."""
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Close the connection."""
        self.http.close()


def fetch_api(url: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET one API resource as the demo's admin (logs in for this one request)."""
    reader = ApiReader(url)
    try:
        return reader.get(path, params)
    finally:
        reader.close()


@dataclass
class DemoPatrol:
    """Everything the demo started: the station (not yet started), its API, the scene and the simulators."""

    out: Path
    station: Any
    api: DemoApi
    scene: Any
    plan: Plan
    sims: list[Any]
    started: float


@contextlib.contextmanager
def demo_patrol(
    out: Path,
    settings: Settings,
    *,
    drones: int = 2,
    speedup: float = 8.0,
    seed: int = 7,
    sitl: bool = False,
    sitl_instance: int = 0,
    lockstep: bool = False,
    camera: CameraProfile = DEMO_CAMERA,
) -> Iterator[DemoPatrol]:
    """Plan, lay out the scene, start the API and the simulators, and build the station; tear down after.

    Used by ``gridpatrol demo``, the end-to-end test and ``benchmarks/station.py`` alike. ``sitl``: fly ArduCopter
    SITL instances ``sitl_instance``, ``sitl_instance + 1``, ... instead of the built-in simulator. ``lockstep``
    (tests, built-in simulator only): each drone's clock waits for its camera's analysis, so a slow machine
    analyses as many frames per simulated second as a fast one (:mod:`gridpatrol.station.lockstep`). ``camera``:
    the drones' camera (the tests fly the demo camera's centre, :meth:`CameraProfile.cropped`, a quarter of the
    pixels to render and detect with people as many pixels tall).

    Raises:
        sim.sitl.SITLError: ``sitl`` without ``ARDUPILOT_SITL`` (before anything is started or wiped), or a SITL
            vehicle that did not start.
    """
    from gridpatrol.station.lockstep import Lockstep
    from gridpatrol.station.missions import checked_missions, plan_for_run, write_missions
    from gridpatrol.station.runtime import Station

    if sitl:
        from sim.sitl import ENV_VAR, SITLError
        from sim.sitl_fleet import unset_message

        if not os.environ.get(ENV_VAR):
            raise SITLError(unset_message())
        settings = sitl_settings(settings)
    started = time.monotonic()
    out = fresh_dir(out)
    draft = demo_run_config(out, drones, [5760] * drones)
    district, plan = plan_for_run(draft, settings, camera)
    scene = demo_scene(crowd_spots(plan, district.frame, camera, DEMO_ALT_M), seed)
    scene.save(out / "scene.json")
    settings = demo_settings(settings)
    if lockstep and not sitl:
        # a held clock sends no telemetry, heartbeats included (as SITL in lockstep): the station must not call a
        # vehicle lost while it waits for one frame's analysis, however slow the machine (a 3 s timeout did)
        settings = settings.model_copy(
            update={"flight": settings.flight.model_copy(update={"heartbeat_timeout_s": LOCKSTEP_LINK_TIMEOUT_S})}
        )
    api = start_api(out, settings)
    try:
        homes = [d.home for d in plan.drones]
        vehicles = sitl_vehicles(homes, speedup, sitl_instance) if sitl else simulators(homes, speedup)
        with vehicles as sims:
            ports = [int((s.endpoint if sitl else s.endpoints[0]).rsplit(":", 1)[1]) for s in sims]
            run = demo_run_config(out, drones, ports)
            missions = checked_missions(run, write_missions(plan, run, out / "plans"), settings.fly)
            clocks = {d.id: s for d, s in zip(run.drones, sims, strict=True)} if lockstep and not sitl else {}
            station = Station(
                with_run(settings, run, camera),
                missions,
                api_url=api.url,
                station_key=api.station_key,
                out_dir=out,
                lockstep=Lockstep(clocks, sim_s_per_frame=speedup / run.fps) if clocks else None,
            )
            yield DemoPatrol(out, station, api, scene, plan, sims, started)
    finally:
        stop_api(api)


def demo_report(demo: DemoPatrol, summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with what the incident log holds and how close each crowd incident is to a real group."""
    reader = ApiReader(demo.api.url)
    try:
        incidents = reader.get("/incidents", {"limit": 500})["items"]
        broadcasts = reader.get("/broadcasts", {"limit": 500})
    finally:
        reader.close()
    summary["api_incidents"] = len(incidents)
    summary["api_broadcasts"] = len(broadcasts)
    summary["crowd_errors_m"] = score_crowds(incidents, demo.scene)
    summary["groups"] = len(demo.scene.groups())
    summary["coverage_pct"] = {g.grid_id: round(g.coverage_pct, 1) for g in demo.plan.grids}
    summary["demo_s"] = round(time.monotonic() - demo.started, 1)
    write_json(demo.out / "summary.json", summary)
    return summary
