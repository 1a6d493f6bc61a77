"""``gridpatrol run`` (a patrol with real or simulated drones) and ``gridpatrol demo`` (everything on one machine)."""

from __future__ import annotations

import contextlib
import select
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the station pulls in the vision stack: imported when a patrol runs, not for every command
    from gridpatrol.station.runtime import Station


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``demo`` to the ``gridpatrol`` command line."""
    app.command("run")(run_command)
    app.command("demo")(demo_command)


def _ask_return(yes: bool) -> bool:
    """Ctrl-C: should the drones come back (True) or hold where they are (False)?"""
    from gridpatrol.cli import console

    if yes or not sys.stdin.isatty():
        return True
    prompt = Text("stop the patrol: [R]eturn home or [h]old position? ", style="bold")  # literal: not markup
    answer = console.input(prompt).strip().lower()
    return not answer.startswith("h")


def fly_patrol(
    station: Station,
    *,
    grids: list[str] | None,
    timeout_s: float | None,
    yes: bool,
    live: bool = True,
    operator: tuple[str, str] | None = None,
    wait_for_launch: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Start the patrol over ``grids`` and :func:`_fly_and_watch` it, with the operator console served beside it
    (``[console]``, docs/console.md); ``operator``: (name, password) of a console operator to create first (the
    demo's).

    The console is up before the drones start: its start-up (imports, accounts, the web server) would otherwise
    compete with the take-off for the CPU, and on a busy machine delay the heartbeats the vehicles' link failsafe
    listens for.

    ``wait_for_launch``: start nothing; an operator plans and launches in the console (Ctrl-C ends the wait).
    The station then stays up after its drones land, for their next sorties and the console's schedules, until the
    operator ends it (``q``, Ctrl-C or ``timeout_s``).
    """
    from gridpatrol.cli import console
    from gridpatrol.console.server import serve_console

    with serve_console(station, station.settings, state_dir=station.out_dir, demo_operator=operator) as web:
        if web is not None:
            login = f" (operator {operator[0]}, password {operator[1]})" if operator else ""
            console.print(f"operator console: {web.url}{login}", highlight=False, markup=False)
        if not wait_for_launch:
            station.start(grids=grids)
        elif web is None or not _launched_in_console(station):
            station.outbox.close()  # nothing started: no flight, stream or speaker to stop
            return {}, False
        console.print(
            f"patrol started with {', '.join(station.rigs)}; type `help` for commands", highlight=False, markup=False
        )
        return _fly_and_watch(station, timeout_s=timeout_s, yes=yes, live=live, stay=wait_for_launch)


def _launched_in_console(station: Station) -> bool:
    """Wait until an operator launches the patrol in the console; False on Ctrl-C."""
    from gridpatrol.cli import console

    console.print("plan and launch the patrol in the console; Ctrl-C ends the wait", highlight=False, markup=False)
    try:
        while not station.started_wall:
            time.sleep(0.25)
    except KeyboardInterrupt:
        return False
    return True


def _fly_and_watch(
    station: Station, *, timeout_s: float | None, yes: bool, live: bool = True, stay: bool = False
) -> tuple[dict[str, Any], bool]:
    """Show the live view and take operator commands until every flight ends, a timeout, or Ctrl-C.

    ``stay``: the console launches more (later sorties, schedules): landing does not end the watch; ``q``, Ctrl-C
    or the timeout does.

    Returns:
        The summary and whether every flight ended by itself (no timeout, no Ctrl-C).
    """
    from gridpatrol.cli import console
    from gridpatrol.station.console import run_command as operator_command
    from gridpatrol.station.dashboard import view

    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    interactive = live and sys.stdin.isatty()
    finished = landed_said = False
    try:
        screen = Live(view(station), console=console, refresh_per_second=4) if live else contextlib.nullcontext()
        with screen:
            while True:
                finished = station.flights_done()
                if finished and not stay:
                    break
                if finished and not landed_said:
                    station.note("every flight has ended; the console can launch again; q or Ctrl-C ends")
                landed_said = finished
                if deadline is not None and time.monotonic() > deadline:
                    station.note(f"the patrol ran past {timeout_s:.0f} s: calling the drones back")
                    break
                if interactive and select.select([sys.stdin], [], [], 0.25)[0]:
                    line = sys.stdin.readline()
                    if line.strip().lower() in {"q", "quit", "exit"}:
                        break
                    station.note(operator_command(station, line))
                else:
                    time.sleep(0.25)
                if isinstance(screen, Live):
                    screen.update(view(station))
        return_home = True
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave drones unattended
        return_home = _ask_return(yes)
    summary = station.stop(return_home=return_home)
    return summary, finished


def print_summary(summary: dict[str, Any]) -> None:
    """The end-of-patrol figures as tables."""
    from gridpatrol.cli import console

    drones = Table(title="flights")
    for col in (
        "drone",
        "result",
        "items reached",
        "skipped grids",
        "flight time",
        "frames analysed",
        "landed from home",
    ):
        drones.add_column(col)
    for name, d in summary["drones"].items():
        result = Text("ok", style="green") if d["ok"] else Text.assemble((d["phase"], "red"), f" {d['error'] or ''}")
        flown = "-" if d["flight_time_s"] is None else f"{d['flight_time_s']:.0f} s"
        home = "-" if d["landed_from_home_m"] is None else f"{d['landed_from_home_m']:.1f} m"
        skipped = ", ".join(d.get("skipped_grids") or []) or "-"
        drones.add_row(Text(name), result, f"{d['reached']}/{d['items']}", Text(skipped), flown, str(d["frames"]), home)
    console.print(drones)
    inc = Table(title="incidents")
    inc.add_column("type @ grid")
    inc.add_column("count")
    for key, n in summary["incidents_by_grid"].items():
        inc.add_row(Text(key), str(n))
    console.print(inc)
    w, f = summary["latency_warning_s"], summary["latency_found_s"]
    console.print(
        f"warnings played: {summary['warnings_played']}  |  frame -> incident p50 {f['p50']} s, p95 {f['p95']} s  |  "
        f"frame -> warning p50 {w['p50']} s, p95 {w['p95']} s  |  outbox: {summary['outbox']}",
        highlight=False,
        markup=False,
    )


