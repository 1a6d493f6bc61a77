"""Helpers for the console tests: a real station (two drones, no cameras) on real plans of the example district,
optionally flying the built-in simulator, and console accounts.

The drones have ``video = "none"``: the console's part is flight, speech and incidents, and leaving the YOLO
processes out keeps the tests light on two shared cores. Everything else is the real station.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "flight"))

from flightkit import DISTRICT, GROUND_AMSL, fly_config, launch_site, write_plans  # noqa: E402

from flight.safety import check_plan_file  # noqa: E402
from gridpatrol.config import Settings  # noqa: E402
from gridpatrol.console.accounts import Accounts  # noqa: E402
from gridpatrol.station.config import NO_VIDEO, DroneLink, RunConfig  # noqa: E402

GRIDS = ("1", "4")  # drone-1 flies grid 1 from launch site A, drone-2 grid 4 from B (perimeter: short sorties)
PASSWORDS = {"op": "operator pass phrase 31", "obs": "observer pass phrase 47"}
XSS = '<img src=x onerror="window.__pwned=1">'  # 38 characters: fits a STATUSTEXT (50)


def xss_district(out: Path) -> Path:
    """The example district with a script payload in every grid, zone and launch-site name (ids unchanged)."""
    doc = json.loads(DISTRICT.read_text(encoding="utf-8"))
    for feature in doc["features"]:
        props = feature["properties"]
        if props.get("kind") in {"grid", "nofly", "launch", "fence"}:
            props["name"] = f"{XSS} {props.get('name', '')}"
    path = out / "district-xss.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def make_station(settings: Settings, run: RunConfig, missions: list[Any], out: Path) -> Any:
    """A :class:`~gridpatrol.station.runtime.Station` (its constructor takes ``run`` and ``fly`` in the settings,
    or, before issue 13's change, as arguments)."""
    from gridpatrol.station import runtime

    Station: Any = runtime.Station
    settings = settings.model_copy(update={"run": run, "fly": fly_config()})
    params = inspect.signature(Station).parameters
    common: dict[str, Any] = {"api_url": "http://127.0.0.1:9", "station_key": "gps_console-tests", "out_dir": out}
    if "run" in params:
        return Station(settings, run, missions, camera=settings.planner.camera, fly=settings.fly, **common)
    return Station(settings, missions, **common)


@contextlib.contextmanager
def patrol(out: Path, *, fly: bool, speedup: float = 3.0, district: Path | None = None) -> Iterator[tuple[Any, list]]:
    """A station for two drones; with ``fly`` each drone has a simulator at its launch site (not yet started:
    call ``station.start()``). Yields the station and the simulators (empty without ``fly``)."""
    from sim import Simulator

    plans = write_plans(out / "plans", GRIDS, drones=2)
    checked = [check_plan_file(p, fly_config().safety) for p in plans]
    with contextlib.ExitStack() as stack:
        sims = []
        if fly:
            for p in plans:
                lat, lon = launch_site(p)
                sim = Simulator(vehicles=1, speedup=speedup, home=(lat, lon, GROUND_AMSL), base_port=0)
                sims.append(stack.enter_context(sim))
        links = [
            DroneLink(id=f"drone-{i + 1}", connect=sims[i].endpoints[0] if fly else "tcp:127.0.0.1:9", video=NO_VIDEO)
            for i in range(len(plans))
        ]
        run = RunConfig(district=district or DISTRICT, grids=list(GRIDS), drones=links)
        station = make_station(Settings(), run, list(zip(links, checked, strict=True)), out)
        try:
            yield station, sims
        finally:
            if fly and station.started_wall:
                station.stop(return_home=False, flush_timeout_s=0.5)
                end_flights(station)
            else:
                station.outbox.close()


def end_flights(station: Any) -> None:
    """Close the MAVLink links of a stopped station's flights before the simulators go: a link left open would keep
    reopening its port, and could reach another test's simulator that took the port. (A flight thread that holds
    in the air follows its vehicle until it lands, so its daemon thread is left to end with the process.)"""
    for rig in station.rigs.values():
        rig.flight.abort.set()
        if rig.flight.link is not None:
            rig.flight.link.close()


def accounts_with_users(path: Path) -> Accounts:
    """An accounts file with an operator ``op`` and an observer ``obs``."""
    accounts = Accounts(path)
    accounts.add("op", PASSWORDS["op"], "operator", check_policy=False)
    accounts.add("obs", PASSWORDS["obs"], "observer", check_policy=False)
    return accounts
