"""``gridpatrol sim``: run simulated ArduCopters on loopback until Ctrl-C."""

from __future__ import annotations

import signal
from typing import Annotated

import typer
from rich.table import Table

from gridpatrol.cli.core import console, fail, state
from gridpatrol.cli.signals import caught
from sim.config import SimConfig


def _parse_home(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        lat, lon, alt = (float(p) for p in parts)
    except ValueError:
        raise typer.BadParameter(f"--home must be LAT,LON,ALT in degrees and metres (got {text!r})") from None
    return lat, lon, alt


def register(app: typer.Typer) -> None:
    """Add the ``sim`` command to the ``gridpatrol`` CLI."""
    app.command("sim")(sim_command)


def sim_command(
    vehicles: Annotated[int | None, typer.Option(help="Number of simulated copters.", min=1)] = None,
    speedup: Annotated[float | None, typer.Option(help="Simulated seconds per wall second.")] = None,
    home: Annotated[
        str | None,
        typer.Option(help="LAT,LON,ALT of vehicle 1's home (degrees, m AMSL).", show_default=False),
    ] = None,
    port: Annotated[int | None, typer.Option(help="TCP port of vehicle 1 (next: +10 each; 0 = free).")] = None,
    udp: Annotated[bool | None, typer.Option("--udp/--no-udp", help="Also listen on UDP.")] = None,
) -> None:
    """Simulate ArduCopter quadrotors that speak MAVLink on 127.0.0.1 (stop with Ctrl-C)."""
    from sim.simulator import Simulator

    settings = getattr(state.settings, "sim", None)
    cfg = settings if isinstance(settings, SimConfig) else SimConfig()
    try:
        simulator = Simulator(
            vehicles=vehicles if vehicles is not None else cfg.vehicles,
            speedup=speedup if speedup is not None else cfg.speedup,
            home=_parse_home(home) if home is not None else cfg.home,
            base_port=port if port is not None else cfg.base_port,
            udp=udp if udp is not None else cfg.udp,
            wind=(cfg.wind_speed, cfg.wind_dir),
            seed=cfg.seed,
        )
        simulator.start()
    except (ValueError, OSError) as exc:
        fail(str(exc))
        return
    table = Table(title=f"gridpatrol simulator ({simulator.speedup:g}x)")
    table.add_column("vehicle")
    table.add_column("sysid")
    table.add_column("TCP")
    table.add_column("UDP")
    for v in simulator.vehicles:
        table.add_row(str(v.index), str(v.sysid), v.endpoint, v.udp_endpoint or "-")
    console.print(table)
    try:
        with caught(signal.SIGINT, signal.SIGTERM) as stop:
            console.print("Ctrl-C to stop.")
            stop.wait()
        console.print("stopping")
    finally:
        simulator.stop()
