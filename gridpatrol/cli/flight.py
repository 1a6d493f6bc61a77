"""``gridpatrol fly``: fly planned missions, one per drone, with live progress and Ctrl-C to bring them home."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from gridpatrol.cli.core import console, fail, state
from gridpatrol.cli.signals import caught, ctrl_c_raises

if TYPE_CHECKING:
    from flight.fly import MissionFlight
    from flight.fly_config import SafetyConfig
    from flight.safety import CheckedMission
    from flight.watchdog import WatchEvent

REFRESH_HZ = 4


def register(app: typer.Typer) -> None:
    """Add the ``fly`` command to the ``gridpatrol`` command line."""
    app.command("fly")(fly_command)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def progress_table(flights: list[MissionFlight]) -> Table:
    """One row per drone: link, mode, battery, altitude, mission item, phase (live telemetry once connected)."""
    table = Table(title="gridpatrol fly", title_justify="left")
    for col in ("drone", "link", "mode", "armed", "battery %", "alt m", "item", "phase"):
        table.add_column(col, justify="right" if col in ("battery %", "alt m", "item") else "left")
    for flight in flights:
        st = flight.status
        live = flight.vehicle is not None and not st.done
        s = flight.vehicle.state if live and flight.vehicle is not None else st.state
        link_ok = flight.vehicle.link_ok if live and flight.vehicle is not None else st.link_ok
        link = Text("ok", style="green") if link_ok else (Text("LOST", style="red") if s is not None else Text("-"))
        done = len(st.reached)
        phase = Text.assemble((st.phase, "red" if st.error else ""), f" {st.detail}" if st.detail else "")
        table.add_row(  # Text cells: labels, modes and details print literally, brackets included
            Text(st.label),
            link,
            Text(s.mode if s is not None else "-"),
            ("yes" if s.armed else "no") if s is not None else "-",
            _fmt(s.battery_pct if s else None, ".0f"),
            _fmt(s.alt_rel_m if s else None, ".1f"),
            f"{min(done, st.total)}/{st.total}",
            phase,
        )
    return table


def fly_command(
    plans: Annotated[
        list[Path],
        typer.Argument(help="Planned missions (.plan from `gridpatrol plan`), one per drone; a folder: its *-s1.plan."),
    ],
    connect: Annotated[
        list[str] | None,
        typer.Option(
            "--connect",
            help="The link of each drone, in the order of the plans (tcp:HOST:PORT, udpin:...); "
            "default for one drone: [flight] connect.",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Answer yes: take off without asking; on Ctrl-C return home.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Only check the plans (every number, every leg in the fence); connect to nothing."
        ),
    ] = False,
    district: Annotated[
        Path | None,
        typer.Option(
            "--district",
            help="District GeoJSON/KML: check a plan from another ground station (one .plan) against its fence and "
            "no-fly zones, which are then uploaded as the vehicle's fence.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fly planned patrol missions: check, upload and verify, arm, take off, fly AUTO, land.

    Example: gridpatrol fly out/demo/drone-1-s1.plan --connect tcp:127.0.0.1:5760
    """
    from flight.errors import FlightError
    from flight.fly import MissionFlight, split_target
    from flight.fly_config import FlyConfig

    cfg: FlyConfig = state.settings.fly
    link_cfg = state.settings.flight
    try:
        missions = _missions(plans, district, cfg.safety)
    except FlightError as exc:
        fail(f"refusing to fly: {exc}")
        return
    if check:
        for m in missions:
            checked = f" {m.path}: {m.waypoints} navigation items, {_checked_against(m, district)}"
            console.print(Text.assemble(("ok", "green"), checked), soft_wrap=True)
        return
    if not connect:
        connect = [link_cfg.connect] if len(missions) == 1 else []
    if len(missions) != len(connect):
        fail(
            f"--connect: {len(missions)} mission(s) ({', '.join(m.path.name for m in missions)}) but "
            f"{len(connect)} --connect link(s); give one --connect per mission, in the same order"
        )
    for m, url in zip(missions, connect, strict=True):
        checked = f" {m.path}: {m.waypoints} navigation items, {_checked_against(m, district)} -> {url}"
        console.print(Text.assemble(("checked", "green"), checked), soft_wrap=True)
    try:
        shared_bases = shared_urls(connect)
    except ValueError as exc:
        fail(str(exc))
        return
    if not yes and not typer.confirm(f"Arm and fly {len(missions)} drone(s) now?", default=False):
        fail("not flying (answered no)", code=1)
    from flight.link import MavLink

    shared = {base: MavLink(base, **link_cfg.link_options()) for base in shared_bases}
    flights = [
        MissionFlight(m, url, cfg, link_cfg, on_event=_print_event, shared_link=shared.get(split_target(url)[0]))
        for m, url in zip(missions, connect, strict=True)
    ]
    threads = [threading.Thread(target=f.run, name=f"fly-{f.status.label}", daemon=True) for f in flights]
    for t in threads:
        t.start()
    try:
        interrupted = _watch(flights, threads, yes)
    finally:
        for link in shared.values():
            link.close()
    failed = [f.status for f in flights if not f.status.ok]
    for f in flights:
        st = f.status
        error = (" ", (st.error, "red")) if st.error else ()
        console.print(Text.assemble(f"{st.label}: ", (st.phase, "bold"), f" {st.detail}", *error))
    if interrupted:
        raise typer.Exit(130)
    if failed:
        fail("; ".join(f"{st.label}: {st.error or f'{st.phase} {st.detail}'}" for st in failed), code=1)


