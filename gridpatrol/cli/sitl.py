"""``gridpatrol sitl``: real ArduCopter SITL vehicles at the district's launch sites, until Ctrl-C.

For integrators who want to try the station (or their own ground station) against the real autopilot rather
than ``gridpatrol sim``. The binary comes from ``ARDUPILOT_SITL`` (never shipped with gridpatrol); without it the
command says how to get one and exits 2. Drone *i* stands at the launch site the planner gives drone *i*
(the district's launch sites in turn), so ``gridpatrol run`` finds each vehicle where its mission starts.
SITL exits when its parent process does, so the command stays in the foreground; it prints each vehicle's
endpoint and a settings snippet (the ``sitl-quad`` planner profile and one ``[[run.drones]]`` per vehicle).
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from gridpatrol.cli.core import console, fail, state
from gridpatrol.cli.signals import caught
from mission_planner.profiles import SITL_QUAD, VehicleProfile

#: Home altitude (m AMSL) of the SITL vehicles, as the demo's simulated ones.
HOME_ALT_M = 20.0
#: ``[run]`` lines that fit a SITL battery (about 6 minutes) on the example district: the demo's hotspot grids
#: near the launch sites, one sortie per drone (42 % and 49 % with two drones). Farther grids need more batteries
#: than ``gridpatrol run`` flies (one sortie per drone), and some cannot be reached on one battery at all.
EXAMPLE_RUN = ['grids = ["5", "8"]', 'patterns = ["hotspots"]', "alt_m = 15"]


def launch_homes(district_file: Path, drones: int, launches: list[str] | None = None) -> list[tuple[str, float, float]]:
    """(launch id, lat, lon) of each drone: the district's launch sites (or ``launches``) in turn, the way the
    planner assigns them (drone *i* at site *i* mod the number of sites).

    Raises:
        ValueError: the district has no launch site, or ``launches`` names one it lacks.
    """
    from mission_planner.district_io import load_district

    district = load_district(district_file)
    sites = list(district.launches)
    if launches:
        by_id = {s.id: s for s in sites}
        missing = [i for i in launches if i not in by_id]
        if missing:
            raise ValueError(f"unknown launch site(s) {', '.join(missing)}; {district_file} has {', '.join(by_id)}")
        sites = [by_id[i] for i in launches]
    if not sites:
        raise ValueError(f"{district_file} has no launch site; add a Point feature with kind 'launch'")
    picked = [sites[i % len(sites)] for i in range(drones)]
    return [(s.id, float(s.geometry.y), float(s.geometry.x)) for s in picked]


def toml_value(value: object) -> str:
    """A TOML literal for a string, number or path."""
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def settings_snippet(district: Path, endpoints: list[str], vehicle: VehicleProfile = SITL_QUAD) -> str:
    """``station.toml`` lines for these vehicles: the planner profile they can fly and one drone per endpoint."""
    lines = ["# gridpatrol sitl: the planner profile measured on SITL's quad, and one drone per vehicle"]
    lines += ["[planner.vehicle]"] + [f"{k} = {toml_value(v)}" for k, v in vehicle.model_dump().items()]
    lines += ["", "[run]", f"district = {toml_value(district)}"]
    lines += ["# a SITL battery lasts about 6 minutes: grids near the launch sites (example district)"]
    example = district.name == "district.geojson" and district.parent.name == "examples"
    lines += EXAMPLE_RUN if example else [f"# {line}" for line in EXAMPLE_RUN]
    for i, endpoint in enumerate(endpoints):
        lines += ["", "[[run.drones]]", f'id = "drone-{i + 1}"', f'connect = "{endpoint}"']
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    """Add the ``sitl`` command to the ``gridpatrol`` CLI."""
    app.command("sitl")(sitl_command)


def sitl_command(
    drones: Annotated[int, typer.Option("--drones", "-d", min=1, max=16, help="SITL vehicles to start.")] = 1,
    district: Annotated[
        Path | None,
        typer.Option(help="District whose launch sites are the homes (default: [run] district).", show_default=False),
    ] = None,
    launch: Annotated[
        str | None, typer.Option(help="Launch site ids to use in turn, e.g. A,B (default: all).", show_default=False)
    ] = None,
    speedup: Annotated[float, typer.Option(min=1, max=100, help="SITL's simulated seconds per second.")] = 1.0,
    instance: Annotated[
        int, typer.Option(min=0, max=90, help="SITL instance of the first drone (its port is 5760 + 10 x instance).")
    ] = 0,
    write: Annotated[
        Path | None, typer.Option(help="Also write the settings snippet to this file.", show_default=False)
    ] = None,
) -> None:
    """Start ArduCopter SITL vehicles (ARDUPILOT_SITL) at the district's launch sites; stop with Ctrl-C.

    Example: ARDUPILOT_SITL=../shared/sitl/arducopter gridpatrol sitl --drones 2
    """
    from sim.sitl import SITLError
    from sim.sitl_fleet import SITLFleet

    district_file = district if district is not None else state.settings.run.district
    try:
        homes = launch_homes(district_file, drones, [s.strip() for s in launch.split(",")] if launch else None)
    except FileNotFoundError:
        fail(f"cannot read the district {district_file}: no such file")
        return
    except ValueError as exc:
        fail(str(exc))
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)  # while starting, SIGTERM stops the vehicles as Ctrl-C does
    fleet = None
    try:
        fleet = SITLFleet.from_env(
            [(lat, lon, HOME_ALT_M, 0.0) for _, lat, lon in homes], first_instance=instance, speedup=speedup
        )
        console.print(f"starting {drones} ArduCopter SITL vehicle(s) at {speedup:g}x ...", highlight=False)
        fleet.start(on_ready=lambda i, v: console.print(f"drone-{i + 1} ready on {v.endpoint}", markup=False))
        table = Table(title=f"ArduCopter SITL ({speedup:g}x): GPS fix, ready for a ground station")
        for col in ("drone", "launch", "home (lat, lon)", "MAVLink", "sysid"):
            table.add_column(col)
        for i, ((site, lat, lon), endpoint, sysid) in enumerate(zip(homes, fleet.endpoints, fleet.sysids, strict=True)):
            table.add_row(
                f"drone-{i + 1}", Text(site), f"{lat:.7f}, {lon:.7f}", endpoint, str(sysid)
            )  # ids print literally
        console.print(table)
        snippet = settings_snippet(district_file.resolve(), fleet.endpoints)
        console.print(snippet, markup=False, highlight=False, soft_wrap=True)
        if write is not None:
            write.write_text(snippet, encoding="utf-8")
            console.print(f"wrote {write}; fly with: gridpatrol --config {write} run", markup=False, soft_wrap=True)
        console.print(
            "plan for them with: gridpatrol plan DISTRICT --profile sitl-quad ...; Ctrl-C to stop", soft_wrap=True
        )
        # from here Ctrl-C and SIGTERM are noted, not raised: a KeyboardInterrupt inside Popen.poll() can leave its
        # lock taken, and stopping the vehicles would then hang (gridpatrol.cli.signals)
        with caught(signal.SIGINT, signal.SIGTERM) as stop:
            while not (gone := fleet.exited()):
                if stop.wait(0.5):
                    raise KeyboardInterrupt
        fail("; ".join(f"drone-{i + 1} exited by itself: {why}" for i, why in gone), code=1)
    except SITLError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("stopping the SITL vehicles", highlight=False)
    finally:
        if fleet is not None:
            fleet.stop()
        signal.signal(signal.SIGTERM, previous)