def run_command(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Answer yes: on Ctrl-C, return the drones home.")] = False,
    timeout: Annotated[float | None, typer.Option(help="Call the drones back after this many seconds.")] = None,
    launch_from_console: Annotated[
        bool,
        typer.Option(help="Serve the console and wait: an operator plans and launches the patrol in the browser."),
    ] = False,
) -> None:
    """Fly a patrol: plan (or load plans), connect, upload and verify, fly, detect, warn and log.

    Example: gridpatrol --config station.toml run
    """
    from flight.errors import FlightError
    from gridpatrol.cli import fail, state
    from gridpatrol.station.missions import checked_missions, plan_for_run, write_missions
    from gridpatrol.station.runtime import Station

    settings = state.settings
    run = settings.run
    if not run.drones:
        fail("no drones: add a [[run.drones]] table (id, connect, video) to station.toml for each drone")
    camera = settings.planner.camera
    try:
        paths = None
        if run.plan_dir is None:
            _, plan = plan_for_run(run, settings, camera)
            paths = write_missions(plan, run, Path(settings.station.state_dir) / "plans")
        missions = checked_missions(run, paths, settings.fly)
    except (FlightError, ValueError, OSError) as exc:
        fail(str(exc))
        return
    try:
        station = Station(settings, missions)
    except (ValueError, OSError) as exc:  # an empty [outbox] station_key, an unwritable state folder
        fail(str(exc))
        return
    if launch_from_console and not settings.console.enabled:
        fail("--launch-from-console needs the console: set [console] enabled = true")
    summary, _ = fly_patrol(station, grids=run.grids, timeout_s=timeout, yes=yes, wait_for_launch=launch_from_console)
    if launch_from_console and not station.started_wall:
        fail("no patrol was launched from the console; nothing flew", code=1)
    print_summary(summary)
    failed = failed_flights(summary)
    if failed:
        fail("; ".join(failed), code=1)


def failed_flights(summary: dict[str, Any]) -> list[str]:
    """One line per drone whose flight did not end well (landed with every item flown), saying why."""
    lines = []
    for drone, d in summary["drones"].items():
        if d["ok"]:
            continue
        why = d["error"] or f"ended {d['phase']} with {d['reached']} of {d['items']} items flown"
        lines.append(f"{drone} failed: {why}")
    return lines


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the demo's database, audio, plans and summary.")] = Path(
        "out/demo"
    ),
    drones: Annotated[int, typer.Option(min=1, max=2, help="Simulated drones (each takes a CPU core for vision).")] = 2,
    speedup: Annotated[float, typer.Option(min=1, max=50, help="Simulated seconds per second.")] = 2.5,
    timeout: Annotated[float, typer.Option(help="Call the drones back after this many seconds.")] = 150.0,
    keep_serving: Annotated[
        bool, typer.Option(help="Keep the review UI running after the patrol until Ctrl-C.")
    ] = False,
    live: Annotated[bool, typer.Option(help="Show the live view.")] = True,
    sitl: Annotated[
        bool, typer.Option(help="Fly ArduCopter SITL (ARDUPILOT_SITL) instead of the built-in simulator.")
    ] = False,
    sitl_instance: Annotated[
        int, typer.Option(min=0, max=90, help="With --sitl: SITL instance of the first drone (port 5760 + 10 x I).")
    ] = 0,
) -> None:
    """Run a whole patrol on this machine: API and UI, two simulated drones, cameras, detection, warnings, log.

    Example: gridpatrol demo  (or, on the real autopilot: ARDUPILOT_SITL=../shared/sitl/arducopter gridpatrol demo
    --sitl)
    """
    from gridpatrol.cli import console, fail, state
    from gridpatrol.station import demo

    settings = state.settings
    try:
        with demo.demo_patrol(
            out, settings, drones=drones, speedup=speedup, sitl=sitl, sitl_instance=sitl_instance
        ) as patrol:
            scene, api = patrol.scene, patrol.api
            console.print(
                f"planned {len(patrol.plan.sorties)} sorties over grids {', '.join(demo.DEMO_GRIDS)}; "
                f"{len(scene.people)} people on the ground, {len(scene.groups())} groups",
                highlight=False,
                markup=False,
            )
            console.print(
                f"[bold]review UI:[/] {api.url}/  (user {demo.ADMIN[0]}, password {demo.ADMIN[1]})", highlight=False
            )
            summary, finished = fly_patrol(
                patrol.station, grids=demo.DEMO_GRIDS, timeout_s=timeout, yes=True, live=live, operator=demo.ADMIN
            )
            summary["finished"] = finished
            summary = demo.demo_report(patrol, summary)
            print_summary(summary)
            errs = [c["error_m"] for c in summary["crowd_errors_m"]]
            console.print(
                f"{summary['api_incidents']} incidents in the log; crowd positions within "
                f"{max(errs) if errs else '-'} m of the real groups; {summary['demo_s']:.0f} s in all; "
                f"audio in {patrol.out / 'audio'}, summary in {patrol.out / 'summary.json'}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            if keep_serving:
                console.print(f"review the incidents at {api.url}/ ; Ctrl-C to stop", highlight=False, markup=False)
                while True:
                    time.sleep(1)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, ValueError) as exc:
        fail(str(exc))