def _missions(plans: list[Path], district_file: Path | None, config: SafetyConfig) -> list[CheckedMission]:
    """Every plan checked (:func:`flight.fly.load_missions`), against ``--district`` when it is given.

    Raises:
        FlightError: an unreadable district, or a plan that must not fly.
    """
    from flight.errors import FlightError
    from flight.fly import load_missions
    from mission_planner.district_io import load_district
    from mission_planner.errors import PlanningError

    if district_file is None:
        return load_missions(plans, config)
    try:
        district = load_district(district_file)
    except FileNotFoundError:
        raise FlightError(f"cannot read the district {district_file}: no such file") from None
    except PlanningError as exc:
        raise FlightError(str(exc)) from None
    return load_missions(plans, config, district=district)


def _checked_against(mission: CheckedMission, district: Path | None) -> str:
    """Which fence the legs were checked against, in words (a foreign plan is not checked the planner's way)."""
    if district is not None:
        return f"all legs in the fence and outside the no-fly zones of {district}"
    if mission.plan.validated:
        return "all legs in the fence (planned by gridpatrol)"
    return "all legs in the fence written in the file (not made by gridpatrol; --district checks the district's)"


def shared_urls(urls: list[str]) -> list[str]:
    """The link URLs that several drones share; each such use must name its vehicle with ``@SYSID``.

    Raises:
        ValueError: a shared URL without ``@SYSID`` on every use, a system id given twice, or a bad ``@SYSID``.
    """
    from flight.fly import split_target

    targets = [split_target(u) for u in urls]
    shared = []
    for base in dict.fromkeys(b for b, _ in targets):
        ids = [sysid for b, sysid in targets if b == base]
        if len(ids) == 1:
            continue
        if None in ids or len(set(ids)) != len(ids):
            raise ValueError(
                f"--connect {base} is given {len(ids)} times: name a different vehicle on each, e.g. "
                f"{base}@1 --connect {base}@2"
            )
        shared.append(base)
    return shared


def _print_event(flight: MissionFlight, event: WatchEvent) -> None:

    colour = "green" if event.kind == "link_back" else "bold red"
    console.print(Text(f"{flight.status.label}: {event.text}", style=colour))


def _watch(flights: list[MissionFlight], threads: list[threading.Thread], yes: bool) -> bool:
    """Show progress until every flight ends; Ctrl-C asks whether to RTL. Returns whether it was interrupted.

    Ctrl-C is read between refreshes (:mod:`gridpatrol.cli.signals`), never raised in the middle of one: an
    interrupt inside a half-drawn refresh could leave a lock taken and the RTL unsent."""

    interrupted, seen = False, 0
    with caught(signal.SIGINT) as ctrl_c, Live(progress_table(flights), console=console,
                                              refresh_per_second=REFRESH_HZ) as live:  # fmt: skip
        while any(t.is_alive() for t in threads):
            live.update(progress_table(flights))
            if not ctrl_c.wait(1 / REFRESH_HZ, seen):
                continue
            seen = ctrl_c.count
            if interrupted:  # the second Ctrl-C: stop following; the vehicles' failsafes take over
                console.print("[yellow]leaving the drones to their failsafes (lost link: return home)[/]")
                break
            interrupted = True
            live.stop()
            if yes or _confirm_rtl():
                for f in flights:
                    console.print(f"{f.status.label}: {f.return_home()}", markup=False)
                console.print("waiting for the drones to land (Ctrl-C again to leave them to their failsafes)")
            else:
                console.print(
                    "[yellow]drones keep flying their missions (Ctrl-C again to stop following them; their "
                    "lost-link failsafe then returns them home)[/]"
                )
            live.start()
        live.update(progress_table(flights))
    console.print()
    return interrupted


def _confirm_rtl() -> bool:
    """Ask whether to bring every drone home; Ctrl-C at the question leaves the command (as anywhere else)."""
    with ctrl_c_raises():
        return typer.confirm("Interrupted: return every drone home (RTL) now?", default=True)
