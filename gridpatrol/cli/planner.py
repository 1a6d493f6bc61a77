"""``gridpatrol plan``: plan a patrol from a district file and write routes, files and a map; import and export
plans of other ground stations.

``plan`` is a command group whose default command is ``make``: ``gridpatrol plan DISTRICT ...`` is
``gridpatrol plan make DISTRICT ...``, so existing scripts keep working beside ``plan import`` and ``plan export``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gridpatrol.cli.core import console, fail, state
from gridpatrol.cli.planner_files import export_command, import_command
from mission_planner.district import PATTERNS, Pattern
from mission_planner.errors import PlanningError
from mission_planner.plan import Plan
from mission_planner.profiles import VEHICLE_PROFILES, vehicle_profile

STEPS = {
    "patterns": "Drawing routes over the grids",
    "sorties": "Sharing work among drones",
    "waypoints": "Checking every leg against the fence",
}


DEFAULT_COMMAND = "make"


class PlanGroup(typer.core.TyperGroup):
    """The ``plan`` group: arguments that do not start with a subcommand go to ``make`` (the planning command)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: typer's vendored click.Context
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    """Add the planner's commands to the ``gridpatrol`` command line."""
    plan_app = typer.Typer(
        cls=PlanGroup,
        no_args_is_help=True,
        help="Plan patrols (`plan DISTRICT ...` is `plan make DISTRICT ...`); import and export other stations' plans.",
    )
    plan_app.command(DEFAULT_COMMAND)(plan_command)
    plan_app.command("import")(import_command)
    plan_app.command("export")(export_command)
    app.add_typer(plan_app, name="plan")


def _parse_grids(text: str) -> list[str] | None:
    text = text.strip()
    if text.lower() in ("", "all", "*"):
        return None
    return [g.strip() for g in text.split(",") if g.strip()]


def _parse_patterns(text: str | None) -> list[Pattern] | None:
    if not text:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    bad = [n for n in names if n not in PATTERNS]
    if bad:
        raise typer.BadParameter(f"unknown pattern {', '.join(bad)}; use {', '.join(PATTERNS)}")
    return names  # type: ignore[return-value]


def plan_command(
    district_file: Annotated[Path, typer.Argument(help="District GeoJSON or KML (grids, fence, no-fly zones...).")],
    grids: Annotated[
        str, typer.Option("--grids", "-g", help="Grid ids to patrol, e.g. 3,5,7; 'all' for every grid.")
    ] = "all",
    drones: Annotated[int, typer.Option("--drones", "-d", min=1, max=32, help="Drones flying at once.")] = 1,
    alt: Annotated[float | None, typer.Option("--alt", help="Patrol altitude above launch (m).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for .plan, .waypoints, GeoJSON, KML, JSON.")] = Path(
        "out"
    ),
    preview: Annotated[Path | None, typer.Option("--preview", help="Draw the plan to this .png/.svg/.html.")] = None,
    pattern: Annotated[
        str | None,
        typer.Option("--pattern", help="Patterns for every grid, e.g. coverage,hotspots (default: each grid's own)."),
    ] = None,
    launch: Annotated[
        str | None, typer.Option("--launch", help="Launch site ids to use, e.g. A,B (default: all).")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help=f"Named vehicle profile instead of [planner.vehicle]: {', '.join(VEHICLE_PROFILES)} "
            "(sitl-quad: ArduCopter SITL's quad, as measured).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan safe patrol routes over district grids for one or more drones.

    Example: gridpatrol plan examples/district.geojson --grids 3,5,7 --drones 2 --alt 40 --out out/
    """
    from mission_planner.district_io import load_district
    from mission_planner.geo_export import write_plan_outputs
    from mission_planner.planner import PlanRequest, plan_patrol

    settings = state.settings.planner
    try:
        vehicle = vehicle_profile(profile) if profile is not None else settings.vehicle
        district = load_district(district_file)
        request = PlanRequest(
            grids=_parse_grids(grids),
            drones=drones,
            alt_m=alt if alt is not None else settings.alt_m,
            vehicle=vehicle,
            camera=settings.camera,
            patterns=_parse_patterns(pattern),
            launches=[s.strip() for s in launch.split(",")] if launch else None,
        )
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(STEPS.get(step, step), total=total)
                bar.update(tasks[step], completed=done, total=total)

            plan = plan_patrol(district, request, progress)
        elapsed = time.perf_counter() - started
        files = write_plan_outputs(plan, district, out)
        if preview is not None:
            from mission_planner.preview import render_preview

            render_preview(district, plan, preview, highlight={g.grid_id for g in plan.grids})
            files.append(preview)
    except FileNotFoundError as exc:
        fail(f"cannot read {exc.filename or district_file}: no such file")
    except (PlanningError, ValueError) as exc:
        fail(str(exc))
    print_summary(plan, elapsed)
    written = f" {len(files)} files to {out}" + (f" and the map {preview}" if preview else "")
    console.print(Text.assemble(("wrote", "green"), written))


def print_summary(plan: Plan, elapsed_s: float) -> None:
    """Per-sortie and per-grid tables an operator checks before launch."""

    # District, drone, launch and grid names come from the district file: Text cells print them literally.
    sorties = Table(title=Text(f"Patrol of {plan.district} at {plan.alt_m:g} m"), title_justify="left")
    for col in ("drone", "sortie", "launch", "grids", "km", "min", "battery %", "take-off at"):
        sorties.add_column(col, justify="right" if col in ("km", "min", "battery %", "take-off at") else "left")
    for s in plan.sorties:
        sorties.add_row(
            Text(s.drone_id),
            str(s.index + 1),
            Text(s.launch_id),
            Text(",".join(s.grid_ids)),
            f"{s.length_m / 1000:.2f}",
            f"{s.duration_s / 60:.1f}",
            f"{s.energy_pct:.0f}",
            f"+{s.start_s / 60:.0f} min",
        )
    console.print(sorties)
    grids = Table(title="Grids", title_justify="left")
    for col in ("grid", "name", "patterns", "area m²", "coverage %"):
        grids.add_column(col, justify="right" if col in ("area m²", "coverage %") else "left")
    for g in plan.grids:
        grids.add_row(Text(g.grid_id), Text(g.name), ",".join(g.patterns), f"{g.area_m2:,.0f}", f"{g.coverage_pct:.1f}")
    console.print(grids)
    console.print(
        f"{len(plan.drones)} drone(s), {len(plan.sorties)} sortie(s), {plan.length_m / 1000:.2f} km in all; "
        f"patrol done after [bold]{plan.makespan_s / 60:.1f} min[/]; planned in {elapsed_s:.2f} s"
    )
